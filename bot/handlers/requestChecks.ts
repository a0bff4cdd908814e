/** The periodic checks that raise a request with people when it has waited too long, or its meeting passed unheld. */
import * as lifecycle from '../../services/requests/lifecycle';
import { ukToday } from '../../services/rethink/validation';
import { calendarOf, inWorkingHours, workingDaysBefore } from '../../services/rethink/workingDays';
import { administratorChats, poolReach } from './requests';
import { engineContext, type Deps } from './types';

/** The periodic check for meetings whose day has passed with no strategy 3 Re-think started (the next working morning). */
export async function raiseMeetingsPassed(deps: Deps, now: Date): Promise<void> {
  if (!inWorkingHours(now, calendarOf(deps.profile.reminders))) return;
  const passed = await deps.requests.meetingPassed(ukToday(now), 20);
  if (passed.length === 0) return;
  const administrators = await administratorChats(deps);
  const ctx = engineContext(deps, now);
  for (const request of passed) {
    const outcome = await deps.requests.update(request.id, (current) => lifecycle.raiseMeetingPassed(current, administrators, ctx), request, true);
    if (outcome.kind === 'updated' && !outcome.replay) deps.dispatch(request.id);
  }
}

/**
 * The periodic check for requests no one has accepted after the profile's `requestWaitingDays`
 * (working days, and raised in working hours, as reminders are): each
 * is raised once (a conditional write, so once across instances) with the channel, the named
 * facilitators who can be reached and haven't declined it, and the administrators.
 */
export async function raiseWaitingRequests(deps: Deps, now: Date): Promise<void> {
  const calendar = calendarOf(deps.profile.reminders);
  if (!inWorkingHours(now, calendar)) return;
  const days = deps.profile.reminders.requestWaitingDays ?? 3;
  const waiting = await deps.requests.waitingLong(workingDaysBefore(now, days, calendar).toISOString(), 20);
  if (waiting.length === 0) return;
  const { pool, named, administrators } = await poolReach(deps);
  const ctx = engineContext(deps, now);
  for (const request of waiting) {
    const declined = new Set(request.declines.map((d) => d.by.aadObjectId));
    const stillAsked = named.flatMap((n) => (n.chat && !declined.has(n.aadObjectId) ? [n.chat] : []));
    const chats = [...(pool?.channel ? [pool.channel] : []), ...stillAsked];
    const outcome = await deps.requests.update(request.id, (current) => lifecycle.raiseWaiting(current, chats, administrators, ctx), request, true);
    if (outcome.kind === 'updated' && !outcome.replay) deps.dispatch(request.id);
  }
}
