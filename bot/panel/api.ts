/**
 * The meeting side panel: its page and its API, on the app's own server. Who is calling comes from
 * the token; the Re-think comes from this chat's own records; membership is asked of Teams, and
 * vouched for by a signed pass for half a minute (./pass). Nothing else the request claims is
 * trusted. Pages poll with If-None-Match: an unchanged Re-think costs one point read and answers 304,
 * so any number of instances serve the panel with no shared memory.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Request, Response, Server } from 'restify';
import { PRIVACY_REMINDER } from '../../cards/wording';
import { errorKind, type Logger } from '../../services/logging';
import type { Refusal } from '../../services/result';
import { applyCommand, type Command } from '../../services/rethink/engine';
import { STAGE_UNREADABLE, stageSeen } from '../../services/rethink/guards';
import { panelView } from '../../services/rethink/panelView';
import type { Actor, Rethink } from '../../services/rethink/types';
import type { ConversationAddress } from '../../services/store/people';
import type { Stored } from '../../services/store/repository';
import type { RethinkRepository } from '../../services/store/rethinks';
import { rethinkAddress } from '../../services/store/conversations';
import type { ConnectorClient } from '../connectorClient';
import type { Deliveries } from '../deliveries';
import { rememberRole, sharedCard } from '../handlers/rethink';
import { shortKey } from '../shortKey';
import { engineContext, idField, textField, type Deps } from '../handlers/types';
import { conversationKey } from '../turn';
import { authenticate, type PanelAuth } from './auth';
import { newPass, readPass, writePass, type Pass, type PassScope } from './pass';

export interface PanelDeps {
  readonly deps: Deps;
  readonly auth: PanelAuth;
  readonly connector: ConnectorClient;
  readonly deliveries: Deliveries;
  readonly clock: () => Date;
  readonly log: Logger;
  /** The key membership passes are signed with (see ./pass), read from the store when first needed. */
  readonly passKey: () => Promise<Buffer>;
  /** Whether to log a set-up warning now (see onceInTenMinutes). */
  readonly warnNow: (key: string) => boolean;
  /** Whether Teams may be asked about this person in this chat now (see askingBudget); by default, a budget of the panel's own. */
  readonly mayAskTeams?: (key: string) => boolean;
}

type Reply = { status: number; body?: unknown; etag?: string; retryAfterSeconds?: number };

/** The bundled page: panel/build beside the sources, and dist/panel/build beside the compiled app. */
const PANEL_BUILD = path.resolve(__dirname, '../../panel/build');
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json' };
const PANEL_VERBS = new Set(['join', 'contribute', 'advance', 'addAction']);

function send(res: Response, reply: Reply): void {
  res.statusCode = reply.status;
  res.setHeader('cache-control', 'no-store');
  if (reply.etag) res.setHeader('etag', reply.etag);
  if (reply.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(reply.retryAfterSeconds));
  if (reply.body === undefined) {
    res.end();
    return;
  }
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(reply.body));
}

const fail = (status: number, message: string, extra: object = {}): Reply => ({ status, body: { message, ...extra } });

/**
 * A set-up problem met on every poll (every 2 s per open panel) is logged once in ten minutes per
 * kind: whether to log it now. It holds only when a warning was last written, in this instance:
 * nothing a request depends on.
 */
export function onceInTenMinutes(clock: () => number = Date.now): (key: string) => boolean {
  const lastWarned = new Map<string, number>();
  return (key) => {
    const now = clock();
    if ((lastWarned.get(key) ?? Number.NEGATIVE_INFINITY) > now - 600_000) return false;
    if (lastWarned.size > 1_000) lastWarned.clear();
    lastWarned.set(key, now);
    return true;
  };
}

/**
 * How often Teams may be asked who one person is: `burst` at once, then one every `everyMs`. The
 * page's polls carry a pass and ask nothing, and a change asks once; only a page that drops its pass,
 * or a script, meets the limit. Teams limits the app's calls per tenant, and one person must not
 * spend everyone's share (card updates, requests, reminders).
 */
function askingBudget(clock: () => number = Date.now, burst = 20, everyMs = 1_000): (key: string) => boolean {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (key) => {
    const now = clock();
    const bucket = buckets.get(key) ?? { tokens: burst, at: now };
    const tokens = Math.min(burst, bucket.tokens + (now - bucket.at) / everyMs);
    if (buckets.size > 10_000) buckets.clear();
    if (tokens < 1) {
      buckets.set(key, { tokens, at: now });
      return false;
    }
    buckets.set(key, { tokens: tokens - 1, at: now });
    return true;
  };
}

const TOO_OFTEN: Reply = { status: 429, retryAfterSeconds: 2, body: { message: 'Re-think has asked Teams about you too often just now. The panel will try again in a moment.' } };

/** What resolving a request found: the person, the Re-think, and the pass that vouches for them. */
interface Found {
  ok: true;
  actor: Actor;
  r: Stored<Rethink>;
  address: ConversationAddress;
  scope: PassScope;
  pass: Pass;
  key: Buffer;
}

/**
 * The caller, the chat and its Re-think, and whether the caller is in the meeting: or why not.
 * Cosmos: one point read (the Re-think; its conversation record only for Re-thinks that predate
 * keeping the service URL on them). Teams is asked who the caller is unless `vouched` (the pass a
 * poll sent back) still vouches for them: a change is never made on a pass.
 */
async function resolve(req: Request, pd: PanelDeps, rethinkId: string | undefined, vouched?: string): Promise<Found | { ok: false; reply: Reply }> {
  const auth = await authenticate(req.header('authorization'), pd.auth);
  if (!auth.ok) {
    // What is wrong with the set-up is the operator's to see; a missing or expired token is everyday.
    if (auth.reason !== 'noToken' && auth.reason !== 'expired' && pd.warnNow(`${auth.reason}|${auth.tenantId ?? ''}`)) {
      pd.log.warn({ refusal: auth.reason, ...(auth.tenantId ? { tenant: auth.tenantId } : {}) }, 'a side panel sign-in was refused (logged once in ten minutes for each reason)');
    }
    return { ok: false, reply: fail(auth.status, auth.message) };
  }
  const chatId = typeof req.query?.chatId === 'string' ? conversationKey(req.query.chatId) : '';
  if (!chatId) return { ok: false, reply: fail(400, 'Please open the panel from a Teams meeting or chat.') };
  const { rethinks, conversations } = pd.deps;
  // In a channel, the meeting the panel is open in says which of the channel's Re-thinks it wants.
  const meetingId = typeof req.query?.meetingId === 'string' && req.query.meetingId.length <= 1_000 ? req.query.meetingId : undefined;
  const r = rethinkId ? await rethinks.get(chatId, rethinkId) : await openIn(rethinks, chatId, meetingId);
  if (!r) return { ok: false, reply: fail(404, rethinkId ? 'That Re-think is not in this meeting.' : await noneOpen(rethinks, chatId)) };
  const address = await rethinkAddress(conversations, r, chatId);
  const { user } = auth;
  const now = pd.clock();
  const scope: PassScope = { chatId, meetingId: r.meetingId ?? '', aadObjectId: user.aadObjectId, tenantId: user.tenantId };
  const key = await pd.passKey();
  const pass = vouched === undefined ? undefined : readPass(key, scope, vouched, now);
  if (user.development) {
    const actor: Actor = { id: user.teamsUserId ?? user.aadObjectId, name: user.name, aadObjectId: user.aadObjectId, ...(user.meetingRole && r.meetingId ? { meetingRole: user.meetingRole, meetingId: r.meetingId } : {}) };
    // Kept only while it names the identity configured now (a restart may have changed it).
    const same = pass && pass.actorId === actor.id && pass.role === (actor.meetingRole ?? '');
    return { ok: true, r, address, scope, key, actor, pass: same ? pass : newPass(actor.id, actor.meetingRole ?? '', now) };
  }
  // Signed in to another organisation than the chat's (an external user, not a guest): Teams can't be asked about them here.
  if (user.tenantId !== r.tenantId) return { ok: false, reply: fail(403, 'The side panel works for people signed in to the organisation holding this meeting, and its guests. Please use the Re-think card in the meeting chat.') };
  const joined = r.participants.find((p) => p.aadObjectId === user.aadObjectId);
  const mayAsk = () => pd.mayAskTeams?.(`${user.tenantId}|${user.aadObjectId}`) ?? true;
  if (r.meetingId) {
    // Membership and role can change during the meeting: Teams is asked whenever no pass vouches.
    if (!pass && !mayAsk()) return { ok: false, reply: TOO_OFTEN };
    const checked = pass ?? (await meetingPass(pd, address, r.meetingId, user.aadObjectId, user.tenantId, now));
    if ('reply' in checked) return { ok: false, reply: checked.reply };
    return { ok: true, r, address, scope, key, pass: checked, actor: { id: checked.actorId || joined?.id || user.aadObjectId, name: user.name || joined?.name || '', aadObjectId: user.aadObjectId, meetingRole: checked.role, meetingId: r.meetingId } };
  }
  // A chat tab outside a meeting: those who have joined the Re-think and are still in the chat.
  if (!joined) return { ok: false, reply: fail(403, 'Please join this Re-think from its card in the chat first.') };
  if (pass?.actorId === joined.id) return { ok: true, r, address, scope, key, pass, actor: { id: joined.id, name: joined.name, aadObjectId: user.aadObjectId } };
  if (!mayAsk()) return { ok: false, reply: TOO_OFTEN };
  const membership = address.serviceUrl ? await pd.connector.conversationMember(address.serviceUrl, chatId, user.aadObjectId) : 'unavailable';
  if (membership === 'unavailable') return { ok: false, reply: fail(503, 'Teams couldn’t confirm who is in the chat just now. The panel will try again in a moment.') };
  if (membership === 'notMember') return { ok: false, reply: fail(403, 'You are no longer in this chat.') };
  if (membership === 'refused') return { ok: false, reply: fail(403, 'Teams didn’t let Re-think check who is in this chat. If Re-think has been removed from the chat, someone in it can add it again; otherwise, please use the Re-think card in the chat.') };
  return { ok: true, r, address, scope, key, pass: newPass(joined.id, '', now), actor: { id: joined.id, name: joined.name, aadObjectId: user.aadObjectId } };
}

async function meetingPass(pd: PanelDeps, address: ConversationAddress, meetingId: string, aadObjectId: string, tenantId: string, now: Date): Promise<Pass | { reply: Reply }> {
  const participation = address.serviceUrl ? await pd.connector.meetingParticipant(address.serviceUrl, meetingId, aadObjectId, tenantId) : ({ kind: 'unavailable' } as const);
  if (participation.kind === 'unavailable') {
    // Refused is not passing: it is said, on the panel as in the log.
    if ('refused' in participation) {
      if (pd.warnNow(`participants|${tenantId}`)) pd.log.warn({ status: 403, tenant: tenantId }, 'Teams refused to say who is in a meeting: check that the app’s meeting permissions were granted (in a channel meeting, ChannelMeetingParticipant.Read.Group); logged once in ten minutes');
      return { reply: fail(403, 'Teams didn’t let Re-think check who is in this meeting, so the side panel can’t show it. Please use the Re-think card in the meeting chat, and let your Teams administrator know.') };
    }
    return { reply: fail(503, 'Teams couldn’t confirm who is in the meeting just now. The panel will try again in a moment.') };
  }
  if (participation.kind === 'notMember') return { reply: fail(403, 'You are not in this meeting.') };
  return newPass(participation.teamsUserId, participation.role, now);
}

/**
 * The chat's newest open Re-think; in a channel, the one of the meeting the panel is open in if it has
 * one (a meeting chat has only its own: one query, not two).
 */
async function openIn(rethinks: RethinkRepository, chatId: string, meetingId: string | undefined): Promise<Stored<Rethink> | undefined> {
  const newest = await rethinks.latestOpen(chatId);
  if (!meetingId || !newest || newest.meetingId === meetingId) return newest;
  return (await rethinks.latestOpen(chatId, { meetingId })) ?? newest;
}

const NONE_OPEN = 'No Re-think is open in this meeting. To start one, @mention Re-think in the meeting chat and type start.';

/**
 * Nothing open: but one waiting for its strategy is not "none" (typing start would begin a second).
 * Said before anyone's membership is asked of Teams, so nothing of the Re-think (not even its case) is named.
 */
async function noneOpen(rethinks: RethinkRepository, chatId: string): Promise<string> {
  const waiting = await rethinks.anyProposed(chatId);
  return waiting ? 'A Re-think here is waiting for the person who started it to choose its strategy, on its card in the meeting chat. It will show here as soon as it begins.' : NONE_OPEN;
}

/**
 * The body depends on who is looking (their role decides the facilitator's controls): so does the
 * ETag. It is the record's version and the signed pass (who, with which role), which the page sends
 * back with its next poll.
 */
const etagFor = (found: Pick<Found, 'scope' | 'pass' | 'key'>, r: Stored<Rethink>): string => `"${r._etag.replace(/"/g, '')}|${writePass(found.key, found.scope, found.pass)}"`;

/** The ETag a poll sent back (If-None-Match), strong or made weak on the way. */
const sentBack = (req: Request): string => (req.header('if-none-match') ?? '').replace(/^W\//, '');

/** The pass in it, if any. */
const passSentBack = (req: Request): string | undefined => /^"[^"|]*\|([^"]*)"$/.exec(sentBack(req))?.[1];

const view = (pd: PanelDeps, r: Rethink, actor: Actor) => panelView(pd.deps.profile, r, actor, PRIVACY_REMINDER);

/** How many had joined when the confirmation to move on was asked (sent back with it). */
const joinedOf = (body: Record<string, unknown>): { joined?: number } =>
  typeof body.joined === 'number' && Number.isInteger(body.joined) && body.joined >= 0 ? { joined: body.joined } : {};

function commandFor(verb: string, body: Record<string, unknown>): Command | undefined {
  switch (verb) {
    case 'join':
      return { kind: 'join', role: textField(body, 'role'), agency: textField(body, 'agency') };
    case 'contribute':
      return { kind: 'contribute', text: textField(body, 'contribution'), ...stageSeen(body.stage) };
    case 'advance':
      return { kind: 'advance', confirmed: body.confirmed === true, ...stageSeen(body.stage), ...joinedOf(body) };
    case 'addAction':
      return { kind: 'addAction', description: textField(body, 'description'), ownerParticipantId: textField(body, 'owner'), ownerName: textField(body, 'ownerName'), dueDate: textField(body, 'dueDate') };
    default:
      return undefined;
  }
}

async function current(req: Request, pd: PanelDeps): Promise<Reply> {
  const found = await resolve(req, pd, undefined, passSentBack(req));
  if (!found.ok) return found.reply;
  return { status: 200, etag: etagFor(found, found.r), body: view(pd, found.r, found.actor) };
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

async function one(req: Request, pd: PanelDeps, rethinkId: string): Promise<Reply> {
  if (!ID.test(rethinkId)) return fail(404, 'That Re-think is not in this meeting.');
  const found = await resolve(req, pd, rethinkId, passSentBack(req));
  if (!found.ok) return found.reply;
  const etag = etagFor(found, found.r);
  if (sentBack(req) === etag) return { status: 304, etag };
  return { status: 200, etag, body: view(pd, found.r, found.actor) };
}

async function act(req: Request, pd: PanelDeps, rethinkId: string, verb: string): Promise<Reply> {
  const body = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
  // A stage that isn't one is never read as the current stage (as from a card).
  if (stageSeen(body.stage) === undefined) return fail(400, `${STAGE_UNREADABLE} Please close the panel and open it again.`);
  const command = PANEL_VERBS.has(verb) ? commandFor(verb, body) : undefined;
  if (!command) return fail(400, 'That can’t be done from the panel.');
  if (!ID.test(rethinkId)) return fail(404, 'That Re-think is not in this meeting.');
  // Never on a pass: Teams is asked who is making the change.
  const found = await resolve(req, pd, rethinkId);
  if (!found.ok) return found.reply;
  const { actor, address } = found;
  const now = pd.clock();
  const outcome = await pd.deps.rethinks.update(address.conversationId, rethinkId, (r) => applyCommand(r, command, actor, engineContext(pd.deps, now), repeatKey(actor, body)), found.r);
  if (outcome.kind === 'notFound') return fail(404, 'That Re-think is not in this meeting.');
  if (outcome.kind === 'refused') return refusedReply(outcome.refusal, pd, outcome.doc, found);
  const r = outcome.doc;
  // Everyone's card in the chat follows, as after a press on the card.
  const shared = sharedCard(pd.deps, r, now);
  const cardId = shared.activityId;
  if (!outcome.replay && cardId && address.serviceUrl) {
    pd.deliveries.updateCardAt(address, cardId, shared);
  }
  // As from the card: the role and agency someone joins with are remembered for their next Re-think.
  // What they joined with before stands for what is remembered: the same again is not written.
  if (!outcome.replay && command.kind === 'join') {
    const before = found.r.participants.find((p) => p.id === actor.id);
    rememberRole(pd.deps, actor, now, { role: command.role.trim(), agency: command.agency.trim() }, before && { role: before.role, agency: before.agency });
  }
  return { status: 200, etag: etagFor(found, r), body: view(pd, r, actor) };
}

/**
 * The panel names each press (`requestId`) so one sent again is applied once. It is the person's
 * own: the key is theirs alone, and short whatever was sent.
 */
function repeatKey(actor: Actor, body: Record<string, unknown>): string | undefined {
  const requestId = idField(body, 'requestId');
  return requestId ? `panel:${shortKey(actor.id, requestId)}` : undefined;
}

function refusedReply(refusal: Refusal, pd: PanelDeps, r: Stored<Rethink>, found: Found): Reply {
  const { actor } = found;
  const status = refusal.code === 'notFacilitator' || refusal.code === 'notParticipant' ? 403 : 409;
  return { status, etag: etagFor(found, r), body: { message: refusal.message, code: refusal.code, waitingFor: refusal.waitingFor ?? [], ...(refusal.code === 'needsConfirmation' ? { joined: r.participants.length } : {}), view: view(pd, r, actor) } };
}

function staticFile(res: Response, name: string): void {
  const file = path.join(PANEL_BUILD, name);
  if (!file.startsWith(PANEL_BUILD) || !existsSync(file)) {
    send(res, fail(404, 'Not found'));
    return;
  }
  res.statusCode = 200;
  res.setHeader('content-type', TYPES[path.extname(file)] ?? 'application/octet-stream');
  res.end(readFileSync(file));
}

export function mountPanel(server: Server, options: PanelDeps): void {
  // A rate is in real time, whatever the app's clock says.
  const pd: PanelDeps = { ...options, mayAskTeams: options.mayAskTeams ?? askingBudget() };
  const guard = (work: (req: Request) => Promise<Reply>) => async (req: Request, res: Response) => {
    try {
      send(res, await work(req));
    } catch (error) {
      pd.log.warn({ err: errorKind(error) }, 'panel request failed');
      send(res, fail(503, 'Re-think couldn’t reach its store just now. It will try again in a moment.'));
    }
  };
  server.get('/api/panel/current', guard((req) => current(req, pd)));
  server.get('/api/panel/rethinks/:id', guard((req) => one(req, pd, String(req.params.id ?? ''))));
  server.post('/api/panel/rethinks/:id/:verb', guard((req) => act(req, pd, String(req.params.id ?? ''), String(req.params.verb ?? ''))));
  mountPages(server);
}

/** The page itself, on or off: switched off, it says why (from the API) rather than the tab showing an error. */
function mountPages(server: Server): void {
  server.get('/panel/', async (_req: Request, res: Response) => staticFile(res, 'index.html'));
  server.get('/panel/:file', async (req: Request, res: Response) => staticFile(res, path.basename(String(req.params.file ?? ''))));
}

/** With an app id but no PANEL_APP_ID_URI, the panel cannot check Teams sign-ins: it says so. */
export function mountPanelOff(server: Server, why = 'The Re-think side panel is not set up for this deployment yet: ask your administrator to set PANEL_APP_ID_URI.'): void {
  // 501: not a passing fault to wait out (503), but what this deployment does not offer.
  const off = async (_req: Request, res: Response) => send(res, fail(501, why));
  server.get('/api/panel/current', off);
  server.get('/api/panel/rethinks/:id', off);
  server.post('/api/panel/rethinks/:id/:verb', off);
  mountPages(server);
}
