/**
 * The side panel's API with Teams SSO: tokens minted here with a local signing key that the test
 * trusts in place of Microsoft Entra's. Every refusal leaves the Re-think unchanged.
 */
import { errors as joseErrors, generateKeyPair } from 'jose';
import { captureLog } from '../helpers/logs';
import { installed, newGroupChat, newMeetingChat, person, TENANT, users, type TestConversation, type TestUser } from '../helpers/activities';
import { cardOf } from '../helpers/connector';
import { Driver, START_FORM } from '../helpers/driver';
import { cardText, send, startApp, startTestBed, type App, type TestBed } from '../helpers/harness';
import type { PanelAuth } from '../../bot/panel/auth';
import { startProxy } from '../helpers/proxy';
import { AUDIENCE, teamsSso, type TeamsSso } from '../helpers/teamsSso';

const OTHER_TENANT = '11111111-0000-4000-8000-00000000abcd';
const organiser = users.alex;
const attendee = users.megan;
const outsider = users.isaiah;

let bed: TestBed;
let chat: TestConversation;
let rethinkId: string;
let cardId: string;
let panelAuthForTests: PanelAuth;

let mint: TeamsSso['mint'];

async function api(path: string, options: { token?: string; method?: string; body?: object; etag?: string; app?: App } = {}) {
  const response = await fetch(`${(options.app ?? bed.app).url}${path}`, {
    method: options.method ?? 'GET',
    headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...(options.body ? { 'content-type': 'application/json' } : {}), ...(options.etag ? { 'if-none-match': options.etag } : {}) },
    ...(options.body ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, etag: response.headers.get('etag') ?? '', body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

beforeAll(async () => {
  const sso = await teamsSso();
  mint = sso.mint;
  panelAuthForTests = sso.panelAuth;
  bed = await startTestBed({ panelAuth: panelAuthForTests });
  chat = newMeetingChat();
  await send(bed.app, installed({ user: organiser, conversation: chat, serviceUrl: bed.connector.serviceUrl }));
  bed.connector.setMeetingRole(organiser.aadObjectId, 'Organizer', organiser.id);
  bed.connector.setMeetingRole(attendee.aadObjectId, 'Attendee', attendee.id);
  const driver = new Driver(bed.app, bed.connector, chat);
  ({ rethinkId, cardId } = await driver.start(organiser, START_FORM));
});
afterAll(() => bed.stop());

const path = (id = rethinkId) => `/api/panel/rethinks/${id}?chatId=${encodeURIComponent(chat.id)}`;
const stored = async () => (await bed.db.rethink(chat.id, rethinkId)) as { _etag?: string } | undefined;

test('a chat tab outside a meeting: those who joined the Re-think and are still in the chat', async () => {
  const group = newGroupChat();
  const driver = new Driver(bed.app, bed.connector, group);
  const started = await driver.start(organiser, START_FORM);
  await driver.press(attendee, 'join', { rethinkId: started.rethinkId, role: 'Teacher', agency: 'School' });
  const url = `/api/panel/rethinks/${started.rethinkId}?chatId=${encodeURIComponent(group.id)}`;
  const asked = bed.connector.memberLookups.length;
  const first = await api(url, { token: await mint(attendee) });
  expect(first.status).toBe(200);
  // Polls within half a minute are answered on the pass in the ETag, without asking Teams again.
  expect((await api(url, { token: await mint(attendee), etag: first.etag })).status).toBe(304);
  expect(bed.connector.memberLookups.length).toBe(asked + 1);
  expect((await api(url, { token: await mint(outsider) })).status).toBe(403);
  bed.connector.removeFromChat(group.id, attendee.aadObjectId);
  const removed = await api(url, { token: await mint(attendee) });
  expect(removed.status).toBe(403);
  expect(removed.body.message).toBe('You are no longer in this chat.');
  // Teams refusing the app the question (403: Re-think removed from the chat, say) is not the person leaving it.
  bed.connector.failConversation(group.id, 403);
  try {
    const refused = await api(url, { token: await mint(organiser) });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('Teams didn’t let Re-think check who is in this chat');
  } finally {
    bed.connector.failConversation(group.id, undefined);
  }
});

test('Teams unable to say who is in the meeting: 503, not a refusal; Teams refusing the app the question (403: a permission not granted) is said, and pointed to the card', async () => {
  const said: Record<number, [number, unknown]> = {};
  for (const status of [500, 403]) {
    bed.connector.fail(status);
    try {
      const answer = await api(path(), { token: await mint(organiser) });
      said[status] = [answer.status, answer.body.message];
    } finally {
      bed.connector.fail(undefined);
    }
  }
  expect(said).toEqual({
    500: [503, 'Teams couldn’t confirm who is in the meeting just now. The panel will try again in a moment.'],
    403: [403, 'Teams didn’t let Re-think check who is in this meeting, so the side panel can’t show it. Please use the Re-think card in the meeting chat, and let your Teams administrator know.'],
  });
});

/**
 * Teams is asked who someone is at most once in PASS_SECONDS (30 s) per person: the pass rides in
 * the ETag each poll sends back. An instance on a clock the test moves, beside the test bed's.
 */
describe('membership passes', () => {
  let clocked: App;
  let now = Date.now();
  beforeAll(async () => {
    clocked = await startApp(bed.store.endpoint, { panelAuth: panelAuthForTests, clock: () => new Date(now) });
  });
  afterAll(() => clocked.stop());
  /** Role lookups so far: the panel's, and any a card press in the meeting made. */
  const lookups = (who: TestUser = attendee) => bed.connector.roleLookups.filter((aad) => aad === who.aadObjectId).length;

  test('polls within half a minute ask Teams nothing more, on any instance; a change still shows at once', async () => {
    now = Date.now();
    const token = await mint(attendee);
    const before = lookups();
    const first = await api(path(), { token, app: clocked });
    expect(first.status).toBe(200);
    expect(lookups()).toBe(before + 1);
    for (let i = 0; i < 5; i++) expect((await api(path(), { token, etag: first.etag, app: clocked })).status).toBe(304);
    // The test bed's instance trusts the same pass: its key is in the store, not in memory.
    expect((await api(path(), { token, etag: first.etag })).status).toBe(304);
    expect(lookups()).toBe(before + 1);
    await new Driver(bed.app, bed.connector, chat).press(organiser, 'contribute', { rethinkId, contribution: 'Changed while the pass lasts', stage: '1' });
    const changed = await api(path(), { token, etag: first.etag, app: clocked });
    expect(changed.status).toBe(200);
    expect(JSON.stringify(changed.body)).toContain('Changed while the pass lasts');
    expect(lookups()).toBe(before + 1);
  });

  test('after half a minute Teams is asked again: a changed role shows, and someone who has left is refused', async () => {
    now = Date.now();
    const organiserToken = await mint(organiser);
    const attendeeToken = await mint(attendee);
    const facilitating = await api(path(), { token: organiserToken, app: clocked });
    expect(facilitating.body).toMatchObject({ me: { mayFacilitate: true } });
    const watching = await api(path(), { token: attendeeToken, app: clocked });
    expect(watching.status).toBe(200);
    bed.connector.setMeetingRole(organiser.aadObjectId, 'Attendee', organiser.id);
    bed.connector.setMeetingRole(attendee.aadObjectId, undefined);
    try {
      now += 29_000;
      const before = lookups(organiser) + lookups(attendee);
      expect((await api(path(), { token: organiserToken, etag: facilitating.etag, app: clocked })).status).toBe(304);
      expect((await api(path(), { token: attendeeToken, etag: watching.etag, app: clocked })).status).toBe(304);
      expect(lookups(organiser) + lookups(attendee)).toBe(before);
      now += 2_000;
      const demoted = await api(path(), { token: organiserToken, etag: facilitating.etag, app: clocked });
      expect(demoted.status).toBe(200);
      expect(demoted.body).toMatchObject({ me: { mayFacilitate: false } });
      const gone = await api(path(), { token: attendeeToken, etag: watching.etag, app: clocked });
      expect(gone.status).toBe(403);
      expect(gone.body.message).toBe('You are not in this meeting.');
      expect(lookups(organiser) + lookups(attendee)).toBe(before + 2);
    } finally {
      bed.connector.setMeetingRole(organiser.aadObjectId, 'Organizer', organiser.id);
      bed.connector.setMeetingRole(attendee.aadObjectId, 'Attendee', attendee.id);
    }
  });

  test('the signing key out of reach: the panel says so (503) and the next poll works once the store is back; the bot never waits on it', async () => {
    const proxy = await startProxy(bed.store.endpoint);
    const app = await startApp(proxy.endpoint, { panelAuth: panelAuthForTests });
    try {
      proxy.cutAt('GET /dbs/rethink/colls/settings/docs/panelPassKey', 0);
      const down = await api(path(), { token: await mint(attendee), app });
      expect(down.status).toBe(503);
      await proxy.restore();
      expect((await api(path(), { token: await mint(attendee), app })).status).toBe(200);
    } finally {
      await app.stop();
      await proxy.stop();
    }
  });

  test('a change is never made on a pass: someone who has left cannot contribute while it lasts', async () => {
    now = Date.now();
    const token = await mint(attendee);
    const watching = await api(path(), { token, app: clocked });
    bed.connector.setMeetingRole(attendee.aadObjectId, undefined);
    try {
      const before = await stored();
      const asked = lookups();
      const write = await api(path().replace('?', '/contribute?'), { token, etag: watching.etag, method: 'POST', body: { contribution: 'Sent after leaving', stage: 1 }, app: clocked });
      expect(write.status).toBe(403);
      expect(lookups()).toBe(asked + 1);
      expect((await stored())?._etag).toBe(before?._etag);
    } finally {
      bed.connector.setMeetingRole(attendee.aadObjectId, 'Attendee', attendee.id);
    }
  });

  test('a pass vouches only for its own person, meeting and role, untouched', async () => {
    now = Date.now();
    const first = await api(path(), { token: await mint(attendee), app: clocked });
    const before = lookups();
    // Someone else's token with the attendee's pass: Teams is asked about them, and they are not in the meeting.
    const outsiderAsked = lookups(outsider);
    expect((await api(path(), { token: await mint(outsider), etag: first.etag, app: clocked })).status).toBe(403);
    expect(lookups(outsider)).toBe(outsiderAsked + 1);
    // The pass with its role changed to the organiser's: not signed for that, so Teams is asked.
    const [version = '', pass = ''] = first.etag.slice(1, -1).split('|');
    const [id = '', , expires = '', signature = ''] = pass.split('.');
    const forged = `"${version}|${[id, Buffer.from('Organizer').toString('base64url'), expires, signature].join('.')}"`;
    const answered = await api(path(), { token: await mint(attendee), etag: forged, app: clocked });
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ me: { mayFacilitate: false } });
    expect(lookups()).toBe(before + 1);
    // The pass with its time lengthened: not signed for that either.
    const lengthened = `"${version}|${[id, pass.split('.')[1], String(Number(expires) + 86_400), signature].join('.')}"`;
    expect((await api(path(), { token: await mint(attendee), etag: lengthened, app: clocked })).status).toBe(200);
    expect(lookups()).toBe(before + 2);
    // The pass for this meeting, sent with a poll of another meeting's Re-think: Teams is asked there.
    const elsewhere = newMeetingChat();
    await send(bed.app, installed({ user: organiser, conversation: elsewhere, serviceUrl: bed.connector.serviceUrl }));
    const other = await new Driver(bed.app, bed.connector, elsewhere).start(organiser, START_FORM);
    const there = await api(`/api/panel/rethinks/${other.rethinkId}?chatId=${encodeURIComponent(elsewhere.id)}`, { token: await mint(attendee), etag: `"${other.rethinkId}|${pass}"`, app: clocked });
    expect(there.status).toBe(200);
    expect(lookups()).toBe(before + 3);
  });
});

test('a v2 token (its audience the app’s id, as Teams’ SSO guide sets up) is accepted like a v1 token (the id URI)', async () => {
  const v2 = await mint(attendee, { audience: AUDIENCE.split('/').pop() });
  expect((await api(path(), { token: v2 })).status).toBe(200);
  expect((await api(path(), { token: await mint(attendee, { audience: '00000000-0000-4000-8000-0000000000cc' }) })).status).toBe(401);
});

test('a member of the meeting sees the Re-think, and an unchanged one answers 304', async () => {
  const first = await api(`/api/panel/current?chatId=${encodeURIComponent(chat.id)}`, { token: await mint(attendee) });
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({ rethinkId, caseReference: START_FORM.caseReference, stage: 1, me: { joined: false, mayFacilitate: false } });
  const again = await api(path(), { token: await mint(attendee), etag: first.etag });
  expect(again.status).toBe(304);
});

test('a change made through another instance of the app shows on the next poll (no shared memory)', async () => {
  const token = await mint(attendee);
  const before = await api(path(), { token });
  const other = await startApp(bed.store.endpoint, { panelAuth: panelAuthForTests });
  try {
    await new Driver(other, bed.connector, chat).press(organiser, 'contribute', { rethinkId, contribution: 'Made through the other instance', stage: '1' });
  } finally {
    await other.stop();
  }
  const after = await api(path(), { token, etag: before.etag });
  expect(after.status).toBe(200);
  expect(JSON.stringify(after.body)).toContain('Made through the other instance');
});

test('a contribution made in the panel is saved and appears on everyone’s card in the chat; the role joined with is remembered, as from the card', async () => {
  const token = await mint(attendee);
  expect((await api(`${path()}`.replace('?', '/join?'), { token, method: 'POST', body: { role: 'Class teacher', agency: 'Primary school' } })).status).toBe(200);
  await bed.app.idle();
  const { resource: remembered } = await bed.db.people.item(attendee.aadObjectId, attendee.aadObjectId).read<{ role?: string; agency?: string }>();
  expect(remembered).toMatchObject({ role: 'Class teacher', agency: 'Primary school' });
  const saved = await api(path().replace('?', '/contribute?'), { token, method: 'POST', body: { contribution: 'Said in the side panel', stage: 1 } });
  expect(saved.status).toBe(200);
  expect(saved.body).toMatchObject({ me: { joined: true, contribution: 'Said in the side panel' } });
  await bed.app.idle();
  const card = bed.connector.updates(chat.id).filter((u) => u.activityId === cardId).at(-1);
  expect(card && cardText(cardOf(card))).toContain('Said in the side panel');
});

test('a Re-think waiting for its strategy is not "none open": the panel says it will show once it begins, rather than inviting a second start', async () => {
  const meeting = newMeetingChat();
  await send(bed.app, installed({ user: organiser, conversation: meeting, serviceUrl: bed.connector.serviceUrl }));
  const here = new Driver(bed.app, bed.connector, meeting);
  const current = async () => api(`/api/panel/current?chatId=${encodeURIComponent(meeting.id)}`, { token: await mint(attendee) });
  expect(await current()).toMatchObject({ status: 404, body: { message: 'No Re-think is open in this meeting. To start one, @mention Re-think in the meeting chat and type start.' } });
  const rethinkId = await here.propose(organiser, await here.startForm(organiser));
  // Said before Teams is asked whether they are in the meeting: nothing of the Re-think is named.
  expect(await current()).toMatchObject({ status: 404, body: { message: 'A Re-think here is waiting for the person who started it to choose its strategy, on its card in the meeting chat. It will show here as soon as it begins.' } });
  await here.press(organiser, 'confirmStrategy', { rethinkId, strategy: '2', strategyReason: '' });
  expect(await current()).toMatchObject({ status: 200, body: { rethinkId } });
});

test('a stage that is not a stage number is refused, never saved under the current stage; a form post is refused; the sign-in scheme may be in any case', async () => {
  const token = await mint(attendee);
  const before = await stored();
  for (const stage of [true, '0x1', 7, [1], '1.0']) {
    const refused = await api(path().replace('?', '/contribute?'), { token, method: 'POST', body: { contribution: 'For which stage?', stage } });
    expect(refused.status).toBe(400);
  }
  const form = await fetch(`${bed.app.url}${path().replace('?', '/contribute?')}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'contribution=From+a+web+page&stage=1' });
  expect(form.status).toBe(415);
  expect((await stored())?._etag).toBe(before?._etag);
  const lower = await fetch(`${bed.app.url}${path()}`, { headers: { authorization: `bearer ${token}` } });
  expect(lower.status).toBe(200);
});

test('a press sent again is applied once; another person’s press under the same name is theirs; the name is kept short', async () => {
  const post = async (user: typeof attendee, body: Record<string, unknown>) => api(path().replace('?', '/contribute?'), { token: await mint(user), method: 'POST', body: { stage: 1, ...body } });
  const doc = async () => (await bed.db.rethink(chat.id, rethinkId)) as { _etag?: string; contributions: { text: string }[]; appliedActivityIds: string[] } | undefined;
  await api(path().replace('?', '/join?'), { token: await mint(attendee), method: 'POST', body: { role: 'Teacher', agency: 'School' } });
  const requestId = 'f0e1d2c3-0000-4000-8000-00000000abcd';
  expect((await post(attendee, { contribution: 'First words', requestId })).status).toBe(200);
  // Changed since: the first press sent again must not put the old words back.
  expect((await post(attendee, { contribution: 'Better words', requestId: 'a1b2c3d4-0000-4000-8000-00000000abcd' })).status).toBe(200);
  const once = await doc();
  expect((await post(attendee, { contribution: 'First words', requestId })).status).toBe(200);
  expect((await doc())?._etag).toBe(once?._etag);
  const texts = (await doc())?.contributions.map((c) => c.text);
  expect(texts).toContain('Better words');
  expect(texts).not.toContain('First words');
  // The organiser's press carrying the same name (copied, or by chance) is still applied.
  expect((await post(organiser, { contribution: 'Organiser’s words', requestId })).status).toBe(200);
  expect((await doc())?.contributions.map((c) => c.text)).toEqual(expect.arrayContaining(['Better words', 'Organiser’s words']));
  expect((await post(attendee, { contribution: 'Second words', requestId: 'x'.repeat(20_000) })).status).toBe(200);
  const keys = (await doc())?.appliedActivityIds ?? [];
  expect(keys.every((k) => k.length <= 40)).toBe(true);
  expect(keys.some((k) => k.includes(requestId))).toBe(false);
});

test.each([
  ['no token', async () => undefined, 401],
  ['an expired token', async () => mint(attendee, { expiresIn: Math.floor(Date.now() / 1000) - 600 }), 401],
  ['a token for another audience', async () => mint(attendee, { audience: 'api://someone-else/app' }), 401],
  ['a token signed by an untrusted key', async () => mint(attendee, { key: (await generateKeyPair('RS256')).privateKey }), 401],
  ['a token from another tenant', async () => mint(attendee, { tenant: OTHER_TENANT }), 403],
  ['an app’s token rather than a person’s', async () => mint(attendee, { appOnly: true }), 401],
  ['a person’s token issued to another app than Teams', async () => mint(attendee, { client: '99999999-0000-4000-8000-000000000001' }), 401],
  ['a person’s v2 token issued to another app than Teams', async () => mint(attendee, { client: '99999999-0000-4000-8000-000000000001', audience: AUDIENCE.split('/').pop() ?? '' }), 401],
  ['someone who is not in the meeting', async () => mint(outsider), 403],
])('refused: %s, and nothing changes', async (_name, token, status) => {
  const before = await stored();
  const read = await api(path(), { ...(await token().then((t) => (t ? { token: t } : {}))) });
  expect(read.status).toBe(status);
  const write = await api(path().replace('?', '/contribute?'), { ...(await token().then((t) => (t ? { token: t } : {}))), method: 'POST', body: { contribution: 'Should not be saved', stage: 1 } });
  expect(write.status).toBe(status);
  expect((await stored())?._etag).toBe(before?._etag);
});

test('one person asking without a pass, again and again, has Teams asked about them a limited number of times; the rest wait (429)', async () => {
  const someone = person(41);
  bed.connector.setMeetingRole(someone.aadObjectId, 'Attendee', someone.id);
  const token = await mint(someone);
  const asked = () => bed.connector.roleLookups.filter((aad) => aad === someone.aadObjectId).length;
  const answers = await Promise.all(Array.from({ length: 40 }, () => fetch(`${bed.app.url}${path()}`, { headers: { authorization: `Bearer ${token}` } })));
  const statuses = answers.map((a) => a.status);
  expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(20);
  expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
  expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
  expect(asked()).toBeLessThan(40);
  const waiting = answers.find((a) => a.status === 429);
  expect(waiting?.headers.get('retry-after')).toBe('2');
  expect(((await waiting?.json()) as { message: string }).message).toBe('Re-think has asked Teams about you too often just now. The panel will try again in a moment.');
});

test('a Re-think id from another meeting is not found here, and an attendee cannot advance', async () => {
  const elsewhere = newMeetingChat();
  await send(bed.app, installed({ user: organiser, conversation: elsewhere, serviceUrl: bed.connector.serviceUrl }));
  const other = await new Driver(bed.app, bed.connector, elsewhere).start(organiser, START_FORM);
  const crossed = await api(path(other.rethinkId), { token: await mint(attendee) });
  expect(crossed.status).toBe(404);
  // Someone in the other meeting only: that one they see, this one they may not.
  bed.connector.setMeetingRole(outsider.aadObjectId, 'Attendee', outsider.id, elsewhere.meetingId);
  const theirs = await api(`/api/panel/current?chatId=${encodeURIComponent(elsewhere.id)}`, { token: await mint(outsider) });
  expect(theirs.status).toBe(200);
  expect((await api(path(), { token: await mint(outsider) })).status).toBe(403);
  expect((await api(`/api/panel/current?chatId=${encodeURIComponent(chat.id)}`, { token: await mint(outsider) })).status).toBe(403);

  const before = await stored();
  const advance = await api(path().replace('?', '/advance?'), { token: await mint(attendee), method: 'POST', body: { confirmed: true, stage: 1 } });
  expect(advance.status).toBe(403);
  expect(String(advance.body.message)).toContain('organiser and presenters facilitate');
  expect((await stored())?._etag).toBe(before?._etag);

  // The organiser can, after confirming that someone has not contributed.
  await new Driver(bed.app, bed.connector, chat).press(users.adele, 'join', { rethinkId, role: 'Health visitor', agency: 'NHS' });
  const unconfirmed = await api(path().replace('?', '/advance?'), { token: await mint(organiser), method: 'POST', body: { confirmed: false, stage: 1 } });
  expect(unconfirmed.status).toBe(409);
  expect(unconfirmed.body).toMatchObject({ code: 'needsConfirmation', waitingFor: [users.adele.name] });
  const joinedWhenAsked = unconfirmed.body.joined;
  expect(joinedWhenAsked).toBe(((await stored()) as { participants?: unknown[] } | undefined)?.participants?.length);
  // Someone joining after the question is named before the group moves on without them.
  const newcomer = person(7);
  await new Driver(bed.app, bed.connector, chat).press(newcomer, 'join', { rethinkId, role: 'School nurse', agency: 'NHS' });
  const stale = await api(path().replace('?', '/advance?'), { token: await mint(organiser), method: 'POST', body: { confirmed: true, stage: 1, joined: joinedWhenAsked } });
  expect(stale.status).toBe(409);
  expect(stale.body).toMatchObject({ code: 'needsConfirmation', waitingFor: [users.adele.name, newcomer.name], message: expect.stringMatching(/^Professional 7 joined after you were asked/) });
  const moved = await api(path().replace('?', '/advance?'), { token: await mint(organiser), method: 'POST', body: { confirmed: true, stage: 1, joined: stale.body.joined } });
  expect(moved.status).toBe(200);
  expect(moved.body).toMatchObject({ stage: 2 });
});

test('in a channel, the panel shows the Re-think of the meeting it is open in, not the channel’s newest', async () => {
  const channel = `19:${Date.now()}panelchan@thread.tacv2`;
  const meetingIds = ['first', 'second'].map((name) => Buffer.from(`0#${channel}#${name}`).toString('base64'));
  const threads = meetingIds.map((meetingId, i): TestConversation => ({ id: `${channel};messageid=${2000 + i}`, conversationType: 'channel', isGroup: true, meetingId }));
  const started: string[] = [];
  for (const thread of threads) started.push((await new Driver(bed.app, bed.connector, thread).start(organiser, START_FORM)).rethinkId);
  const current = async (meetingId?: string) => (await api(`/api/panel/current?chatId=${encodeURIComponent(channel)}${meetingId ? `&meetingId=${encodeURIComponent(meetingId)}` : ''}`, { token: await mint(organiser) })).body.rethinkId;
  expect(await current(meetingIds[0])).toBe(started[0]);
  expect(await current(meetingIds[1])).toBe(started[1]);
  // Without a meeting (or one with nothing open), the channel's newest, as before.
  expect(await current()).toBe(started[1]);
  expect(await current('bm8gc3VjaCBtZWV0aW5n')).toBe(started[1]);
});

test('a sign-in refused for the set-up’s sake is logged with the reason (never the token); Entra’s keys out of reach is a 503, not “could not be checked”', async () => {
  const { lines, logger } = captureLog();
  const unreachable: PanelAuth = { ...panelAuthForTests, keys: async () => Promise.reject(new TypeError('fetch failed')) } as PanelAuth;
  // As jose reports Entra's keys endpoint answering with an error page.
  const errorPage: PanelAuth = { ...panelAuthForTests, keys: async () => Promise.reject(new joseErrors.JOSEError('Expected 200 OK from the JSON Web Key Set HTTP response')) } as PanelAuth;
  const logged = await startApp(bed.store.endpoint, { panelAuth: panelAuthForTests, logger: logger('warn') });
  const offline = await startApp(bed.store.endpoint, { panelAuth: unreachable, logger: logger('warn') });
  const erring = await startApp(bed.store.endpoint, { panelAuth: errorPage, logger: logger('warn') });
  try {
    const wrongAudience = await mint(attendee, { audience: 'api://rethink.test/00000000-0000-4000-8000-0000000000cc' });
    expect((await api(path(), { token: wrongAudience, app: logged })).status).toBe(401);
    expect((await api(path(), { token: await mint(attendee, { tenant: OTHER_TENANT }), app: logged })).status).toBe(403);
    // An expired token is everyday: not logged. The same refusal again (a panel polls every 2 s) is not logged again.
    expect((await api(path(), { token: await mint(attendee, { expiresIn: Math.floor(Date.now() / 1000) - 600 }), app: logged })).status).toBe(401);
    expect((await api(path(), { token: wrongAudience, app: logged })).status).toBe(401);
    const refusals = lines.filter((l) => l.includes('a side panel sign-in was refused')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(refusals.map((r) => [r.refusal, r.tenant])).toEqual([
      ['audience', undefined],
      ['tenantNotAllowed', OTHER_TENANT],
    ]);
    expect(lines.join('')).not.toContain(wrongAudience);

    for (const app of [offline, erring]) {
      const down = await api(path(), { token: await mint(attendee), app });
      expect(down).toMatchObject({ status: 503, body: { message: 'Your sign-in can’t be checked just now. Please try again in a minute.' } });
    }
  } finally {
    await logged.stop();
    await offline.stop();
    await erring.stop();
  }
});

test('someone signed in to another allowed organisation than the meeting chat’s (an external user) is pointed to the card in the chat', async () => {
  const both = await startApp(bed.store.endpoint, { panelAuth: { ...panelAuthForTests, allowedTenantIds: [TENANT, OTHER_TENANT] } as PanelAuth });
  try {
    const answer = await api(path(), { token: await mint(attendee, { tenant: OTHER_TENANT }), app: both });
    expect(answer).toMatchObject({ status: 403, body: { message: 'The side panel works for people signed in to the organisation holding this meeting, and its guests. Please use the Re-think card in the meeting chat.' } });
  } finally {
    await both.stop();
  }
});
