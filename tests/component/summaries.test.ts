/**
 * The summary posted on closing is recorded like an outbox entry: one whose post was never recorded
 * (Teams failed it, or the instance stopped after the answer) is posted by the periodic check, once.
 */
import { newGroupChat, users } from '../helpers/activities';
import { cardOf } from '../helpers/connector';
import { Driver } from '../helpers/driver';
import { cardText, startApp, startTestBed, type TestBed } from '../helpers/harness';

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

const summariesIn = (driver: Driver) => bed.connector.posts(driver.conversation.id).filter((p) => p.activity.attachments?.[0] && cardText(cardOf(p)).includes('Re-think summary'));

test('the summary posted on closing is recorded as posted, with its activity id, and the periodic check leaves it be', async () => {
  const { driver, rethinkId } = await atStageFive();
  await driver.press(lead, 'close', { rethinkId, outcome: 'resolved' });
  const [posted] = summariesIn(driver);
  expect((await bed.db.rethink(driver.conversation.id, rethinkId))?.summaryPost).toMatchObject({ tries: 1, postedAt: new Date(now).toISOString(), activityId: posted?.activityId });
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
  expect((await bed.db.rethink(driver.conversation.id, rethinkId))?.summaryPost).toEqual({ claimedAt: new Date(now).toISOString(), tries: 1 });

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
  expect(r?.summaryPost).toMatchObject({ tries: 2, postedAt: new Date(now).toISOString(), activityId: summaries[0]?.activityId });
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
  expect((await bed.db.rethink(driver.conversation.id, rethinkId))?.summaryPost).toMatchObject({ tries: 5 });
  expect((await bed.db.rethink(driver.conversation.id, rethinkId))?.summaryPost?.postedAt).toBeUndefined();
});
