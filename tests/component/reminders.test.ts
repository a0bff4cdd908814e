/**
 * Follow-up (the profile's reminder timings, Portsmouth's: actions 2 working days before they are due,
 * an open Re-think after 14 days without change), over HTTP on a clock the test moves. Reminders go to
 * the chat the Re-think is in, once each, whichever of several instances checks, in working hours.
 * These tests span weeks of weekdays, so their profile keeps no bank holidays; bankHolidays.test.ts
 * has Portsmouth's own.
 */
import { profileFile } from '../helpers/profile';
import { TENANT, users, type TestConversation } from '../helpers/activities';
import { Driver } from '../helpers/driver';
import { nextWeekdayAt9 } from '../helpers/clock';
import { remindersIn, rethinkAtStage } from '../helpers/journeys';
import { cardOf } from '../helpers/connector';
import { cardText, executeActions, startApp, startTestBed, type TestBed } from '../helpers/harness';
import type { Rethink } from '../../services/rethink/types';
import { applyCommand } from '../../services/rethink/engine';
import { DEFAULT_PROFILE_PATH } from '../../services/config';
import { loadProfile } from '../../services/profile/load';
import { workingCalendar } from '../../services/rethink/workingDays';

const DAY = 86_400_000;
const lead = users.megan;
const other = users.adele;
let now = Date.parse('2027-02-28T09:00:00.000Z');
let bed: TestBed;
const weekdaysOnly = profileFile((shipped) => ({ ...shipped, reminders: { ...shipped.reminders, bankHolidays: 'none' } }));
const env = { PARTNERSHIP_PROFILE: weekdaysOnly.path };

beforeAll(async () => {
  bed = await startTestBed({ clock: () => new Date(now), env });
});
afterAll(async () => {
  await bed.stop();
  weekdaysOnly.remove();
});
// Each test begins on the next Monday at 09:00 UTC (09:00 or 10:00 in the UK): reminders go out in working hours.
beforeEach(() => {
  now = nextWeekdayAt9(now, 1, workingCalendar({ bankHolidays: 'none' }));
});

const reminders = (chat: TestConversation): string[] => remindersIn(bed.connector, chat);

/** A Re-think in a chat of its own, taken to stage `stage` with both people heard at each stage. */
const rethinkAt = (stage: number) => rethinkAtStage(bed.app, bed.connector, lead, other, stage);

const addAction = (driver: Driver, rethinkId: string, description: string, due: string, owner: { id?: string; name?: string }) =>
  driver.press(lead, 'addAction', { rethinkId, actionDescription: description, actionOwner: owner.id ?? '__external', actionOwnerName: owner.name ?? '', actionDue: due });

test('agreed actions: the chat is reminded once of each as it falls due, also after the Re-think has closed; a removed one never', async () => {
  const { chat, driver, rethinkId } = await rethinkAt(5);
  await addAction(driver, rethinkId, 'Arrange the review of the plan', '2027-03-05', { id: lead.id });
  await addAction(driver, rethinkId, 'Share the contact sheet with the family', '2027-03-20', { name: 'Family support worker' });
  await addAction(driver, rethinkId, 'Something agreed and then taken off', '2027-03-04', { id: other.id });
  const agreed = (await bed.db.rethink(chat.id, rethinkId)) as Rethink;
  const removed = agreed.actions.find((a) => a.description.startsWith('Something'));
  await driver.press(lead, 'removeAction', { rethinkId, chosenActionId: removed?.id ?? '' });

  // Agreed today, due in four days: nothing yet.
  await bed.app.housekeep();
  expect(reminders(chat)).toEqual([]);
  now += 2 * DAY;
  await bed.app.housekeep();
  await bed.app.housekeep();
  expect(reminders(chat)).toHaveLength(1);
  const [first = ''] = reminders(chat);
  expect(first).toBe(
    `**A reminder of an agreed action** from the Re-think for case PSCP-2026-0042:\n\n- Arrange the review of the plan (${lead.name}, due Friday 5 March 2027)\n\nIf it’s done, nothing more is needed. If it can’t be done in time, please let the others here know, so the plan for the child stays on track.`,
  );

  // Closed: actions outlive the conversation, and are still followed up (this one due on a Saturday, two days late: missed, say).
  expect((await driver.press(lead, 'close', { rethinkId, outcome: 'resolved' })).card).toBeDefined();
  const closed = (await bed.db.rethink(chat.id, rethinkId)) as Rethink & { ttl: number };
  now += 19 * DAY;
  await bed.app.housekeep();
  expect(reminders(chat)).toHaveLength(2);
  expect(reminders(chat)[1]).toContain('- Share the contact sheet with the family (Family support worker (outside Teams), was due Saturday 20 March 2027)');
  expect(reminders(chat)[1]).not.toContain('Arrange the review');
  const after = (await bed.db.rethink(chat.id, rethinkId)) as Rethink & { ttl: number };
  // A reminder is no change people made: the record keeps its place in lists and expires when it would have.
  expect(after.updatedAt).toBe(closed.updatedAt);
  expect(after.ttl).toBe(closed.ttl - 19 * 86_400);
  expect(after.audit.filter((a) => a.what === 'remindersMarked').map((a) => a.by)).toEqual(['reminders', 'reminders']);
  expect(after.actions.filter((a) => a.remindedAt).map((a) => a.description)).toEqual(['Arrange the review of the plan', 'Share the contact sheet with the family']);
  await bed.app.housekeep();
  expect(reminders(chat)).toHaveLength(2);
});

test('many actions falling due together: one reminder lists the first 15 by due date and counts the rest, pointing to the card', async () => {
  const { chat, driver, rethinkId } = await rethinkAt(5);
  // Ten due on Friday, agreed first; then ten due on Thursday, which come first in the reminder.
  const friday = new Date(now + 4 * DAY).toISOString().slice(0, 10);
  const thursday = new Date(now + 3 * DAY).toISOString().slice(0, 10);
  for (let i = 1; i <= 20; i++) await addAction(driver, rethinkId, `Agreed action number ${i}`, i <= 10 ? friday : thursday, { id: lead.id });
  now += 2 * DAY;
  await bed.app.housekeep();
  expect(reminders(chat)).toHaveLength(1);
  const [text = ''] = reminders(chat);
  const listed = [...text.matchAll(/^- Agreed action number (\d+) /gm)].map((m) => Number(m[1]));
  expect(listed).toHaveLength(15);
  expect(listed.slice(0, 10).sort((a, b) => a - b)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
  expect(text).toContain('- and 5 more: type **@Re-think status** here to see every action on the Re-think card.');
  // Every one of the 20 counts as reminded: none comes again.
  const after = (await bed.db.rethink(chat.id, rethinkId)) as Rethink;
  expect(after.actions.filter((a) => a.remindedAt)).toHaveLength(20);
  await bed.app.housekeep();
  expect(reminders(chat)).toHaveLength(1);
});

test('many actions falling due after the Re-think closed: the rest are on its summary, not its card (status no longer shows it)', async () => {
  const { chat, driver, rethinkId } = await rethinkAt(5);
  const due = new Date(now + 4 * DAY).toISOString().slice(0, 10);
  for (let i = 1; i <= 17; i++) await addAction(driver, rethinkId, `Closed action number ${i}`, due, { id: lead.id });
  await driver.press(lead, 'close', { rethinkId, outcome: 'resolved' });
  now += 2 * DAY;
  await bed.app.housekeep();
  expect(reminders(chat)).toEqual([expect.stringContaining('- and 2 more: every action is on the summary posted here when the Re-think closed.')]);
});

test('nothing is posted at night or at the weekend: what falls due waits for the working day, and notice counts working days', async () => {
  const { chat, driver, rethinkId } = await rethinkAt(5);
  // Agreed on Monday, due the next Monday: two working days' notice is Thursday.
  const monday = new Date(now + 7 * DAY).toISOString().slice(0, 10);
  await addAction(driver, rethinkId, 'Visit the family', monday, { id: lead.id });
  now += 2 * DAY; // Wednesday, 09:00
  await bed.app.housekeep();
  expect(reminders(chat)).toEqual([]);
  now += DAY - 10 * 3_600_000; // Wednesday, 23:00 UTC: night in the UK (in summer time, midnight and already Thursday)
  await bed.app.housekeep();
  expect(reminders(chat)).toEqual([]);
  now += 9 * 3_600_000; // Thursday, 08:00 UTC: working hours
  await bed.app.housekeep();
  expect(reminders(chat)).toEqual([expect.stringContaining(`- Visit the family (${lead.name}, due `)]);

  // An action due Monday, agreed on the Thursday: Friday is its day, but Friday night, Saturday and Sunday wait.
  await addAction(driver, rethinkId, 'Send the plan to the GP', monday, { id: other.id });
  now += DAY + 11 * 3_600_000; // Friday, 19:00 UTC
  await bed.app.housekeep();
  now += DAY; // Saturday
  await bed.app.housekeep();
  now += DAY; // Sunday
  await bed.app.housekeep();
  expect(reminders(chat)).toHaveLength(1);
  now += DAY - 11 * 3_600_000; // Monday, 08:00 UTC
  await bed.app.housekeep();
  expect(reminders(chat)).toHaveLength(2);
  expect(reminders(chat)[1]).toContain('- Send the plan to the GP');
});

test('an open Re-think without change for 14 days: the chat is reminded once in each quiet spell, naming the facilitator and what is next', async () => {
  const { chat, driver, rethinkId } = await rethinkAt(3);
  const atStageTwo = await rethinkAt(2);
  now += 13 * DAY;
  await bed.app.housekeep();
  expect(reminders(chat)).toEqual([]);
  now += 1 * DAY;
  await bed.app.housekeep();
  await bed.app.housekeep();
  expect(reminders(chat)).toEqual([
    `The Re-think for case PSCP-2026-0042 has had no change for 14 days. It is at stage 3 of 5: “Who has been affected, and how?” ${lead.name}, as facilitator, can move the group on once every perspective has been heard. If ${lead.name} is no longer available, anyone who has joined can take over facilitation from the card. To see its card, type **@Re-think status** (or **@Re-think list** if more than one Re-think is open here).`,
  ]);
  // A stage title that is not a question ends with a full stop.
  expect(reminders(atStageTwo.chat)[0]).toContain(`It is at stage 2 of 5: “Thinking and feeling”. ${lead.name}, as facilitator, can`);
  // A change, an hour later, starts a new spell.
  now += 3_600_000;
  await driver.press(other, 'contribute', { rethinkId, contribution: 'Back to it', stage: '3' });
  now += 14 * DAY - 3_600_000;
  await bed.app.housekeep();
  expect(reminders(chat)).toHaveLength(1);
  now += 3_600_000;
  await bed.app.housekeep();
  expect(reminders(chat)).toHaveLength(2);
});

test('a facilitator quiet for 14 days: anyone who has joined is offered to take over on their card, and doing so carries the Re-think on', async () => {
  const { chat, driver, rethinkId } = await rethinkAt(2);
  const offered = async (who: typeof lead) => executeActions((await driver.press(who, 'refresh', { rethinkId })).card ?? {}).some((a) => a.verb === 'takeOver');
  now += 13 * DAY;
  expect(await offered(other)).toBe(false);
  now += DAY;
  expect(await offered(other)).toBe(true);
  // Everyone's card (all that clients without per-person views show) offers it too, as status posts it.
  await driver.say(other, 'status');
  await bed.app.idle();
  const reposted = bed.connector.posts(chat.id).at(-1);
  expect(executeActions(reposted ? cardOf(reposted) : {}).some((a) => a.verb === 'takeOver')).toBe(true);
  const taken = await driver.press(other, 'takeOver', { rethinkId });
  expect(cardText(taken.card)).toContain('You are now facilitating this Re-think');
  expect(executeActions(taken.card ?? {}).map((a) => a.verb)).toContain('advance');
  expect(await bed.db.rethink(chat.id, rethinkId)).toMatchObject({ facilitatorId: other.id });
  // The one before is no longer offered anything of the kind, nor can they move the group on.
  expect(await offered(lead)).toBe(false);
  const refused = await driver.press(lead, 'advance', { rethinkId, confirmed: 'true', stage: '2' });
  expect(cardText(refused.card)).toContain(`Only the facilitator, ${other.name}, can do this.`);
});

test('a tenant taken off the allow-list is reminded of nothing, and nothing is written to its Re-thinks', async () => {
  const { chat, driver, rethinkId } = await rethinkAt(5);
  await addAction(driver, rethinkId, 'Send the minutes', new Date(now + 3 * DAY).toISOString().slice(0, 10), { id: other.id });
  now += 2 * DAY;
  const checkAs = async (tenants: string) => {
    const app = await startApp(bed.store.endpoint, { clock: () => new Date(now), env: { ...env, ALLOWED_TENANT_IDS: tenants } });
    try {
      await app.housekeep();
    } finally {
      await app.stop();
    }
  };
  // What reminding would change. (Each new app's retention check may shorten the record's TTL, which
  // reaches every tenant: it does once the real date, which the store's _ts keeps, is past this test's clock.)
  const remindable = async () => {
    const record = (await bed.db.rethink(chat.id, rethinkId)) ?? {};
    return Object.fromEntries(Object.entries(record).filter(([key]) => !['_etag', '_ts', 'ttl'].includes(key)));
  };
  const before = await remindable();
  await checkAs('11111111-2222-4333-8444-555555555555');
  expect(reminders(chat)).toEqual([]);
  expect(await remindable()).toEqual(before);
  // Still served, it is reminded.
  await checkAs(TENANT);
  expect(reminders(chat)).toHaveLength(1);
});

test('several instances checking: a reminder one of them is posting is not posted again by another', async () => {
  const { chat, driver, rethinkId } = await rethinkAt(5);
  await addAction(driver, rethinkId, 'Book the next review', new Date(now + 3 * DAY).toISOString().slice(0, 10), { id: other.id });
  // A moment apart, so each would mark the reminder differently.
  const second = await startApp(bed.store.endpoint, { clock: () => new Date(now + 1), env });
  try {
    now += 2 * DAY;
    // The first instance has marked it and is posting it (Teams slow to answer) when the second checks.
    const held = bed.connector.holdNextPost();
    const first = bed.app.housekeep();
    await held.arrived;
    await second.housekeep();
    held.release();
    await first;
    await Promise.all([bed.app.housekeep(), second.housekeep()]);
    expect(reminders(chat)).toHaveLength(1);
    expect((await bed.db.rethink(chat.id, rethinkId))?.audit.filter((a) => a.what === 'remindersMarked')).toHaveLength(1);
  } finally {
    await second.stop();
  }
});

test('Teams failing to take a reminder: tried again at the next check, three times at most; refused, too large or removed from the chat: given up at once', async () => {
  const { chat, driver, rethinkId } = await rethinkAt(5);
  await addAction(driver, rethinkId, 'Call the family', new Date(now + 3 * DAY).toISOString().slice(0, 10), { id: lead.id });
  now += 2 * DAY;
  const tries = (c: TestConversation, status: number) => bed.connector.arrivals.filter((a) => a.conversationId === c.id && a.status === status).length;
  // 412 is one Teams asks to be tried again, like throttling and its own faults.
  bed.connector.failConversation(chat.id, 412);
  try {
    await bed.app.housekeep();
  } finally {
    bed.connector.failConversation(chat.id, undefined);
  }
  expect(reminders(chat)).toEqual([]);
  const unmarked = (await bed.db.rethink(chat.id, rethinkId)) as Rethink;
  expect(unmarked.actions.find((a) => a.description === 'Call the family')?.remindedAt).toBeUndefined();
  expect(unmarked.audit.map((a) => a.what).slice(-2)).toEqual(['remindersMarked', 'reminderNotSent']);
  await bed.app.housekeep();
  expect(reminders(chat)).toHaveLength(1);

  // Failing every time: three tries, then given up, not tried every minute.
  const failing = await rethinkAt(5);
  await addAction(failing.driver, failing.rethinkId, 'Write to the school', new Date(now + 3 * DAY).toISOString().slice(0, 10), { id: lead.id });
  // Refused (the app removed from the chat): once, and given up.
  const gone = await rethinkAt(5);
  await addAction(gone.driver, gone.rethinkId, 'Ring the GP', new Date(now + 3 * DAY).toISOString().slice(0, 10), { id: lead.id });
  // Too large for Teams: sending it again would change nothing.
  const tooLarge = await rethinkAt(5);
  await addAction(tooLarge.driver, tooLarge.rethinkId, 'Email the plan', new Date(now + 3 * DAY).toISOString().slice(0, 10), { id: lead.id });
  now += 2 * DAY;
  bed.connector.failConversation(failing.chat.id, 502);
  bed.connector.failConversation(gone.chat.id, 403);
  bed.connector.failConversation(tooLarge.chat.id, 413);
  try {
    // A check a minute, as the app runs them.
    for (let check = 0; check < 5; check++) {
      now += 60_000;
      await bed.app.housekeep();
    }
    expect(tries(failing.chat, 502)).toBe(3);
    expect(tries(gone.chat, 403)).toBe(1);
    expect(tries(tooLarge.chat, 413)).toBe(1);
  } finally {
    bed.connector.failConversation(failing.chat.id, undefined);
    bed.connector.failConversation(gone.chat.id, undefined);
    bed.connector.failConversation(tooLarge.chat.id, undefined);
  }
  const givenUp = (await bed.db.rethink(gone.chat.id, gone.rethinkId)) as Rethink;
  expect(givenUp.audit.at(-1)).toMatchObject({ by: 'reminders', what: 'reminderUndeliverable' });
});

test('a reminder marked by an instance that stopped before posting it is posted at a later check, once its mark has lapsed', async () => {
  const { chat, driver, rethinkId } = await rethinkAt(5);
  await addAction(driver, rethinkId, 'Book the review meeting', new Date(now + 3 * DAY).toISOString().slice(0, 10), { id: lead.id });
  now += 2 * DAY;
  // An instance marks it, then stops before posting: the mark (a conditional write) is all it leaves.
  const { resource: held } = await bed.db.rethinks.item(rethinkId, chat.id).read<Rethink & { _etag: string }>();
  if (!held) throw new Error('no Re-think');
  const marked = applyCommand(held, { kind: 'remind' }, { id: 'reminders', name: 'Re-think' }, { now: new Date(now), profile: loadProfile(DEFAULT_PROFILE_PATH), newId: () => 'unused' });
  if (!marked.ok) throw new Error(marked.error.message);
  await bed.db.rethinks.item(rethinkId, chat.id).replace(marked.value, { accessCondition: { type: 'IfMatch', condition: held._etag } });

  // Within its claim, the mark may still be being posted: nothing is sent twice.
  now += 60_000;
  await bed.app.housekeep();
  expect(reminders(chat)).toEqual([]);
  // Lapsed: a failed try, so it is marked again and posted, once.
  now += 2 * 60_000;
  await bed.app.housekeep();
  await bed.app.housekeep();
  expect(reminders(chat)).toHaveLength(1);
  expect(reminders(chat)[0]).toContain('Book the review meeting');
  const settled = (await bed.db.rethink(chat.id, rethinkId)) as Rethink;
  expect(settled.reminderPending).toBeUndefined();
  expect(settled.audit.map((a) => a.what).slice(-4)).toEqual(['remindersMarked', 'reminderNotSent', 'remindersMarked', 'reminderPosted']);
});

test('each reminder in a check is marked with the time it was marked, not the check’s start, so a long check’s late marks never look lapsed', async () => {
  const first = await rethinkAt(5);
  const second = await rethinkAt(5);
  for (const { driver, rethinkId } of [first, second]) await addAction(driver, rethinkId, 'Send the plan round', new Date(now + 3 * DAY).toISOString().slice(0, 10), { id: lead.id });
  now += 2 * DAY;
  // An instance whose clock moves on a minute each time it is read, as a check slowed by Teams would see it.
  let ticking = now;
  const slow = await startApp(bed.store.endpoint, { clock: () => new Date((ticking += 60_000)), env });
  try {
    await slow.housekeep();
  } finally {
    await slow.stop();
  }
  const marks = await Promise.all([first, second].map(async ({ chat, rethinkId }) => (await bed.db.rethink(chat.id, rethinkId))?.actions[0]?.remindedAt));
  expect(marks.every((m) => typeof m === 'string')).toBe(true);
  expect(new Set(marks).size).toBe(2);
  for (const { chat } of [first, second]) expect(reminders(chat)).toHaveLength(1);
});
