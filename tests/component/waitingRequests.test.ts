/**
 * A request no one accepts is raised once, after the profile's requestWaitingDays (3 working days for
 * Portsmouth), with those who could accept it and the administrators, by the periodic check, in
 * working hours. The clock starts on a Thursday at 09:00 UTC (10:00 in the UK).
 */
import { message, person, users, type TestConversation } from '../helpers/activities';
import { send, startTestBed, type TestBed } from '../helpers/harness';
import { COMPLETE_FORM, installPersonally, openRequestForm, personalChat, pressIn, submitForm } from '../helpers/journeys';
import { ukToday } from '../../services/rethink/validation';
import { nextWeekdayAt9 } from '../helpers/clock';

const DAY = 86_400_000;
const admin = users.isaiah;
const requester = users.alex;
const [asked, declined] = [person(51), person(52)];
const channel: TestConversation = { id: '19:w1a2i3t4i5n6g7@thread.tacv2', conversationType: 'channel', isGroup: true };

let bed: TestBed;
let now = Date.parse('2027-07-01T09:00:00.000Z');
/** Each test begins on a weekday of its own choosing (0 Sunday … 6 Saturday). */
const onNext = (weekday: number) => (now = nextWeekdayAt9(now, weekday));
const say = (conversation: TestConversation, text: string) => send(bed.app, message(text, { user: admin, conversation, serviceUrl: bed.connector.serviceUrl }));
const raised = (conversationId: string): string[] => bed.connector.posts(conversationId).map((p) => p.activity.text ?? '').filter((t) => t.includes('is still waiting'));

beforeAll(async () => {
  bed = await startTestBed({ env: { ADMIN_IDS: admin.aadObjectId }, clock: () => new Date(now), delivery: { pollMs: 100, leaseMs: 2_000, sendTimeoutMs: 900 } });
  for (const user of [admin, requester, asked, declined]) await installPersonally(bed.app, bed.connector, user);
  await say(channel, 'set facilitator channel');
  for (const f of [asked, declined]) await say(personalChat(admin), `add facilitator ${f.aadObjectId}`);
});
afterAll(() => bed.stop());

test('raised once after three working days, in working hours, with the channel, the named facilitators who haven’t declined, and the administrators; never with the requester', async () => {
  onNext(4);
  const form = await openRequestForm(bed.app, bed.connector, requester, 'PSCP-2026-0911');
  const { requestId } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A professionals meeting in May.' });
  await pressIn(bed.app, bed.connector, personalChat(declined), declined, 'declineRequest', { requestId });
  await bed.app.idle();

  // Submitted on Thursday: not on Sunday (no one is at work), nor on Monday (two working days).
  for (const later of [3, 1]) {
    now += later * DAY;
    await bed.app.housekeep();
    await bed.app.idle();
    expect(raised(channel.id)).toEqual([]);
  }
  // Tuesday evening: Friday, Monday and Tuesday have passed, but no one is at work (20:00 in the UK).
  now += DAY + 10 * 3_600_000;
  await bed.app.housekeep();
  await bed.app.idle();
  expect(raised(channel.id)).toEqual([]);
  // Wednesday morning (08:00 in the UK).
  now += 12 * 3_600_000;
  await bed.app.housekeep();
  for (const chat of [channel.id, personalChat(asked).id, personalChat(admin).id]) {
    await bed.connector.waitFor((c) => c.conversationId === chat && (c.activity.text ?? '').includes('PSCP-2026-0911') && (c.activity.text ?? '').includes('is still waiting'));
  }
  expect(raised(channel.id)).toEqual([expect.stringMatching(/^The request for an independent facilitator for case PSCP-2026-0911, made on .+, is still waiting for someone to accept it\. Its card is in this channel; type \*\*@Re-think requests\*\* to see every request waiting\.$/)]);
  // A named facilitator's own chat needs no @mention.
  expect(raised(personalChat(asked).id)).toEqual([expect.stringMatching(/Its card is in this chat; type \*\*requests\*\* to see every request waiting\.$/)]);
  expect(raised(personalChat(admin).id)).toEqual([expect.stringMatching(/is still waiting for a facilitator to accept it\. The facilitators have been reminded; if no one can take it, the pool may need another facilitator\.$/)]);
  expect(raised(personalChat(declined).id)).toEqual([]);
  expect(raised(personalChat(requester).id)).toEqual([]);
  const stored = await bed.db.request(requestId);
  expect(stored?.status).toBe('submitted');
  expect(stored?.waitingRaisedAt).toBe(new Date(now).toISOString());

  // Once: the next checks say nothing more.
  now += DAY;
  await bed.app.housekeep();
  await bed.app.idle();
  expect(raised(channel.id)).toHaveLength(1);
  expect(raised(personalChat(asked).id)).toHaveLength(1);
}, 60_000);

test('taking the pool down to those who have declined a waiting request tells its requester and the administrators, once', async () => {
  const form = await openRequestForm(bed.app, bed.connector, requester, 'PSCP-2026-0912');
  const { requestId } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A professionals meeting in May.' });
  await pressIn(bed.app, bed.connector, personalChat(declined), declined, 'declineRequest', { requestId });
  const toldOf = (user: typeof admin) => bed.connector.posts(personalChat(user).id).map((p) => p.activity.text ?? '').filter((t) => t.startsWith('Every independent facilitator who can be reached') && t.includes('PSCP-2026-0912'));
  // The channel, then the one facilitator who hadn't declined, taken out of the pool.
  await say(personalChat(admin), 'remove facilitator channel');
  await bed.app.idle();
  expect(toldOf(requester)).toEqual([]);
  await say(personalChat(admin), `remove facilitator ${asked.aadObjectId}`);
  await bed.connector.waitFor((c) => c.conversationId === personalChat(requester).id && (c.activity.text ?? '').startsWith('Every independent facilitator') && (c.activity.text ?? '').includes('PSCP-2026-0912'));
  await bed.connector.waitFor((c) => c.conversationId === personalChat(admin).id && (c.activity.text ?? '').startsWith('Every independent facilitator') && (c.activity.text ?? '').includes('PSCP-2026-0912'));
  // Taken out and put back, then out again: not told twice.
  await say(personalChat(admin), `add facilitator ${asked.aadObjectId}`);
  await say(personalChat(admin), `remove facilitator ${asked.aadObjectId}`);
  await bed.app.idle();
  expect(toldOf(requester)).toHaveLength(1);
  expect(toldOf(admin)).toHaveLength(1);
  expect((await bed.db.request(requestId))?.status).toBe('submitted');
}, 60_000);

test('a meeting whose day has passed with no strategy 3 Re-think started: its facilitator is reminded once, the next working morning; moved, once more after the new day', async () => {
  onNext(3);
  const form = await openRequestForm(bed.app, bed.connector, requester, 'PSCP-2026-0913');
  const { requestId } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A professionals meeting in May.' });
  await installPersonally(bed.app, bed.connector, person(53));
  const facilitator = person(53);
  await say(personalChat(admin), `add facilitator ${facilitator.aadObjectId}`);
  await pressIn(bed.app, bed.connector, personalChat(facilitator), facilitator, 'acceptRequest', { requestId });
  const day = (offset: number) => ukToday(new Date(now + offset * DAY));
  await pressIn(bed.app, bed.connector, personalChat(facilitator), facilitator, 'scheduleRequest', { requestId, meetingDate: day(2), meetingTime: '23:00', meetingFormat: 'virtual' });
  const reminded = () => bed.connector.posts(personalChat(facilitator).id).map((p) => p.activity.text ?? '').filter((t) => t.includes('PSCP-2026-0913') && t.includes('no strategy 3 Re-think has been started'));

  now += 2 * DAY;
  await bed.app.housekeep();
  await bed.app.idle();
  expect(reminded()).toEqual([]);
  // The meeting was on Friday: not on Saturday, but on Monday morning.
  now += 1 * DAY;
  await bed.app.housekeep();
  await bed.app.idle();
  expect(reminded()).toEqual([]);
  now += 2 * DAY;
  await bed.app.housekeep();
  await bed.connector.waitFor((c) => c.conversationId === personalChat(facilitator).id && (c.activity.text ?? '').includes('no strategy 3 Re-think has been started'));
  expect(reminded()).toEqual([expect.stringMatching(/^The Re-think meeting for case PSCP-2026-0913 was arranged for .+, but no strategy 3 Re-think has been started for it\. If it was held, please start it now to record it .*; if it didn’t go ahead, please change the meeting on the request’s card\.$/)]);
  await bed.app.housekeep();
  await bed.app.idle();
  expect(reminded()).toHaveLength(1);
  // Moved to a later day (an hour on): reminded again once that day has passed too.
  now += 3_600_000;
  await pressIn(bed.app, bed.connector, personalChat(facilitator), facilitator, 'scheduleRequest', { requestId, meetingDate: day(1), meetingTime: '23:00', meetingFormat: 'virtual' });
  now += 2 * DAY;
  await bed.app.housekeep();
  await bed.connector.waitFor(() => reminded().length === 2);
  expect(reminded()).toHaveLength(2);
}, 60_000);

test('a request still waiting is not raised on a bank holiday: three working days from Wednesday 25 August 2027 pass over the summer bank holiday, so it is raised on Tuesday', async () => {
  now = Date.parse('2027-08-25T08:00:00.000Z'); // Wednesday, 09:00 in the UK
  const form = await openRequestForm(bed.app, bed.connector, requester, 'PSCP-2026-0933');
  const { requestId } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A professionals meeting in July.' });
  await bed.app.idle();
  // The channel was taken out of the pool above: the administrators are told, as always.
  const waiting = () => raised(personalChat(admin).id).filter((t) => t.includes('PSCP-2026-0933'));
  // Monday 30 August, 10:00 in the UK: a bank holiday, so Friday alone has passed of the three.
  now = Date.parse('2027-08-30T09:00:00.000Z');
  await bed.app.housekeep();
  await bed.app.idle();
  expect(waiting()).toEqual([]);
  expect((await bed.db.request(requestId))?.waitingRaisedAt).toBeUndefined();
  // Tuesday, 10:00 in the UK: Friday, Thursday and Wednesday have passed since, by the hour it was made.
  now = Date.parse('2027-08-31T09:00:00.000Z');
  await bed.app.housekeep();
  await bed.connector.waitFor((c) => c.conversationId === personalChat(admin).id && (c.activity.text ?? '').includes('PSCP-2026-0933') && (c.activity.text ?? '').includes('is still waiting'));
  expect(waiting()).toHaveLength(1);
  expect((await bed.db.request(requestId))?.waitingRaisedAt).toBe('2027-08-31T09:00:00.000Z');
});
