/**
 * Posts a Re-think owes its chat (the summary on closing, the reminder when its meeting ends) are
 * recorded like outbox entries: one whose post was never recorded (Teams failed it, or the instance
 * stopped after the answer) is posted by the periodic check, once.
 */
import { meetingEnd, newGroupChat, newMeetingChat, users, type TestConversation } from '../helpers/activities';
import { cardOf } from '../helpers/connector';
import { MESSAGES } from '../../bot/handlers/types';
import { Driver } from '../helpers/driver';
import { cardText, executeActions, send, startApp, startTestBed, type TestBed } from '../helpers/harness';

const MINUTE = 60_000;
const lead = users.megan;
const other = users.adele;
let now = Date.parse('2027-03-01T09:00:00.000Z');
let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({ clock: () => new Date(now) });
});
afterAll(() => bed.stop());

/** A Re-think at stage 5 in a chat of its own. */
async function atStageFive(): Promise<{ driver: Driver; rethinkId: string }> {
  const driver = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId } = await driver.start(lead);
  await driver.press(other, 'join', { rethinkId, role: 'Health visitor', agency: 'NHS' });
  for (let stage = 1; stage < 5; stage++) await driver.press(lead, 'advance', { rethinkId, confirmed: 'true', stage: String(stage) });
  return { driver, rethinkId };
}

/** A Re-think open in a meeting of its own, whose end the app marked while Teams refused every post to its chat. */
async function endedWhileRefused(): Promise<{ chat: TestConversation; driver: Driver; rethinkId: string }> {
  const chat = newMeetingChat();
  const driver = new Driver(bed.app, bed.connector, chat);
  bed.connector.setMeetingRole(lead.aadObjectId, 'Organizer', lead.id, chat.meetingId);
  const { rethinkId } = await driver.start(lead);
  bed.connector.failConversation(chat.id, 403);
  await send(bed.app, meetingEnd({ user: lead, conversation: chat, serviceUrl: bed.connector.serviceUrl }));
  await bed.app.idle();
  bed.connector.failConversation(chat.id, undefined);
  return { chat, driver, rethinkId };
}

const summariesIn = (driver: Driver) => bed.connector.posts(driver.conversation.id).filter((p) => p.activity.attachments?.[0] && cardText(cardOf(p)).includes('Re-think summary'));

test('the summary posted on closing is recorded as posted, with its activity id, and the periodic check leaves it be', async () => {
  const { driver, rethinkId } = await atStageFive();
  await driver.press(lead, 'close', { rethinkId, outcome: 'resolved' });
  const [posted] = summariesIn(driver);
  expect((await bed.db.rethink(driver.conversation.id, rethinkId))?.owed?.summary).toMatchObject({ tries: 1, postedAt: new Date(now).toISOString(), activityId: posted?.activityId });
  now += 20 * MINUTE;
  await bed.app.housekeep();
  expect(summariesIn(driver)).toHaveLength(1);
});

test('a summary Teams refused at closing is posted by the periodic check once its claim has lapsed, once, by whichever instance checks', async () => {
  const { driver, rethinkId } = await atStageFive();
  bed.connector.failConversation(driver.conversation.id, 403);
  const closed = await driver.press(lead, 'close', { rethinkId, outcome: 'notResolved', nextStep: 'escalation' });
  expect(cardText(closed.card)).toContain('Outcome: Not resolved');
  bed.connector.failConversation(driver.conversation.id, undefined);
  expect(summariesIn(driver)).toHaveLength(0);
  expect((await bed.db.rethink(driver.conversation.id, rethinkId))?.owed?.summary).toEqual({ claimedAt: new Date(now).toISOString(), tries: 1 });

  // Within the closing turn's claim, the check leaves it to that turn.
  now += MINUTE;
  await bed.app.housekeep();
  expect(summariesIn(driver)).toHaveLength(0);

  // Past it (ten minutes), two instances checking at once post it once between them.
  now += 10 * MINUTE;
  const second = await startApp(bed.store.endpoint, { clock: () => new Date(now) });
  try {
    await Promise.all([bed.app.housekeep(), second.housekeep()]);
  } finally {
    await second.stop();
  }
  const summaries = summariesIn(driver);
  expect(summaries).toHaveLength(1);
  expect(cardText(cardOf(summaries[0]!))).toContain('Outcome: Not resolved');
  const r = await bed.db.rethink(driver.conversation.id, rethinkId);
  expect(r?.owed?.summary).toMatchObject({ tries: 2, postedAt: new Date(now).toISOString(), activityId: summaries[0]?.activityId });
  // The check is no change people made: the closed record keeps its place in lists and its expiry.
  expect(r?.updatedAt).not.toBe(new Date(now).toISOString());
  expect(r?.audit.slice(-2).map((a) => [a.what, a.by])).toEqual([
    ['summaryRetried', 'summaries'],
    ['summaryPosted', 'summaries'],
  ]);
  now += 10 * MINUTE;
  await bed.app.housekeep();
  expect(summariesIn(driver)).toHaveLength(1);
});

test('a summary owed for more than a week (every instance stopped meanwhile) is no longer sought: the search keeps to recent claims', async () => {
  const { driver, rethinkId } = await atStageFive();
  bed.connector.failConversation(driver.conversation.id, 403);
  await driver.press(lead, 'close', { rethinkId, outcome: 'resolved' });
  bed.connector.failConversation(driver.conversation.id, undefined);
  now += 8 * 24 * 60 * MINUTE;
  await bed.app.housekeep();
  expect(summariesIn(driver)).toHaveLength(0);
  expect((await bed.db.rethink(driver.conversation.id, rethinkId))?.owed?.summary?.tries).toBe(1);
});

test('a summary the periodic check posts just as its case is erased is replaced as it lands: no erasure could know of it', async () => {
  const { driver, rethinkId } = await atStageFive();
  bed.connector.failConversation(driver.conversation.id, 403);
  await driver.press(lead, 'close', { rethinkId, outcome: 'resolved' });
  bed.connector.failConversation(driver.conversation.id, undefined);
  now += 11 * MINUTE;
  // The check's post held up on its way; the record deleted meanwhile (as an erasure does).
  const held = bed.connector.holdNextPost();
  const checking = bed.app.housekeep();
  await held.arrived;
  await bed.db.rethinks.item(rethinkId, driver.conversation.id).delete();
  held.release();
  await checking;
  await bed.app.idle();
  const [posted] = summariesIn(driver);
  expect(posted).toBeDefined();
  expect(bed.connector.updates(driver.conversation.id).filter((u) => u.activityId === posted?.activityId).at(-1)?.activity.text).toBe(MESSAGES.erasedRethink);
});

test('a summary Teams keeps refusing is tried five times in all, then given up', async () => {
  const { driver, rethinkId } = await atStageFive();
  bed.connector.failConversation(driver.conversation.id, 403);
  await driver.press(lead, 'close', { rethinkId, outcome: 'resolved' });
  for (let check = 0; check < 6; check++) {
    now += 11 * MINUTE;
    await bed.app.housekeep();
  }
  bed.connector.failConversation(driver.conversation.id, undefined);
  now += 11 * MINUTE;
  await bed.app.housekeep();
  expect(summariesIn(driver)).toHaveLength(0);
  expect((await bed.db.rethink(driver.conversation.id, rethinkId))?.owed?.summary).toMatchObject({ tries: 5 });
  expect((await bed.db.rethink(driver.conversation.id, rethinkId))?.owed?.summary?.postedAt).toBeUndefined();
});

test('the reminder at a meeting’s end that Teams refused is posted by the periodic check with the card, which is then the one kept up to date; none once the Re-think has closed', async () => {
  const { chat, rethinkId } = await endedWhileRefused();
  const endReminders = () => bed.connector.posts(chat.id).filter((p) => (p.activity.text ?? '').startsWith('The meeting has ended and the Re-think for case'));
  expect(endReminders()).toHaveLength(0);
  expect((await bed.db.rethink(chat.id, rethinkId))?.owed?.meetingEnd).toEqual({ claimedAt: new Date(now).toISOString(), tries: 1 });

  now += 11 * MINUTE;
  await bed.app.housekeep();
  expect(endReminders()).toHaveLength(1);
  const cardPost = bed.connector.posts(chat.id).at(-1);
  expect(executeActions(cardPost ? cardOf(cardPost) : {}).map((a) => a.verb)).toContain('close');
  const r = await bed.db.rethink(chat.id, rethinkId);
  expect(r?.owed?.meetingEnd).toMatchObject({ tries: 2, postedAt: new Date(now).toISOString(), activityId: endReminders()[0]?.activityId });
  expect(r?.cardActivityId).toBe(cardPost?.activityId);
  // Nothing changed while it was posted: the card is not sent again.
  await bed.app.idle();
  expect(bed.connector.updates(chat.id).filter((u) => u.activityId === cardPost?.activityId)).toHaveLength(0);
  expect(r?.audit.filter((a) => a.what === 'meetingEndPosted').map((a) => a.by)).toEqual(['meeting']);
  now += 20 * MINUTE;
  await bed.app.housekeep();
  expect(endReminders()).toHaveLength(1);

  // Another meeting's reminder posted by the check while someone contributes: its card is brought up to date at once.
  const { chat: busy, driver: busyDriver, rethinkId: ongoing } = await endedWhileRefused();
  now += 11 * MINUTE;
  const held = bed.connector.holdNextPost();
  const checking = bed.app.housekeep();
  await held.arrived;
  await busyDriver.press(users.adele, 'join', { rethinkId: ongoing, role: 'Teacher', agency: 'School' });
  held.release();
  await checking;
  await bed.app.idle();
  const busyCard = bed.connector.posts(busy.id).filter((p) => (p.activity.text ?? '').startsWith('The meeting has ended')).at(-1);
  const busyUpdates = bed.connector.updates(busy.id).filter((u) => u.activityId === busyCard?.activityId);
  expect(busyUpdates).toHaveLength(1);
  expect(cardText(cardOf(busyUpdates[0]!))).toContain(users.adele.name);

  // Another meeting's reminder left unposted, and its Re-think closed meanwhile: nothing is posted.
  const { chat: other, driver: otherDriver, rethinkId: closing } = await endedWhileRefused();
  await otherDriver.press(lead, 'close', { rethinkId: closing, outcome: 'notResolved', nextStep: 'escalation' });
  now += 11 * MINUTE;
  await bed.app.housekeep();
  expect(bed.connector.posts(other.id).filter((p) => (p.activity.text ?? '').startsWith('The meeting has ended'))).toHaveLength(0);
});
