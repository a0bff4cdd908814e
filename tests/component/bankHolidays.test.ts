/**
 * Portsmouth's profile keeps England and Wales' bank holidays: over HTTP on a clock the test moves
 * through Easter 2027 (Good Friday 26 March, Easter Monday 29 March), nothing is posted on them and
 * notice counts the days around them. The profile here also names Tuesday 30 March as closed (a
 * one-off), so what the profile says reaches the app.
 */
import { profileFile } from '../helpers/profile';
import { users, type TestConversation } from '../helpers/activities';
import { remindersIn, rethinkAtStage } from '../helpers/journeys';
import { startTestBed, type TestBed } from '../helpers/harness';

let now = Date.parse('2027-03-12T09:00:00.000Z'); // Friday
let bed: TestBed;
const lead = users.megan;
const other = users.adele;

const profile = profileFile((shipped) => ({ ...shipped, reminders: { ...shipped.reminders, closedDays: ['2027-03-30'] } }));

beforeAll(async () => {
  bed = await startTestBed({ clock: () => new Date(now), env: { PARTNERSHIP_PROFILE: profile.path } });
});
afterAll(async () => {
  await bed.stop();
  profile.remove();
});

const reminders = (chat: TestConversation): string[] => remindersIn(bed.connector, chat);

/** A Re-think in a chat of its own, taken to stage `stage` with both people heard at each stage. */
const rethinkAt = (stage: number) => rethinkAtStage(bed.app, bed.connector, lead, other, stage);

test('over Easter: an action’s notice skips the bank holidays, and a quiet Re-think is reminded on the next working day, not on them nor on a day the profile names as closed', async () => {
  const quiet = await rethinkAt(2);
  now = Date.parse('2027-03-24T09:00:00.000Z'); // Wednesday
  const busy = await rethinkAt(5);
  await busy.driver.press(lead, 'addAction', { rethinkId: busy.rethinkId, actionDescription: 'Book the review meeting', actionOwner: lead.id, actionOwnerName: '', actionDue: '2027-03-31' });
  await bed.app.housekeep();
  expect(reminders(busy.chat)).toEqual([]);

  // Thursday: due next Wednesday, within two working days' notice over Easter (Good Friday, Easter
  // Monday and the closed Tuesday are not counted: Wednesday is the first working day, Thursday the second).
  now = Date.parse('2027-03-25T09:00:00.000Z');
  await bed.app.housekeep();
  expect(reminders(busy.chat)).toEqual([expect.stringContaining('- Book the review meeting')]);
  expect(reminders(quiet.chat)).toEqual([]);

  // The quiet one reaches 14 days without change on Good Friday: nothing that day, nor on Easter Monday.
  for (const day of ['2027-03-26T09:00:00.000Z', '2027-03-29T09:00:00.000Z']) {
    now = Date.parse(day);
    await bed.app.housekeep();
    expect(reminders(quiet.chat)).toEqual([]);
  }
  // Tuesday, 09:00 British Summer Time: closed, as the profile says.
  now = Date.parse('2027-03-30T08:00:00.000Z');
  await bed.app.housekeep();
  expect(reminders(quiet.chat)).toEqual([]);
  now = Date.parse('2027-03-31T08:00:00.000Z'); // Wednesday
  await bed.app.housekeep();
  expect(reminders(quiet.chat)).toEqual([expect.stringContaining('has had no change for 18 days')]);
  expect(reminders(busy.chat)).toHaveLength(1);
});
