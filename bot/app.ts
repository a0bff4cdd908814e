/** The composition root: everything the app needs is wired here, once, from a validated Config. */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import restify from 'restify';
import { DEFAULT_PROFILE_PATH, type Config } from '../services/config';
import { createLogger, errorKind, type Logger } from '../services/logging';
import { loadProfile } from '../services/profile/load';
import { conversationRepository } from '../services/store/conversations';
import { createCosmosClient, openContainers } from '../services/store/cosmos';
import { startEmbeddedCosmos, type EmbeddedCosmos } from '../services/store/embedded';
import { peopleRepository, personalChats } from '../services/store/people';
import { rethinkRepository } from '../services/store/rethinks';
import { Dispatcher } from '../services/requests/dispatcher';
import { RateLimiter } from '../services/requests/rateLimiter';
import { caseRecordsRepository } from '../services/store/caseRecords';
import { panelPassKeySource } from '../services/store/panelPassKey';
import { chatOwner, keepReachable, poolRepository } from '../services/store/pool';
import { noteProfileInUse } from '../services/store/profileInUse';
import { requestRepository } from '../services/store/requests';
import { checkRetention } from '../services/store/retention';
import { readItem } from '../services/store/repository';
import { connectorClient, tokenSource } from './connectorClient';
import { poolHolds, requestSender } from './requestSender';
import type { Activity } from 'botbuilder';
import { answerActivity, createAdapter } from './adapter';
import { AnswersFirst } from './answersFirst';
import { CARD_TIMING, type CardTiming } from './cardUpdates';
import { Deliveries } from './deliveries';
import { mountEchoFloor } from './echoFloor';
import { sendReminders } from './handlers/reminders';
import { raiseMeetingsPassed, raiseWaitingRequests } from './handlers/requestChecks';
import { completeClosedLinks } from './handlers/requestLinks';
import { postOwed } from './handlers/owedPosts';
import type { Deps } from './handlers/types';
import { entraKeys, type PanelAuth } from './panel/auth';
import { mountPanel, mountPanelOff, onceInTenMinutes } from './panel/api';
import { RethinkBot } from './rethinkBot';

/** Within App Service's health check wait (1 minute), and far shorter than the SDK's own retries. */
const HEALTH_CHECK_MS = 5_000;
const HEALTH_RECORD = 'healthCheck';

/** Everyone's card and other follow-ups wait for a quiet moment, but no longer than this. */
const FOLLOW_UP_MAX_WAIT_MS = 250;

export interface App {
  readonly url: string;
  readonly port: number;
  /** Where the Cosmos data lives: the embedded server's address, or the Azure endpoint. */
  readonly storeEndpoint: string;
  /** Resolves when no card update or post is in flight. */
  idle(): Promise<void>;
  /** Settles when the start-up check that every record expires within the retention period has run (it never fails). */
  readonly retentionChecked: Promise<void>;
  /** Runs the periodic checks now (requests to complete, reminders due, posts owed), as the dispatcher does every minute or so: each as of now, after any begun earlier. */
  housekeep(): Promise<void>;
  stop(): Promise<void>;
}

export interface AppOptions {
  readonly logger?: Logger;
  readonly clock?: () => Date;
  /** The benchmark's floor: a bare echo bot on this same server at `/bench/echo`. Never in production. */
  readonly echoFloor?: boolean;
  /** The side panel's sign-in: tests trust a key of their own instead of Microsoft Entra's. */
  readonly panelAuth?: PanelAuth;
  /** How the outbox is delivered; tests shorten these. */
  readonly delivery?: { readonly pollMs?: number; readonly leaseMs?: number; readonly sendTimeoutMs?: number };
  /** How card updates keep their order between instances; tests shorten these. */
  readonly cardTiming?: CardTiming;
  /** The longest follow-up work waits for a moment when no request is being answered. */
  readonly followUpMaxWaitMs?: number;
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const log = options.logger ?? createLogger(config.logLevel);
  const profile = loadProfile(config.profilePath);
  const retentionSeconds = profile.retentionDays * 86_400;
  // Which partnership this deployment serves, said once: another partnership's deployment that forgot
  // PARTNERSHIP_PROFILE would otherwise show Portsmouth's texts, links and retention without a word.
  const bundled = config.profilePath === DEFAULT_PROFILE_PATH;
  log.info({ partnership: profile.partnership.shortName, profile: bundled ? 'bundled' : 'PARTNERSHIP_PROFILE', retentionDays: profile.retentionDays }, 'partnership profile loaded');
  if (bundled && config.auth.mode !== 'none') log.warn(`This deployment uses the bundled partnership profile (${profile.partnership.name}). If it serves another partnership, set PARTNERSHIP_PROFILE to that partnership's profile file.`);

  let embedded: EmbeddedCosmos | undefined;
  let storeEndpoint: string;
  let client;
  if (config.store.kind === 'embedded') {
    embedded = await startEmbeddedCosmos(config.store.port);
    storeEndpoint = embedded.endpoint;
    client = createCosmosClient({ endpoint: storeEndpoint, local: true });
    log.info({ endpoint: storeEndpoint }, 'using the embedded Cosmos-compatible store (data is kept in memory until the app stops)');
  } else {
    storeEndpoint = config.store.endpoint;
    const { DefaultAzureCredential } = await import('@azure/identity');
    // Plain HTTP is only ever a local Cosmos-compatible server (endpoint discovery must be off there).
    const local = storeEndpoint.startsWith('http://');
    client = createCosmosClient(config.store.key ? { endpoint: storeEndpoint, key: config.store.key, local } : { endpoint: storeEndpoint, credential: new DefaultAzureCredential(), local });
  }
  // A start that fails part-way leaves nothing open behind it.
  const closeStore = async (): Promise<void> => {
    client.dispose();
    await embedded?.stop();
  };
  const containers = await openContainers(client, config.databaseId, retentionSeconds, (message) => log.warn(message)).catch(async (error: unknown) => {
    await closeStore();
    throw error;
  });

  if (config.auth.mode === 'none') {
    log.warn('NO MICROSOFT APP ID IS SET: the bot accepts unauthenticated requests. Use this for local development only.');
  } else if (config.administrators.length === 0) {
    log.warn('ADMIN_IDS is not set: no one can set up the facilitator pool, so requests for an independent facilitator reach no one, and failed deliveries are reported to no one. Set ADMIN_IDS to the Entra object ids of the partnership administrators.');
  }
  if (config.panel.turnedOff) log.warn(config.panel.turnedOff);
  const adapter = createAdapter(config.auth, log, options.delivery?.sendTimeoutMs ?? 15_000);
  // This running instance: it owns outbox leases and stamps the saves it makes.
  const instance = randomUUID();
  const answers = new AnswersFirst(options.followUpMaxWaitMs ?? FOLLOW_UP_MAX_WAIT_MS);
  const warnNow = onceInTenMinutes();
  const connector = connectorClient(tokenSource(config.auth), options.delivery?.sendTimeoutMs ?? 15_000, (error) => {
    if (warnNow('token')) log.error({ err: errorKind(error) }, 'the bot could not get a token for its own Microsoft app identity, so nothing can be sent to Teams: check its client secret (it may have expired) or managed identity assignment');
  });
  const deliveries = new Deliveries(adapter, config.auth.mode === 'none' ? '' : config.auth.appId, log, instance, options.cardTiming ?? CARD_TIMING, answers, connector);
  const clock = options.clock ?? (() => new Date());
  // When this instance started: of two running different retention periods, the later one's applies.
  const startedAt = clock().toISOString();
  const people = peopleRepository(containers.people, retentionSeconds);
  const requests = requestRepository(containers.requests);
  const pool = poolRepository(containers.settings, retentionSeconds);
  const dispatcher = new Dispatcher({
    requests,
    sender: requestSender(profile, connector, poolHolds(pool, people), config.allowedTenantIds),
    limiter: new RateLimiter(),
    log: log.child({ component: 'dispatcher' }),
    clock,
    newId: randomUUID,
    owner: instance,
    administrators: () => personalChats(people, config.administrators),
    chatOwner: (doc, to) => chatOwner(doc, to, pool, people),
    ...(options.delivery?.leaseMs ? { leaseMs: options.delivery.leaseMs } : {}),
    ...(options.delivery?.pollMs ? { pollMs: options.delivery.pollMs } : {}),
    // Reminders post to Teams, which may be slow: the sweep (and the deliveries after it) doesn't wait on them.
    housekeeping: () => {
      remindLogged();
      owedLogged();
      void retention.run();
      return Promise.all([completeClosedLinks(deps, clock()), raiseWaitingRequests(deps, clock()), raiseMeetingsPassed(deps, clock())]).then(() => undefined);
    },
  });
  const deps: Deps = {
    profile,
    rethinks: rethinkRepository(containers.rethinks, instance),
    people,
    conversations: conversationRepository(containers.conversations, retentionSeconds),
    requests,
    pool,
    caseRecords: caseRecordsRepository(containers, retentionSeconds),
    dispatch: (requestId) => dispatcher.kick(requestId),
    administrators: config.administrators,
    ...(config.allowedTenantIds ? { allowedTenantIds: config.allowedTenantIds } : {}),
    uploads: config.uploads,
    log,
    newId: randomUUID,
    later: (what, task) => deliveries.later(what, task),
  };
  /** Set as the app stops: background checks take on nothing more. */
  let stopping = false;
  // Each check runs once at a time in this instance; other instances may run theirs, since each
  // reminder, owed post and retention check is claimed on the record.
  const reminders = oneAtATime(() => sendReminders(deps, connector, clock, () => stopping));
  const owedPosts = oneAtATime(() => postOwed(deps, connector, clock, () => stopping));
  const retention = oneAtATime(() =>
    checkRetention(containers, { instance, startedAt, retentionSeconds }, clock, () => stopping).then(
      async (counts) => {
        const shortened = Object.values(counts ?? {}).reduce((sum, c) => sum + c.shortened, 0);
        if (shortened > 0) log.info({ counts }, 'records held under a longer retention period now expire within the current one');
        // Once a day, by the instance that ran the check: administrators and named facilitators stay reachable.
        if (counts && !stopping) {
          await pool.prune(clock());
          const renewed = await keepReachable(config.administrators, pool, people, retentionSeconds, clock(), async (caseReference) => (await requests.openFor(caseReference)) !== undefined);
          if (renewed > 0) log.info({ renewed }, 'records of administrators and named facilitators renewed for another retention period');
        }
      },
      (error: unknown) => log.warn({ err: errorKind(error) }, 'could not check that every record expires within the retention period; it is tried again later'),
    ),
  );
  const logged = (what: string, check: { run(): Promise<void> }) => () => void check.run().catch((error: unknown) => log.warn({ err: errorKind(error) }, `${what} failed; it runs again later`));
  const remindLogged = logged('the reminder check', reminders);
  const owedLogged = logged('the check for posts owed (summaries, meeting-end reminders)', owedPosts);
  // Each check runs whatever the others met.
  const housekeep = async (): Promise<void> => {
    const results = await Promise.allSettled([completeClosedLinks(deps, clock()), raiseWaitingRequests(deps, clock()), raiseMeetingsPassed(deps, clock()), reminders.fresh(), owedPosts.fresh(), retention.run()]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
  const bot = new RethinkBot(deps, { clock, deliveries, connector });

  const server = restify.createServer({ name: 'rethink' });
  // Every request counts as someone waiting, until its response is written (or the caller has gone).
  server.server.on('request', (_req, res) => res.once('close', answers.begin()));
  server.use(jsonOnly);
  server.use(restify.plugins.bodyParser({ maxBodySize: 512 * 1024, mapParams: false }));
  server.use(restify.plugins.queryParser({ mapParams: false }));
  server.post('/api/messages', async (req, res) => {
    // Not an activity at all ({}, a list): the caller's mistake, not a fault of the turn.
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || typeof (body as { type?: unknown }).type !== 'string') {
      res.send(400, { code: 'BadRequest', message: 'The body is not a Bot Framework activity.' });
      return;
    }
    const answer = await answerActivity(adapter, req.header('authorization') ?? '', body as Activity, (context) => bot.run(context), log, warnNow);
    if (answer.body === undefined) {
      res.status(answer.status);
      res.end();
    } else res.send(answer.status, answer.body);
  });
  if (options.echoFloor) mountEchoFloor(server, '/bench/echo');
  const panelAuth = options.panelAuth ?? panelAuthFor(config);
  if (panelAuth) mountPanel(server, { deps, auth: panelAuth, connector, deliveries, clock, log: log.child({ component: 'panel' }), passKey: panelPassKeySource(containers.settings, clock), warnNow });
  else {
    mountPanelOff(server, config.auth.mode === 'none' ? 'In local use, the side panel needs a development identity: set DEV_USER_ID (and DEV_USER_NAME, DEV_USER_ROLE).' : undefined);
    log.warn(config.auth.mode === 'none' ? 'DEV_USER_ID is not set: the local side panel is off.' : 'PANEL_APP_ID_URI is not set: the meeting side panel is off.');
  }
  // Probes at the same moment share one read, which gives up within a few seconds (a probe is
  // otherwise held as long as the SDK retries); why it failed is logged, as App Service acts on it.
  let probing: Promise<boolean> | undefined;
  const storeHealth = (): Promise<boolean> =>
    // A point read of a record that needn't exist (one request unit, answered 404): not the
    // database's metadata, which Cosmos DB throttles for the whole account if read too often.
    (probing ??= readItem(containers.settings, HEALTH_RECORD, HEALTH_RECORD, HEALTH_CHECK_MS)
      .then(
        () => true,
        (error: unknown) => {
          if (warnNow('health')) log.warn({ err: errorKind(error) }, '/healthz answered 503: the store did not answer a point read (network, firewall, private DNS or the app’s data role)');
          return false;
        },
      )
      .finally(() => (probing = undefined)));
  server.get('/healthz', async (_req, res) => {
    const reachable = await storeHealth();
    if (reachable) res.send(200, { status: 'ok', store: 'reachable' });
    else res.send(503, { status: 'unavailable', store: 'unreachable' });
  });

  // A profile redeployed without a choice or an escalation stage records use: said once, by the instance that notices.
  try {
    const changes = await noteProfileInUse(containers.settings, profile, clock());
    for (const change of changes) log.warn({ change }, 'the partnership profile has changed under records that use it');
  } catch (error) {
    log.warn({ err: errorKind(error) }, 'could not compare the partnership profile with the one in use before');
  }

  await listenOn(server, config.port, config.host).catch(async (error: unknown) => {
    await dispatcher.stop();
    await closeStore();
    throw error;
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  log.info({ port, host: config.host }, config.auth.mode === 'none' && config.host === '127.0.0.1' ? 'Re-think is listening, on this machine only (unauthenticated: set HOST to reach it from elsewhere)' : 'Re-think is listening');
  // Sends what earlier turns (or an instance that stopped) left in the outbox, then keeps watch.
  dispatcher.start();
  // At start (not awaited: a large store takes a while), then with the periodic checks: it runs when
  // the retention period has changed and once a day, by one instance at a time.
  const retentionChecked = retention.run();

  return {
    url: `http://${host}:${port}`,
    port,
    storeEndpoint,
    idle: async () => {
      await deliveries.idle();
      await dispatcher.idle();
    },
    housekeep,
    retentionChecked,
    stop: async () => {
      // No new background work from here: the periodic checks mark nothing more, and the dispatcher
      // starts no more rounds (what is left in the outbox is sent by another instance, or this one restarted).
      stopping = true;
      const dispatcherStopped = dispatcher.stop();
      // Stop taking new requests, and let those under way and what follows them finish, within bounds:
      // a throttled Teams can hold an update for long, and a send may take 15 s.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.server.closeIdleConnections?.();
      await within(closed, 5_000);
      server.server.closeAllConnections?.();
      // Failures were logged where they ran: here they are only waited for.
      const underWay: [string, Promise<unknown> | undefined][] = [
        ['card updates', deliveries.idle()],
        ['a delivery round', dispatcherStopped],
        ['a reminder check', reminders.underWay()?.catch(() => undefined)],
        ['a check for posts owed', owedPosts.underWay()?.catch(() => undefined)],
        ['the retention check', retention.underWay()],
      ];
      await Promise.all(
        underWay.map(async ([what, work]) => {
          if (work && !(await within(work, 20_000))) log.warn(`stopped with ${what} still in flight`);
        }),
      );
      await closeStore();
    },
  };
}

/** Listens, or fails with what to change: a port in use or an address not this machine's. */
function listenOn(server: restify.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => {
      const where = `${host}:${port}`;
      if (error.code === 'EADDRINUSE') reject(new Error(`The app cannot listen on ${where}: the port is in use. Set PORT to a free port.`));
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') reject(new Error(`The app cannot listen on ${where}: that address is not one of this machine's. Set HOST to one that is, such as 0.0.0.0.`));
      else if (error.code === 'EACCES') reject(new Error(`The app may not listen on ${where}: ports below 1024 need extra rights. Set PORT to 1024 or above.`));
      else reject(error);
    };
    // restify passes its HTTP server's errors on as its own (and throws them with no one listening).
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/** Teams SSO with an app id; the configured development identity without one (local use). */
function panelAuthFor(config: Config): PanelAuth | undefined {
  const { auth, panel } = config;
  if (auth.mode === 'none') {
    const dev = panel.developmentUser;
    return dev ? { mode: 'development', user: { ...dev, teamsUserId: dev.id, tenantId: '', development: true } } : undefined;
  }
  if (!panel.appIdUri) return undefined;
  return { mode: 'entra', audience: panel.appIdUri, keys: entraKeys(), allowedTenantIds: config.allowedTenantIds };
}

/** Whether `work` finished within `ms`. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const finished = await Promise.race([work.then(() => true as const), timeout]);
  clearTimeout(timer);
  return finished;
}

/** A check run at most once at a time: `run` starts it, or joins the run under way. */
function oneAtATime(work: () => Promise<void>): { run(): Promise<void>; fresh(): Promise<void>; underWay(): Promise<void> | undefined } {
  let current: Promise<void> | undefined;
  const run = (): Promise<void> => (current ??= work().finally(() => (current = undefined)));
  return {
    run,
    /** A run begun now: one already under way may have read the clock before it moved, so it is waited out first. */
    fresh: async () => {
      await current?.catch(() => undefined);
      return run();
    },
    underWay: () => current,
  };
}

/**
 * JSON only. A form post is a request any web page can send across origins with no preflight: in
 * local use, with no sign-in, a page open in the developer's browser could otherwise drive the bot.
 * Uncompressed only: restify's body reader limits a compressed body by its compressed size, so half
 * a megabyte of gzip would be inflated to hundreds before anyone is signed in. Teams and the side
 * panel never compress what they send.
 */
function jsonOnly(req: restify.Request, res: restify.Response, next: restify.Next): void {
  const encoding = (req.header('content-encoding') || 'identity').trim().toLowerCase();
  if (encoding !== 'identity') {
    res.send(415, { code: 'UnsupportedMediaType', message: 'Re-think takes uncompressed bodies only.' });
    next(false);
    return;
  }
  const hasBody = Number(req.header('content-length') || 0) > 0 || Boolean(req.header('transfer-encoding'));
  if (req.method !== 'GET' && req.method !== 'HEAD' && hasBody && !/^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i.test(req.header('content-type') || '')) {
    res.send(415, { code: 'UnsupportedMediaType', message: 'Re-think takes JSON only.' });
    next(false);
    return;
  }
  next();
}
