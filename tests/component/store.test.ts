/** The storage rules, through the real SDK against the embedded server. */
import type { Container } from '@azure/cosmos';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../bot/app';
import { loadConfig } from '../../services/config';
import { newGroupChat, users } from '../helpers/activities';
import { startConnector } from '../helpers/connector';
import { Driver } from '../helpers/driver';
import { startApp, startStore, storeReader } from '../helpers/harness';
import { startProxy } from '../helpers/proxy';
import { racing } from '../helpers/racing';
import { captureLog } from '../helpers/logs';
import { ok } from '../../services/result';
import { CONTAINERS, createCosmosClient, openContainers, UNINDEXED } from '../../services/store/cosmos';
import { startEmbeddedCosmos } from '../../services/store/embedded';
import { panelPassKey } from '../../services/store/panelPassKey';
import { peopleRepository } from '../../services/store/people';
import { poolRepository } from '../../services/store/pool';
import { readItem, StoreUnavailableError, updateItem, upsertItem } from '../../services/store/repository';

test('containers are created with the partition keys the queries need and the retention period as TTL', async () => {
  const store = await startStore();
  const app = await startApp(store.endpoint);
  const db = storeReader(store.endpoint);
  try {
    const expected = { rethinks: '/conversationId', people: '/aadObjectId', conversations: '/conversationId', requests: '/id', settings: '/id' };
    for (const [id, path] of Object.entries(expected)) {
      const { resource } = await db.rethinks.database.container(id).read();
      expect(resource?.partitionKey?.paths).toEqual([path]);
      // Hashed whole, however long: personal chat ids run past version 1's 101 bytes.
      expect(resource?.partitionKey?.version).toBe(2);
      expect(resource?.indexingPolicy?.excludedPaths?.map((p) => p.path)).toEqual(expect.arrayContaining([...UNINDEXED[id as keyof typeof UNINDEXED]]));
      expect(resource?.defaultTtl).toBe(730 * 86_400);
    }
    const connector = await startConnector();
    const driver = new Driver(app, connector, newGroupChat());
    const { rethinkId } = await driver.start(users.megan);
    expect((await db.rethink(driver.conversation.id, rethinkId))?.ttl).toBe(730 * 86_400);
    await connector.stop();
  } finally {
    db.dispose();
    await app.stop();
    await store.stop();
  }
});

test('with no COSMOS_ENDPOINT the app starts its own embedded store on 127.0.0.1, uses it through the SDK, and stops it', async () => {
  const port = await freePort();
  const app = await createApp(loadConfig({ PORT: '0', HOST: '127.0.0.1', EMBEDDED_COSMOS_PORT: String(port), LOG_LEVEL: 'silent' }));
  const connector = await startConnector();
  // Anyone may look at the data while it runs, with the SDK.
  const db = storeReader(`http://127.0.0.1:${port}`);
  try {
    const driver = new Driver(app, connector, newGroupChat());
    const { rethinkId } = await driver.start(users.megan);
    expect(await db.rethink(driver.conversation.id, rethinkId)).toMatchObject({ status: 'open', caseReference: 'PSCP-2026-0042' });
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  } finally {
    db.dispose();
    await connector.stop();
    await app.stop();
  }
  // Stopped with the app: the port is free again.
  const again = createServer();
  await new Promise<void>((resolve, reject) => again.once('error', reject).listen(port, '127.0.0.1', resolve));
  await new Promise((resolve) => again.close(resolve));
});

/** A port nothing listens on just now. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

test('the facilitator pool never expires, but its audit entries older than the retention period go at its next change; asking for no change writes nothing', async () => {
  const store = await startStore();
  const client = createCosmosClient({ endpoint: store.endpoint, local: true });
  try {
    const { settings } = await openContainers(client, 'pool-test', 3600);
    const pool = poolRepository(settings, 3600);
    const now = new Date('2026-11-27T12:00:00Z');
    const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * 3_600_000).toISOString();
    const later = new Date(now.getTime() + 3_600_000);
    await pool.change((p) => ({ ...p, audit: [{ at: at(2), by: '29:admin', what: 'channelSet' }, { at: at(0.5), by: '29:admin', what: 'facilitatorAdded', ref: 'a1' }] }), now);
    const stored = async () => (await settings.item('facilitatorPool', 'facilitatorPool').read<{ audit: { what: string }[]; updatedAt: string }>()).resource;
    // Already older than the retention period as it is written: gone at once.
    expect((await stored())?.audit.map((a) => a.what)).toEqual(['facilitatorAdded']);
    // An hour on, nothing changed: nothing is written, so its history stays until a real change.
    const unchanged = await pool.change((p) => p, later);
    expect(unchanged?.audit.map((a) => a.what)).toEqual(['facilitatorAdded']);
    expect(await stored()).toMatchObject({ updatedAt: now.toISOString(), audit: [{ what: 'facilitatorAdded' }] });
    // The next change: the entry, now past the retention period, goes.
    const changed = await pool.change((p) => ({ ...p, audit: [...p.audit, { at: later.toISOString(), by: '29:admin', what: 'facilitatorRemoved', ref: 'a1' }] }), later);
    expect(changed?.audit.map((a) => a.what)).toEqual(['facilitatorRemoved']);
    expect(changed?.ttl).toBe(-1);
  } finally {
    await store.stop();
  }
});

test('a container made by another version, with another index policy and retention, is brought in step at start', async () => {
  const store = await startStore();
  const client = createCosmosClient({ endpoint: store.endpoint, local: true });
  try {
    // As an earlier version made it: the audit trail (queried now) left out of the index, the contributions in it.
    const { database } = await client.databases.createIfNotExists({ id: 'older' });
    await database.containers.createIfNotExists({ id: 'rethinks', partitionKey: { paths: ['/conversationId'] }, defaultTtl: 60, indexingPolicy: { automatic: true, includedPaths: [{ path: '/*' }], excludedPaths: [{ path: '/audit/*' }, { path: '/"_etag"/?' }] } });
    const warnings: string[] = [];
    const { rethinks } = await openContainers(client, 'older', 3600, (w) => warnings.push(w));
    const { resource } = await rethinks.read();
    expect(resource?.defaultTtl).toBe(3600);
    expect(resource?.indexingPolicy?.excludedPaths?.map((p) => p.path).sort()).toEqual([...UNINDEXED.rethinks, '/"_etag"/?'].sort());
    expect(resource?.indexingPolicy?.includedPaths).toEqual([{ path: '/*' }]);
    expect(warnings).toEqual([]);
    // (Cosmos DB keeps a container's items as its definition is replaced; the embedded store doesn't, so they aren't checked here.)
  } finally {
    client.dispose();
    await store.stop();
  }
});

test('reads answer undefined for 404; a conflicting write (412) is retried on the fresh document', async () => {
  const store = await startStore();
  const client = createCosmosClient({ endpoint: store.endpoint, local: true });
  try {
    const { rethinks } = await openContainers(client, 'repo-test', 3600);
    expect(await readItem(rethinks, 'missing', 'c1')).toBeUndefined();
    await upsertItem(rethinks, { id: 'doc', conversationId: 'c1', items: [] as string[] });
    type Doc = { id: string; conversationId: string; items: string[] };
    // Someone else writes between our read and our replace, so our ETag is stale at the replace.
    const raced = racing(rethinks, async () => {
      const theirs = await readItem<Doc>(rethinks, 'doc', 'c1');
      await upsertItem(rethinks, { id: 'doc', conversationId: 'c1', items: [...(theirs?.items ?? []), 'theirs'] });
    });
    let calls = 0;
    const outcome = await updateItem<Doc>(raced, 'doc', 'c1', (current) => {
      calls++;
      return ok({ ...current, items: [...current.items, 'ours'] });
    });
    expect(outcome.kind).toBe('updated');
    const stored = await readItem<{ items: string[] }>(rethinks, 'doc', 'c1');
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(stored?.items).toEqual(['theirs', 'ours']);
    expect(await updateItem(rethinks, 'missing', 'c1', (c) => ok(c))).toEqual({ kind: 'notFound' });
  } finally {
    client.dispose();
    await store.stop();
  }
});

test('a write whose answer is lost on the way back is checked by reading again: it counts once, and is not made twice', async () => {
  const store = await startStore();
  const proxy = await startProxy(store.endpoint);
  const client = createCosmosClient({ endpoint: proxy.endpoint, local: true });
  try {
    const { rethinks } = await openContainers(client, 'lost-answer', 3600);
    type Doc = { id: string; conversationId: string; items: string[] };
    await upsertItem(rethinks, { id: 'doc', conversationId: 'c1', items: [] as string[] });
    proxy.loseNextAnswerTo('PUT');
    let calls = 0;
    // Idempotent, as a Re-think's changes are: one already made is a replay.
    const ours = (current: Doc) => {
      calls++;
      return current.items.includes('ours') ? { ok: true as const, value: current, replay: true } : ok({ ...current, items: [...current.items, 'ours'] });
    };
    const outcome = await updateItem<Doc>(rethinks, 'doc', 'c1', ours, { idempotent: true });
    expect(proxy.answerLost).toBe(true);
    // Its own write landed: a new change for the caller (posts and card updates follow), not a redelivery.
    expect(outcome).toMatchObject({ kind: 'updated', replay: false });
    expect(calls).toBe(2);
    expect((await readItem<Doc>(rethinks, 'doc', 'c1'))?.items).toEqual(['ours']);
    // A change that is not idempotent is not applied again: the store is reported unavailable.
    proxy.loseNextAnswerTo('PUT');
    await expect(updateItem<Doc>(rethinks, 'doc', 'c1', (current) => ok({ ...current, items: [...current.items, 'again'] }))).rejects.toThrow(StoreUnavailableError);
    expect((await readItem<Doc>(rethinks, 'doc', 'c1'))?.items).toEqual(['ours', 'again']);
  } finally {
    client.dispose();
    await proxy.stop();
    await store.stop();
  }
});

test('a write whose answer comes after the store’s timeout is found saved by a short look, so the caller is told it was saved', async () => {
  const store = await startStore();
  const proxy = await startProxy(store.endpoint);
  // The app's own client: its 3 s timeout takes most of the budget for an answer.
  const client = createCosmosClient({ endpoint: proxy.endpoint, local: true });
  try {
    const { rethinks } = await openContainers(client, 'slow-answer', 3600);
    type Doc = { id: string; conversationId: string; items: string[] };
    await upsertItem(rethinks, { id: 'doc', conversationId: 'c1', items: [] as string[] });
    proxy.holdNextAnswerTo('PUT', 4_000);
    const ours = (current: Doc) => (current.items.includes('ours') ? { ok: true as const, value: current, replay: true } : ok({ ...current, items: [...current.items, 'ours'] }));
    const outcome = await updateItem<Doc>(rethinks, 'doc', 'c1', ours, { idempotent: true });
    expect(proxy.answerLost).toBe(true);
    expect(outcome).toMatchObject({ kind: 'updated', replay: false });
    expect((await readItem<Doc>(rethinks, 'doc', 'c1'))?.items).toEqual(['ours']);
  } finally {
    client.dispose();
    await proxy.stop();
    await store.stop();
  }
});

test('instances starting together on a new store share one side panel signing key, which never expires', async () => {
  const store = await startStore();
  const client = createCosmosClient({ endpoint: store.endpoint, local: true });
  try {
    const { settings } = await openContainers(client, 'pass-key', 3600);
    // Each reads (nothing yet) and creates; those that lose the race read the winner's key.
    const keys = await Promise.all([1, 2, 3].map(() => panelPassKey(settings, new Date())));
    expect(keys[0]?.length).toBe(32);
    for (const key of keys) expect(key.equals(keys[0] as Buffer)).toBe(true);
    expect((await panelPassKey(settings, new Date())).equals(keys[0] as Buffer)).toBe(true);
    expect(await readItem(settings, 'panelPassKey', 'panelPassKey')).toMatchObject({ ttl: -1 });
  } finally {
    client.dispose();
    await store.stop();
  }
});

test('a changed retention period is applied to existing containers at start-up', async () => {
  const store = await startStore();
  const client = createCosmosClient({ endpoint: store.endpoint, local: true });
  try {
    await openContainers(client, 'retention', 100);
    const { rethinks } = await openContainers(client, 'retention', 200);
    expect((await rethinks.read()).resource?.defaultTtl).toBe(200);
  } finally {
    client.dispose();
    await store.stop();
  }
});

test('logs carry ids, never what people typed', async () => {
  const { lines, logger: at } = captureLog();
  const logger = at('trace');
  logger.info({ text: 'secret words', nested: { caseReference: 'PSCP-2026-0042', deeper: { summary: 'private' } } }, 'checking redaction');
  // Card and request form fields, by their own names.
  logger.info({ behalfText: 'typed for someone', data: { concernSummary: 'a private summary', withdrawReason: 'a private reason' } }, 'checking redaction of typed fields');
  const store = await startStore();
  const connector = await startConnector();
  const app = await startApp(store.endpoint, { logger });
  try {
    const driver = new Driver(app, connector, newGroupChat());
    const { rethinkId } = await driver.start(users.megan);
    await driver.press(users.megan, 'contribute', { rethinkId, contribution: 'A very private contribution' });
    await driver.press(users.megan, 'contribute', { rethinkId, contribution: 'x'.repeat(5000) });
  } finally {
    await app.stop();
    await connector.stop();
    await store.stop();
  }
  const all = lines.join('');
  expect(lines.length).toBeGreaterThan(3);
  // With no app id it runs unauthenticated, and says so loudly: a warning, in capitals.
  const unauthenticated = lines.map((line) => JSON.parse(line) as { level: string; msg: string }).find((line) => line.msg.startsWith('NO MICROSOFT APP ID IS SET'));
  expect(unauthenticated?.level).toBe('warn');
  expect(all).toContain('[redacted]');
  for (const secret of ['secret words', 'PSCP-2026-0042', 'private', 'typed for someone', 'The child protection plan', 'Children’s social care']) expect(all).not.toContain(secret);
});

/** A people repository on its own database of `store`, closed (and the store stopped) when `run` is done. */
async function withPeople(store: { endpoint: string; stop(): Promise<void> }, database: string, run: (repo: ReturnType<typeof peopleRepository>, people: Container) => Promise<void>): Promise<void> {
  const client = createCosmosClient({ endpoint: store.endpoint, local: true });
  try {
    const { people } = await openContainers(client, database, 3600);
    await run(peopleRepository(people, 3600), people);
  } finally {
    client.dispose();
    await store.stop();
  }
}

test('the cases a facilitator has accepted: changes made at the same moment are all kept', async () => {
  await withPeople(await startStore(), 'people-test', async (repo) => {
    const aad = users.alex.aadObjectId;
    const now = new Date('2026-11-26T09:00:00Z');
    const cases = Array.from({ length: 8 }, (_, i) => `PSCP-2026-07${i}0`);
    // The first accepts create the record; the rest change it, all at once.
    await Promise.all(cases.map((c) => repo.updateFacilitating(aad, (list) => [...new Set([...list, c])], now, users.alex.id)));
    expect([...((await repo.get(aad))?.facilitating ?? [])].sort()).toEqual(cases);
    await Promise.all(cases.slice(0, 3).map((c) => repo.updateFacilitating(aad, (list) => list.filter((x) => x !== c), now, users.alex.id)));
    expect([...((await repo.get(aad))?.facilitating ?? [])].sort()).toEqual(cases.slice(3));
  });
});

test('a person’s record is changed by a patch that never names its id or partition key, which Cosmos DB refuses to patch', async () => {
  const patches: string[] = [];
  const store = await startEmbeddedCosmos(0, '127.0.0.1', (request) => {
    if (request.method !== 'PATCH') return;
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => patches.push(body));
  });
  await withPeople(store, 'patch-test', async (repo) => {
    const aad = users.alex.aadObjectId;
    const now = new Date('2026-11-26T09:00:00Z');
    await repo.remember(aad, { role: 'Teacher', agency: 'School' }, now, users.alex.id, false);
    await repo.remember(aad, { role: 'Head teacher' }, now, users.alex.id, true);
    expect(patches).toHaveLength(1);
    // The SDK sends the operations alone, or with a condition as { operations }.
    const sent = JSON.parse(patches[0] ?? '[]') as { path: string }[] | { operations: { path: string }[] };
    const paths = (Array.isArray(sent) ? sent : sent.operations).map((o) => o.path);
    expect(paths).toContain('/role');
    expect(paths).not.toContain('/id');
    expect(paths).not.toContain(CONTAINERS.people);
    expect(await repo.get(aad)).toMatchObject({ aadObjectId: aad, role: 'Head teacher', agency: 'School' });
  });
});

test('every change to a person’s record is audited (who, what, when), in the same write; a record from before the trail starts one', async () => {
  await withPeople(await startStore(), 'person-audit', async (repo, people) => {
    const aad = users.alex.aadObjectId;
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 26, 9, minute));
    const chat = { conversationId: 'a:alex', serviceUrl: 'http://127.0.0.1:9/', tenantId: 't', botId: 'b', conversationKind: 'personal' };
    await repo.remember(aad, { role: 'Teacher', agency: 'School' }, at(0), users.alex.id, false);
    await repo.remember(aad, { personalConversation: chat, personalConversationSince: at(1).toISOString() }, at(1), users.alex.id);
    await repo.updateFacilitating(aad, () => ['PSCP-2026-0901'], at(2), users.alex.id);
    await repo.updateFacilitating(aad, () => [], at(3), 'reconciler');
    await repo.forgetPersonalChat(aad, chat.conversationId, at(4).toISOString(), at(4), users.alex.id);
    expect(await repo.renew(aad, at(5), 'retention')).toBe(true);
    // Asking for no change (the list already so) writes nothing, so audits nothing.
    await repo.updateFacilitating(aad, () => [], at(6), users.alex.id);
    const trail = (await repo.get(aad))?.audit ?? [];
    expect(trail.map((a) => [a.what, a.by, a.at.slice(14, 16)])).toEqual([
      ['roleAndAgencyRemembered', users.alex.id, '00'],
      ['personalChatNoted', users.alex.id, '01'],
      ['facilitatingChanged', users.alex.id, '02'],
      ['facilitatingChanged', 'reconciler', '03'],
      ['personalChatForgotten', users.alex.id, '04'],
      ['keptReachable', 'retention', '05'],
    ]);
    // Never what was recorded: no role, agency or case reference in the trail.
    expect(JSON.stringify(trail)).not.toMatch(/Teacher|School|PSCP/);
    // Entries older than the retention period (an hour here) go at the next change that reads the record
    // first: the cases they facilitate, their chat forgotten, or the daily keeping of where to reach them.
    await repo.updateFacilitating(aad, () => ['PSCP-2026-0902'], at(200), users.alex.id);
    expect((await repo.get(aad))?.audit?.map((a) => a.at)).toEqual([at(200).toISOString()]);
    await repo.remember(aad, { role: 'Deputy head' }, at(300), users.alex.id);
    expect(await repo.renew(aad, at(400), 'retention')).toBe(true);
    expect((await repo.get(aad))?.audit?.map((a) => a.what)).toEqual(['keptReachable']);
    expect(await repo.renew(users.isaiah.aadObjectId, at(400), 'retention')).toBe(false);

    // Written before the trail was kept: the next change starts it, and what was there stays.
    const older = users.megan.aadObjectId;
    await people.items.create({ id: older, aadObjectId: older, role: 'Social worker', agency: 'Children’s social care', updatedAt: at(0).toISOString(), ttl: 3600 });
    await repo.remember(older, { role: 'Senior social worker' }, at(7), users.megan.id);
    expect(await repo.get(older)).toMatchObject({ role: 'Senior social worker', agency: 'Children’s social care', audit: [{ what: 'roleAndAgencyRemembered', by: users.megan.id, at: at(7).toISOString() }] });
  });
});
