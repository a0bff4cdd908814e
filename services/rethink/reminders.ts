/**
 * Follow-up, from the partnership profile's reminder timings: agreed actions are "followed up", and
 * an open Re-think is not left to drift. What is due for a reminder is decided here, from the
 * record alone, so the check inside the conditional write that marks it is the same as the search.
 */
import type { PartnershipProfile } from '../profile/types';
import { ukToday } from './validation';
import { calendarOf, workingDaysAfter } from './workingDays';
import type { AgreedAction, Rethink } from './types';
import { DAY_MS } from './bankHolidays';

/** An action missed (the app not running, say) is still reminded this long after its date; older ones are history. */
const OVERDUE_DAYS = 7;
/** Teams failing to take a reminder this many times in a row: it is given up, not tried every minute. */
export const REMINDER_TRIES = 3;

/** The UK date `days` after today, as YYYY-MM-DD. */
export function ukDateAfter(now: Date, days: number): string {
  const today = new Date(`${ukToday(now)}T00:00:00Z`);
  return new Date(today.getTime() + days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Actions due within `actionDueSoonDays` working days (an action due on Monday, two days ahead, is
 * reminded on Thursday: the chat hears of it in working hours on a working day, or past due by at most OVERDUE_DAYS) that the chat has not
 * been reminded of, on a Re-think that is open or closed (actions outlive the conversation). An
 * action agreed less than a day ago is not yet due a reminder: the people who agreed it have just seen it.
 */
export function actionsToRemind(r: Rethink, now: Date, profile: PartnershipProfile): AgreedAction[] {
  if (r.status !== 'open' && r.status !== 'closed') return [];
  const { dueBy, overdueFrom, agreedBefore } = reminderBounds(now, profile);
  return r.actions.filter((a) => !a.removedAt && !a.remindedAt && a.dueDate <= dueBy && a.dueDate >= overdueFrom && a.at <= agreedBefore);
}

/** An open Re-think with no change for `openRethinkDays`, and no reminder since its last change. */
export function idleToRemind(r: Rethink, now: Date, profile: PartnershipProfile): boolean {
  if (r.status !== 'open') return false;
  return r.updatedAt <= reminderBounds(now, profile).idleSince && !(r.idleRemindedAt && r.idleRemindedAt >= r.updatedAt);
}

/** What a reminder marked at `at` covers: its actions, and whether the quiet spell. */
export function markedAt(r: Rethink, at: string): { actions: AgreedAction[]; idle: boolean } {
  return { actions: r.actions.filter((a) => a.remindedAt === at), idle: r.idleRemindedAt === at };
}

/** The ids a reminder covers, for the audit trail: its actions, and `idle`. */
export const markIds = (marked: { actions: AgreedAction[]; idle: boolean }): string => [...marked.actions.map((a) => a.id), ...(marked.idle ? ['idle'] : [])].join(',');

/** A reminder marked this long ago and still not known to be posted counts as a failed try. */
export const REMINDER_CLAIM_MS = 2 * 60_000;

/** Where the search for reminders starts: the same bounds as above, for a query across chats. */
export function reminderBounds(now: Date, profile: PartnershipProfile): { dueBy: string; overdueFrom: string; agreedBefore: string; idleSince: string } {
  return {
    dueBy: workingDaysAfter(now, profile.reminders.actionDueSoonDays, calendarOf(profile.reminders)),
    overdueFrom: ukDateAfter(now, -OVERDUE_DAYS),
    agreedBefore: new Date(now.getTime() - DAY_MS).toISOString(),
    idleSince: new Date(now.getTime() - profile.reminders.openRethinkDays * DAY_MS).toISOString(),
  };
}
