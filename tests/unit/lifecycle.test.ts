/** The facilitator request's lifecycle rules, without Teams or a store. */
import path from 'node:path';
import { loadProfile } from '../../services/profile/load';
import { acceptRequest, answerQuestion, askQuestion, completeRequest, declineRequest, scheduleRequest, withdrawRequest } from '../../services/requests/lifecycle';
import type { FacilitatorRequest } from '../../services/requests/types';
import type { Result } from '../../services/result';
import { request } from '../fixtures/cards/requests';
import { statusLine } from '../../cards/requestText';
import { renderRequestCard } from '../../cards/request';

const profile = loadProfile(path.join(__dirname, '../../services/profile/portsmouth.json'));
const NOW = new Date('2026-11-26T09:00:00Z');
let n = 0;
const ctx = { now: NOW, newId: () => `id${++n}`, profile };
const facilitator = { id: '29:facilitator', name: 'Adele Vance', aadObjectId: 'f1' };
const requester = { id: '29:requester', name: 'Alex Wilber', aadObjectId: 'a1' };

function value(result: Result<FacilitatorRequest> & { replay?: boolean }): FacilitatorRequest {
  if (!result.ok) throw new Error(`refused: ${result.error.message}`);
  return result.value;
}

test('an independent facilitator is someone outside the case: neither the requester nor anyone from its earlier Re-thinks accepts', () => {
  const colleague = { id: '29:colleague', name: 'Megan Bowen', aadObjectId: 'c1' };
  const doc = request('submitted', { network: [colleague] });
  const refused = (who: { id: string; name: string; aadObjectId?: string }) => {
    const result = acceptRequest(doc, who, undefined, undefined, ctx);
    return result.ok ? 'accepted' : result.error.message;
  };
  expect(refused(requester)).toMatch(/^You made this request/);
  expect(refused(colleague)).toMatch(/^You took part in this case’s earlier Re-thinks, so another independent facilitator needs to accept it/);
  // The same person reached through another chat: known by their Entra object id.
  expect(refused({ id: '29:colleague-elsewhere', name: 'Megan Bowen', aadObjectId: 'c1' })).toMatch(/^You took part/);
  expect(refused(facilitator)).toBe('accepted');
});

test('someone who declined and then accepts is listed as having accepted only', () => {
  const other = { id: '29:other', name: 'Priya Shah', aadObjectId: 'o1' };
  let doc = value(declineRequest(request('submitted'), facilitator, 'act-d1', ctx));
  doc = value(declineRequest(doc, other, 'act-d2', ctx));
  const accepted = value(acceptRequest(doc, facilitator, undefined, 'act-a', ctx));
  expect(accepted.declines.map((d) => d.by.name)).toEqual(['Priya Shah']);
});

test('once accepted, only the facilitator who accepted asks the requester questions: the answer goes to them', () => {
  const other = { id: '29:other', name: 'Priya Shah', aadObjectId: 'o1' };
  const accepted = value(acceptRequest(request('submitted'), facilitator, undefined, 'act-a', ctx));
  const refused = askQuestion(accepted, other, 'Who else is involved?', '19:pool', 'act-q1', ctx);
  expect(refused.ok ? '' : refused.error.message).toBe('Adele Vance has accepted this request, so questions to the requester now come from them. If you have something to ask, please pass it to Adele Vance.');
  expect(value(askQuestion(accepted, facilitator, 'Who else is involved?', '19:pool', 'act-q2', ctx)).questions).toHaveLength(accepted.questions.length + 1);
  // Before anyone accepts, anyone in the pool may ask.
  expect(value(askQuestion(request('submitted'), other, 'Who else is involved?', '19:pool', 'act-q3', ctx)).questions).toHaveLength(request('submitted').questions.length + 1);
});

describe('the same activity delivered twice gets the first result, not a refusal', () => {
  test('accept', () => {
    const accepted = value(acceptRequest(request('submitted'), facilitator, undefined, 'act-1', ctx));
    const again = acceptRequest(accepted, facilitator, undefined, 'act-1', ctx);
    expect(again).toMatchObject({ ok: true, replay: true, value: accepted });
    // A new press by someone else is still told who accepted it.
    const other = acceptRequest(accepted, { id: '29:other', name: 'Isaiah Langer' }, undefined, 'act-2', ctx);
    expect(other.ok ? '' : other.error.message).toMatch(/already been accepted by Adele Vance/);
    // A new press by the one who accepted it (another copy, another device) is told it is theirs.
    const mine = acceptRequest(accepted, facilitator, undefined, 'act-9', ctx);
    expect(mine.ok ? '' : mine.error.message).toBe('You accepted this request on 26 November 2026, so nothing more is needed. Nothing has been changed.');
  });

  test('decline, answer and withdraw', () => {
    const declined = value(declineRequest(request('submitted'), facilitator, 'act-3', ctx));
    expect(declineRequest(declined, facilitator, 'act-3', ctx)).toMatchObject({ ok: true, replay: true });
    expect(declined.audit.filter((a) => a.what === 'declined')).toHaveLength(1);

    const asked = request('accepted', { questions: [{ id: 'q1', askedBy: facilitator, text: 'Is the family aware?', askedAt: NOW.toISOString() }] });
    const answered = value(answerQuestion(asked, requester, 'q1', 'Yes, since Monday.', undefined, 'act-4', ctx));
    expect(answerQuestion(answered, requester, 'q1', 'Yes, since Monday.', undefined, 'act-4', ctx)).toMatchObject({ ok: true, replay: true });

    const withdrawn = value(withdrawRequest(request('submitted'), requester, 'Resolved at the TAF meeting', [], 'act-5', ctx));
    expect(withdrawRequest(withdrawn, requester, 'Resolved at the TAF meeting', [], 'act-5', ctx)).toMatchObject({ ok: true, replay: true });
    expect(withdrawn.audit.filter((a) => a.what === 'withdrawn')).toHaveLength(1);
  });
});

describe('scheduling', () => {
  const accepted = () => request('accepted', { accepted: { by: facilitator, at: NOW.toISOString() } });
  const schedule = (date: string, time: string) => scheduleRequest(accepted(), facilitator, { date, time, format: 'virtual' }, [], undefined, ctx);
  const message = (result: Result<FacilitatorRequest>) => (result.ok ? '' : result.error.message);

  test('a date that does not exist is refused, not moved to another day', () => {
    expect(message(schedule('2027-02-30', '10:30'))).toBe('Please choose the date of the meeting from the calendar: that isn’t a real date.');
    expect(message(schedule('30/01/2027', '10:30'))).toMatch(/a real date/);
  });

  test('a meeting moved keeps the earlier arrangement, and everyone is told it moved from when to when', () => {
    const first = value(schedule('2027-01-30', '10:30'));
    const notices = (r: FacilitatorRequest) => r.outbox.map((d) => (d.message.kind === 'text' ? d.message.text : ''));
    const moved = scheduleRequest(first, facilitator, { date: '2027-02-04', time: '14:00', format: 'phone' }, [], undefined, ctx);
    const after = value(moved);
    expect(after.schedule).toMatchObject({ date: '2027-02-04', time: '14:00', previous: [expect.objectContaining({ date: '2027-01-30', time: '10:30', format: 'virtual' })] });
    expect(notices(after).at(-1)).toMatch(/has moved: it is now on Thursday 4 February 2027 at 14:00 \(.+\), not Saturday 30 January 2027 at 10:30\./);
    // The request's card says so too, for anyone who reads it rather than the notice.
    expect(statusLine(profile, after)).toMatch(/Meeting on Thursday 4 February 2027 at 14:00 \(.+\)\. It was moved from Saturday 30 January 2027 at 10:30\.$/);
    expect(statusLine(profile, first)).not.toContain('moved');
    // Only the format changed: said so, not a move to the same time.
    const reformatted = value(scheduleRequest(after, facilitator, { date: '2027-02-04', time: '14:00', format: 'virtual' }, [], undefined, ctx));
    expect(statusLine(profile, reformatted)).toMatch(/Meeting on Thursday 4 February 2027 at 14:00 \(Virtual, in Teams\)\. It was changed from Phone\.$/);
    expect(notices(reformatted).at(-1)).toBe('The Re-think meeting with an independent facilitator for case PSCP-2026-0042 on Thursday 4 February 2027 at 14:00 is now Virtual, in Teams, not Phone. It is facilitated by Adele Vance.');
    // The same arrangement pressed again changes and tells nothing.
    expect(scheduleRequest(after, facilitator, { date: '2027-02-04', time: '14:00', format: 'phone' }, [], undefined, ctx)).toMatchObject({ ok: true, replay: true });
  });

  test('withdrawn with a meeting still to come, those told of it hear it won’t go ahead; once its time has come, only that the request was withdrawn', () => {
    const withdrawnAt = (date: string, time: string) => {
      const scheduled = value(schedule(date, time));
      const later = { ...ctx, now: new Date('2026-11-26T10:00:00Z') };
      const withdrawn = value(withdrawRequest(scheduled, requester, 'Resolved at the meeting', [{ ...scheduled.requestedIn, conversationId: 'a:colleague' }], undefined, later));
      return withdrawn.outbox.filter((d) => d.to.conversationId === 'a:colleague').map((d) => (d.message.kind === 'text' ? d.message.text : '')).at(-1);
    };
    expect(withdrawnAt('2026-11-26', '10:30')).toBe('The Re-think meeting with an independent facilitator for case PSCP-2026-0042 on Thursday 26 November 2026 will not go ahead: the request has been withdrawn.');
    expect(withdrawnAt('2026-11-26', '09:30')).toBe('The request for an independent facilitator for case PSCP-2026-0042, whose Re-think meeting was arranged for Thursday 26 November 2026, has been withdrawn by the person who made it.');
  });

  test('where the meeting is, or how to join, is told with it, kept on the card, and a change of place alone is told as that', () => {
    const notices = (r: FacilitatorRequest) => r.outbox.map((d) => (d.message.kind === 'text' ? d.message.text : ''));
    const arranged = value(scheduleRequest(accepted(), facilitator, { date: '2027-01-30', time: '10:30', format: 'faceToFace', where: ' Room 2, Civic Offices, Guildhall Square. ' }, [], undefined, ctx));
    expect(arranged.schedule?.where).toBe('Room 2, Civic Offices, Guildhall Square.');
    expect(notices(arranged).at(-1)).toMatch(/^The Re-think meeting with an independent facilitator for case PSCP-2026-0042 is arranged for Saturday 30 January 2027 at 10:30 \(.+\), facilitated by Adele Vance\. Where, or how to join: Room 2, Civic Offices, Guildhall Square\.$/);
    const card = JSON.stringify(renderRequestCard(profile, arranged, 'pool'));
    expect(card).toContain('Where, or how to join');
    expect(card).toContain('Room 2, Civic Offices, Guildhall Square.');
    const moved = value(scheduleRequest(arranged, facilitator, { date: '2027-01-30', time: '10:30', format: 'faceToFace', where: 'Room 5, Civic Offices' }, [], undefined, ctx));
    expect(notices(moved).at(-1)).toBe('The Re-think meeting with an independent facilitator for case PSCP-2026-0042 on Saturday 30 January 2027 at 10:30 has a new place or way to join. Where, or how to join: Room 5, Civic Offices. It is facilitated by Adele Vance.');
    expect(statusLine(profile, moved)).not.toContain('changed from');
    expect(message(scheduleRequest(arranged, facilitator, { date: '2027-01-30', time: '10:30', format: 'faceToFace', where: 'x'.repeat(501) }, [], undefined, ctx))).toMatch(/^The place or way to join is 501 characters long; the limit is 500/);
  });

  test('a slip of the year, or a time already gone today, is refused', () => {
    expect(message(schedule('2206-01-30', '10:30'))).toBe('The meeting date, 30 January 2206, is more than two years away. Please check the year.');
    // Nor later than the request is kept: with a year's retention, a meeting in eighteen months would find it gone.
    const aYear = { ...ctx, profile: { ...profile, retentionDays: 365 } };
    expect(message(scheduleRequest(accepted(), facilitator, { date: '2028-05-30', time: '10:30', format: 'faceToFace' }, [], undefined, aYear))).toBe('The meeting date, 30 May 2028, is later than Re-think keeps its records (365 days), so the request would be gone before the meeting. Please choose a date by 25 November 2027.');
    expect(value(scheduleRequest(accepted(), facilitator, { date: '2027-11-25', time: '10:30', format: 'faceToFace' }, [], undefined, aYear)).schedule?.date).toBe('2027-11-25');
    expect(message(scheduleRequest(accepted(), facilitator, { date: '2027-11-26', time: '10:30', format: 'faceToFace' }, [], undefined, aYear))).toMatch(/^The meeting date, 26 November 2027, is later than Re-think keeps its records/);
    // NOW is 09:00 in London.
    expect(message(schedule('2026-11-26', '08:30'))).toBe('08:30 today has already passed. Please choose a later time, or another day.');
    expect(value(schedule('2026-11-26', '09:30')).schedule).toMatchObject({ date: '2026-11-26', time: '09:30' });
  });

  test('the whole time is checked; seconds are allowed and dropped', () => {
    expect(message(schedule('2027-01-30', '10:309'))).toBe('Please choose the time of the meeting, for example 10:30.');
    expect(message(schedule('2027-01-30', '25:00'))).toMatch(/time of the meeting/);
    expect(value(schedule('2027-01-30', '10:30:00')).schedule).toMatchObject({ date: '2027-01-30', time: '10:30' });
  });
});

test('a request whose record is full refuses what would add to it, clearly (a decline, a question, an answer, a meeting); it can still be withdrawn', () => {
  const questions = Array.from({ length: 400 }, (_, i) => ({ id: `q${i}`, askedBy: { id: '29:f', name: 'Adele Vance' }, text: `${i} ${'Has the school been invited? '.repeat(140)}`, askedAt: NOW.toISOString() }));
  const full = request('accepted', { accepted: { by: facilitator, at: NOW.toISOString() }, questions });
  const waiting = request('submitted', { questions });
  expect(Buffer.byteLength(JSON.stringify(full), 'utf8')).toBeGreaterThan(1_500_000);
  const other = { id: '29:other', name: 'Isaiah Langer', aadObjectId: 'o1' };
  for (const refused of [
    askQuestion(full, facilitator, 'One more question?', '19:pool', 'act-full-1', ctx),
    declineRequest(waiting, other, 'act-full-4', ctx),
    answerQuestion(full, requester, 'q1', 'Yes, last week.', undefined, 'act-full-5', ctx),
    scheduleRequest(full, facilitator, { date: '2027-02-03', time: '10:00', format: 'virtual' }, [], 'act-full-6', ctx),
  ]) {
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.message).toContain('This request’s record has grown as large as it can be');
  }
  expect(withdrawRequest(full, requester, 'Starting afresh', [], 'act-full-2', ctx).ok).toBe(true);
  // A small request takes the same question.
  expect(askQuestion(request('accepted', { accepted: { by: facilitator, at: NOW.toISOString() } }), facilitator, 'One more question?', '19:pool', 'act-full-3', ctx).ok).toBe(true);
});

test('a facilitated Re-think ending in escalation tells its requester what comes next: the protocol, with its link, and where each stage is recorded', () => {
  const linked = { ...request('accepted'), rethink: { id: 'r3', conversationId: '19:network@thread.v2', linkedAt: NOW.toISOString() } };
  const texts = (outcome: Parameters<typeof completeRequest>[4]) => value(completeRequest(linked, 'r3', facilitator.id, ctx, outcome)).outbox.flatMap((d) => (d.message.kind === 'text' ? [d.message.text] : []));
  const [escalated] = texts({ kind: 'notResolved', nextStep: 'escalation', said: 'Not resolved (escalation)' });
  expect(escalated).toContain(`goes to escalation under the [${profile.partnership.escalationProtocolName}](${profile.partnership.escalationProtocolUrl})`);
  expect(escalated).toContain(`the summary’s **Escalate under the ${profile.partnership.escalationProtocolShortName}** button`);
  // The protocol's own first stage (practitioner to practitioner), from the profile: not "your manager".
  expect(escalated).toContain('please take it up at the stage that fits (the protocol begins with “Practitioner to practitioner”)');
  expect(escalated).not.toContain('manager');
  expect(texts({ kind: 'resolved', said: 'Resolved' }).join(' ')).not.toContain('escalation under');
});
