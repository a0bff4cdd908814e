/** Changes to one document at the same moment, saved together: through the real SDK against the embedded server. */
import type { Container } from '@azure/cosmos';
import type { IncomingMessage } from 'node:http';
import { startProxy, type Proxy } from '../helpers/proxy';
import { racing } from '../helpers/racing';
import { ok, refuse } from '../../services/result';
import { createCosmosClient, openContainers } from '../../services/store/cosmos';
import { startEmbeddedCosmos, type EmbeddedCosmos } from '../../services/store/embedded';
import { readItem, StoreUnavailableError, updateItem, upsertItem, type Change } from '../../services/store/repository';
import { SharedWrites } from '../../services/store/sharedWrites';

type Doc = { id: string; conversationId: string; items: string[] };

let store: EmbeddedCosmos;
let proxy: Proxy;
let container: Container;
let closeClient: () => void;
/** What the store was asked for documents, as `GET` and `PUT`. */
let asked: string[] = [];
/** Called as each document request reaches the store, before it is answered. */
let onArrival: (request: IncomingMessage) => void = () => undefined;

beforeAll(async () => {
  store = await startEmbeddedCosmos(0, '127.0.0.1', (request) => {
    if (!request.url?.includes('/docs')) return;
    asked.push(request.method ?? '');
    onArrival(request);
  });
  proxy = await startProxy(store.endpoint);
  const client = createCosmosClient({ endpoint: proxy.endpoint, local: true });
  closeClient = () => client.dispose();
  ({ rethinks: container } = await openContainers(client, 'shared-writes', 3600));
});

afterAll(async () => {
  closeClient();
  await proxy.stop();
  await store.stop();
});

let n = 0;
/** A fresh document, and the store's count started again. */
async function freshDoc(items: string[] = []): Promise<Doc> {
  const doc = { id: `doc-${++n}`, conversationId: 'c1', items };
  await upsertItem(container, doc);
  asked = [];
  onArrival = () => undefined;
  return doc;
}

const adding =
  (item: string): Change<Doc> =>
  (current) =>
    ok({ ...current, items: [...current.items, item] });

/** As a Re-think's changes are: made once, a replay after that. */
const addingOnce =
  (item: string): Change<Doc> =>
  (current) =>
    current.items.includes(item) ? { ok: true, value: current, replay: true } : ok({ ...current, items: [...current.items, item] });

const stored = async (doc: Doc) => (await readItem<Doc>(container, doc.id, doc.conversationId))?.items;

test('changes made at the same moment are all kept, in the order made, with one read and one write', async () => {
  const doc = await freshDoc();
  const writes = new SharedWrites<Doc>(container, false);
  const names = Array.from({ length: 8 }, (_, i) => `person ${i}`);
  const outcomes = await Promise.all(names.map((name) => writes.update(doc.id, doc.conversationId, adding(name))));
  expect(asked).toEqual(['GET', 'PUT']);
  expect(await stored(doc)).toEqual(names);
  outcomes.forEach((outcome, i) => {
    expect(outcome).toMatchObject({ kind: 'updated', replay: false });
    // Each is shown the document as their own change left it, as if saved alone.
    if (outcome.kind === 'updated') expect(outcome.doc.items).toEqual(names.slice(0, i + 1));
  });
});

test('a change made while a save is under way is saved next, from what that save left: no second read, no failed write', async () => {
  const doc = await freshDoc();
  const writes = new SharedWrites<Doc>(container, false);
  let later: Promise<unknown> | undefined;
  onArrival = (request) => {
    if (request.method === 'PUT' && !later) later = writes.update(doc.id, doc.conversationId, adding('second'));
  };
  await writes.update(doc.id, doc.conversationId, adding('first'));
  await later;
  // A write from a stale read would have met a 412, then read and written again.
  expect(asked).toEqual(['GET', 'PUT', 'PUT']);
  expect(await stored(doc)).toEqual(['first', 'second']);
});

test('a refused change, and one that throws, leave the others to be saved', async () => {
  const doc = await freshDoc();
  const writes = new SharedWrites<Doc>(container, false);
  const closed: Change<Doc> = () => refuse('closed', 'This Re-think is closed.');
  const broken: Change<Doc> = () => {
    throw new Error('a bug in this change');
  };
  const [first, refused, thrown, last] = await Promise.allSettled([
    writes.update(doc.id, doc.conversationId, adding('first')),
    writes.update(doc.id, doc.conversationId, closed),
    writes.update(doc.id, doc.conversationId, broken),
    writes.update(doc.id, doc.conversationId, adding('last')),
  ]);
  expect(await stored(doc)).toEqual(['first', 'last']);
  expect(first).toMatchObject({ status: 'fulfilled', value: { kind: 'updated' } });
  expect(refused).toMatchObject({ status: 'fulfilled', value: { kind: 'refused', refusal: { code: 'closed' } } });
  expect(thrown).toMatchObject({ status: 'rejected', reason: new Error('a bug in this change') });
  expect(last).toMatchObject({ status: 'fulfilled', value: { kind: 'updated' } });
});

test('another instance writing in between: every change waiting here is applied again to the fresh document', async () => {
  const doc = await freshDoc();
  const elsewhere = new SharedWrites<Doc>(container, false);
  const here = new SharedWrites<Doc>(
    racing(container, () => elsewhere.update(doc.id, doc.conversationId, adding('theirs'))),
    false,
  );
  const ours = await Promise.all(['a', 'b', 'c'].map((item) => here.update(doc.id, doc.conversationId, adding(item))));
  expect(ours.every((o) => o.kind === 'updated')).toBe(true);
  // Ours: a read, a write refused (412), a read and a write. Theirs: a read and a write.
  expect(asked).toEqual(['GET', 'GET', 'PUT', 'PUT', 'GET', 'PUT']);
  expect(await stored(doc)).toEqual(['theirs', 'a', 'b', 'c']);
});

test('a save whose answer is lost is checked by reading again: each change counts once, and a redelivery stays a redelivery', async () => {
  const doc = await freshDoc(['delivered before']);
  const writes = new SharedWrites<Doc>(container, true);
  proxy.loseNextAnswerTo('PUT');
  const [redelivered, one, two] = await Promise.all([
    writes.update(doc.id, doc.conversationId, addingOnce('delivered before')),
    writes.update(doc.id, doc.conversationId, addingOnce('one')),
    writes.update(doc.id, doc.conversationId, addingOnce('two')),
  ]);
  expect(proxy.answerLost).toBe(true);
  expect(await stored(doc)).toEqual(['delivered before', 'one', 'two']);
  // Their own write landed: new changes for the callers (posts and card updates follow).
  expect(one).toMatchObject({ kind: 'updated', replay: false });
  expect(two).toMatchObject({ kind: 'updated', replay: false });
  expect(redelivered).toMatchObject({ kind: 'updated', replay: true });
});

test('a lost answer to changes that cannot be checked fails every change saved with it, and the next change reads afresh', async () => {
  const doc = await freshDoc();
  const writes = new SharedWrites<Doc>(container, false);
  // Not idempotent: a lost answer cannot be checked, so the store is reported unavailable.
  proxy.loseNextAnswerTo('PUT');
  const failed = await Promise.allSettled(['a', 'b'].map((item) => writes.update(doc.id, doc.conversationId, adding(item))));
  expect(failed.map((f) => f.status)).toEqual(['rejected', 'rejected']);
  expect(failed[0]).toMatchObject({ reason: expect.any(StoreUnavailableError) });
  asked = [];
  await writes.update(doc.id, doc.conversationId, adding('c'));
  expect(asked).toEqual(['GET', 'PUT']);
  expect(await stored(doc)).toEqual(['a', 'b', 'c']);
});

test('someone who has waited past their time behind other saves is told at once, and nothing of theirs is saved', async () => {
  const doc = await freshDoc();
  const writes = new SharedWrites<Doc>(container, false);
  let late: Promise<unknown> | undefined;
  onArrival = (request) => {
    if (request.method === 'PUT' && !late) late = writes.update(doc.id, doc.conversationId, adding('too late'), { budgetMs: 0 });
  };
  await writes.update(doc.id, doc.conversationId, adding('in time'));
  await expect(late).rejects.toThrow(StoreUnavailableError);
  expect(await stored(doc)).toEqual(['in time']);
});

test('each change is answered with the document as its own change left it: what follows one change follows only that one', async () => {
  const doc = await freshDoc();
  const writes = new SharedWrites<Doc>(container, false);
  const [contributed, closed] = await Promise.all([writes.update(doc.id, doc.conversationId, adding('contribution')), writes.update(doc.id, doc.conversationId, adding('closed'))]);
  if (contributed.kind !== 'updated' || closed.kind !== 'updated') throw new Error('both should be saved');
  // The contributor is not told of the close (a summary would be posted twice).
  expect(contributed.doc.items).toEqual(['contribution']);
  expect(closed.doc.items).toEqual(['contribution', 'closed']);
  const stored = await readItem<Doc>(container, doc.id, doc.conversationId);
  expect(closed.doc._etag).toBe(stored?._etag);
  // The part-way document cannot be written back over what came after it: that write meets a 412 and starts again.
  expect(contributed.doc._etag).not.toBe(stored?._etag);
  await updateItem<Doc>(container, doc.id, doc.conversationId, adding('later'), { read: contributed.doc });
  expect((await readItem<Doc>(container, doc.id, doc.conversationId))?.items).toEqual(['contribution', 'closed', 'later']);
});

test('someone waiting behind a slow save is told when their time is up, not when that save ends', async () => {
  const doc = await freshDoc();
  let slowStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (slowStarted = resolve));
  // The slow save is held until the test lets it go: the one behind it must be answered meanwhile.
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const writes = new SharedWrites<Doc>(
    racing(container, async () => {
      slowStarted();
      await held;
    }),
    false,
  );
  const slow = writes.update(doc.id, doc.conversationId, adding('slow'));
  await started;
  const behind = writes.update(doc.id, doc.conversationId, adding('behind'), { budgetMs: 150 }).then(
    () => 'saved',
    (error: unknown) => error,
  );
  // (The far longer wait only stops the test hanging if the answer never comes before the release.)
  const answered = await Promise.race([behind, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 10_000))]);
  expect(answered).toBeInstanceOf(StoreUnavailableError);
  release();
  await slow;
  expect(await stored(doc)).toEqual(['slow']);
});

test('a lost answer is looked for even with under 1.5 s left: found saved, it is saved; not found, the store is reported unavailable rather than tried again', async () => {
  const doc = await freshDoc();
  let calls = 0;
  const counting: Change<Doc> = (current) => {
    calls++;
    return addingOnce('once')(current);
  };
  proxy.loseNextAnswerTo('PUT');
  await expect(updateItem<Doc>(container, doc.id, doc.conversationId, counting, { idempotent: true, budgetMs: 1_000 })).resolves.toMatchObject({ kind: 'updated', replay: false });
  expect(calls).toBe(2);
  expect(await stored(doc)).toEqual(['once']);
  // The write never reached the store: the look finds nothing, and there is no time for another try.
  const other = await freshDoc();
  calls = 0;
  proxy.dropAt('PUT ', 0);
  await expect(updateItem<Doc>(container, other.id, other.conversationId, counting, { idempotent: true, budgetMs: 1_000 })).rejects.toThrow(StoreUnavailableError);
  expect(calls).toBe(2);
  expect(await stored(other)).toEqual([]);
});
