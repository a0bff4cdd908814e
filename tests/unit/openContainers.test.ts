/** Entra-only access may read databases and containers but not create them: a missing one is explained. */
import type { CosmosClient } from '@azure/cosmos';
import { openContainers } from '../../services/store/cosmos';

const forbidden = (): never => {
  throw Object.assign(new Error('Request blocked by Auth: principal does not have required RBAC permissions'), { code: 403 });
};

test('a database the identity may not create: what to deploy or set', async () => {
  const client = { databases: { createIfNotExists: async () => forbidden() } } as unknown as CosmosClient;
  await expect(openContainers(client, 'rethink', 100)).rejects.toThrow('The database rethink does not exist and this identity may not create it (Entra-only access cannot create databases): deploy infra/main.bicep');
});

test('a container the identity may not create: its partition key and TTL, to create it by hand', async () => {
  const database = { containers: { createIfNotExists: async () => forbidden() } };
  const client = { databases: { createIfNotExists: async () => ({ database }) } } as unknown as CosmosClient;
  await expect(openContainers(client, 'rethink', 100)).rejects.toThrow(/The container (rethinks|people|conversations|requests|settings) does not exist in the database rethink .* partition key \/\w+ and a default TTL of 100 s\./);
});

test('any other failure is passed on as it is', async () => {
  const client = { databases: { createIfNotExists: async () => Promise.reject(Object.assign(new Error('Service unavailable'), { code: 503 })) } } as unknown as CosmosClient;
  await expect(openContainers(client, 'rethink', 100)).rejects.toThrow('Service unavailable');
});
