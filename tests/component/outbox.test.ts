/**
 * Delivery that never loses a request: the Bot Connector failing in each way Teams can, a restart
 * with deliveries pending, and the file consent flow for the request document.
 */
import JSZip from 'jszip';
import { newGroupChat, person, users, type TestConversation } from '../helpers/activities';
import { Driver, START_FORM } from '../helpers/driver';
import { request, servedBy } from '../fixtures/cards/requests';
import fixtures from '../fixtures/teams-activities.json';
import { startConnector, type Connector } from '../helpers/connector';
import { cardText, send, startApp, startStore, storeReader, type App } from '../helpers/harness';
import { startProxy } from '../helpers/proxy';
import { message } from '../helpers/activities';
import { ANSWERS, COMPLETE_FORM, fileConsentAnswer, installPersonally, openRequestForm, personalChat, rethinkToClose, submitForm } from '../helpers/journeys';
import type { EmbeddedCosmos } from '../../services/store/embedded';
import type { PersonRecord } from '../../services/store/people';

const admin = users.isaiah;
const requester = users.alex;
const facilitator = person(2);
const channel: TestConversation = { id: '19:0utb0x0channel0000000000000000@thread.tacv2', conversationType: 'channel', isGroup: true };
const DELIVERY = { pollMs: 100, leaseMs: 1_500, sendTimeoutMs: 400 };

let store: EmbeddedCosmos;
let connector: Connector;
let app: App;
const start = () => startApp(store.endpoint, { env: { ADMIN_IDS: admin.aadObjectId }, delivery: DELIVERY });
const poolPosts = () => connector.posts(channel.id).filter((p) => JSON.stringify(p.activity).includes('Independent facilitator request'));

beforeAll(async () => {
  store = await startStore();
  connector = await startConnector();
  app = await start();
  for (const user of [admin, requester, facilitator]) await installPersonally(app, connector, user);
  await send(app, message('set facilitator channel', { user: admin, conversation: channel, serviceUrl: connector.serviceUrl }));
  await send(app, message(`add facilitator ${facilitator.aadObjectId}`, { user: admin, conversation: personalChat(admin), serviceUrl: connector.serviceUrl }));
});
afterEach(() => {
  connector.fail(undefined);
  connector.hangNext(0);
  connector.throttleNext(0, 1);
  connector.failConversation(personalChat(facilitator).id, undefined);
});
afterAll(async () => {
  await app.stop();
  await connector.stop();
  await store.stop();
});

/** Submits a complete request from the requester's personal chat (breaking the connector just before); returns its id. */
async function submitRequest(caseReference: string, breakIt: () => void = () => undefined): Promise<string> {
  const form = await openRequestForm(app, connector, requester, caseReference);
  breakIt();
  const { requestId, answer } = await submitForm(app, connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A professionals meeting in May.' });
  expect(cardText(answer.card)).toContain('Your request has been sent');
  return requestId;
}

const personalChatAddress = () => ({ conversationId: personalChat(requester).id, serviceUrl: connector.serviceUrl, tenantId: 't', botId: '28:bot', conversationKind: 'personal' });

const postsFor = (requestId: string, c: ReturnType<typeof poolPosts>) => c.filter((p) => JSON.stringify(p.activity).includes(requestId));

/** Waits until every delivery of the request is sent and the app has nothing in flight. */
async function allDelivered(requestId: string, apps: App[] = [app]): Promise<void> {
  const reader = storeReader(store.endpoint);
  const deadline = Date.now() + 15_000;
  try {
    while ((await reader.request(requestId))?.outbox.some((d) => d.status !== 'sent')) {
      if (Date.now() > deadline) throw new Error(`Undelivered: ${JSON.stringify((await reader.request(requestId))?.outbox.filter((d) => d.status !== 'sent'))}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await reader.request(requestId))?.outboxDueAt).toBeUndefined();
  } finally {
    reader.dispose();
  }
  await Promise.all(apps.map((a) => a.idle()));
}

test.each([
  // Teams' wait (3 s) is longer than the dispatcher's own first back-off (1–2 s), so keeping to it shows.
  ['429 with Retry-After', 'PSCP-2026-1011', () => connector.throttleNext(3, 3)],
  ['500', 'PSCP-2026-1012', () => connector.fail(500)],
  ['a timeout before Teams takes the post', 'PSCP-2026-1013', () => connector.hangNext(2)],
])('the connector failing (%s): delivered once when it recovers, never twice', async (name, caseReference, breakIt) => {
  connector.reset();
  const requestId = await submitRequest(caseReference, breakIt);
  await new Promise((resolve) => setTimeout(resolve, 600));
  connector.fail(undefined);
  // Everything in the outbox (the pool's copies, the requester's, the document) is delivered, in time.
  await allDelivered(requestId);
  expect(postsFor(requestId, poolPosts())).toHaveLength(1);
  expect(postsFor(requestId, connector.posts(personalChat(facilitator).id))).toHaveLength(1);
  if (name.startsWith('429')) {
    // Teams' wait was kept: nothing more went to a throttled conversation until it was over.
    const throttled = connector.arrivals.filter((a) => a.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    for (const t of throttled) {
      const next = connector.arrivals.find((a) => a.conversationId === t.conversationId && a.at > t.at);
      expect((next?.at ?? Infinity) - t.at).toBeGreaterThanOrEqual(3_000 - 5);
    }
  }
}, 40_000);

test('Teams throttling for longer than the tries a failure is allowed: every message still goes, once, when it stops', async () => {
  connector.reset();
  // More 429s than the 20 tries a delivery has for failures, each asking for no wait (and fewer than
  // Teams' 60 posts a chat in 30 s, which would only make the test wait out the window).
  const requestId = await submitRequest('PSCP-2026-1016', () => connector.throttleNext(30, 0));
  await allDelivered(requestId);
  expect(connector.throttled).toBeGreaterThanOrEqual(30);
  // One delivery met more of them than its 20 tries.
  const throttledIn = new Map<string, number>();
  for (const a of connector.arrivals.filter((x) => x.status === 429)) throttledIn.set(a.conversationId, (throttledIn.get(a.conversationId) ?? 0) + 1);
  expect(Math.max(...throttledIn.values())).toBeGreaterThan(20);
  expect(postsFor(requestId, poolPosts())).toHaveLength(1);
  expect(postsFor(requestId, connector.posts(personalChat(facilitator).id))).toHaveLength(1);
});

test('Teams takes a post but its answer never comes: the message is sent again after the timeout (Teams has no idempotent post), and everything is delivered', async () => {
  connector.reset();
  const requestId = await submitRequest('PSCP-2026-1014', () => connector.takeThenHangNext(1));
  await allDelivered(requestId);
  // The one post taken without an answer shows twice; every other message once.
  const everywhere = [channel.id, personalChat(facilitator).id].map((id) => postsFor(requestId, id === channel.id ? poolPosts() : connector.posts(id)).length);
  expect(everywhere.sort()).toEqual([1, 2]);
}, 40_000);

test('403 (the app removed from a chat): marked failed for good, and the administrators are told', async () => {
  connector.reset();
  const requestId = await submitRequest('PSCP-2026-1002', () => connector.failConversation(personalChat(facilitator).id, 403));
  const notice = await connector.waitFor((c) => c.conversationId === personalChat(admin).id && (c.activity.text ?? '').includes('couldn’t deliver a message about the facilitator request for case PSCP-2026-1002'), 10_000);
  // Whose chat, and what to do about it; and once, however many of its messages failed there.
  expect(notice.activity.text).toBe(
    `Re-think couldn’t deliver a message about the facilitator request for case PSCP-2026-1002 to the personal chat with Re-think of the named facilitator ${facilitator.aadObjectId}. Teams refused it: usually Re-think has been removed there, or blocked. Please ask them to add Re-think again (in Teams: Apps, then Re-think, then Add).`,
  );
  const stored = await storeReader(store.endpoint).request(requestId);
  const failed = stored?.outbox.filter((d) => d.status === 'failed') ?? [];
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatchObject({ lastStatus: 403, to: { conversationId: personalChat(facilitator).id } });
  expect(postsFor(requestId, poolPosts())).toHaveLength(1);
  connector.failConversation(personalChat(facilitator).id, undefined);
}, 20_000);

test('a restart with deliveries pending: they are delivered after the restart, once', async () => {
  connector.reset();
  const requestId = await submitRequest('PSCP-2026-1003', () => connector.fail(503));
  await app.stop();
  const pending = await storeReader(store.endpoint).request(requestId);
  expect(pending?.outbox.some((d) => d.status === 'pending')).toBe(true);
  connector.fail(undefined);
  app = await start();
  await allDelivered(requestId);
  expect(postsFor(requestId, poolPosts())).toHaveLength(1);
  expect(postsFor(requestId, connector.posts(personalChat(facilitator).id))).toHaveLength(1);
}, 30_000);

test('a case erased while its request’s deliveries are pending: nothing more is sent, and the request is not written back', async () => {
  connector.reset();
  const [erased, kept] = ['PSCP-2026-1031', 'PSCP-2026-1032'];
  const failPool = () => {
    connector.failConversation(channel.id, 503);
    connector.failConversation(personalChat(facilitator).id, 503);
  };
  const erasedId = await submitRequest(erased, failPool);
  // Another case's request, pending in the same way: once it has been delivered, so would the erased one have been.
  const keptId = await submitRequest(kept);
  const reader = storeReader(store.endpoint);
  for (const id of [erasedId, keptId]) expect((await reader.request(id))?.outbox.some((d) => d.status === 'pending')).toBe(true);
  const erasedDue = Date.parse((await reader.request(erasedId))?.outboxDueAt ?? '');
  expect(erasedDue).toBeGreaterThan(0);
  for (const typed of [`erase case ${erased}`, `erase case ${erased} confirm`]) await send(app, message(typed, { user: admin, conversation: personalChat(admin), serviceUrl: connector.serviceUrl }));
  expect(connector.posts(personalChat(admin).id).at(-1)?.activity.text).toContain(`Erased for case ${erased}`);
  connector.failConversation(channel.id, undefined);
  connector.failConversation(personalChat(facilitator).id, undefined);
  await connector.waitFor((c) => c.conversationId === channel.id && JSON.stringify(c.activity).includes(keptId), 15_000);
  await connector.waitFor((c) => c.conversationId === personalChat(facilitator).id && JSON.stringify(c.activity).includes(keptId), 15_000);
  // And past the time the erased request's next try was due, with a few polls to spare.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, erasedDue - Date.now()) + 500));
  await app.idle();
  expect(postsFor(erasedId, poolPosts())).toHaveLength(0);
  expect(postsFor(erasedId, connector.posts(personalChat(facilitator).id))).toHaveLength(0);
  expect(await reader.request(erasedId)).toBeUndefined();
  expect(connector.posts(personalChat(admin).id).filter((p) => (p.activity.text ?? '').includes('couldn’t deliver'))).toHaveLength(0);
}, 40_000);

test('two instances on one store: each delivery is sent once', async () => {
  connector.reset();
  const second = await start();
  try {
    // Teams is down while they are submitted, so both instances' dispatchers find the same deliveries due when it is back.
    const forms = [await openRequestForm(app, connector, requester, 'PSCP-2026-1021'), await openRequestForm(app, connector, requester, 'PSCP-2026-1022')];
    connector.fail(503);
    const ids: string[] = [];
    for (const form of forms) ids.push((await submitForm(app, connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A professionals meeting in May.' })).requestId);
    await new Promise((resolve) => setTimeout(resolve, 500));
    connector.fail(undefined);
    for (const id of ids) await allDelivered(id, [app, second]);
    for (const id of ids) expect(postsFor(id, poolPosts())).toHaveLength(1);
    for (const id of ids) expect(postsFor(id, connector.posts(personalChat(facilitator).id))).toHaveLength(1);
  } finally {
    await second.stop();
  }
}, 30_000);

test('a request whose strategy 3 Re-think closed while its completion could not be saved is completed by the periodic check', async () => {
  const driver = new Driver(app, connector, newGroupChat());
  const reader = storeReader(store.endpoint);
  // The facilitator accepted this case's request (as an accept leaves their record), so the Re-think they start is the strategy 3 one.
  const { resource: person } = await reader.people.item(facilitator.aadObjectId, facilitator.aadObjectId).read<PersonRecord>();
  const record: PersonRecord = person ?? { id: facilitator.aadObjectId, aadObjectId: facilitator.aadObjectId, updatedAt: new Date().toISOString(), ttl: 86_400 };
  await reader.people.items.upsert({ ...record, facilitating: [...(record.facilitating ?? []), 'PSCP-2026-1031'] });
  const by = { id: facilitator.id, name: facilitator.name, aadObjectId: facilitator.aadObjectId };
  await reader.requests.items.create(servedBy(request('accepted', { id: 'left-behind', caseReference: 'PSCP-2026-1031', requesterChat: personalChatAddress(), accepted: { by, at: new Date(Date.now() - 3_600_000).toISOString() } }), connector.serviceUrl));
  const closed = await rethinkToClose(driver, facilitator, [requester], 3, { outcome: 'resolved' }, 'PSCP-2026-1031');
  // As the store would hold it had the completing write failed: scheduled, linked, its Re-think closed.
  const left = servedBy(
    request('scheduled', {
      id: 'left-behind',
      caseReference: 'PSCP-2026-1031',
      requesterChat: personalChatAddress(),
      accepted: { by, at: new Date(Date.now() - 3_600_000).toISOString() },
      rethink: { id: closed.rethinkId, conversationId: driver.conversation.id, linkedAt: new Date().toISOString() },
    }),
    connector.serviceUrl,
  );
  // Many more requests whose strategy 3 Re-thinks are still under way, made first: they must not crowd it out.
  for (let n = 0; n < 60; n++) {
    await reader.requests.items.create(servedBy(request('accepted', { id: `accepted-earlier-${n}`, caseReference: `PSCP-2026-${String(3000 + n)}`, rethink: { id: `open-rethink-${n}`, conversationId: driver.conversation.id, linkedAt: new Date().toISOString() } }), connector.serviceUrl));
  }
  await reader.requests.items.upsert(left);
  await app.housekeep();
  expect((await reader.request('left-behind'))?.status).toBe('completed');
  expect((await reader.request('accepted-earlier-0'))?.status).toBe('accepted');
  expect((await reader.request('left-behind'))?.audit.find((a) => a.what === 'completed')).toMatchObject({ by: 'reconciler' });
  await connector.waitFor((c) => c.conversationId === personalChat(requester).id && (c.activity.text ?? '').includes('PSCP-2026-1031 has been held and closed'));
}, 40_000);

/** The file consent card offering the request's document in the requester's personal chat. */
const consentFor = (requestId: string) =>
  connector.waitFor((c) => c.conversationId === personalChat(requester).id && JSON.stringify(c.activity).includes('file.consent') && JSON.stringify(c.activity).includes(requestId), 10_000);

test('file consent: accept uploads the document to the URL in the invoke and a file info card follows; decline uploads nothing', async () => {
  connector.reset();
  const requestId = await submitRequest('PSCP-2026-1004');
  const consent = await consentFor(requestId);
  expect((consent.activity.attachments?.[0] as { name?: string } | undefined)?.name).toBe('Re-think request PSCP-2026-1004.docx');

  const invoke = (action: 'accept' | 'decline', token: string) => fileConsentAnswer(connector, requester, consent, action, token, `fc-${token}`);

  // As if written under a shorter retention period since lengthened: an answer, a change, starts today's period again.
  await app.idle();
  const reader = storeReader(store.endpoint);
  const written = await reader.request(requestId);
  await reader.requests.items.upsert({ ...written, ttl: 100 });
  const declined = await send(app, invoke('decline', 'declined'));
  expect(declined.status).toBe(200);
  await app.idle();
  expect(connector.uploads.filter((u) => u.token === 'declined')).toHaveLength(0);
  expect((await reader.request(requestId))?.ttl).toBe(730 * 86_400);
  reader.dispose();

  const accepted = await send(app, invoke('accept', 'accepted'));
  expect(accepted.status).toBe(200);
  const upload = connector.uploads.find((u) => u.token === 'accepted');
  if (!upload) throw new Error(`Nothing was uploaded; the bot said: ${JSON.stringify(connector.posts(personalChat(requester).id).slice(-2).map((p) => p.activity.text ?? p.activity.attachments?.[0]?.contentType))}`);
  expect(upload.contentRange).toBe(`bytes 0-${upload.bytes.length - 1}/${upload.bytes.length}`);
  const info = await connector.waitFor((c) => c.conversationId === personalChat(requester).id && JSON.stringify(c.activity).includes('file.info'));
  expect(JSON.stringify(info.activity)).toContain(fixtures.fileConsentAccept.value.uploadInfo.uniqueId);

  // The document opens, and holds every field of the form.
  const zip = await JSZip.loadAsync(upload.bytes);
  const xml = (await zip.file('word/document.xml')?.async('string')) ?? '';
  const text = xml.replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&').replace(/&apos;/g, "'").replace(/\s+/g, ' ');
  for (const value of ['PSCP-2026-1004', COMPLETE_FORM.requesterContact, COMPLETE_FORM.lineManagerName, COMPLETE_FORM.leadProfessionalName, COMPLETE_FORM.availability, 'Targeted', 'Child in need', 'Soon: within two weeks', 'Virtual, in Teams', 'A professionals meeting in May.']) {
    expect(text).toContain(value);
  }
  // Each answer delivered again (Teams retries a slow invoke) is acted on once: afterwards, or while
  // the first is still uploading.
  const posted = connector.posts(personalChat(requester).id).length;
  await send(app, invoke('decline', 'declined'));
  await send(app, invoke('accept', 'accepted'));
  await app.idle();
  expect(connector.uploads.filter((u) => u.token === 'accepted')).toHaveLength(1);
  // The first delivery answered the person; a redelivery adds nothing to the chat.
  expect(connector.posts(personalChat(requester).id)).toHaveLength(posted);
  connector.slowUploads(500);
  try {
    const slow = invoke('accept', 'slow');
    await Promise.all([send(app, slow), new Promise((resolve) => setTimeout(resolve, 100)).then(() => send(app, slow))]);
  } finally {
    connector.slowUploads(0);
  }
  await app.idle();
  expect(connector.uploads.filter((u) => u.token === 'slow')).toHaveLength(1);
  const stored = await storeReader(store.endpoint).request(requestId);
  expect(stored?.audit.map((a) => a.what).filter((what) => what.startsWith('document'))).toEqual(['documentDeclined', 'documentAccepted', 'documentSent', 'documentAccepted', 'documentSent']);
}, 30_000);

test('file consent: an upload address outside UPLOAD_HOSTS is refused, nothing uploaded or recorded as accepted', async () => {
  const requestId = await submitRequest('PSCP-2026-1007');
  const consent = await consentFor(requestId);
  const accept = fileConsentAnswer(connector, requester, consent, 'accept', 'elsewhere', 'fc-elsewhere');
  const guarded = await startApp(store.endpoint, { env: { ADMIN_IDS: admin.aadObjectId, UPLOAD_HOSTS: 'sharepoint.com' }, delivery: DELIVERY });
  try {
    await send(guarded, accept);
    await guarded.idle();
    expect(connector.posts(personalChat(requester).id).at(-1)?.activity.text).toContain('nothing was saved: Teams gave a place to save it that Re-think doesn’t recognise as your OneDrive');
    expect(connector.uploads.filter((u) => u.token === 'elsewhere')).toHaveLength(0);
    expect((await storeReader(store.endpoint).request(requestId))?.audit.filter((a) => a.what.startsWith('document'))).toEqual([]);
  } finally {
    await guarded.stop();
  }
}, 30_000);

test('file consent: the store out of reach when the answer is claimed asks to try again, uploads nothing, and the same answer works once it is back', async () => {
  const requestId = await submitRequest('PSCP-2026-1006');
  const consent = await consentFor(requestId);
  const accept = fileConsentAnswer(connector, requester, consent, 'accept', 'store-away', 'fc-store-away');
  const proxy = await startProxy(store.endpoint);
  const proxied = await startApp(proxy.endpoint, { env: { ADMIN_IDS: admin.aadObjectId }, delivery: DELIVERY });
  try {
    // The claim is a replace of the request: it never reaches the store.
    proxy.cutAt(`PUT /dbs/rethink/colls/requests/docs/${requestId}`, 0);
    await send(proxied, accept);
    expect(connector.posts(personalChat(requester).id).at(-1)?.activity.text).toBe('Sorry, Re-think couldn’t reach its store just now, so the document wasn’t saved. Please try again in a moment.');
    expect(connector.uploads.filter((u) => u.token === 'store-away')).toHaveLength(0);
    await proxy.restore();
    await send(proxied, accept);
    await proxied.idle();
    expect(connector.uploads.filter((u) => u.token === 'store-away')).toHaveLength(1);
    expect((await storeReader(store.endpoint).request(requestId))?.audit.filter((a) => a.what === 'documentAccepted')).toHaveLength(1);
  } finally {
    await proxied.stop();
    await proxy.stop();
  }
}, 60_000);

test('a request its strategy 3 Re-think was never linked to (the link failed as it started) is still completed: as it closes, and by the periodic check', async () => {
  const reader = storeReader(store.endpoint);
  const by = { id: facilitator.id, name: facilitator.name, aadObjectId: facilitator.aadObjectId };
  const { resource: person } = await reader.people.item(facilitator.aadObjectId, facilitator.aadObjectId).read<PersonRecord>();
  const record: PersonRecord = person ?? { id: facilitator.aadObjectId, aadObjectId: facilitator.aadObjectId, updatedAt: new Date().toISOString(), ttl: 86_400 };
  await reader.people.items.upsert({ ...record, facilitating: [...(record.facilitating ?? []), 'PSCP-2026-1041', 'PSCP-2026-1042'] });
  const acceptedBefore = new Date(Date.now() - 3_600_000).toISOString();
  // As the store holds it when the link's write failed: accepted by the facilitator, linked to nothing.
  const unlinked = (id: string, caseReference: string, at: string) =>
    servedBy(request('accepted', { id, caseReference, requesterChat: personalChatAddress(), accepted: { by, at } }), connector.serviceUrl);

  // Closing: the request is linked and completed in one write.
  const driver = new Driver(app, connector, newGroupChat());
  await reader.requests.items.create(unlinked('never-linked-at-close', 'PSCP-2026-1041', acceptedBefore));
  const { rethinkId } = await driver.start(facilitator, { ...START_FORM, caseReference: 'PSCP-2026-1041', ...ANSWERS[3] }, '3');
  await reader.requests.items.upsert(unlinked('never-linked-at-close', 'PSCP-2026-1041', acceptedBefore));
  for (let stage = 1; stage <= 5; stage++) {
    await driver.press(facilitator, 'contribute', { rethinkId, contribution: `View at stage ${stage}`, stage: String(stage) });
    if (stage < 5) await driver.press(facilitator, 'advance', { rethinkId, confirmed: 'true', stage: String(stage) });
  }
  await driver.press(facilitator, 'close', { rethinkId, outcome: 'resolved' });
  expect(await reader.request('never-linked-at-close')).toMatchObject({ status: 'completed', rethink: { id: rethinkId } });

  // Closed while neither could be saved: the periodic check does both, and leaves alone a request the facilitator accepted only after that Re-think began.
  await reader.requests.items.create(unlinked('never-linked', 'PSCP-2026-1042', acceptedBefore));
  const closed = await rethinkToClose(new Driver(app, connector, newGroupChat()), facilitator, [requester], 3, { outcome: 'resolved' }, 'PSCP-2026-1042');
  await reader.requests.items.upsert(unlinked('never-linked', 'PSCP-2026-1042', acceptedBefore));
  await reader.requests.items.create(unlinked('accepted-after-it-began', 'PSCP-2026-1042', new Date(Date.now() + 60_000).toISOString()));
  await app.housekeep();
  expect(await reader.request('never-linked')).toMatchObject({ status: 'completed', rethink: { id: closed.rethinkId } });
  expect((await reader.request('never-linked'))?.audit.find((a) => a.what === 'completed')).toMatchObject({ by: 'reconciler' });
  expect(await reader.request('accepted-after-it-began')).toMatchObject({ status: 'accepted' });
  expect((await reader.request('accepted-after-it-began'))?.rethink).toBeUndefined();
}, 40_000);
