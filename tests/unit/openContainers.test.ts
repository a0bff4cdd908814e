/** A 403 opening the store: what to check (a missing database or container, the data role, the firewall), with what Cosmos DB said. */
import type { CosmosClient } from '@azure/cosmos';
import { openContainers } from '../../services/store/cosmos';

const forbidden = (): never => {
  throw Object.assign(new Error('Request blocked by Auth: principal does not have required RBAC permissions'), { code: 403 });
};

test('a database the identity may not create: what to deploy or set', async () => {
  const client = { databases: { createIfNotExists: async () => forbidden() } } as unknown as CosmosClient;
  await expect(openContainers(client, 'rethink', 100)).rejects.toThrow(
    'Cosmos DB refused to open the database rethink (403). If it does not exist, this identity may not create it (Entra-only access cannot): deploy infra/main.bicep, or create it with the containers it lists, or set COSMOS_DATABASE to the database that holds them. If it does, check the app\'s data role assignment on the account (it can take a few minutes to apply) and the account\'s firewall. Cosmos DB said: Request blocked by Auth: principal does not have required RBAC permissions',
  );
});

test('a container the identity may not create: its partition key and TTL, to create it by hand', async () => {
  const database = { containers: { createIfNotExists: async () => forbidden() } };
  const client = { databases: { createIfNotExists: async () => ({ database }) } } as unknown as CosmosClient;
  await expect(openContainers(client, 'rethink', 100)).rejects.toThrow(/Cosmos DB refused to open the container (rethinks|people|conversations|requests|settings) in the database rethink \(403\)\..* partition key \/\w+ and a default TTL of 100 s\. If it does, check/);
});

test('any other failure is passed on as it is', async () => {
  const client = { databases: { createIfNotExists: async () => Promise.reject(Object.assign(new Error('Service unavailable'), { code: 503 })) } } as unknown as CosmosClient;
  await expect(openContainers(client, 'rethink', 100)).rejects.toThrow('Service unavailable');
});

test('a container the app may not change: its TTL is warned of, and plainly when it has none (nothing would ever be deleted)', async () => {
  const warnings: string[] = [];
  const containerWith = (defaultTtl: number | undefined) => ({
    container: { replace: async () => forbidden() },
    resource: { id: 'x', partitionKey: { paths: ['/id'] }, ...(defaultTtl === undefined ? {} : { defaultTtl }) },
  });
  for (const defaultTtl of [undefined, 50]) {
    const database = { containers: { createIfNotExists: async () => containerWith(defaultTtl) } };
    const client = { databases: { createIfNotExists: async () => ({ database }) } } as unknown as CosmosClient;
    await openContainers(client, 'rethink', 100, (message) => warnings.push(message));
  }
  expect(warnings.filter((w) => w.includes('has no default TTL, and the app may not set one, so Cosmos DB deletes nothing in it'))).toHaveLength(5);
  expect(warnings.filter((w) => w.includes('keeps its default TTL of 50 s') && w.includes('(100 s)'))).toHaveLength(5);
});

test('a container whose index policy isn’t this version’s, that the app may not change: warned of, naming what it should leave out', async () => {
  const warnings: string[] = [];
  const database = {
    containers: {
      createIfNotExists: async ({ id }: { id: string }) => ({
        container: { replace: async () => forbidden() },
        resource: { id, partitionKey: { paths: ['/id'] }, defaultTtl: 100, indexingPolicy: { automatic: true, includedPaths: [{ path: '/*' }], excludedPaths: [{ path: '/audit/*' }, { path: '/"_etag"/?' }] } },
      }),
    },
  };
  const client = { databases: { createIfNotExists: async () => ({ database }) } } as unknown as CosmosClient;
  await openContainers(client, 'rethink', 100, (message) => warnings.push(message));
  expect(warnings.find((w) => w.startsWith('Container rethinks '))).toBe(
    'Container rethinks keeps an index policy that isn\'t this version\'s, and the app may not change it: it should leave out of the index exactly /contributions/*, /summary/?, /appliedActivityIds/* (a path left out that is queried may make Cosmos DB refuse the query; one indexed that needn\'t be makes every save cost more). Deploy infra/main.bicep again, which sets it.',
  );
  expect(warnings.find((w) => w.startsWith('Container people '))).toContain('exactly nothing');
  // The TTL was right: only the index is warned of.
  expect(warnings.some((w) => w.includes('default TTL'))).toBe(false);
});
