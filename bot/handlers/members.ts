/** Teams membership events for a chat's Re-thinks. */
import { applyCommand } from '../../services/rethink/engine';
import type { Actor } from '../../services/rethink/types';
import { sharedCard } from './rethink';
import { engineContext, type Handler, type HandlerResult, type Outgoing, type SharedCard } from './types';
import { typedCommand } from '../../services/text';

/** Who the audit trail names for someone leaving a chat: Teams said so, no one here did it. */
export const MEMBERSHIP: Actor = { id: 'teams-membership', name: 'Teams' };

/**
 * People removed from the chat (or the team): a Re-think one of them facilitated by name would be
 * held until its quiet spell passed. The others may take over at once, and the chat is told so.
 */
export const membersLeft: Handler = async (input, deps) => {
  const left = Array.isArray(input.data.memberIds) ? input.data.memberIds.filter((id): id is string => typeof id === 'string' && id !== '') : [];
  const posts: Outgoing[] = [];
  // Everyone's card offers Take over facilitation (one card per turn; a second such Re-think's shows it at its next change).
  let shared: SharedCard | undefined;
  for (const memberId of left) {
    for (const found of await deps.rethinks.openFacilitatedBy(input.where.conversationId, memberId)) {
      const outcome = await deps.rethinks.update(input.where.conversationId, found.id, (current) => applyCommand(current, { kind: 'memberLeft', memberId }, MEMBERSHIP, engineContext(deps, input.now), input.activityId), found);
      if (outcome.kind !== 'updated' || outcome.replay || !outcome.doc.facilitatorLeftAt) continue;
      shared ??= sharedCard(deps, outcome.doc, input.now);
      const name = outcome.doc.participants.find((p) => p.id === memberId)?.name ?? 'The facilitator';
      const status = typedCommand(input.where.conversationKind, 'status');
      posts.push({ text: `${name}, who was facilitating the Re-think for case ${outcome.doc.caseReference}, has left this chat. Anyone who has joined can now take over facilitation from its card, so the group can carry on (type ${status} to see it).` });
    }
  }
  const result: HandlerResult = { ...(posts.length > 0 ? { posts } : {}), ...(shared ? { shared } : {}) };
  return result;
};
