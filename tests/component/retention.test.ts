/** A shortened retention period reaches the records already held, at the app's next start. */
import type { Container } from '@azure/cosmos';
import { CONTAINERS, createCosmosClient, openContainers } from '../../services/store/cosmos';
import { peopleRepository } from '../../services/store/people';
import { shortenedTtl } from '../../services/store/retention';
import { newGroupChat, users } from '../helpers/activities';
import { startConnector } from '../helpers/connector';
import { Driver } from '../helpers/driver';
import { startApp, startStore, storeReader } from '../helpers/harness';
import { profileFile } from '../helpers/profile';

const DAY = 86_400;

/** The shipped profile with another retention period, as a partnership would change it. */
const profileKeeping = (days: number) => profileFile((shipped) => ({ ...shipped, retentionDays: days }));

/**
 * The deployment sets the containers' default TTL to the new period (as infra/README.md says). The
 * embedded store empties a container whose settings are replaced, where Cosmos DB keeps its items,
 * so the records are put back as they were.
 */
async function redeployKeeping(endpoint: string, days: number): Promise<void> {
  const client = createCosmosClient({ endpoint, local: true });
  try {
    const database = client.database('rethink');
    const names = Object.keys(CONTAINERS) as (keyof typeof CONTAINERS)[];
    const held = await Promise.all(names.map(async (name) => (await database.container(name).items.readAll<Record<string, unknown>>().fetchAll()).resources));
    const containers = await openContainers(client, 'rethink', days * DAY);
    for (const [i, name] of names.entries()) {
      // The store's own fields (_rid, _etag, _ts and the rest) are set afresh.
      for (const record of held[i] ?? []) await containers[name].items.create(Object.fromEntries(Object.entries(record).filter(([key]) => !key.startsWith('_'))));
    }
  } finally {
    client.dispose();
  }
}

const ago = (days: number): string => new Date(Date.now() - days * DAY * 1000).toISOString();

async function held(container: Container, id: string, partitionKey: string): Promise<{ ttl: number; _etag: string }> {
  const { resource } = await container.item(id, partitionKey).read<{ ttl: number; _etag: string }>();
  if (!resource) throw new Error(`${id} is not in ${container.id}`);
  return resource;
}

test('after the retention period is shortened, each record held expires that period after its last change, and nothing within it is touched', async () => {
  const store = await startStore();
  const db = storeReader(store.endpoint);
  const connector = await startConnector();
  const shorter = profileKeeping(30);
  let app = await startApp(store.endpoint);
  try {
    // Written under the shipped 730 days.
    const driver = new Driver(app, connector, newGroupChat());
    const { rethinkId } = await driver.start(users.megan);
    expect((await db.rethink(driver.conversation.id, rethinkId))?.ttl).toBe(730 * DAY);
    await app.stop();
    await redeployKeeping(store.endpoint, 30);
    // Records as earlier changes left them.
    await db.people.items.create({ id: 'changed-40-days-ago', aadObjectId: 'changed-40-days-ago', updatedAt: ago(40), ttl: 730 * DAY });
    await db.people.items.create({ id: 'changed-20-days-ago', aadObjectId: 'changed-20-days-ago', updatedAt: ago(20), ttl: 730 * DAY });
    const within = (await db.conversations.items.create({ id: 'within', conversationId: 'within', installedAt: ago(0), ttl: 3 * DAY })).resource;

    let clock = Date.now();
    app = await startApp(store.endpoint, { env: { PARTNERSHIP_PROFILE: shorter.path }, clock: () => new Date(clock) });

    const near = (ttl: number, expected: number): void => {
      expect(ttl).toBeLessThanOrEqual(expected);
      expect(ttl).toBeGreaterThan(expected - 120);
    };
    near((await db.rethink(driver.conversation.id, rethinkId))?.ttl ?? Number.NaN, 30 * DAY);
    near((await held(db.people, users.megan.aadObjectId, users.megan.aadObjectId)).ttl, 30 * DAY);
    near((await held(db.people, 'changed-20-days-ago', 'changed-20-days-ago')).ttl, 10 * DAY);
    // Already past the new period: it goes at once.
    expect((await held(db.people, 'changed-40-days-ago', 'changed-40-days-ago')).ttl).toBe(1);
    // Within the period already: not rewritten.
    expect(await held(db.conversations, 'within', 'within')).toMatchObject({ ttl: 3 * DAY, _etag: within?._etag });

    // The check records that it ran to the end, and under which period: it runs again in a day, or when the period changes.
    const { resource: marker } = await db.rethinks.database.container('settings').item('retentionCheck', 'retentionCheck').read<Record<string, unknown>>();
    expect(marker).toMatchObject({ retentionSeconds: 30 * DAY, checkedAt: new Date(clock).toISOString(), ttl: -1 });
    expect(marker?.running).toBeUndefined();

    // An instance still on the old profile (a deployment under way) writes under the longer period:
    // the check runs once a day as well as when the period changes, so that too is brought within it.
    await db.people.items.create({ id: 'written-by-an-old-instance', aadObjectId: 'written-by-an-old-instance', updatedAt: ago(0), ttl: 730 * DAY });
    await app.housekeep();
    expect((await held(db.people, 'written-by-an-old-instance', 'written-by-an-old-instance')).ttl).toBe(730 * DAY);
    clock += DAY * 1000 + 60_000;
    await app.housekeep();
    near((await held(db.people, 'written-by-an-old-instance', 'written-by-an-old-instance')).ttl, 30 * DAY);

    // The Re-think carries on, and its next change takes the whole new period.
    await new Driver(app, connector, driver.conversation).press(users.alex, 'join', { rethinkId, role: 'Teacher', agency: 'Primary school' });
    expect((await db.rethink(driver.conversation.id, rethinkId))?.ttl).toBe(30 * DAY);
  } finally {
    await app.stop();
    await connector.stop();
    db.dispose();
    await store.stop();
    shorter.remove();
  }
});

describe('the expiry a shortened period gives a record', () => {
  const now = Date.parse('2027-03-01T12:00:00Z');
  const seconds = (iso: string): number => Date.parse(iso) / 1000;

  test('counts from its last change, not from a later write that changed nothing (a card posted again)', () => {
    // Changed on 1 February, card posted again on 20 February with the rest of 730 days.
    const record = { _ts: seconds('2027-02-20T12:00:00Z'), ttl: 730 * DAY - 19 * DAY, updatedAt: '2027-02-01T12:00:00Z' };
    expect(shortenedTtl(record, 30 * DAY, now)).toBe(2 * DAY);
  });

  test('counts from its last write when it records no change time, or one later than the write', () => {
    expect(shortenedTtl({ _ts: seconds('2027-02-20T12:00:00Z'), ttl: 730 * DAY }, 30 * DAY, now)).toBe(21 * DAY);
    expect(shortenedTtl({ _ts: seconds('2027-02-20T12:00:00Z'), ttl: 730 * DAY, updatedAt: '2030-01-01T00:00:00Z' }, 30 * DAY, now)).toBe(21 * DAY);
  });

  test('is left alone when it already ends within the period, or a lengthened one', () => {
    expect(shortenedTtl({ _ts: seconds('2027-02-20T12:00:00Z'), ttl: 30 * DAY, updatedAt: '2027-02-20T12:00:00Z' }, 30 * DAY, now)).toBeUndefined();
    expect(shortenedTtl({ _ts: seconds('2027-02-20T12:00:00Z'), ttl: 30 * DAY }, 365 * DAY, now)).toBeUndefined();
  });
});

test('during a deployment that lengthens the period, an instance still on the old, shorter period never cuts back what the new ones keep', async () => {
  const store = await startStore();
  const db = storeReader(store.endpoint);
  const connector = await startConnector();
  const shorter = profileKeeping(30);
  let clock = Date.parse('2027-05-01T09:00:00Z');
  const at = () => new Date(clock);
  // The old instance started first, under 30 days; the new one a minute later, under the shipped 730.
  const old = await startApp(store.endpoint, { env: { PARTNERSHIP_PROFILE: shorter.path }, clock: at });
  clock += 60_000;
  const current = await startApp(store.endpoint, { clock: at });
  try {
    const driver = new Driver(current, connector, newGroupChat());
    const { rethinkId } = await driver.start(users.megan);
    expect((await db.rethink(driver.conversation.id, rethinkId))?.ttl).toBe(730 * DAY);
    // A day on, the old instance's periodic check comes round: the period on record is the newer instance's.
    clock += DAY * 1000;
    await old.housekeep();
    expect((await db.rethink(driver.conversation.id, rethinkId))?.ttl).toBe(730 * DAY);
    const { resource: marker } = await db.rethinks.database.container('settings').item('retentionCheck', 'retentionCheck').read<Record<string, unknown>>();
    expect(marker).toMatchObject({ retentionSeconds: 730 * DAY });
  } finally {
    await old.stop();
    await current.stop();
    await connector.stop();
    db.dispose();
    await store.stop();
    shorter.remove();
  }
});

test('administrators and named facilitators stay reachable: their records near the end of the retention period are renewed by the daily check; anyone else’s are left to expire', async () => {
  const store = await startStore();
  const db = storeReader(store.endpoint);
  const [admin, named, other, fresh, shortLived] = ['6a1f2c3d-0000-4000-8000-0000000a0001', '6a1f2c3d-0000-4000-8000-0000000a0002', '6a1f2c3d-0000-4000-8000-0000000a0003', '6a1f2c3d-0000-4000-8000-0000000a0004', '6a1f2c3d-0000-4000-8000-0000000a0005'];
  // The containers first, as the app makes them; then the records as they were left long ago.
  let app = await startApp(store.endpoint);
  await app.stop();
  const chat = { conversationId: 'a:chat', serviceUrl: 'http://127.0.0.1:9/', tenantId: 't', botId: 'b', conversationKind: 'personal' };
  for (const [id, days] of [[admin, 720], [named, 725], [other, 725], [fresh, 10]] as const) {
    await db.people.items.upsert({ id, aadObjectId: id, personalConversation: chat, updatedAt: ago(days), ttl: 730 * DAY });
  }
  // Written lately under a shorter period than today's (since lengthened): the store expires it in 20 days.
  await db.people.items.upsert({ id: shortLived, aadObjectId: shortLived, personalConversation: chat, updatedAt: ago(0), ttl: 20 * DAY });
  // The named facilitator's list still names a case whose request was left to expire long ago, and one still open.
  await db.people.items.upsert({ id: named, aadObjectId: named, personalConversation: chat, facilitating: ['PSCP-2024-0001', 'PSCP-2026-0002'], updatedAt: ago(725), ttl: 730 * DAY });
  await db.requests.items.upsert({ id: 'request-still-open', type: 'request', caseReference: 'PSCP-2026-0002', status: 'accepted', submittedAt: ago(20), updatedAt: ago(20), ttl: 730 * DAY });
  // Who added them, long ago (older than the retention period), and a facilitator removed since.
  const poolChanged = ago(800);
  await db.settings.items.upsert({ id: 'facilitatorPool', facilitators: [{ aadObjectId: named, addedBy: 'x', addedAt: poolChanged }], audit: [{ at: poolChanged, by: 'x', what: 'facilitatorAdded', ref: named }, { at: ago(20), by: 'x', what: 'facilitatorRemoved', ref: 'someone-else' }], updatedAt: poolChanged, ttl: -1 });
  // The next day's check, as run by the instance that claims it.
  await db.settings.items.upsert({ id: 'retentionCheck', retentionSeconds: 730 * DAY, checkedAt: ago(2), periodFrom: ago(900), ttl: -1 });
  app = await startApp(store.endpoint, { env: { ADMIN_IDS: `${admin.toUpperCase()},${fresh},${shortLived}` } });
  try {
    await app.retentionChecked;
    const updatedAt = async (id: string) => Date.parse((await db.people.item(id, id).read<{ updatedAt: string }>()).resource?.updatedAt ?? '');
    expect(Date.now() - (await updatedAt(admin))).toBeLessThan(60_000);
    expect(Date.now() - (await updatedAt(named))).toBeLessThan(60_000);
    expect(Date.now() - (await updatedAt(other))).toBeGreaterThan(724 * DAY * 1000);
    expect(Date.now() - (await updatedAt(fresh))).toBeGreaterThan(9 * DAY * 1000);
    expect((await db.people.item(shortLived, shortLived).read<{ ttl: number }>()).resource?.ttl).toBe(730 * DAY);
    // Where to reach them is kept as it was; a case with no open request is not kept with it.
    const kept = (await db.people.item(named, named).read<{ personalConversation?: { conversationId: string }; facilitating?: string[] }>()).resource;
    expect(kept?.personalConversation?.conversationId).toBe('a:chat');
    expect(kept?.facilitating).toEqual(['PSCP-2026-0002']);
    // The pool's history keeps only what is within the period, though the pool itself hasn't changed.
    const pool = (await db.settings.item('facilitatorPool', 'facilitatorPool').read<{ audit: { what: string }[]; updatedAt: string }>()).resource;
    expect(pool?.audit.map((a) => a.what)).toEqual(['facilitatorRemoved']);
    expect(pool?.updatedAt).toBe(poolChanged);
  } finally {
    db.dispose();
    await app.stop();
    await store.stop();
  }
});

test('a change to a person’s record (the cases they facilitate, their personal chat gone) starts today’s retention period again, whatever period it was written under', async () => {
  const store = await startStore();
  const db = storeReader(store.endpoint);
  const app = await startApp(store.endpoint);
  await app.stop();
  try {
    const people = peopleRepository(db.people, 730 * DAY);
    const id = '6a1f2c3d-0000-4000-8000-0000000a0b01';
    const chat = { conversationId: 'a:chat-b01', serviceUrl: 'http://127.0.0.1:9/', tenantId: 't', botId: 'b', conversationKind: 'personal' };
    const ttl = async () => (await db.people.item(id, id).read<{ ttl: number }>()).resource?.ttl;
    // Written under a 20-day period, since lengthened.
    await db.people.items.upsert({ id, aadObjectId: id, personalConversation: chat, personalConversationSince: ago(1), updatedAt: ago(0), ttl: 20 * DAY });
    expect(await people.updateFacilitating(id, (cases) => [...cases, 'PSCP-2026-0b01'], new Date(), '29:facilitator')).toBe(true);
    expect(await ttl()).toBe(730 * DAY);
    await db.people.items.upsert({ ...(await db.people.item(id, id).read()).resource, ttl: 20 * DAY });
    expect(await people.forgetPersonalChat(id, chat.conversationId, new Date().toISOString(), new Date(), '29:facilitator')).toBe(true);
    expect(await ttl()).toBe(730 * DAY);
  } finally {
    db.dispose();
    await store.stop();
  }
});
