/**
 * The periodic follow-up (run with the dispatcher's housekeeping): the chat where actions were agreed
 * is reminded as they fall due, and an open Re-think left without change is pointed out to its
 * facilitator. Each reminder is marked on the Re-think in a conditional write before it is posted,
 * so of several instances one posts it; one that could not be posted is unmarked and tried again.
 */
import { formatUkDate } from '../../services/rethink/validation';
import { applyCommand, facilitatorIsNamed, liveActions } from '../../services/rethink/engine';
import { reminderBounds } from '../../services/rethink/reminders';
import type { Actor, AgreedAction, Rethink } from '../../services/rethink/types';
import type { ConversationAddress } from '../../services/store/people';
import { errorKind } from '../../services/logging';
import type { ConnectorClient } from '../connectorClient';
import { truncate } from '../../cards/render';
import { engineContext, type Deps } from './types';

/** Who the audit trail names for a reminder. */
const REMINDERS: Actor = { id: 'reminders', name: 'Re-think' };

/** How many Re-thinks one check looks at; the rest wait for the next. */
const PER_CHECK = 50;

export async function sendReminders(deps: Deps, connector: ConnectorClient, now: Date): Promise<void> {
  for (const found of await deps.rethinks.dueReminders(reminderBounds(now, deps.profile), PER_CHECK)) {
    const ctx = engineContext(deps, now);
    const marked = await deps.rethinks.update(found.conversationId, found.id, (current) => applyCommand(current, { kind: 'remind' }, REMINDERS, ctx));
    // Nothing due on the record itself, or another instance marked it first.
    if (marked.kind !== 'updated' || marked.replay) continue;
    const r = marked.doc;
    const at = now.toISOString();
    const due = liveActions(r).filter((a) => a.remindedAt === at);
    const text = [...(due.length > 0 ? [actionsText(r, due)] : []), ...(r.idleRemindedAt === at ? [idleText(r, deps)] : [])].join('\n\n');
    const address = await addressOf(r, deps);
    const sent = address ? await connector.post(address, { text }) : { ok: false as const, status: 404 };
    if (sent.ok) continue;
    // Removed from the chat (or it is gone): there is no one to remind there, now or later.
    if (sent.status === 403 || sent.status === 404) {
      deps.log.warn({ rethink: r.id, status: sent.status }, 'a reminder could not be posted: the app is no longer in that chat');
      continue;
    }
    deps.log.warn({ rethink: r.id, status: sent.status }, 'a reminder could not be posted; it is tried again at the next check');
    await deps.rethinks
      .update(r.conversationId, r.id, (current) => applyCommand(current, { kind: 'reminderNotSent', at }, REMINDERS, ctx))
      .catch((error: unknown) => deps.log.warn({ err: errorKind(error), rethink: r.id }, 'a reminder that was not posted could not be unmarked'));
  }
}

async function addressOf(r: Rethink, deps: Deps): Promise<ConversationAddress | undefined> {
  const record = r.serviceUrl && r.botId ? undefined : await deps.conversations.get(r.conversationId);
  const serviceUrl = r.serviceUrl ?? record?.serviceUrl;
  if (!serviceUrl) return undefined;
  // In a channel, the thread its card is in.
  return { conversationId: r.cardConversationId ?? r.conversationId, serviceUrl, tenantId: r.tenantId, botId: r.botId ?? record?.botId ?? '', conversationKind: r.conversationKind };
}

const ownerOf = (a: AgreedAction): string => `${a.owner.name}${a.owner.participantId ? '' : ' (outside Teams)'}`;

function actionsText(r: Rethink, due: AgreedAction[]): string {
  const lines = [...due].sort((a, b) => a.dueDate.localeCompare(b.dueDate)).map((a) => `- ${truncate(a.description, 300)} (${ownerOf(a)}, due ${formatUkDate(a.dueDate)})`);
  return [
    `**Agreed ${due.length === 1 ? 'action' : 'actions'} due soon**, from the Re-think for case ${r.caseReference}:`,
    lines.join('\n'),
    `If ${due.length === 1 ? 'it’s' : 'one is'} done, nothing more is needed. If ${due.length === 1 ? 'it' : 'one'} can’t be done in time, please let the others here know, so the plan for the child stays on track.`,
  ].join('\n\n');
}

function idleText(r: Rethink, deps: Deps): string {
  const days = deps.profile.reminders.openRethinkDays;
  const stage = deps.profile.stages[r.stage - 1]?.title ?? '';
  const facilitator = facilitatorIsNamed(r) ? r.participants.find((p) => p.id === r.facilitatorId)?.name : undefined;
  const who = facilitator ? `${facilitator}, as facilitator, can` : r.meetingId ? 'The organiser or a presenter can' : 'The facilitator can';
  const next = r.stage === 5 ? 'record the outcome' : 'move the group on once every perspective has been heard';
  return `The Re-think for case ${r.caseReference} has had no change for ${days} days. It is at stage ${r.stage} of 5, “${stage}”. ${who} ${next}; type **status** to see its card.`;
}
