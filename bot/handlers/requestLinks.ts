/**
 * A strategy 3 Re-think and the request it answers: linked as the facilitator who accepted the request
 * starts it, and the request completed as it closes (or by the periodic check, if that could not be saved).
 */
import { outcomeWords } from '../../cards/requestText';
import * as lifecycle from '../../services/requests/lifecycle';
import type { FacilitatorRequest } from '../../services/requests/types';
import type { Result } from '../../services/result';
import { DAY_MS } from '../../services/rethink/bankHolidays';
import { NO_ONE, type Rethink } from '../../services/rethink/types';
import { formatUkDate } from '../../services/rethink/validation';
import type { Stored } from '../../services/store/repository';
import { keepFacilitating, personOf } from './requests';
import { engineContext, type Deps, type TurnInput } from './types';

/**
 * A strategy 3 Re-think started by the facilitator who accepted a request for the case follows that
 * request. Started again, the request follows the new one unless the one it follows is still open
 * with anyone else in it (joined or heard): closing that one completes it. What the facilitator
 * should know of it, if anything (`kept`: the request stays with the other). `accepted`: the
 * requests as just read in this turn, to save reading them again.
 */
export async function linkStrategyThree(deps: Deps, r: Rethink, input: TurnInput, accepted?: readonly Stored<FacilitatorRequest>[], again = false): Promise<{ text: string; kept: boolean } | undefined> {
  if (r.strategy !== 3) return undefined;
  let notice: { text: string; kept: boolean } | undefined;
  for (const request of accepted ?? (await deps.requests.acceptedFor(r.caseReference, input.actor.id))) {
    const linked = request.rethink && request.rethink.id !== r.id ? await deps.rethinks.get(request.rethink.conversationId, request.rethink.id) : undefined;
    const where = linked && (linked.conversationId === r.conversationId ? 'here' : 'in another chat');
    // Pressed again (a second tap, an older copy of its card): the request isn't taken back from where a later start put it.
    if (again && linked?.status === 'open') continue;
    if (linked?.status === 'open' && linked.participants.some((p) => p.id !== linked.facilitatorId)) {
      notice = { kept: true, text: ` This Re-think isn’t linked to the request for case ${r.caseReference}: the strategy 3 Re-think you started on ${formatUkDate(linked.createdAt)} ${where} is. Closing that one completes the request.` };
      continue;
    }
    if (request.rethink?.id === r.id) continue;
    const outcome = await deps.requests.update(request.id, (current) => lifecycle.linkRethink(current, personOf(input), { id: r.id, conversationId: r.conversationId }, engineContext(deps, input.now)), request, true);
    if (outcome.kind === 'updated' && !outcome.replay) {
      deps.dispatch(request.id);
      if (linked?.status === 'open') notice = { kept: false, text: ` The request for case ${r.caseReference} is now linked to this Re-think, not to the one you started on ${formatUkDate(linked.createdAt)} ${where}, which no one else had joined: closing this one completes it.` };
    }
  }
  return notice;
}

/**
 * Completed as its Re-think closes: linked first, in the same write, when the link could not be
 * saved as the Re-think started (the facilitator who accepted it started this Re-think).
 */
const linkAndComplete =
  (r: Pick<Rethink, 'id' | 'conversationId' | 'outcome'>, by: string, ctx: lifecycle.RequestContext) =>
  (current: FacilitatorRequest): Result<FacilitatorRequest> & { replay?: boolean } => {
    const ended = r.outcome ? { kind: r.outcome.kind, ...(r.outcome.nextStep ? { nextStep: r.outcome.nextStep } : {}) } : undefined;
    const outcome = ended && { ...ended, said: outcomeWords(ctx.profile, ended) };
    if (current.rethink || !current.accepted) return lifecycle.completeRequest(current, r.id, by, ctx, outcome);
    const linked = lifecycle.linkRethink(current, current.accepted.by, { id: r.id, conversationId: r.conversationId }, ctx);
    return linked.ok ? lifecycle.completeRequest(linked.value, r.id, by, ctx, outcome) : linked;
  };

/** A request never linked that this Re-think follows: its facilitator started it for the case after accepting. */
const followedBy = (r: Pick<Rethink, 'caseReference' | 'createdBy' | 'createdAt'>, request: FacilitatorRequest): boolean =>
  !request.rethink && request.caseReference === r.caseReference && request.accepted?.by.id === r.createdBy && request.accepted.at <= r.createdAt;

/** When that Re-think closes, the request is completed. */
export async function completeLinkedRequests(deps: Deps, r: Rethink, input: TurnInput): Promise<void> {
  if (r.status !== 'closed' || r.strategy !== 3) return;
  // The periodic check's own search, for this one Re-think.
  const waiting = await deps.requests.awaitingCompletion([r.id], [r.caseReference]);
  for (const request of waiting.filter((x) => x.rethink?.id === r.id || followedBy(r, x))) {
    const outcome = await deps.requests.update(request.id, linkAndComplete(r, input.actor.id, engineContext(deps, input.now)), request, true);
    if (outcome.kind === 'updated' && !outcome.replay) {
      deps.dispatch(request.id);
      keepFacilitating(deps, outcome.doc, input.now, input.actor.id);
    }
  }
}

/**
 * The periodic check behind `completeLinkedRequests`: a request whose Re-think closed while its
 * completion (or its link) could not be saved is completed now.
 */
export async function completeClosedLinks(deps: Deps, now: Date): Promise<void> {
  // Only Re-thinks closed lately can have left a request behind (it is completed as one closes); a
  // month covers any outage. Searched from the closed Re-thinks, so open ones never crowd them out.
  const closed = await deps.rethinks.closedStrategyThreeSince(new Date(now.getTime() - 30 * DAY_MS).toISOString());
  const ctx = engineContext(deps, now);
  for (const request of await deps.requests.awaitingCompletion(
    closed.map((c) => c.id),
    closed.map((c) => c.caseReference),
  )) {
    // Its own Re-think; or, never linked, the one its facilitator ran for the case.
    const rethink = request.rethink
      ? closed.find((c) => c.id === request.rethink?.id)
      : closed.find((c) => followedBy(c, request));
    if (!rethink) continue;
    const outcome = await deps.requests.update(request.id, linkAndComplete(rethink, NO_ONE.requestCompletion, ctx), request, true);
    if (outcome.kind === 'updated' && !outcome.replay) {
      deps.dispatch(request.id);
      keepFacilitating(deps, outcome.doc, now, NO_ONE.requestCompletion);
    }
  }
}
