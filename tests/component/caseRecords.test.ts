/**
 * Subject access and erasure for a case reference, by a partnership administrator, over HTTP with
 * Teams-shaped activities, checked in the store through the SDK.
 */
import { message, newGroupChat, users, type TestConversation, type TestUser } from '../helpers/activities';
import { Driver, START_FORM } from '../helpers/driver';
import { send, startApp, startTestBed, type App, type TestBed } from '../helpers/harness';
import { startProxy } from '../helpers/proxy';
import { installPersonally, personalChat } from '../helpers/journeys';
import { request } from '../fixtures/cards/requests';
import fixtures from '../fixtures/teams-activities.json';

const admin = users.isaiah;
const lead = users.megan;
const facilitator = users.adele;
const ERASED = 'PSCP-2026-2001';
const KEPT = 'PSCP-2026-2002';
const requestIds: Record<string, string> = { [ERASED]: 'request-to-erase', [KEPT]: 'request-to-keep' };

let bed: TestBed;
const say = async (conversation: TestConversation, user: TestUser, text: string, app: App = bed.app): Promise<string> => {
  const before = bed.connector.posts(conversation.id).length;
  await send(app, message(text, { user, conversation, serviceUrl: bed.connector.serviceUrl }));
  const reply = bed.connector.posts(conversation.id).slice(before).at(-1);
  return reply?.activity.text ?? '';
};
const query = async <T>(container: 'rethinks' | 'requests' | 'people', text: string, value: string): Promise<T[]> =>
  (await bed.db[container].items.query<T>({ query: text, parameters: [{ name: '@v', value }] }).fetchAll()).resources;
const rethinksOf = (caseReference: string) => query<{ id: string }>('rethinks', 'SELECT c.id FROM c WHERE c.caseReference = @v', caseReference);
const requestsOf = (caseReference: string) => query<{ id: string }>('requests', 'SELECT c.id FROM c WHERE c.caseReference = @v', caseReference);
type Note = { id: string; type: string; state: string; by: string; rethinkIds: string[]; requestIds: string[]; facilitatorIds: string[] };
const notes = async (type: 'erasure' | 'export'): Promise<Note[]> =>
  (await bed.db.rethinks.database.container('settings').items.query<Note>({ query: 'SELECT * FROM c WHERE c.type = @type', parameters: [{ name: '@type', value: type }] }).fetchAll()).resources;

beforeAll(async () => {
  bed = await startTestBed({ env: { ADMIN_IDS: admin.aadObjectId } });
  await installPersonally(bed.app, bed.connector, admin);
  // Two Re-thinks of the case to erase, in two chats, and one of another case.
  for (const caseReference of [ERASED, ERASED, KEPT]) await new Driver(bed.app, bed.connector, newGroupChat()).start(lead, { ...START_FORM, caseReference });
  const base = request('accepted');
  const by = { id: facilitator.id, name: facilitator.name, aadObjectId: facilitator.aadObjectId };
  for (const caseReference of [ERASED, KEPT]) await bed.db.requests.items.create(request('accepted', { id: requestIds[caseReference], caseReference, accepted: { by, at: new Date().toISOString() }, requestedIn: { ...base.requestedIn, serviceUrl: bed.connector.serviceUrl } }));
  await bed.db.people.items.upsert({ id: facilitator.aadObjectId, aadObjectId: facilitator.aadObjectId, facilitating: [ERASED, KEPT], updatedAt: new Date().toISOString(), ttl: 3600 });
});
afterAll(() => bed.stop());

test('only an administrator may erase; a name is refused; the first ask says what would go and erases nothing', async () => {
  const chat = personalChat(admin);
  expect(await say(personalChat(lead), lead, `erase case ${ERASED} confirm`)).toContain('Only the partnership’s administrators can export or erase');
  expect(await say(newGroupChat(), admin, `erase case ${ERASED} confirm`)).toContain('Please ask me in your personal chat');
  expect(await say(chat, admin, 'erase case Jane Smith')).toContain('looks like a person\'s name');
  expect(await say(chat, admin, 'erase case PSCP-2026-9999')).toBe('Re-think holds nothing for case PSCP-2026-9999.');
  const asked = await say(chat, admin, `erase case ${ERASED.toLowerCase()}`);
  expect(asked).toContain(`This permanently deletes everything Re-think holds for case ${ERASED}: 2 Re-thinks and 1 facilitator request`);
  expect(asked).toContain(`type **erase case ${ERASED} confirm**`);
  expect(await rethinksOf(ERASED)).toHaveLength(2);
  expect(await requestsOf(ERASED)).toHaveLength(1);
});

test('export: in the administrator’s personal chat, offered as a file; accepted, everything held for the case is uploaded', async () => {
  expect(await say(newGroupChat(), admin, `export case ${KEPT}`)).toContain('Please ask me in your personal chat');
  const chat = personalChat(admin);
  const before = bed.connector.posts(chat.id).length;
  await send(bed.app, message(`export case ${KEPT}`, { user: admin, conversation: chat, serviceUrl: bed.connector.serviceUrl }));
  const consent = bed.connector.posts(chat.id).slice(before).find((p) => JSON.stringify(p.activity).includes('file.consent'));
  const attachment = consent?.activity.attachments?.[0] as { name?: string; content: { acceptContext: Record<string, unknown>; sizeInBytes: number } } | undefined;
  expect(attachment?.name).toBe(`Re-think case ${KEPT}.json`);
  const invoke = (action: 'accept' | 'decline', token: string) => ({
    ...structuredClone(fixtures.fileConsentAccept),
    id: `export-${token}`,
    serviceUrl: bed.connector.serviceUrl,
    from: { ...admin },
    conversation: { ...fixtures.fileConsentAccept.conversation, id: chat.id },
    replyToId: consent?.activityId,
    value: { ...fixtures.fileConsentAccept.value, action, context: attachment?.content.acceptContext, uploadInfo: { ...fixtures.fileConsentAccept.value.uploadInfo, uploadUrl: bed.connector.uploadUrl(token) } },
  });
  await send(bed.app, invoke('decline', 'declined'));
  expect(bed.connector.posts(chat.id).at(-1)?.activity.text).toBe('No problem: nothing has been exported.');
  await send(bed.app, invoke('accept', 'accepted'));
  await bed.app.idle();
  const uploaded = bed.connector.uploads.filter((u) => u.token === 'accepted');
  expect(uploaded).toHaveLength(1);
  expect(bed.connector.uploads.filter((u) => u.token === 'declined')).toHaveLength(0);
  const exported = JSON.parse(uploaded[0]?.bytes.toString('utf8') ?? '{}') as { caseReference: string; rethinks: { caseReference: string; _etag?: string }[]; requests: { id: string }[]; facilitatorsWithThisCase: string[] };
  expect(exported.caseReference).toBe(KEPT);
  expect(exported.rethinks.map((r) => r.caseReference)).toEqual([KEPT]);
  expect(exported.rethinks[0]?._etag).toBeUndefined();
  expect(exported.requests.map((r) => r.id)).toEqual(['request-to-keep']);
  expect(exported.facilitatorsWithThisCase).toEqual([facilitator.aadObjectId]);
  // The disclosure is on record: who, which ids, not the case reference.
  const exports = await notes('export');
  expect(exports).toHaveLength(1);
  expect(exports[0]).toMatchObject({ by: admin.id, requestIds: ['request-to-keep'], facilitatorIds: [facilitator.aadObjectId] });
  expect(JSON.stringify(exports)).not.toContain(KEPT);
  expect(JSON.stringify(bed.connector.posts(chat.id).at(-1)?.activity)).toContain('file.info');
  // Someone who is not an administrator gets nothing, even holding the consent card's context.
  const forged = { ...invoke('accept', 'forged'), from: { ...lead } };
  await send(bed.app, forged);
  expect(bed.connector.uploads.filter((u) => u.token === 'forged')).toHaveLength(0);
});

test('confirmed: the case’s Re-thinks and requests are deleted, the facilitator’s list loses it, another case is untouched, and a note without the reference is kept', async () => {
  const reply = await say(personalChat(admin), admin, `erase case ${ERASED} confirm`);
  expect(reply).toContain(`Erased for case ${ERASED}: 2 Re-thinks and 1 facilitator request.`);
  expect(await rethinksOf(ERASED)).toEqual([]);
  expect(await requestsOf(ERASED)).toEqual([]);
  expect(await rethinksOf(KEPT)).toHaveLength(1);
  expect(await requestsOf(KEPT)).toHaveLength(1);
  const [person] = await query<{ facilitating: string[] }>('people', 'SELECT * FROM c WHERE c.aadObjectId = @v', facilitator.aadObjectId);
  expect(person?.facilitating).toEqual([KEPT]);
  const erasures = await notes('erasure');
  expect(erasures).toHaveLength(1);
  expect(erasures[0]).toMatchObject({ by: admin.id, state: 'done', requestIds: ['request-to-erase'], facilitatorIds: [facilitator.aadObjectId] });
  expect(erasures[0]?.rethinkIds).toHaveLength(2);
  expect(JSON.stringify(erasures)).not.toContain(ERASED);
  expect(await say(personalChat(admin), admin, `erase case ${ERASED}`)).toBe(`Re-think holds nothing for case ${ERASED}.`);
});

test('the store lost part-way through an erasure: the answer says what went and what is left, the note says it was started, and confirming again finishes it', async () => {
  const caseReference = 'PSCP-2026-2003';
  for (let i = 0; i < 2; i++) await new Driver(bed.app, bed.connector, newGroupChat()).start(lead, { ...START_FORM, caseReference });
  const base = request('submitted');
  await bed.db.requests.items.create(request('submitted', { id: 'request-half-erased', caseReference, requestedIn: { ...base.requestedIn, serviceUrl: bed.connector.serviceUrl } }));
  const proxy = await startProxy(bed.store.endpoint);
  const proxied = await startApp(proxy.endpoint, { env: { ADMIN_IDS: admin.aadObjectId } });
  try {
    // The first Re-think is deleted; the store is gone as the second delete is sent.
    proxy.cutAt('DELETE', 1);
    const stopped = await say(personalChat(admin), admin, `erase case ${caseReference} confirm`, proxied);
    expect(stopped).toContain(`Erasing case ${caseReference} stopped part-way, because Re-think couldn’t reach its store.`);
    expect(stopped).toContain('Deleted so far: 1 Re-think and 0 facilitator requests (of 2 Re-thinks and 1 facilitator request)');
    expect(stopped).toContain(`type **erase case ${caseReference} confirm** again`);
    expect(await rethinksOf(caseReference)).toHaveLength(1);
    expect(await requestsOf(caseReference)).toHaveLength(1);
    const started = (await notes('erasure')).filter((n) => n.requestIds.includes('request-half-erased'));
    expect(started.map((n) => n.state)).toEqual(['started']);
    await proxy.restore();
    expect(await say(personalChat(admin), admin, `erase case ${caseReference} confirm`, proxied)).toContain(`Erased for case ${caseReference}: 1 Re-think and 1 facilitator request.`);
    expect(await rethinksOf(caseReference)).toEqual([]);
    expect(await requestsOf(caseReference)).toEqual([]);
    const states = (await notes('erasure')).filter((n) => n.requestIds.includes('request-half-erased')).map((n) => n.state);
    expect(states.sort()).toEqual(['done', 'started']);
  } finally {
    await proxied.stop();
    await proxy.stop();
  }
}, 60_000);
