/**
 * An account that takes requests and never answers, over https (as every real account is, so the SDK's
 * endpoint discovery is on and it would try a read or query again for minutes): each operation gives
 * up within its own deadline as "unavailable", and opening the store within its own, saying what to check.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CosmosClient, type Container } from '@azure/cosmos';
import { createHttpsServer } from '@vercel/cosmosdb-server';
import { EMULATOR_KEY, openContainers } from '../../services/store/cosmos';
import { queryItems, readItem, StoreUnavailableError, updateItem } from '../../services/store/repository';

let server: ReturnType<typeof createHttpsServer>;
let answering = true;
let container: Container;
let client: CosmosClient;

beforeAll(async () => {
  server = createHttpsServer();
  const serve = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  // Held, never answered: what a dropped network path or a stuck firewall looks like from here.
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (answering) for (const handler of serve) handler.call(server, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  // The embedded store's own certificate; discovery on, as for any https account.
  client = new CosmosClient({ endpoint: `https://127.0.0.1:${port}/`, key: EMULATOR_KEY, agent: new https.Agent({ rejectUnauthorized: false }), connectionPolicy: { enableEndpointDiscovery: true, requestTimeout: 3_000 } });
  ({ rethinks: container } = await openContainers(client, 'deadlines', 3_600));
  await container.items.create({ id: 'r1', conversationId: 'c1', stage: 1 });
}, 30_000);

afterAll(async () => {
  client.dispose();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('a read, a query and an update each give up within a few seconds as unavailable, not after minutes of retries', async () => {
  answering = false;
  const outcomes = await Promise.all([
    readItem(container, 'r1', 'c1').catch((e: unknown) => e),
    queryItems(container, 'SELECT * FROM c WHERE c.stage = @stage', [{ name: '@stage', value: 1 }], 'c1').catch((e: unknown) => e),
    updateItem<{ id: string; stage: number }>(container, 'r1', 'c1', (current) => ({ ok: true, value: { ...current, stage: 2 } })).catch((e: unknown) => e),
  ]);
  // Ended by the operation's own deadline (without one, the read and the query outlast this test by minutes).
  for (const outcome of outcomes) {
    expect(outcome).toBeInstanceOf(StoreUnavailableError);
    expect(((outcome as Error).cause as Error).name).toMatch(/^(AbortError|TimeoutError)$/);
  }
  answering = true;
}, 20_000);

test('opening the store against an account that never answers stops at its deadline and says what to check', async () => {
  answering = false;
  const failed = await openContainers(client, 'never-opened', 3_600, undefined, 1_500).catch((e: unknown) => e);
  expect(String((failed as Error).message)).toMatch(/^Cosmos DB \(COSMOS_ENDPOINT\) did not answer within 1\.5 s while Re-think was opening the database never-opened\. Check COSMOS_ENDPOINT, the network path/);
  answering = true;
}, 20_000);
