/**
 * botbuilder's CloudAdapter builds a new ConnectorClient and UserTokenClient, each with a whole
 * HTTP pipeline, for every turn and every proactive update: measured, that was about an eighth of
 * the app's CPU under load and much of the garbage that lived long enough to be promoted. These
 * clients hold no conversation data, only a base URL and the bot's credentials (which keep their
 * own token cache), so one per bot identity, service URL and audience serves every turn.
 */
import { ConfigurationBotFrameworkAuthentication } from 'botbuilder';

type Authentication = ConfigurationBotFrameworkAuthentication;
type Claims = Parameters<Authentication['createConnectorFactory']>[0];
type ConnectorFactory = ReturnType<Authentication['createConnectorFactory']>;
type Connector = Awaited<ReturnType<ConnectorFactory['create']>>;
type TokenClient = Awaited<ReturnType<Authentication['createUserTokenClient']>>;
type RequestResult = Awaited<ReturnType<Authentication['authenticateRequest']>>;

/** Far more than the service URLs one bot is ever reached from: a bound, not a working size. */
const MAX_CLIENTS = 64;

/** A small insertion-ordered cache of promised clients; a client that failed to build is not kept. */
export class ClientCache<T> {
  private readonly entries = new Map<string, Promise<T>>();

  constructor(private readonly max = MAX_CLIENTS) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string, build: () => Promise<T>): Promise<T> {
    const known = this.entries.get(key);
    if (known) return known;
    const built = build();
    built.catch(() => {
      if (this.entries.get(key) === built) this.entries.delete(key);
    });
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, built);
    return built;
  }
}

/** The bot's own id as the SDK reads it: the audience for a channel's request, else the app id claim. */
const botIdOf = (claims: Claims): string => claims.getClaimValue('aud') ?? claims.getClaimValue('appid') ?? '';

/** What of botbuilder's ConnectorClient a time limit needs: its HTTP pipeline, which botbuilder keeps to itself. */
type Call = { timeout: number; abortSignal?: AbortSignal };
type WithPipeline = { client?: { pipeline?: { addPolicy(policy: { name: string; sendRequest: (request: Call, next: (request: Call) => Promise<unknown>) => Promise<unknown> }): void } } };

/**
 * Every call the client makes to Teams (a turn's replies, posts after the answer, member lookups)
 * gives up after `timeoutMs` in all, as the app's own client does: its retries (on a 5xx, a dropped
 * connection) and its waits for a Retry-After included, since this policy comes before the retry
 * phase. botbuilder sets no limit (and overwrites any request policies given in its options), so a
 * post Teams took and never answered held its turn, and the request Teams sent, for as long as the
 * connection lived.
 */
export function timed<T>(connector: T, timeoutMs: number): T {
  const pipeline = (connector as WithPipeline).client?.pipeline;
  if (!pipeline) throw new Error('botbuilder’s ConnectorClient no longer has the pipeline a time limit is added to: see bot/reusedClients.ts');
  pipeline.addPolicy({
    name: 'rethinkTimeLimit',
    sendRequest: (request, next) => {
      const limit = AbortSignal.timeout(timeoutMs);
      request.abortSignal = request.abortSignal ? AbortSignal.any([request.abortSignal, limit]) : limit;
      return next(request);
    },
  });
  return connector;
}

export class ReusedClientsAuthentication extends ConfigurationBotFrameworkAuthentication {
  private readonly connectors = new ClientCache<Connector>();
  private readonly tokenClients = new ClientCache<TokenClient>();

  constructor(settings: Record<string, string>, credentials: ConstructorParameters<typeof ConfigurationBotFrameworkAuthentication>[1], private readonly timeoutMs: number) {
    super(settings, credentials);
  }

  override async authenticateRequest(...args: Parameters<Authentication['authenticateRequest']>): Promise<RequestResult> {
    const result = await super.authenticateRequest(...args);
    return result.connectorFactory ? { ...result, connectorFactory: this.reusing(result.connectorFactory, result.claimsIdentity) } : result;
  }

  override createConnectorFactory(claims: Claims): ConnectorFactory {
    return this.reusing(super.createConnectorFactory(claims), claims);
  }

  override createUserTokenClient(claims: Claims): Promise<TokenClient> {
    return this.tokenClients.get(botIdOf(claims), () => super.createUserTokenClient(claims));
  }

  private reusing(factory: ConnectorFactory, claims: Claims): ConnectorFactory {
    const botId = botIdOf(claims);
    return {
      create: (serviceUrl: string, audience?: string) => this.connectors.get(JSON.stringify([botId, serviceUrl, audience ?? '']), async () => timed(await factory.create(serviceUrl, audience), this.timeoutMs)),
    };
  }
}
