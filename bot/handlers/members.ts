/** Teams membership events for a chat's (or a team's) Re-thinks. */
import { applyCommand } from '../../services/rethink/engine';
import { leftPlace } from '../../services/rethink/facts';
import { NO_ONE, type Actor } from '../../services/rethink/types';
import { rethinkAddress } from '../../services/store/conversations';
import { sharedCard } from './rethink';
import { engineContext, type Handler, type HandlerResult, type Outgoing } from './types';
import { typedCommand } from '../../services/text';

/** Who the audit trail names for someone leaving a chat: Teams said so, no one here did it. */
const MEMBERSHIP: Actor = { id: NO_ONE.membership, name: 'Teams' };

/**
 * People removed from the chat (or the team). Anyone who joined a Re-think there is no longer offered
 * facilitation. A Re-think one of them facilitated by name would be held until its quiet spell
 * passed: the others may take over at once, and each Re-think's chat (in a team, its channel thread)
 * is told so.
 */
export const membersLeft: Handler = async (input, deps) => {
  const left = Array.isArray(input.data.memberIds) ? input.data.memberIds.filter((id): id is string => typeof id === 'string' && id !== '') : [];
  // Removed from a team, Teams says so in its General channel: their Re-thinks may be in any of its channels.
  const team = input.where.conversationKind === 'channel' ? input.teamId : undefined;
  const posts: Outgoing[] = [];
  const otherCards: NonNullable<HandlerResult['otherCards']>[number][] = [];
  for (const memberId of left) {
    const held = team ? await deps.rethinks.openWithMemberInTeam(team, memberId) : await deps.rethinks.openWithMember(input.where.conversationId, memberId);
    for (const found of held) {
      const outcome = await deps.rethinks.update(found.conversationId, found.id, (current) => applyCommand(current, { kind: 'memberLeft', memberId }, MEMBERSHIP, engineContext(deps, input.now), input.activityId), found);
      if (outcome.kind !== 'updated' || outcome.replay) continue;
      const r = outcome.doc;
      // In this chat, where the turn is; in another channel of the team, its card's thread, as the record knows it.
      const to = r.conversationId === input.where.conversationId && !team ? input.address : await rethinkAddress(deps.conversations, r, r.cardConversationId ?? r.conversationId);
      // Its card no longer offers them facilitation; and, if they facilitated, offers to take it over.
      otherCards.push({ to, card: sharedCard(deps, r, input.now) });
      if (r.facilitatorLeftAt === found.facilitatorLeftAt) continue;
      const name = r.participants.find((p) => p.id === memberId)?.name ?? 'The facilitator';
      const status = typedCommand(r.conversationKind, 'status');
      const text = `${name}, who was facilitating the Re-think for case ${r.caseReference}, has left this ${leftPlace(r)}. Anyone who has joined can now take over facilitation from its card, so the group can carry on (type ${status} to see it).`;
      posts.push(team ? { text, to } : { text });
    }
  }
  const result: HandlerResult = { ...(posts.length > 0 ? { posts } : {}), ...(otherCards.length > 0 ? { otherCards } : {}) };
  return result;
};
