/**
 * What each card action asks of the store on the happy path, everything that follows the answer
 * included: at most a point read and a conditional write of the Re-think, and no query.
 */
import type { IncomingMessage } from 'node:http';
import { AHEAD, newGroupChat, users } from '../helpers/activities';
import { startConnector, type Connector } from '../helpers/connector';
import { Driver, START_FORM } from '../helpers/driver';
import { cardText, executeActions, startApp, storeReader, type App, type StoreReader } from '../helpers/harness';
import type { Rethink } from '../../services/rethink/types';
import { startEmbeddedCosmos, type EmbeddedCosmos } from '../../services/store/embedded';

/** One store request: GET a document, PUT (replace) one, POST (create, or a query), PATCH. */
interface Seen {
  method: string;
  container: string;
  query: boolean;
}

let store: EmbeddedCosmos;
let connector: Connector;
let app: App;
let db: StoreReader;
let rethinks: StoreReader['rethinks'];
let people: StoreReader['people'];
const seen: Seen[] = [];
const record = (req: IncomingMessage): void => {
  const container = /\/colls\/([^/]+)/.exec(req.url ?? '')?.[1] ?? '';
  seen.push({ method: req.method ?? '', container, query: req.headers['x-ms-documentdb-isquery'] === 'True' || req.headers['x-ms-documentdb-isquery'] === 'true' });
};

beforeAll(async () => {
  store = await startEmbeddedCosmos(0, '127.0.0.1', record);
  connector = await startConnector();
  // The outbox's dispatcher polls on its own clock: not within these tests.
  app = await startApp(store.endpoint, { delivery: { pollMs: 3_600_000 } });
  db = storeReader(store.endpoint);
  ({ rethinks, people } = db);
});
afterAll(async () => {
  db.dispose();
  await app.stop();
  await connector.stop();
  await store.stop();
});

/** The store requests made by `run`, and by everything that follows its answer. */
async function requestsOf(run: () => Promise<unknown>): Promise<string[]> {
  const from = seen.length;
  await run();
  await app.idle();
  return seen.slice(from).map((s) => `${s.method} ${s.container}${s.query ? ' query' : ''}`);
}

const READ_AND_WRITE = ['GET rethinks', 'PUT rethinks'];

test('each card action of a whole Re-think: a point read and a conditional write, nothing more', async () => {
  const { megan, adele, isaiah } = users;
  const chat = new Driver(app, connector, newGroupChat());
  const perAction: [string, string[]][] = [];
  const measure = async (label: string, run: () => Promise<unknown>) => perAction.push([label, await requestsOf(run)]);

  // Starting: the form (with the role remembered from last time, so it is not written again), then the strategy.
  await people.items.upsert({ id: megan.aadObjectId, aadObjectId: megan.aadObjectId, role: START_FORM.role, agency: START_FORM.agency });
  await chat.say(megan, 'start');
  const formId = connector.posts(chat.conversation.id).at(-1)?.activityId ?? '';
  let rethinkId = '';
  perAction.push([
    'startRethink',
    await requestsOf(async () => {
      const strategy = await chat.press(megan, 'startRethink', { ...START_FORM, caseReference: 'PSCP-2026-0901' }, { replyToId: formId });
      rethinkId = String(executeActions(strategy.card).find((a) => a.verb === 'confirmStrategy')?.data.rethinkId);
    }),
  ]);
  expect(perAction.pop()?.[1]).toEqual(['GET people', 'POST rethinks']);
  await measure('confirmStrategy', () => chat.press(megan, 'confirmStrategy', { rethinkId, strategy: '2', strategyReason: '' }, { replyToId: formId }));

  // Everyone has been here before: their role is remembered, so joining writes only the Re-think.
  const remembered = { role: 'Teacher', agency: 'School', rememberedRole: 'Teacher', rememberedAgency: 'School' };
  await measure('join', () => chat.press(adele, 'join', { rethinkId, ...remembered }));
  await measure('join', () => chat.press(isaiah, 'join', { rethinkId, ...remembered }));
  await measure('refresh', () => chat.press(adele, 'refresh', { rethinkId }));
  for (let stage = 1; stage <= 5; stage++) {
    for (const p of [megan, adele, isaiah]) await measure('contribute', () => chat.press(p, 'contribute', { rethinkId, contribution: `${p.name} at stage ${stage}` }));
    if (stage === 2) await measure('contributeOnBehalf', () => chat.press(megan, 'contributeOnBehalf', { rethinkId, behalfName: 'Pat Jones', behalfRole: 'GP', behalfAgency: 'Surgery', behalfText: 'Pat’s view' }));
    if (stage < 5) await measure('advance', () => chat.press(megan, 'advance', { rethinkId, confirmed: true }));
  }
  await measure('handOver', () => chat.press(megan, 'handOver', { rethinkId, handOverTo: adele.id }));
  await measure('addAction', () => chat.press(isaiah, 'addAction', { rethinkId, actionDescription: 'Arrange a health review', actionOwner: isaiah.id, actionDue: `${AHEAD}-01-31` }));
  await measure('addAction', () => chat.press(adele, 'addAction', { rethinkId, actionDescription: 'Share the plan', actionOwner: adele.id, actionDue: `${AHEAD}-02-28` }));
  const { resource } = await rethinks.item(rethinkId, chat.conversation.id).read<Rethink>();
  const [first, second] = resource?.actions ?? [];
  await measure('editAction', () => chat.press(isaiah, 'editAction', { rethinkId, actionId: first?.id, editDescription: 'Arrange a health review within two weeks', editOwner: isaiah.id, editDue: `${AHEAD}-01-15` }));
  await measure('removeAction', () => chat.press(adele, 'removeAction', { rethinkId, chosenActionId: second?.id }));
  await measure('close', () => chat.press(adele, 'close', { rethinkId, outcome: 'resolved' }));

  const readOnly = new Set(['refresh']);
  // After its answer, closing posts the summary and records that it did (an outbox entry's settling): one more write.
  const afterwards: Record<string, string[]> = { close: ['PUT rethinks'] };
  for (const [label, requests] of perAction) {
    expect({ label, requests }).toEqual({ label, requests: [...(readOnly.has(label) ? ['GET rethinks'] : READ_AND_WRITE), ...(afterwards[label] ?? [])] });
  }
  expect(perAction.map(([label]) => label)).toEqual(expect.arrayContaining(['confirmStrategy', 'join', 'contribute', 'contributeOnBehalf', 'advance', 'handOver', 'addAction', 'editAction', 'removeAction', 'close']));
  // And the work was done: everyone's card shows the closed Re-think.
  const final = await rethinks.item(rethinkId, chat.conversation.id).read<Rethink>();
  expect(final.resource?.status).toBe('closed');
  expect(cardText(chat.sharedCard(final.resource?.cardActivityId ?? ''))).toContain('This Re-think is closed');
});

test('someone joining with a new role: the Re-think as above, and one more write to their own record', async () => {
  const chat = new Driver(app, connector, newGroupChat());
  const { rethinkId } = await chat.start(users.megan, { ...START_FORM, caseReference: 'PSCP-2026-0902' });
  // As this version writes a person's record: with its audit trail, which the patch adds to.
  await people.items.upsert({ id: users.adele.aadObjectId, aadObjectId: users.adele.aadObjectId, role: 'Teacher', agency: 'School', audit: [] });
  const requests = await requestsOf(() => chat.press(users.adele, 'join', { rethinkId, role: 'Head teacher', agency: 'School', rememberedRole: 'Teacher', rememberedAgency: 'School' }));
  expect(requests).toEqual([...READ_AND_WRITE, 'PATCH people']);
  const { resource } = await people.item(users.adele.aadObjectId, users.adele.aadObjectId).read<{ role: string }>();
  expect(resource?.role).toBe('Head teacher');
});

test('someone joining for the first time: their role is saved with one create, not a failed patch first', async () => {
  const chat = new Driver(app, connector, newGroupChat());
  const { rethinkId } = await chat.start(users.megan, { ...START_FORM, caseReference: 'PSCP-2026-0903' });
  const newcomer = { id: '29:1Newcomer', name: 'New Comer', aadObjectId: '6a1f2c3d-0000-4000-8000-00000000f00d' };
  const requests = await requestsOf(() => chat.press(newcomer, 'join', { rethinkId, role: 'School nurse', agency: 'Health', rememberedRole: '', rememberedAgency: '' }));
  expect(requests).toEqual([...READ_AND_WRITE, 'POST people']);
  const { resource } = await people.item(newcomer.aadObjectId, newcomer.aadObjectId).read<{ role: string; agency: string }>();
  expect(resource).toMatchObject({ role: 'School nurse', agency: 'Health' });
});

test('/healthz reads one small record, not the database’s metadata (which Cosmos DB throttles for the whole account)', async () => {
  const probes = await requestsOf(() => Promise.all(Array.from({ length: 3 }, () => fetch(`${app.url}/healthz`).then((r) => expect(r.status).toBe(200)))));
  expect(probes.length).toBeGreaterThanOrEqual(1);
  expect(new Set(probes)).toEqual(new Set(['GET settings']));
});
