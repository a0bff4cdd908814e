/**
 * The periodic follow-up (run with the dispatcher's housekeeping): the chat where actions were agreed
 * is reminded as they fall due, and an open Re-think left without change is pointed out to its
 * facilitator. Each reminder is marked on the Re-think in a conditional write before it is posted,
 * so of several instances one posts it, and settled after: posted, or unmarked to be tried again. One
 * never settled (the instance stopped between the two) is taken as a failed try at a later check.
 */
import { ownerLabel } from '../../services/rethink/authors';
import { formatUkDay, ukToday } from '../../services/rethink/validation';
import { applyCommand } from '../../services/rethink/engine';
import { facilitatorIsNamed, facilitatorQuiet } from '../../services/rethink/facts';
import { DAY_MS } from '../../services/rethink/bankHolidays';
import { markedAt, REMINDER_CLAIM_MS, reminderBounds } from '../../services/rethink/reminders';
import { calendarOf, inWorkingHours } from '../../services/rethink/workingDays';
import { NO_ONE, type Actor, type AgreedAction, type EngineContext, type Rethink } from '../../services/rethink/types';
import { refusedForGood } from '../../services/requests/outbox';
import { errorKind } from '../../services/logging';
import type { ConnectorClient } from '../connectorClient';
import { truncate } from '../../cards/render';
import { postToRethinkChat } from './rethink';
import { engineContext, type Deps } from './types';
import { typedCommand } from '../../services/text';

/** Who the audit trail names for a reminder. */
const REMINDERS: Actor = { id: NO_ONE.reminders, name: 'Re-think' };

/** How many Re-thinks one check looks at; the rest wait for the next. */
const PER_CHECK = 50;

/**
 * `clock` is read again for each reminder: a mark carries the time it was made, so that one made late
 * in a long check (Teams slow) is not taken by another instance for one that lapsed.
 */
export async function sendReminders(deps: Deps, connector: ConnectorClient, clock: () => Date, stopping: () => boolean = () => false): Promise<void> {
  const now = clock();
  const ctx = engineContext(deps, now);
  // Marked a while ago and never settled (the instance stopped, or an answer was lost): a failed try,
  // so it is unmarked and found below, or given up after a few.
  const markedBefore = new Date(now.getTime() - REMINDER_CLAIM_MS).toISOString();
  for (const lapsed of await deps.rethinks.lapsedReminders(markedBefore, PER_CHECK, deps.allowedTenantIds)) {
    if (stopping()) return;
    await deps.rethinks
      .update(lapsed.conversationId, lapsed.id, (current) =>
        current.reminderPending && current.reminderPending < markedBefore ? applyCommand(current, { kind: 'reminderNotSent', at: current.reminderPending, retry: true }, REMINDERS, ctx) : { ok: true, value: current, replay: true },
      )
      .catch((error: unknown) => deps.log.warn({ err: errorKind(error), rethink: lapsed.id }, 'a reminder that was never settled could not be made ready to try again; the next check tries'));
  }
  // Not to people's work phones at night or at the weekend: what is due waits for the working day.
  if (!inWorkingHours(now, calendarOf(deps.profile.reminders))) return;
  for (const found of await deps.rethinks.dueReminders(reminderBounds(now, deps.profile), PER_CHECK, deps.allowedTenantIds)) {
    // Stopping: nothing more is marked, so nothing marked is left unposted by this instance.
    if (stopping()) return;
    await remindOne(deps, connector, engineContext(deps, clock()), found).catch((error: unknown) => deps.log.warn({ err: errorKind(error), rethink: found.id }, 'a reminder could not be sent now; the check tries again'));
  }
}

async function remindOne(deps: Deps, connector: ConnectorClient, ctx: EngineContext, found: { id: string; conversationId: string }): Promise<void> {
  const at = ctx.now.toISOString();
  const marked = await deps.rethinks.update(found.conversationId, found.id, (current) => applyCommand(current, { kind: 'remind' }, REMINDERS, ctx));
  // Nothing due on the record itself, or another instance marked it first.
  if (marked.kind !== 'updated' || marked.replay) return;
  const r = marked.doc;
  const { actions, idle } = markedAt(r, at);
  const due = actions.filter((a) => !a.removedAt);
  const text = [...(due.length > 0 ? [actionsText(r, due, ctx.now)] : []), ...(idle ? [idleText(r, deps, ctx.now)] : [])].join('\n\n');
  // A write whose answer was lost and that another instance's marks then replaced: theirs to post.
  if (!text) return;
  const { sent } = await postToRethinkChat(deps, connector, r, { text });
  if (sent.ok) {
    // Not recorded, it counts as never settled, and is posted again once the mark lapses: at least once, rarely twice.
    await deps.rethinks
      .update(r.conversationId, r.id, (current) => applyCommand(current, { kind: 'reminderPosted', at }, REMINDERS, ctx), r)
      .catch((error: unknown) => deps.log.warn({ err: errorKind(error), rethink: r.id }, 'a reminder was posted but could not be recorded so; it may be posted again'));
    return;
  }
  // Teams could not take it now (a timeout, throttled, a fault of its own): another try, as Teams asks.
  const retry = !refusedForGood(sent.status);
  deps.log.warn({ rethink: r.id, status: sent.status }, retry ? 'a reminder could not be posted; it is tried again at the next check' : 'a reminder could not be posted and is given up (the app is not in that chat, or Teams refused it)');
  await deps.rethinks.update(r.conversationId, r.id, (current) => applyCommand(current, { kind: 'reminderNotSent', at, retry }, REMINDERS, ctx), r);
}

/** How to ask Re-think for the card here: in a shared chat it hears only what @mentions it. */
const statusCommand = (r: Rethink): string => typedCommand(r.conversationKind, 'status');
const listCommand = (r: Rethink): string => typedCommand(r.conversationKind, 'list');

/** The most actions one reminder lists. */
const ACTIONS_IN_ONE_REMINDER = 15;

function actionsText(r: Rethink, due: AgreedAction[], now: Date): string {
  const today = ukToday(now);
  const one = due.length === 1;
  const byId = new Map(r.participants.map((p) => [p.id, p]));
  const sorted = [...due].sort((a, b) => a.dueDate.localeCompare(b.dueDate));
  // However many fall due together, the message stays well within what Teams takes: the rest are counted.
  const lines = sorted
    .slice(0, ACTIONS_IN_ONE_REMINDER)
    .map((a) => `- ${truncate(a.description, 300)} (${truncate(ownerLabel(a, byId), 120)}, ${a.dueDate < today ? 'was due' : 'due'} ${formatUkDay(a.dueDate)})`);
  const more = sorted.length - lines.length;
  // Open, the card lists them all; closed (as most are by the time they fall due), its summary does.
  const whereAll = r.status === 'open' ? `type ${statusCommand(r)} here to see every action on the Re-think card` : 'every action is on the summary posted here when the Re-think closed';
  if (more > 0) lines.push(`- and ${more === 1 ? 'one more' : `${more} more`}: ${whereAll}.`);
  const others = r.conversationKind === 'personal' ? 'the others taking part' : 'the others here';
  return [
    `**A reminder of ${one ? 'an agreed action' : 'agreed actions'}** from the Re-think for case ${r.caseReference}:`,
    lines.join('\n'),
    `If ${one ? 'it’s' : 'they’re'} done, nothing more is needed. If ${one ? 'it' : 'one'} can’t be done in time, please let ${others} know, so the plan for the child stays on track.`,
  ].join('\n\n');
}

function idleText(r: Rethink, deps: Deps, now: Date): string {
  const days = Math.floor((now.getTime() - Date.parse(r.updatedAt)) / DAY_MS);
  const stage = deps.profile.stages[r.stage - 1]?.title ?? '';
  const facilitator = facilitatorIsNamed(r) ? r.participants.find((p) => p.id === r.facilitatorId)?.name : undefined;
  const who = facilitator ? `${facilitator}, as facilitator, can` : r.meetingId ? 'The organiser or a presenter can' : 'The facilitator can';
  // Once its meeting has ended, the outcome may be recorded at the stage reached (before stage 5, as not resolved).
  const next = r.stage === 5 ? 'record the outcome' : r.meetingEndRemindedAt ? 'move the group on once every perspective has been heard, or record the outcome on the card now that the meeting has ended' : 'move the group on once every perspective has been heard';
  // A title that is a question ends its own sentence; any other needs a full stop.
  const title = /[.?!]$/.test(stage) ? `“${stage}”` : `“${stage}”.`;
  // Their own quiet (perhaps they have left the service): anyone who has joined can carry it on.
  const takeOver = facilitator && facilitatorQuiet(r, now, deps.profile) ? ` If ${facilitator} is no longer available, anyone who has joined can take over facilitation from the card.` : '';
  return `The Re-think for case ${r.caseReference} has had no change for ${days === 1 ? 'a day' : `${days} days`}. It is at stage ${r.stage} of 5: ${title} ${who} ${next}.${takeOver} To see its card, type ${statusCommand(r)} (or ${listCommand(r)} if more than one Re-think is open here).`;
}
