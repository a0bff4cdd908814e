import { CosmosClient, IndexingMode, PartitionKeyDefinitionVersion, PartitionKeyKind, type Container, type Database, type IndexingPolicy } from '@azure/cosmos';
import type { TokenCredential } from '@azure/identity';

/** The well-known public key of the local Cosmos emulator: any key works for the embedded server. */
export const EMULATOR_KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

export interface CosmosAccess {
  readonly endpoint: string;
  readonly key?: string;
  readonly credential?: TokenCredential;
  /** Plain-HTTP local server: endpoint discovery must be off. */
  readonly local: boolean;
}

export function createCosmosClient(access: CosmosAccess): CosmosClient {
  return new CosmosClient({
    endpoint: access.endpoint,
    ...(access.key ? { key: access.key } : access.credential ? { aadCredentials: access.credential } : { key: EMULATOR_KEY }),
    connectionPolicy: {
      enableEndpointDiscovery: !access.local,
      // Teams retries an invoke after about 5 s: fail fast enough to say "not saved" before then.
      requestTimeout: 3_000,
      // On 429 the SDK waits as long as Cosmos DB asks (retry-after), within these bounds.
      retryOptions: { maxRetryAttemptCount: 3, maxWaitTimeInSeconds: 3 },
    },
  });
}

export interface Containers {
  readonly database: Database;
  readonly rethinks: Container;
  readonly people: Container;
  readonly conversations: Container;
  readonly requests: Container;
  readonly settings: Container;
}

/**
 * Partition keys follow the queries: a conversation's Re-thinks; a person by Entra id; a request by
 * its id (its outbox lives in it); partnership settings such as the facilitator pool, by name.
 */
export const CONTAINERS = {
  rethinks: '/conversationId',
  people: '/aadObjectId',
  conversations: '/conversationId',
  requests: '/id',
  settings: '/id',
} as const;

/**
 * Paths no query filters, joins or sorts on (Cosmos DB may refuse a query that filters on one:
 * tests/unit/infra.test.ts checks the queries): left out of the index, so a save of a long Re-think isn't
 * charged for indexing every word and every audit entry again. What is queried stays indexed
 * (status, times, case reference, actions, participants). infra/main.bicep lists the same.
 */
export const UNINDEXED: Readonly<Record<keyof typeof CONTAINERS, readonly string[]>> = {
  // Not the audit trail: who took part in a case is found by a query over it.
  rethinks: ['/contributions/*', '/summary/?', '/appliedActivityIds/*'],
  people: [],
  conversations: [],
  // Not the copies of its card: which chats hold one is queried when a chat leaves the pool.
  requests: ['/form/*', '/history/*', '/questions/*', '/outbox/*', '/audit/*', '/appliedActivityIds/*'],
  settings: [],
};

/** The path Cosmos DB itself always leaves out of the index, listed among the exclusions it returns. */
const ETAG_PATH = '/"_etag"/?';

/**
 * The container's index policy with exactly `unindexed` left out (what it says of `_etag` kept as it
 * is), or undefined when it already is.
 */
function indexedAsWanted(policy: IndexingPolicy, unindexed: readonly string[]): IndexingPolicy | undefined {
  const excluded = (policy.excludedPaths ?? []).map((p) => p.path).filter((path) => path !== ETAG_PATH);
  if (excluded.length === unindexed.length && unindexed.every((path) => excluded.includes(path))) return undefined;
  const etag = (policy.excludedPaths ?? []).filter((p) => p.path === ETAG_PATH);
  return { ...policy, excludedPaths: [...unindexed.map((path) => ({ path })), ...etag] };
}

/**
 * A 403 opening the database or a container: data-plane access may read but not create them, or the
 * identity has no data role yet, or the account's firewall stands between. Say what to check, and what
 * Cosmos DB itself said.
 */
const mayNotCreate =
  (what: string, create: string) =>
  (error: unknown): never => {
    if ((error as { code?: unknown }).code !== 403) throw error;
    const said = String((error as { message?: unknown }).message ?? '').slice(0, 300);
    throw new Error(
      `Cosmos DB refused to open ${what} (403). If it does not exist, this identity may not create it (Entra-only access cannot): ${create}. If it does, check the app's data role assignment on the account (it can take a few minutes to apply) and the account's firewall. Cosmos DB said: ${said}`,
      { cause: error },
    );
  };

/**
 * `createIfNotExists` reads, then creates: instances starting together on a new account race, and
 * the losers are told 409. What they wanted exists by then, so asking again finds it.
 */
async function madeByAnyone<T>(createIfNotExists: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createIfNotExists();
    } catch (error) {
      if ((error as { code?: unknown }).code !== 409 || attempt === 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

/**
 * How long opening the store may take in all. An account that doesn't answer would otherwise be
 * retried for minutes, past App Service's limit for a start, which kills the app before it says why.
 */
export const OPEN_STORE_MS = 60_000;

/** Creates the database and containers when missing, with retention as the default TTL. */
export async function openContainers(client: CosmosClient, databaseId: string, retentionSeconds: number, warn: (message: string) => void = () => undefined, deadlineMs = OPEN_STORE_MS): Promise<Containers> {
  const abortSignal = AbortSignal.timeout(deadlineMs);
  try {
    return await openAll(client, databaseId, retentionSeconds, warn, abortSignal);
  } catch (error) {
    if ((error as { name?: unknown }).name !== 'AbortError' && (error as { name?: unknown }).name !== 'TimeoutError') throw error;
    throw new Error(
      `Cosmos DB (COSMOS_ENDPOINT) did not answer within ${deadlineMs / 1000} s while Re-think was opening the database ${databaseId}. Check COSMOS_ENDPOINT, the network path to the account (firewall, private endpoint and its DNS) and, with Entra sign-in, that the app's identity can sign in.`,
      { cause: error },
    );
  }
}

async function openAll(client: CosmosClient, databaseId: string, retentionSeconds: number, warn: (message: string) => void, abortSignal: AbortSignal): Promise<Containers> {
  const { database } = await madeByAnyone(() => client.databases.createIfNotExists({ id: databaseId }, { abortSignal })).catch(
    mayNotCreate(`the database ${databaseId}`, 'deploy infra/main.bicep, or create it with the containers it lists, or set COSMOS_DATABASE to the database that holds them'),
  );
  const open = async (id: keyof typeof CONTAINERS): Promise<Container> => {
    const { container, resource } = await madeByAnyone(() =>
      database.containers.createIfNotExists(
        {
          id,
          // Version 2 hashes the whole key (as the deployment's containers do): chat ids can be long.
          partitionKey: { paths: [CONTAINERS[id]], kind: PartitionKeyKind.Hash, version: PartitionKeyDefinitionVersion.V2 },
          defaultTtl: retentionSeconds,
          indexingPolicy: { indexingMode: IndexingMode.consistent, automatic: true, includedPaths: [{ path: '/*' }], excludedPaths: UNINDEXED[id].map((path) => ({ path })) },
        },
        { abortSignal },
      ),
    ).catch(mayNotCreate(`the container ${id} in the database ${databaseId}`, `deploy infra/main.bicep, or create it with the partition key ${CONTAINERS[id]} and a default TTL of ${retentionSeconds} s`));
    // A partnership may change its retention period, and a new version what it leaves out of the
    // index (a container keeps the policy it was created with): keep an existing container in step.
    // With Entra-only access (no keys) the app may not change containers: the deployment owns them.
    const ttlOutOfStep = resource !== undefined && resource.defaultTtl !== retentionSeconds;
    const indexingPolicy = resource?.indexingPolicy && indexedAsWanted(resource.indexingPolicy, UNINDEXED[id]);
    if (resource && (ttlOutOfStep || indexingPolicy)) {
      try {
        await container.replace({ ...resource, id, partitionKey: resource.partitionKey ?? { paths: [CONTAINERS[id]] }, defaultTtl: retentionSeconds, ...(indexingPolicy ? { indexingPolicy } : {}) }, { abortSignal });
      } catch {
        // Without a default TTL Cosmos DB ignores every record's own: nothing there would ever be deleted.
        if (ttlOutOfStep) {
          warn(
            resource.defaultTtl === undefined || resource.defaultTtl === null
              ? `Container ${id} has no default TTL, and the app may not set one, so Cosmos DB deletes nothing in it: records are kept for ever, against the partnership's retention period. Set its default TTL to ${retentionSeconds} s in the deployment (infra/main.bicep does).`
              : `Container ${id} keeps its default TTL of ${resource.defaultTtl} s: the app may not change it. Set the retention in the deployment to match the profile (${retentionSeconds} s).`,
          );
        }
        if (indexingPolicy) {
          warn(
            `Container ${id} keeps an index policy that isn't this version's, and the app may not change it: it should leave out of the index exactly ${UNINDEXED[id].join(', ') || 'nothing'} (a path left out that is queried may make Cosmos DB refuse the query; one indexed that needn't be makes every save cost more). Deploy infra/main.bicep again, which sets it.`,
          );
        }
      }
    }
    return container;
  };
  const [rethinks, people, conversations, requests, settings] = await Promise.all([open('rethinks'), open('people'), open('conversations'), open('requests'), open('settings')]);
  return { database, rethinks, people, conversations, requests, settings };
}
