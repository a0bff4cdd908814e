/**
 * Subject access and erasure for a case reference, by a partnership administrator, over HTTP with
 * Teams-shaped activities, checked in the store through the SDK.
 */
import { execute, message, newGroupChat, person, users, type TestConversation, type TestUser } from '../helpers/activities';
import { caseClaimId, requestRepository } from '../../services/store/requests';
import { caseRecordsRepository } from '../../services/store/caseRecords';
import { peopleRepository } from '../../services/store/people';
import { Driver, START_FORM } from '../helpers/driver';
import { cardText, send, startApp, startTestBed, type App, type TestBed } from '../helpers/harness';
import { cardOf } from '../helpers/connector';
import { startProxy, type Proxy } from '../helpers/proxy';
import { buttonData, fileConsentAnswer, installPersonally, personalChat, rethinkToClose } from '../helpers/journeys';
import { request, servedBy } from '../fixtures/cards/requests';
import { MESSAGES } from '../../bot/handlers/types';
import { captureLog } from '../helpers/logs';

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
/** Shows the administrator what erasing the case deletes: only then does a confirmation erase it. */
const previewed = async (caseReference: string, app: App = bed.app): Promise<void> => {
  expect(await say(personalChat(admin), admin, `erase case ${caseReference}`, app)).toContain(`This permanently deletes everything Re-think holds for case ${caseReference}`);
};
const query = async <T>(container: 'rethinks' | 'requests' | 'people', text: string, value: string): Promise<T[]> =>
  (await bed.db[container].items.query<T>({ query: text, parameters: [{ name: '@v', value }] }).fetchAll()).resources;
const rethinksOf = (caseReference: string) => query<{ id: string }>('rethinks', 'SELECT c.id FROM c WHERE c.caseReference = @v', caseReference);
const requestsOf = (caseReference: string) => query<{ id: string }>('requests', 'SELECT c.id FROM c WHERE c.caseReference = @v', caseReference);
type Note = { id: string; type: string; state: string; by: string; rethinkIds: string[]; requestIds: string[]; facilitatorIds: string[]; removed?: { rethinks: number; requests: number } };
const notes = async (type: 'erasure' | 'export'): Promise<Note[]> =>
  (await bed.db.rethinks.database.container('settings').items.query<Note>({ query: 'SELECT * FROM c WHERE c.type = @type', parameters: [{ name: '@type', value: type }] }).fetchAll()).resources;

/** Asks for an export in the administrator's personal chat; `invoke` answers the consent card it posts. */
async function offerExport(caseReference: string, app: App = bed.app) {
  const chat = personalChat(admin);
  const before = bed.connector.posts(chat.id).length;
  await send(app, message(`export case ${caseReference}`, { user: admin, conversation: chat, serviceUrl: bed.connector.serviceUrl }));
  const consent = bed.connector.posts(chat.id).slice(before).find((p) => JSON.stringify(p.activity).includes('file.consent'));
  const name = (consent?.activity.attachments?.[0] as { name?: string } | undefined)?.name;
  const invoke = (action: 'accept' | 'decline', token: string) => fileConsentAnswer(bed.connector, admin, consent, action, token, `export-${token}`);
  return { name, invoke };
}

/** An administrator's app reaching the store through a proxy the test can cut; both stopped afterwards. */
async function throughProxy(run: (proxy: Proxy, app: App) => Promise<void>): Promise<void> {
  const proxy = await startProxy(bed.store.endpoint);
  const app = await startApp(proxy.endpoint, { env: { ADMIN_IDS: admin.aadObjectId } });
  try {
    await run(proxy, app);
  } finally {
    await app.stop();
    await proxy.stop();
  }
}

/** The repository itself, on the test's store. */
const caseRecords = () => caseRecordsRepository({ rethinks: bed.db.rethinks, requests: bed.db.requests, people: bed.db.people, settings: bed.db.rethinks.database.container('settings') }, 3600);

beforeAll(async () => {
  // Card order checks a second apart (not five), so erasures' second replacement of a card isn't waited for long.
  bed = await startTestBed({ env: { ADMIN_IDS: admin.aadObjectId }, cardTiming: { windowMs: 1_000, skewMs: 200 } });
  await installPersonally(bed.app, bed.connector, admin);
  // Two Re-thinks of the case to erase, in two chats, and one of another case.
  for (const caseReference of [ERASED, ERASED, KEPT]) await new Driver(bed.app, bed.connector, newGroupChat()).start(lead, { ...START_FORM, caseReference });
  const by = { id: facilitator.id, name: facilitator.name, aadObjectId: facilitator.aadObjectId };
  // The erased case's request document was saved to the facilitator's OneDrive.
  const saved = [{ at: new Date().toISOString(), by: facilitator.id, what: 'documentSent' as const }];
  for (const caseReference of [ERASED, KEPT]) await bed.db.requests.items.create(servedBy(request('accepted', { id: requestIds[caseReference], caseReference, accepted: { by, at: new Date().toISOString() }, ...(caseReference === ERASED ? { audit: saved } : {}) }), bed.connector.serviceUrl));
  await bed.db.people.items.upsert({ id: facilitator.aadObjectId, aadObjectId: facilitator.aadObjectId, facilitating: [ERASED, KEPT], updatedAt: new Date().toISOString(), ttl: 3600 });
});
afterAll(() => bed.stop());

test('only an administrator may erase; a name is refused; the first ask says what would go and erases nothing', async () => {
  const chat = personalChat(admin);
  expect(await say(personalChat(lead), lead, `erase case ${ERASED} confirm`)).toContain('Only the partnership’s administrators can export or erase');
  expect(await say(newGroupChat(), admin, `erase case ${ERASED} confirm`)).toContain('Please ask me in your personal chat');
  expect(await say(chat, admin, 'erase case Jane Smith')).toContain('it could be a name');
  expect(await say(chat, admin, 'erase case confirm')).toBe('Please enter the case reference, for example PSCP-2026-0042. Type it after **erase case**.');
  expect(await say(chat, admin, 'export case')).toBe('Please enter the case reference, for example PSCP-2026-0042. Type it after **export case**.');
  expect(await say(chat, admin, 'erase case PSCP-2026-9999')).toBe('Re-think holds nothing for case PSCP-2026-9999.');
  const asked = await say(chat, admin, `erase case ${ERASED.toLowerCase()}`);
  expect(asked).toContain(`This permanently deletes everything Re-think holds for case ${ERASED}: 2 Re-thinks and 1 facilitator request`);
  expect(asked).toContain(`type **erase case ${ERASED} confirm**`);
  // Copies out of Re-think's reach are named, to be asked about.
  expect(asked).toContain(`The request’s Word document was saved to OneDrive by ${facilitator.name}: Re-think can’t delete those copies, so please ask them to.`);
  expect(await rethinksOf(ERASED)).toHaveLength(2);
  expect(await requestsOf(ERASED)).toHaveLength(1);
});

test('export: an upload address outside UPLOAD_HOSTS is refused before anything is noted or sent', async () => {
  const guarded = await startApp(bed.store.endpoint, { env: { ADMIN_IDS: admin.aadObjectId, UPLOAD_HOSTS: 'sharepoint.com' } });
  try {
    const chat = personalChat(admin);
    const { invoke } = await offerExport(KEPT, guarded);
    const notesBefore = (await notes('export')).length;
    await send(guarded, invoke('accept', 'elsewhere'));
    await guarded.idle();
    expect(bed.connector.posts(chat.id).at(-1)?.activity.text).toContain('nothing was saved: Teams gave a place to save it that Re-think doesn’t recognise as your OneDrive');
    expect(bed.connector.uploads.filter((u) => u.token === 'elsewhere')).toHaveLength(0);
    expect(await notes('export')).toHaveLength(notesBefore);
  } finally {
    await guarded.stop();
  }
});

test('export: in the administrator’s personal chat, offered as a file; accepted, everything held for the case is uploaded', async () => {
  expect(await say(newGroupChat(), admin, `export case ${KEPT}`)).toContain('Please ask me in your personal chat');
  const chat = personalChat(admin);
  const { name, invoke } = await offerExport(KEPT);
  expect(name).toBe(`Re-think case ${KEPT}.json`);
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
  expect(exports[0]).toMatchObject({ by: admin.id, state: 'done', requestIds: ['request-to-keep'], facilitatorIds: [facilitator.aadObjectId] });
  expect(JSON.stringify(exports)).not.toContain(KEPT);
  expect(JSON.stringify(bed.connector.posts(chat.id).at(-1)?.activity)).toContain('file.info');
  // The same answer delivered again (Teams retries a slow invoke) exports and notes nothing more.
  const posted = bed.connector.posts(chat.id).length;
  await send(bed.app, invoke('accept', 'accepted'));
  expect(bed.connector.uploads.filter((u) => u.token === 'accepted')).toHaveLength(1);
  expect(await notes('export')).toHaveLength(1);
  expect(bed.connector.posts(chat.id)).toHaveLength(posted);
  // Someone who is not an administrator gets nothing, even holding the consent card's context.
  const forged = { ...invoke('accept', 'forged'), from: { ...lead } };
  await send(bed.app, forged);
  expect(bed.connector.uploads.filter((u) => u.token === 'forged')).toHaveLength(0);
  expect(await notes('export')).toHaveLength(1);
});

test('confirmed: the case’s Re-thinks and requests are deleted, the facilitator’s list loses it, another case is untouched, and a note without the reference is kept', async () => {
  // Which request is each case's open one is kept apart (see claimCase): the erased case's goes too.
  await requestRepository(bed.db.requests).claimCase(ERASED, 'request-to-erase', new Date());
  await requestRepository(bed.db.requests).claimCase(KEPT, 'request-to-keep', new Date());
  const claimOf = async (caseReference: string) => (await bed.db.requests.item(caseClaimId(caseReference), caseClaimId(caseReference)).read()).resource;
  expect(await claimOf(ERASED)).toMatchObject({ requestId: 'request-to-erase' });
  await previewed(ERASED);
  const reply = await say(personalChat(admin), admin, `erase case ${ERASED} confirm`);
  expect(await claimOf(ERASED)).toBeUndefined();
  expect(await claimOf(KEPT)).toMatchObject({ requestId: 'request-to-keep' });
  expect(reply).toContain(`Erased for case ${ERASED}: 2 Re-thinks and 1 facilitator request, and the case was taken off 1 facilitator’s list of accepted cases. A note`);
  expect(await rethinksOf(ERASED)).toEqual([]);
  expect(await requestsOf(ERASED)).toEqual([]);
  expect(await rethinksOf(KEPT)).toHaveLength(1);
  expect(await requestsOf(KEPT)).toHaveLength(1);
  const [person] = await query<{ facilitating: string[] }>('people', 'SELECT * FROM c WHERE c.aadObjectId = @v', facilitator.aadObjectId);
  expect(person?.facilitating).toEqual([KEPT]);
  const erasures = await notes('erasure');
  expect(erasures).toHaveLength(1);
  expect(erasures[0]).toMatchObject({ by: admin.id, state: 'done', requestIds: ['request-to-erase'], facilitatorIds: [facilitator.aadObjectId], documentHolders: [facilitator.id] });
  expect(reply).toContain(`The request’s Word document was saved to OneDrive by ${facilitator.name}`);
  expect(erasures[0]?.rethinkIds).toHaveLength(2);
  expect(JSON.stringify(erasures)).not.toContain(ERASED);
  expect(await say(personalChat(admin), admin, `erase case ${ERASED}`)).toBe(`Re-think holds nothing for case ${ERASED}.`);
});

test('the store lost part-way through an erasure: the answer says what went and what is left, the note says it was started, and confirming again finishes it', async () => {
  const caseReference = 'PSCP-2026-2003';
  for (let i = 0; i < 2; i++) await new Driver(bed.app, bed.connector, newGroupChat()).start(lead, { ...START_FORM, caseReference });
  await bed.db.requests.items.create(servedBy(request('submitted', { id: 'request-half-erased', caseReference }), bed.connector.serviceUrl));
  await throughProxy(async (proxy, proxied) => {
    await previewed(caseReference, proxied);
    // The first Re-think is deleted; the store is gone as the second delete is sent.
    proxy.cutAt('DELETE ', 1);
    const stopped = await say(personalChat(admin), admin, `erase case ${caseReference} confirm`, proxied);
    expect(stopped).toContain(`Erasing case ${caseReference} stopped part-way, because Re-think couldn’t reach its store.`);
    expect(stopped).toContain('Deleted so far: 1 Re-think and no facilitator requests (of 2 Re-thinks and 1 facilitator request)');
    expect(stopped).toContain(`type **erase case ${caseReference} confirm** again`);
    expect(await rethinksOf(caseReference)).toHaveLength(1);
    expect(await requestsOf(caseReference)).toHaveLength(1);
    // The store was gone, so the note could not be marked stopped either: a note left `started` was stopped by a store fault.
    const started = (await notes('erasure')).filter((n) => n.requestIds.includes('request-half-erased'));
    expect(started.map((n) => n.state)).toEqual(['started']);
    await proxy.restore();
    expect(await say(personalChat(admin), admin, `erase case ${caseReference} confirm`, proxied)).toContain(`Erased for case ${caseReference}: 1 Re-think and 1 facilitator request.`);
    expect(await rethinksOf(caseReference)).toEqual([]);
    expect(await requestsOf(caseReference)).toEqual([]);
    const states = (await notes('erasure')).filter((n) => n.requestIds.includes('request-half-erased')).map((n) => n.state);
    expect(states.sort()).toEqual(['done', 'started']);
  });
}, 60_000);

test('an export is noted before its upload: a failed upload is noted failed, and with the store gone before the note nothing is uploaded', async () => {
  const noted = async () => (await notes('export')).map((n) => n.state);
  const before = await noted();
  bed.connector.failUploads(500);
  try {
    const { invoke } = await offerExport(KEPT);
    await send(bed.app, invoke('accept', 'upload-fails'));
    expect(bed.connector.posts(personalChat(admin).id).at(-1)?.activity.text).toBe('Sorry, the export couldn’t be saved to your OneDrive just now. Please try again in a moment.');
  } finally {
    bed.connector.failUploads(undefined);
  }
  expect((await noted()).sort()).toEqual([...before, 'failed'].sort());

  await throughProxy(async (proxy, proxied) => {
    const { invoke } = await offerExport(KEPT, proxied);
    proxy.cutAt('POST /dbs/rethink/colls/settings/docs', 0);
    await send(proxied, invoke('accept', 'store-gone'));
    expect(bed.connector.uploads.filter((u) => u.token === 'store-gone')).toHaveLength(0);
    // The administrator is told, rather than left with no answer.
    expect(bed.connector.posts(personalChat(admin).id).at(-1)?.activity.text).toBe(MESSAGES.fileStoreUnavailable);
    expect((await noted()).sort()).toEqual([...before, 'failed'].sort());
  });
});

test('an export accepted after its case was erased exports nothing', async () => {
  const caseReference = 'PSCP-2026-2004';
  await new Driver(bed.app, bed.connector, newGroupChat()).start(lead, { ...START_FORM, caseReference });
  const { invoke } = await offerExport(caseReference);
  await previewed(caseReference);
  expect(await say(personalChat(admin), admin, `erase case ${caseReference} confirm`)).toContain(`Erased for case ${caseReference}: 1 Re-think and no facilitator requests.`);
  const exportsBefore = (await notes('export')).length;
  await send(bed.app, invoke('accept', 'after-erasure'));
  expect(bed.connector.posts(personalChat(admin).id).at(-1)?.activity.text).toBe(`Re-think holds nothing for case ${caseReference} now, so there is nothing to export.`);
  expect(bed.connector.uploads.filter((u) => u.token === 'after-erasure')).toHaveLength(0);
  expect(await notes('export')).toHaveLength(exportsBefore);
});

test('the store lost as an erasure’s note is finished: everything is erased, and the answer says the note still reads started', async () => {
  const caseReference = 'PSCP-2026-2005';
  await new Driver(bed.app, bed.connector, newGroupChat()).start(lead, { ...START_FORM, caseReference });
  const [rethink] = await rethinksOf(caseReference);
  await throughProxy(async (proxy, proxied) => {
    await previewed(caseReference, proxied);
    proxy.cutAt('PUT /dbs/rethink/colls/settings/docs/', 0);
    const reply = await say(personalChat(admin), admin, `erase case ${caseReference} confirm`, proxied);
    expect(reply).toContain(`Erased for case ${caseReference}: 1 Re-think and no facilitator requests.`);
    expect(reply).toMatch(/couldn’t be marked finished just now, so it reads “started”: its id is erasure-\S+\. Any export of this case saved to an administrator’s OneDrive \(\*\*export case\*\*\) is theirs to delete: Re-think can’t\.$/);
  });
  expect(await rethinksOf(caseReference)).toEqual([]);
  const note = (await notes('erasure')).find((n) => n.rethinkIds.includes(rethink?.id ?? ''));
  expect(note?.state).toBe('started');
});

test('a facilitator who put the case on their list after it was looked up is taken off too, and named in the note', async () => {
  const caseReference = 'PSCP-2026-2006';
  const repository = caseRecords();
  const people = peopleRepository(bed.db.people, 3600);
  const [early, late] = [person(71), person(72)];
  await people.updateFacilitating(early.aadObjectId, () => [caseReference, KEPT], new Date(), early.id);
  const holdings = await repository.find(caseReference);
  expect(holdings.facilitators).toEqual([early.aadObjectId]);
  // Accepted (and listed) between the lookup and the erasure.
  await people.updateFacilitating(late.aadObjectId, () => [caseReference], new Date(), late.id);
  const outcome = await repository.erase(holdings, { id: 'erasure-listed-late', by: admin.id, at: new Date().toISOString() }, (aad) => people.updateFacilitating(aad, (cases) => cases.filter((c) => c !== caseReference), new Date(), admin.id));
  expect(outcome).toMatchObject({ ok: true, noteFinished: true, note: { state: 'done' } });
  expect((await people.get(early.aadObjectId))?.facilitating).toEqual([KEPT]);
  expect((await people.get(late.aadObjectId))?.facilitating).toEqual([]);
  const [note] = (await notes('erasure')).filter((n) => n.id === 'erasure-listed-late');
  expect(note?.facilitatorIds.sort()).toEqual([early.aadObjectId, late.aadObjectId].sort());
});

test('an erasure meeting something other than a store fault is thrown as the bug it is, not reported as stopped', async () => {
  const caseReference = 'PSCP-2026-2008';
  const repository = caseRecords();
  await peopleRepository(bed.db.people, 3600).updateFacilitating(person(73).aadObjectId, () => [caseReference], new Date(), person(73).id);
  const holdings = await repository.find(caseReference);
  const failing = () => Promise.reject(new TypeError('a bug'));
  await expect(repository.erase(holdings, { id: 'erasure-with-a-bug', by: admin.id, at: new Date().toISOString() }, failing)).rejects.toThrow('a bug');
});

test('an erasure stopped by one failed request is noted stopped, with what it had deleted', async () => {
  const caseReference = 'PSCP-2026-2007';
  for (let i = 0; i < 2; i++) await new Driver(bed.app, bed.connector, newGroupChat()).start(lead, { ...START_FORM, caseReference });
  const ids = (await rethinksOf(caseReference)).map((r) => r.id);
  await throughProxy(async (proxy, proxied) => {
    await previewed(caseReference, proxied);
    proxy.dropAt('DELETE ', 1);
    expect(await say(personalChat(admin), admin, `erase case ${caseReference} confirm`, proxied)).toContain('Deleted so far: 1 Re-think and no facilitator requests (of 2 Re-thinks and no facilitator requests)');
  });
  const note = (await notes('erasure')).find((n) => n.rethinkIds.includes(ids[0] ?? ''));
  expect(note).toMatchObject({ state: 'stopped', removed: { rethinks: 1, requests: 0 } });
  expect(await rethinksOf(caseReference)).toHaveLength(1);
});

test('the store lost while taking the case off facilitators’ lists: the answer says the records are gone and the lists are what is left', async () => {
  const caseReference = 'PSCP-2026-2009';
  await new Driver(bed.app, bed.connector, newGroupChat()).start(lead, { ...START_FORM, caseReference });
  const listed = person(74);
  await peopleRepository(bed.db.people, 3600).updateFacilitating(listed.aadObjectId, () => [caseReference], new Date(), listed.id);
  await throughProxy(async (proxy, proxied) => {
    await previewed(caseReference, proxied);
    proxy.cutAt('PUT /dbs/rethink/colls/people/', 0);
    const reply = await say(personalChat(admin), admin, `erase case ${caseReference} confirm`, proxied);
    expect(reply).toContain('The Re-thinks and requests are all deleted; what is left is taking the case off facilitators’ lists.');
    expect(await rethinksOf(caseReference)).toEqual([]);
    await proxy.restore();
    expect(await say(personalChat(admin), admin, `erase case ${caseReference}`, proxied)).toContain(`no Re-thinks and no facilitator requests, and the case is on 1 facilitator’s list of accepted cases`);
    expect(await say(personalChat(admin), admin, `erase case ${caseReference} confirm`, proxied)).toContain(`Erased for case ${caseReference}: no Re-thinks and no facilitator requests, and the case was taken off 1 facilitator’s list of accepted cases.`);
  });
  const [record] = await query<{ facilitating: string[] }>('people', 'SELECT * FROM c WHERE c.aadObjectId = @v', listed.aadObjectId);
  expect(record?.facilitating).toEqual([]);
}, 60_000);

test('a case recorded under an earlier reference pattern can still be exported and erased', async () => {
  const older = 'ABC-2019-77';
  const chat = personalChat(admin);
  // As the record was written then: the pattern at the time let this shape through.
  const group = newGroupChat();
  const { rethinkId } = await new Driver(bed.app, bed.connector, group).start(lead, { ...START_FORM, caseReference: 'PSCP-2026-2099' });
  const doc = await bed.db.rethink(group.id, rethinkId);
  if (!doc) throw new Error('not stored');
  await bed.db.rethinks.item(rethinkId, group.id).replace({ ...doc, caseReference: older });
  const { invoke } = await offerExport(older.toLowerCase());
  await send(bed.app, invoke('accept', 'older-pattern'));
  await bed.app.idle();
  const uploaded = bed.connector.uploads.find((u) => u.token === 'older-pattern');
  expect((JSON.parse(uploaded?.bytes.toString('utf8') ?? '{}') as { rethinks?: { caseReference: string }[] }).rethinks?.map((r) => r.caseReference)).toEqual([older]);
  expect(await say(chat, admin, `erase case ${older.toLowerCase()}`)).toContain(`This permanently deletes everything Re-think holds for case ${older}`);
  await say(chat, admin, `erase case ${older} confirm`);
  expect(await rethinksOf(older)).toEqual([]);
});

test('a confirmation erases only the case this administrator was just shown: typed first, or for another reference, it shows that case instead', async () => {
  const [shown, slipped] = ['PSCP-2026-2010', 'PSCP-2026-2011'];
  for (const caseReference of [shown, slipped]) await new Driver(bed.app, bed.connector, newGroupChat()).start(lead, { ...START_FORM, caseReference });
  const chat = personalChat(admin);
  const first = await say(chat, admin, `erase case ${shown} confirm`);
  expect(first).toMatch(new RegExp(`^Before anything is erased, please check this is the case you mean\\. This permanently deletes everything Re-think holds for case ${shown}: 1 Re-think`));
  expect(await rethinksOf(shown)).toHaveLength(1);
  // Shown now: a slip of two digits names another case, which is shown rather than erased.
  expect(await say(chat, admin, `erase case ${slipped} confirm`)).toContain(`please check this is the case you mean. This permanently deletes everything Re-think holds for case ${slipped}`);
  expect(await rethinksOf(slipped)).toHaveLength(1);
  // Another administrator's preview is theirs alone.
  const other = users.alex;
  const twoAdmins = await startApp(bed.store.endpoint, { env: { ADMIN_IDS: `${admin.aadObjectId},${other.aadObjectId}` } });
  try {
    const reply = await say(personalChat(other), other, `erase case ${slipped} confirm`, twoAdmins);
    expect(reply).toContain('please check this is the case you mean');
  } finally {
    await twoAdmins.stop();
  }
  expect(await rethinksOf(slipped)).toHaveLength(1);
  // Confirmed as typed in a sentence, with a comma and a full stop.
  expect(await say(chat, admin, `erase case ${slipped}, confirm.`)).toContain(`Erased for case ${slipped}: 1 Re-think`);
  expect(await rethinksOf(slipped)).toEqual([]);
  expect(await rethinksOf(shown)).toHaveLength(1);
  // The preview is kept as a hash, never the case reference.
  const previews = (await bed.db.rethinks.database.container('settings').items.query<Record<string, unknown>>('SELECT * FROM c WHERE c.type = "erasurePreview"').fetchAll()).resources;
  expect(previews.length).toBeGreaterThan(0);
  expect(JSON.stringify(previews)).not.toMatch(/PSCP-2026-201/);
});

test('a reference typed in a sentence or from a letter is found: a full stop, quotes, spaces for dashes; one outside the pattern that finds nothing says to check it', async () => {
  const chat = personalChat(admin);
  for (const typed of [`${KEPT}.`, `"${KEPT}"`, KEPT.replace(/-/g, ' ')]) {
    expect(await say(chat, admin, `erase case ${typed}`)).toContain(`This permanently deletes everything Re-think holds for case ${KEPT}: 1 Re-think`);
  }
  const { name } = await offerExport(`‘${KEPT}’.`);
  expect(name).toContain(KEPT);
  expect(await say(chat, admin, 'export case PSCP-2026-20O2')).toBe('Re-think holds nothing for case PSCP-2026-20O2. That isn’t in the partnership’s current pattern (for example PSCP-2026-0042), so please check what was typed.');
  expect(await rethinksOf(KEPT)).toHaveLength(1);
});

test('administrators find their commands: help and an unrecognised message list them; commands typed as a sentence are understood; a refused one is logged with who and which, never what followed', async () => {
  const { lines, logger } = captureLog();
  const logged = await startApp(bed.store.endpoint, { env: { ADMIN_IDS: admin.aadObjectId }, logger: logger('info') });
  try {
    const chat = personalChat(admin);
    const sayIn = (user: TestUser, text: string) => say(personalChat(user), user, text, logged);
    const helpFor = async (user: TestUser) => {
      const before = bed.connector.posts(personalChat(user).id).length;
      await sayIn(user, 'help');
      return bed.connector.posts(personalChat(user).id).slice(before).map((p) => p.activity.text ?? 'card');
    };
    expect(await helpFor(admin)).toEqual([expect.stringMatching(/^As an administrator, you can also type \*\*facilitators\*\*/), 'card']);
    expect(await helpFor(lead)).toEqual(['card']);
    // In a shared chat, not for everyone there to read.
    const group = newGroupChat();
    await say(group, admin, 'help', logged);
    expect(bed.connector.posts(group.id).map((p) => p.activity.text ?? 'card')).toEqual(['card']);
    expect(await sayIn(admin, 'what now')).toMatch(/^Sorry, I didn’t catch that\..* As an administrator, you can also type/);
    expect(await sayIn(lead, 'what now')).not.toContain('As an administrator');
    for (const typed of ['Facilitators?', 'list facilitators', 'show facilitators.']) expect(await say(chat, admin, typed, logged)).toMatch(/facilitator channel|Named facilitators|No named facilitators/);
    expect(await sayIn(lead, 'facilitators')).toBe('Only the partnership’s administrators can see or change the facilitator pool. If something there needs changing, please ask one of them.');
    expect(await sayIn(lead, `erase case ${KEPT} confirm`)).toContain('Only the partnership’s administrators can export or erase');
    const refused = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'administrator command refused');
    expect(refused.map((l) => [l.verb, l.aadObjectId])).toEqual([
      ['facilitators', lead.aadObjectId],
      ['erase case', lead.aadObjectId],
    ]);
    expect(lines.join('')).not.toContain(KEPT);
  } finally {
    await logged.stop();
  }
  expect(await rethinksOf(KEPT)).toHaveLength(1);
});

test('erasing a case still in progress: the preview says what is going on, and the cards Re-think posted about it are replaced by a line saying it was erased', async () => {
  const caseReference = 'PSCP-2026-2012';
  const group = newGroupChat();
  const { rethinkId } = await new Driver(bed.app, bed.connector, group).start(lead, { ...START_FORM, caseReference });
  const first = (await bed.db.rethink(group.id, rethinkId))?.cardActivityId;
  // Posted again (status): the earlier copy is replaced too, not only the one kept up to date.
  await send(bed.app, message('status', { user: lead, conversation: group, serviceUrl: bed.connector.serviceUrl }));
  await bed.app.idle();
  const rethink = await bed.db.rethink(group.id, rethinkId);
  expect(rethink?.cardActivityId).toBeDefined();
  expect(rethink?.cardActivityId).not.toBe(first);
  const channel = { conversationId: '19:erased-pool@thread.tacv2', serviceUrl: bed.connector.serviceUrl, tenantId: 't', botId: 'b', conversationKind: 'channel' };
  const accepted = request('scheduled', { id: 'request-live', caseReference, accepted: { by: { id: facilitator.id, name: facilitator.name, aadObjectId: facilitator.aadObjectId }, at: new Date().toISOString() }, cards: [{ to: channel, activityId: 'pool-copy-1', audience: 'pool' }] });
  await bed.db.requests.items.create(servedBy(accepted, bed.connector.serviceUrl));

  const preview = await say(personalChat(admin), admin, `erase case ${caseReference}`);
  expect(preview).toContain(`The case is still active: 1 Re-think is still in progress and a request was accepted by ${facilitator.name}, with a meeting on `);
  expect(preview).toContain('The Re-think and request cards Re-think posted about it are replaced by a line saying the record has been erased; its other messages in Teams chats (reminders, lists, notices) stay.');
  expect(await say(personalChat(admin), admin, `erase case ${caseReference} confirm`)).toContain(`Erased for case ${caseReference}: 1 Re-think and 1 facilitator request.`);
  await bed.app.idle();
  const replacedWith = (conversationId: string, activityId: string) => bed.connector.updates(conversationId).filter((u) => u.activityId === activityId).at(-1)?.activity.text;
  for (const activityId of [first, rethink?.cardActivityId]) expect(replacedWith(group.id, activityId ?? '')).toBe(MESSAGES.erasedRethink);
  expect(replacedWith(channel.conversationId, 'pool-copy-1')).toBe(MESSAGES.erasedRequest);
});

test('erasing a case whose Re-thinks never began: the strategy card waiting for its choice, and the start form a cancelled one became again, are replaced too', async () => {
  const caseReference = 'PSCP-2026-2014';
  const group = newGroupChat();
  const driver = new Driver(bed.app, bed.connector, group);
  const waitingCard = await driver.startForm(lead);
  await driver.propose(lead, waitingCard, { ...START_FORM, caseReference });
  const cancelledCard = await driver.startForm(lead);
  const cancelled = await driver.propose(lead, cancelledCard, { ...START_FORM, caseReference, summary: 'A summary of the concern that was cancelled.' });
  await driver.press(lead, 'cancelRethink', { rethinkId: cancelled }, { replyToId: cancelledCard });
  expect(await say(personalChat(admin), admin, `erase case ${caseReference}`)).toContain('2 Re-thinks and no facilitator requests');
  expect(await say(personalChat(admin), admin, `erase case ${caseReference} confirm`)).toContain(`Erased for case ${caseReference}`);
  await bed.app.idle();
  const replacedWith = (activityId: string) => bed.connector.updates(group.id).filter((u) => u.activityId === activityId).at(-1)?.activity.text;
  expect([replacedWith(waitingCard), replacedWith(cancelledCard)]).toEqual([MESSAGES.erasedRethink, MESSAGES.erasedRethink]);
  expect(await bed.db.rethinksIn(group.id)).toEqual([]);
});

test('erasing a case replaces a start form for strategy 2 posted from its summary and never used (it shows the concern)', async () => {
  const caseReference = 'PSCP-2026-2017';
  const group = newGroupChat();
  const driver = new Driver(bed.app, bed.connector, group);
  const closed = await rethinkToClose(driver, lead, [users.adele], 1, { outcome: 'notResolved', nextStep: 'nextStrategy' }, caseReference);
  const before = bed.connector.posts(group.id).length;
  await driver.press(lead, 'startNextStrategy', buttonData(cardOf(closed.summary), 'startNextStrategy'));
  await bed.app.idle();
  const form = bed.connector.posts(group.id)[before];
  if (!form) throw new Error('No start form was posted');
  expect((await bed.db.rethink(group.id, closed.rethinkId))?.formsPosted).toEqual([{ activityId: form.activityId, conversationId: group.id }]);
  expect(await say(personalChat(admin), admin, `erase case ${caseReference}`)).toContain('1 Re-think');
  expect(await say(personalChat(admin), admin, `erase case ${caseReference} confirm`)).toContain(`Erased for case ${caseReference}`);
  await bed.app.idle();
  expect(bed.connector.updates(group.id).filter((u) => u.activityId === form.activityId).at(-1)?.activity.text).toBe(MESSAGES.erasedRethink);
});

test('erasing a case whose cancelled start form was then used for another case leaves that card alone: it is the other case’s now', async () => {
  const group = newGroupChat();
  const driver = new Driver(bed.app, bed.connector, group);
  const card = await driver.startForm(lead);
  const cancelled = await driver.propose(lead, card, { ...START_FORM, caseReference: 'PSCP-2026-2015' });
  await driver.press(lead, 'cancelRethink', { rethinkId: cancelled }, { replyToId: card });
  // The same form, filled in again for another case.
  const other = await driver.propose(lead, card, { ...START_FORM, caseReference: 'PSCP-2026-2016' });
  expect(other).not.toBe(cancelled);
  expect(await say(personalChat(admin), admin, 'erase case PSCP-2026-2015')).toContain('1 Re-think and no facilitator requests');
  expect(await say(personalChat(admin), admin, 'erase case PSCP-2026-2015 confirm')).toContain('Erased for case PSCP-2026-2015');
  await bed.app.idle();
  expect(bed.connector.updates(group.id).filter((u) => u.activityId === card && u.activity.text === MESSAGES.erasedRethink)).toEqual([]);
  expect((await bed.db.rethinksIn(group.id)).map((r) => r.caseReference)).toEqual(['PSCP-2026-2016']);
});

test('a summary still on its way as its case is erased (Teams slow) is replaced once it lands, as no erasure could know of it', async () => {
  const caseReference = 'PSCP-2026-2013';
  const group = newGroupChat();
  const driver = new Driver(bed.app, bed.connector, group);
  const { rethinkId } = await driver.start(lead, { ...START_FORM, caseReference });
  for (let stage = 1; stage < 5; stage++) await driver.press(lead, 'advance', { rethinkId, confirmed: true, stage });
  // The erasure on another instance, as the administrator's chat may be served by any.
  const other = await startApp(bed.store.endpoint, { env: { ADMIN_IDS: admin.aadObjectId }, cardTiming: { windowMs: 1_000, skewMs: 200 } });
  try {
    await previewed(caseReference, other);
    const held = bed.connector.holdNextPost();
    // Sent as Teams would, without waiting for what follows the answer (the summary, held).
    await send(bed.app, execute('close', { rethinkId, outcome: 'notResolved', nextStep: 'escalation' }, { user: lead, conversation: group, serviceUrl: bed.connector.serviceUrl }));
    await held.arrived;
    expect(await say(personalChat(admin), admin, `erase case ${caseReference} confirm`, other)).toContain(`Erased for case ${caseReference}: 1 Re-think`);
    held.release();
    await Promise.all([bed.app.idle(), other.idle()]);
  } finally {
    await other.stop();
  }
  const summaries = bed.connector.posts(group.id).filter((p) => JSON.stringify(p.activity.attachments ?? []).includes('Re-think summary'));
  expect(summaries).toHaveLength(1);
  const last = bed.connector.updates(group.id).filter((u) => u.activityId === summaries[0]?.activityId).at(-1);
  expect(last?.activity.text).toBe(MESSAGES.erasedRethink);
});

test.each([
  ['lands within its window (the erasing instance replaces the card again once it must have landed)', false],
  ['lands after its window (its own instance reads the record, finds it gone, and says so)', true],
])('an update of everyone’s card still on its way from another instance as the case is erased %s: the card ends up saying the record was erased', async (_when, late) => {
  const caseReference = late ? 'PSCP-2026-2015' : 'PSCP-2026-2014';
  const cardTiming = { windowMs: 1_000, skewMs: 200 };
  const [one, two] = await Promise.all([startApp(bed.store.endpoint, { cardTiming }), startApp(bed.store.endpoint, { cardTiming, env: { ADMIN_IDS: admin.aadObjectId } })]);
  try {
    const group = newGroupChat();
    const driver = new Driver(one, bed.connector, group);
    const { rethinkId, cardId } = await driver.start(lead, { ...START_FORM, caseReference });
    await previewed(caseReference, two);
    // A contribution saved on one instance, its update of everyone's card held up on the way (Teams slow)...
    const held = bed.connector.holdNextUpdate();
    await send(one, execute('contribute', { rethinkId, contribution: 'What the school has seen', stage: '1' }, { user: lead, conversation: group, serviceUrl: bed.connector.serviceUrl }));
    await held.arrived;
    // ...while the case is erased on the other, and only then lands.
    expect(await say(personalChat(admin), admin, `erase case ${caseReference} confirm`, two)).toContain(`Erased for case ${caseReference}: 1 Re-think`);
    const erasedShown = () => bed.connector.updates(group.id).some((u) => u.activityId === cardId && u.activity.text === MESSAGES.erasedRethink);
    for (const until = Date.now() + 5_000; !erasedShown(); ) {
      if (Date.now() > until) throw new Error('The erasure never replaced the card');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Landing after the erasure's replacement: at once, or after its own window (and the erasure's second replacement) has passed.
    if (late) await two.idle();
    held.release();
    await Promise.all([one.idle(), two.idle()]);
    const updates = bed.connector.updates(group.id).filter((u) => u.activityId === cardId);
    const last = updates.at(-1);
    expect(last && (last.activity.text ?? cardText(cardOf(last)))).toContain(MESSAGES.erasedRethink);
    // The held update did land, with the record in it, before that.
    expect(updates.some((u) => !u.activity.text && cardText(cardOf(u)).includes('What the school has seen'))).toBe(true);
  } finally {
    await Promise.all([one.stop(), two.stop()]);
  }
});
