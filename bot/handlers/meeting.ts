/** Teams meeting events for a Re-think held in the meeting's chat. */
import { applyCommand } from '../../services/rethink/engine';
import { roleCounts } from '../../services/rethink/facts';
import { repost } from './views';
import { NO_ONE, type Actor, type Rethink } from '../../services/rethink/types';
import { recordPosted } from './rethink';
import { engineContext, type Handler, type Outgoing } from './types';

/** Who the audit trail names for the meeting ending: Teams said so, no person did it. */
export const MEETING: Actor = { id: NO_ONE.meeting, name: 'Teams meeting' };

/**
 * The meeting ended with Re-thinks still open: for each (a family's two children, say), the
 * facilitator is reminded, once, to record the outcome, with the card (and its close controls) posted
 * again. Each stays open until then.
 */
export const meetingEnded: Handler = async (input, deps) => {
  // Only the Re-thinks held in this meeting: a channel's other meetings and threads are not its concern.
  const meetingId = input.where.meetingId;
  if (!meetingId) return {};
  const posts: Outgoing[] = [];
  for (const open of await deps.rethinks.openInMeeting(input.where.conversationId, meetingId, OPEN_AT_MOST)) {
    const outcome = await deps.rethinks.update(input.where.conversationId, open.id, (current) => applyCommand(current, { kind: 'meetingEnded' }, MEETING, engineContext(deps, input.now), input.activityId), open);
    if (outcome.kind !== 'updated' || outcome.replay) continue;
    const r = outcome.doc;
    // One message, the reminder above the card: owed until Teams has it, then recorded (and the card is
    // the one kept up to date); if not, the periodic check posts it (bot/handlers/owedPosts.ts).
    // Recorded as the meeting's doing, not the event's sender's.
    const [card] = repost({ ...input, actor: MEETING }, deps, r).posts ?? [];
    if (!card?.card) continue;
    posts.push({
      text: meetingEndText(r),
      card: card.card,
      onPosted: async (activityId, conversationId) => {
        const erased = await recordPosted(deps, r, 'meetingEnd', activityId, MEETING, input.now);
        return erased ?? card.onPosted?.(activityId, conversationId);
      },
    });
  }
  return posts.length > 0 ? { posts } : {};
};

/** More open in one meeting than anyone would hold: the rest are reminded by the idle reminder in time. */
const OPEN_AT_MOST = 10;

/** The reminder, when the meeting ends with its Re-think open. */
export function meetingEndText(r: Rethink): string {
  // In a meeting its organiser and presenters facilitate (and whoever it was handed over to); strategy
  // 3 only its independent facilitator.
  const named = r.participants.find((p) => p.id === r.facilitatorId);
  const who = !roleCounts(r) ? `${named?.name ?? 'the independent facilitator'}, as facilitator,` : r.facilitatorByHandOver && named ? `${named.name} (or the organiser or a presenter)` : 'the organiser or a presenter';
  const opening = `The meeting has ended and the Re-think for case ${r.caseReference} is still open, at stage ${r.stage} of 5.`;
  // Before stage 5 nothing has been agreed: closing can only record it as not resolved.
  if (r.stage < 5) return `${opening} The group can carry on here in the chat and agree actions at stage 5. If it can’t go further now, ${who} can close it on the card below as not resolved; it stays open until then.`;
  return `${opening} When you’re ready, ${who} can record the outcome on the card below: the Re-think stays open until then.`;
}
