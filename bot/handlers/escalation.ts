/** Recording an escalation under the partnership's protocol after a Re-think closed not resolved. */
import { renderEscalationCard } from '../../cards/escalation';
import { historyOf } from '../../services/requests/history';
import { applyCommand } from '../../services/rethink/engine';
import type { Rethink } from '../../services/rethink/types';
import { engineContext, MESSAGES, rethinkIdOf, textField, threadOf, type Deps, type Handler, type TurnInput } from './types';

const escalatable = (r: Rethink): boolean => r.status === 'closed' && r.outcome?.kind === 'notResolved';

/** Re-think records escalations; it never stands between a worried professional and the protocol. */
const notEscalatable = (deps: Deps, inThread = false): string => {
  const { escalationProtocolShortName: protocol, escalationProtocolUrl: url } = deps.profile.partnership;
  return `There’s no Re-think in this ${inThread ? 'thread' : 'conversation'} that ended without resolving the concern, so there’s nothing for Re-think to record yet.${inThread ? ' For a Re-think in another thread of this channel, use the button on its summary there.' : ''} If the child’s needs mean you must escalate now, follow the ${protocol} directly: ${url}`;
};

function offer(deps: Deps, r: Rethink | undefined) {
  if (!r) return { notice: MESSAGES.notFound };
  if (!escalatable(r)) return { notice: notEscalatable(deps) };
  return { posts: [{ card: renderEscalationCard(deps.profile, { rethink: r }) }] };
}

/** `escalate`: for this conversation's most recent Re-think that closed not resolved. */
export const escalateCommand: Handler = async (input, deps) => {
  // However many Re-thinks have changed here since: one query, in this conversation's partition.
  // In a channel, this thread's; typed as a new post (a thread of its own, so with none), the channel's latest.
  const thread = threadOf(input);
  const newPost = thread !== undefined && input.activityId !== undefined && thread.endsWith(`;messageid=${input.activityId}`);
  const inThread = newPost ? undefined : thread;
  const latest = await deps.rethinks.latestNotResolved(input.where.conversationId, inThread);
  if (!latest) return { notice: notEscalatable(deps, inThread !== undefined) };
  return offer(deps, latest);
};

/** The summary's button. */
export const showEscalation: Handler = async (input, deps) => {
  const rethinkId = rethinkIdOf(input.data);
  return offer(deps, rethinkId ? await deps.rethinks.get(input.where.conversationId, rethinkId) : undefined);
};

export const escalate: Handler = async (input: TurnInput, deps) => {
  const rethinkId = rethinkIdOf(input.data);
  const typed = { stage: textField(input.data, 'escalationStage'), reason: textField(input.data, 'escalationReason') };
  const outcome = rethinkId
    ? await deps.rethinks.update(input.where.conversationId, rethinkId, (current) =>
        applyCommand(current, { kind: 'escalate', stage: Number(typed.stage), reason: typed.reason }, input.actor, engineContext(deps, input.now), input.activityId),
      )
    : ({ kind: 'notFound' } as const);
  if (outcome.kind === 'notFound') return { notice: MESSAGES.notFound };
  if (outcome.kind === 'refused') {
    return { view: renderEscalationCard(deps.profile, { rethink: outcome.doc, notice: outcome.refusal.message, typed }), notice: outcome.refusal.message };
  }
  // Posted for everyone here: only this conversation's Re-thinks of the case, which they all could see
  // (whoever records it: in a meeting the organiser may have chaired it without joining).
  const history = historyOf(await deps.rethinks.forCaseIn(input.where.conversationId, outcome.doc.caseReference));
  const render = () => renderEscalationCard(deps.profile, { rethink: outcome.doc, history });
  // The form becomes the escalation summary for everyone in the conversation.
  return { view: render(), shared: { render, activityId: input.replyToId }, notice: 'The escalation is recorded. Its summary is on the card.' };
};
