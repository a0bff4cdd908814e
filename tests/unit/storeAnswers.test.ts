/**
 * How the store's answers are read, for answers the embedded store never gives: Cosmos DB's 404
 * with a substatus (the container gone, a session not yet readable) is not "no such item".
 */
import type { Container } from '@azure/cosmos';
import { readItem, StoreUnavailableError, updateItem } from '../../services/store/repository';

const containerAnswering = (read: () => Promise<unknown>): Container => ({ item: () => ({ read, replace: read }) }) as unknown as Container;

test('a point read answered 404 with no substatus is no such item', async () => {
  await expect(readItem(containerAnswering(async () => ({ statusCode: 404, substatus: undefined, resource: undefined })), 'a', 'a')).resolves.toBeUndefined();
  await expect(readItem(containerAnswering(async () => ({ statusCode: 404, substatus: 0, resource: undefined })), 'a', 'a')).resolves.toBeUndefined();
});

test.each([1003, 1002])('a point read answered 404 with substatus %i is the store unavailable, not a missing item', async (substatus) => {
  await expect(readItem(containerAnswering(async () => ({ statusCode: 404, substatus, resource: undefined })), 'a', 'a')).rejects.toBeInstanceOf(StoreUnavailableError);
});

test('a write answered 404 with substatus 1003 is the store unavailable, not the document gone', async () => {
  const gone = Object.assign(new Error('Owner resource does not exist'), { code: 404, substatus: 1003 });
  const stored = { id: 'a', _etag: '"1"' };
  const container = { item: () => ({ read: async () => ({ statusCode: 200, resource: stored }), replace: async () => Promise.reject(gone) }) } as unknown as Container;
  await expect(updateItem<{ id: string }>(container, 'a', 'a', (current) => ({ ok: true, value: { ...current } }), { read: stored })).rejects.toBeInstanceOf(StoreUnavailableError);
});
