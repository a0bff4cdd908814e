/** Follow-up rules (services/rethink/reminders.ts) and the engine's marks, without Teams. */
import { DEFAULT_PROFILE_PATH } from '../../services/config';
import { loadProfile } from '../../services/profile/load';
import { applyCommand } from '../../services/rethink/engine';
import { actionsToRemind, idleToRemind, ukDateAfter } from '../../services/rethink/reminders';
import type { Rethink } from '../../services/rethink/types';
import { closedRethink, stage5Rethink } from '../fixtures/cards/rethinks';

const profile = loadProfile(DEFAULT_PROFILE_PATH);
const REMINDERS = { id: 'reminders', name: 'Re-think' };
const ctx = (now: Date) => ({ now, profile, newId: () => 'id' });
/** The fixture's actions are due on 17, 20 and 24 March 2026, agreed on 9 March. */
const at = (iso: string) => new Date(iso);
const due = (r: Rethink, now: Date) => actionsToRemind(r, now, profile).map((a) => a.dueDate).sort();
const dueOn = (r: Rethink, date: string) => r.actions.find((a) => a.dueDate === date);

test('the UK date some days ahead, from the UK day (not the UTC one) and across the clocks changing', () => {
  expect(ukDateAfter(at('2026-06-30T23:30:00Z'), 2)).toBe('2026-07-03');
  expect(ukDateAfter(at('2026-03-28T12:00:00Z'), 2)).toBe('2026-03-30');
});

test('an action is due a reminder from two working days before it is due, once, while it stands, on an open or closed Re-think', () => {
  const r = stage5Rethink();
  // Thursday 12 March: Friday and Monday are the next two working days; the action due Tuesday waits.
  expect(due(r, at('2026-03-12T09:00:00Z'))).toEqual([]);
  // Friday 13 March: due Tuesday, two working days on (a Sunday reminder would be read on the day).
  expect(due(r, at('2026-03-13T09:00:00Z'))).toEqual(['2026-03-17']);
  // Past due and never reminded (the app was not running, say): still reminded, for a week.
  expect(due(r, at('2026-03-23T09:00:00Z'))).toEqual(['2026-03-17', '2026-03-20', '2026-03-24']);
  expect(due(r, at('2026-03-25T09:00:00Z'))).toEqual(['2026-03-20', '2026-03-24']);
  expect(due(r, at('2026-04-01T09:00:00Z'))).toEqual([]);
  const [first, second] = [dueOn(r, '2026-03-17'), dueOn(r, '2026-03-20')];
  if (!first || !second) throw new Error('fixture');
  first.remindedAt = '2026-03-15T09:00:00.000Z';
  second.removedAt = '2026-03-10T09:00:00.000Z';
  expect(due(r, at('2026-03-22T09:00:00Z'))).toEqual(['2026-03-24']);
  expect(due(closedRethink('resolved'), at('2026-03-13T09:00:00Z'))).toEqual(['2026-03-17']);
  expect(due({ ...stage5Rethink(), status: 'cancelled' }, at('2026-03-22T09:00:00Z'))).toEqual([]);
});

test('an action agreed less than a day ago is not yet due a reminder, however soon it is due', () => {
  const r = stage5Rethink();
  for (const a of r.actions) a.at = '2026-03-16T18:00:00.000Z';
  expect(due(r, at('2026-03-17T09:00:00Z'))).toEqual([]);
  expect(due(r, at('2026-03-17T18:00:00Z'))).toEqual(['2026-03-17']);
});

test('an open Re-think is due a reminder after 14 days without change, once until it changes again', () => {
  const r = { ...stage5Rethink(), updatedAt: '2026-03-01T10:00:00.000Z' };
  expect(idleToRemind(r, at('2026-03-15T09:59:59Z'), profile)).toBe(false);
  expect(idleToRemind(r, at('2026-03-15T10:00:00Z'), profile)).toBe(true);
  expect(idleToRemind({ ...r, idleRemindedAt: '2026-03-15T10:00:00.000Z' }, at('2026-04-30T10:00:00Z'), profile)).toBe(false);
  expect(idleToRemind({ ...r, idleRemindedAt: '2026-02-01T10:00:00.000Z' }, at('2026-03-15T10:00:00Z'), profile)).toBe(true);
  expect(idleToRemind({ ...closedRethink('resolved'), updatedAt: '2026-03-01T10:00:00.000Z' }, at('2026-04-30T10:00:00Z'), profile)).toBe(false);
});

test('the marks: set once, audited, undone only for the reminder that was not posted; the record keeps its place and its expiry', () => {
  const r = { ...stage5Rethink(), updatedAt: '2026-03-01T10:00:00.000Z', ttl: 730 * 86_400 };
  const now = at('2026-03-15T10:00:00Z');
  const marked = applyCommand(r, { kind: 'remind' }, REMINDERS, ctx(now));
  if (!marked.ok) throw new Error('not marked');
  expect(marked.value.actions.map((a) => [a.dueDate, a.remindedAt])).toEqual(expect.arrayContaining([['2026-03-17', '2026-03-15T10:00:00.000Z'], ['2026-03-20', undefined], ['2026-03-24', undefined]]));
  expect(marked.value.idleRemindedAt).toBe('2026-03-15T10:00:00.000Z');
  expect(marked.value.updatedAt).toBe(r.updatedAt);
  expect(marked.value.ttl).toBe(730 * 86_400 - 14 * 86_400);
  const ids = `${dueOn(r, '2026-03-17')?.id},idle`;
  expect(marked.value.audit.at(-1)).toEqual({ at: '2026-03-15T10:00:00.000Z', by: 'reminders', what: 'remindersMarked', ref: ids });
  // Nothing more due: nothing changes, nothing is recorded.
  expect(applyCommand(marked.value, { kind: 'remind' }, REMINDERS, ctx(at('2026-03-15T11:00:00Z')))).toMatchObject({ ok: true, replay: true });
  const undone = applyCommand(marked.value, { kind: 'reminderNotSent', at: '2026-03-15T10:00:00.000Z', retry: true }, REMINDERS, ctx(at('2026-03-15T10:00:01Z')));
  if (!undone.ok) throw new Error('not undone');
  expect(undone.value.actions.every((a) => a.remindedAt === undefined)).toBe(true);
  expect(undone.value.idleRemindedAt).toBeUndefined();
  expect(undone.value.audit.at(-1)).toMatchObject({ what: 'reminderNotSent', ref: ids });
  // Given up (the app not in the chat): kept marked, so never tried again, and recorded as such.
  const given = applyCommand(marked.value, { kind: 'reminderNotSent', at: '2026-03-15T10:00:00.000Z', retry: false }, REMINDERS, ctx(at('2026-03-15T10:00:01Z')));
  if (!given.ok) throw new Error('not recorded');
  expect(given.value.actions.filter((a) => a.remindedAt).map((a) => a.dueDate)).toEqual(['2026-03-17']);
  expect(given.value.audit.at(-1)).toMatchObject({ what: 'reminderUndeliverable', ref: ids });
});

test('Teams failing the same reminder three times: it is given up rather than tried every minute', () => {
  let r: Rethink = { ...stage5Rethink(), updatedAt: '2026-03-14T10:00:00.000Z' };
  const outcomes: string[] = [];
  for (let minute = 0; minute < 4; minute++) {
    const now = new Date(Date.parse('2026-03-15T10:00:00Z') + minute * 60_000);
    const marked = applyCommand(r, { kind: 'remind' }, REMINDERS, ctx(now));
    if (!marked.ok || marked.replay) {
      outcomes.push('nothing due');
      continue;
    }
    const failed = applyCommand(marked.value, { kind: 'reminderNotSent', at: now.toISOString(), retry: true }, REMINDERS, ctx(now));
    if (!failed.ok) throw new Error('not recorded');
    r = failed.value;
    outcomes.push(String(r.audit.at(-1)?.what));
  }
  expect(outcomes).toEqual(['reminderNotSent', 'reminderNotSent', 'reminderUndeliverable', 'nothing due']);
});

/** `r` with the command applied at `now` by the reminders account; a refusal fails the test. */
function applied(r: Rethink, command: Parameters<typeof applyCommand>[1], now: string): Rethink {
  const result = applyCommand(r, command, REMINDERS, ctx(at(now)));
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

test('failures count for one reminder only: a later quiet spell gets its three tries; the same failure recorded twice counts once', () => {
  let r: Rethink = { ...stage5Rethink(), actions: [], updatedAt: '2026-03-01T10:00:00.000Z' };
  r = applied(r, { kind: 'remind' }, '2026-03-15T10:00:00Z');
  r = applied(r, { kind: 'reminderNotSent', at: '2026-03-15T10:00:00.000Z', retry: true }, '2026-03-15T10:00:00Z');
  expect(r.reminderFailures?.count).toBe(1);
  // Delivered again after a lost answer: the same failure, not a second one.
  expect(applyCommand(r, { kind: 'reminderNotSent', at: '2026-03-15T10:00:00.000Z', retry: true }, REMINDERS, ctx(at('2026-03-15T10:00:01Z')))).toMatchObject({ ok: true, replay: true });
  // Posted at the next check; then people change it, and a new quiet spell begins.
  r = applied(r, { kind: 'remind' }, '2026-03-15T10:01:00Z');
  r = applied(r, { kind: 'reminderPosted', at: '2026-03-15T10:01:00.000Z' }, '2026-03-15T10:01:00Z');
  r = { ...r, updatedAt: '2026-03-20T10:00:00.000Z' };
  const whats: string[] = [];
  for (let minute = 0; minute < 3; minute++) {
    const now = new Date(Date.parse('2026-04-03T10:00:00Z') + minute * 60_000).toISOString();
    r = applied(r, { kind: 'remind' }, now);
    r = applied(r, { kind: 'reminderNotSent', at: now, retry: true }, now);
    whats.push(String(r.audit.at(-1)?.what));
  }
  expect(whats).toEqual(['reminderNotSent', 'reminderNotSent', 'reminderUndeliverable']);
});

test('an action given a new due date is reminded again as that date comes', () => {
  const r = stage5Rethink();
  const action = dueOn(r, '2026-03-17');
  if (!action) throw new Error('fixture');
  action.remindedAt = '2026-03-15T09:00:00.000Z';
  const lead = { id: r.facilitatorId, name: 'Lead' };
  const edited = applyCommand(r, { kind: 'editAction', actionId: action.id, description: action.description, ownerParticipantId: action.owner.participantId ?? '', ownerName: '', dueDate: '2026-04-10' }, lead, ctx(at('2026-03-16T09:00:00Z')));
  if (!edited.ok) throw new Error(edited.error.message);
  expect(edited.value.actions.find((a) => a.id === action.id)?.remindedAt).toBeUndefined();
  expect(due(edited.value, at('2026-04-08T09:00:00Z'))).toContain('2026-04-10');
});

test('a reminder is pending from its mark until settled: no other is marked meanwhile; posted or failed, it is settled', () => {
  let r: Rethink = { ...stage5Rethink(), actions: [], updatedAt: '2026-03-01T10:00:00.000Z' };
  r = applied(r, { kind: 'remind' }, '2026-03-15T10:00:00Z');
  expect(r.reminderPending).toBe('2026-03-15T10:00:00.000Z');
  // Another check a minute later, with it still being posted: nothing more is marked.
  expect(applyCommand(r, { kind: 'remind' }, REMINDERS, ctx(at('2026-03-15T10:01:00Z')))).toMatchObject({ ok: true, replay: true });
  // Settled by a post (for a different mark, nothing).
  expect(applyCommand(r, { kind: 'reminderPosted', at: '2026-03-15T09:00:00.000Z' }, REMINDERS, ctx(at('2026-03-15T10:00:01Z')))).toMatchObject({ ok: true, replay: true });
  const posted = applied(r, { kind: 'reminderPosted', at: '2026-03-15T10:00:00.000Z' }, '2026-03-15T10:00:01Z');
  expect(posted.reminderPending).toBeUndefined();
  expect(posted.idleRemindedAt).toBe('2026-03-15T10:00:00.000Z');
  expect(posted.audit.at(-1)).toMatchObject({ what: 'reminderPosted', ref: 'idle', by: REMINDERS.id });
  // Or by a failure: unmarked, to be tried again.
  const failed = applied(r, { kind: 'reminderNotSent', at: '2026-03-15T10:00:00.000Z', retry: true }, '2026-03-15T10:00:01Z');
  expect(failed.reminderPending).toBeUndefined();
  expect(failed.idleRemindedAt).toBeUndefined();
});
