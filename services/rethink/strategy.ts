import type { Recommendation, StrategyAnswers, StrategyNumber } from './types';

/**
 * The practice model's entry rules. A lead professional goes straight to strategy 2, and
 * strategy 3 follows only once strategies 1 and 2 have been tried (strategy 1 does not apply
 * to the lead professional, who is the person strategy 1 would talk to).
 */
export function recommendStrategy(answers: StrategyAnswers): Recommendation {
  const strategy1Done = answers.raisedWithLeadProfessional || answers.isLeadProfessional;
  if (answers.groupMeetingHeld && strategy1Done) {
    return {
      strategy: 3,
      // A lead professional skips strategy 1: don't tell them they tried it.
      reason: answers.isLeadProfessional
        ? 'You are the lead professional and strategy 2 has been tried without resolving the concerns, so an independent facilitator can help.'
        : 'Strategies 1 and 2 have been tried and there are still concerns, so an independent facilitator can help.',
    };
  }
  if (answers.isLeadProfessional) {
    return {
      strategy: 2,
      reason: 'You are the lead professional, so go straight to strategy 2.',
    };
  }
  if (answers.raisedWithLeadProfessional) {
    return {
      strategy: 2,
      reason: 'You have raised your concerns with the lead professional and the concerns are still not resolved, so strategy 2 is next.',
    };
  }
  return {
    strategy: 1,
    reason: answers.groupMeetingHeld
      ? 'A meeting has been held, but you haven’t yet raised your concerns with the lead professional: start there, with strategy 1. An independent facilitator (strategy 3) can help once strategies 1 and 2 have been tried.'
      : 'Start by talking your concerns through with the lead professional (strategy 1).',
  };
}

/** The independent facilitator who accepted the case's request: their Re-think is the strategy 3 one. */
export const FACILITATED: Recommendation = {
  strategy: 3,
  reason: 'You accepted the request for an independent facilitator for this case, so this is the facilitated Re-think (strategy 3).',
  facilitated: true,
};

/** The facilitator's own Re-think (records proposed before the flag existed are known by the reason). */
export const isFacilitated = (recommended: Recommendation): boolean =>
  recommended.strategy === 3 && (recommended.facilitated === true || recommended.reason === FACILITATED.reason);

/**
 * Strategy 3 is led by the independent facilitator who accepts a request, so only their own
 * Re-think runs it: when the entry rules lead to 3, the way in is the request form. Strategies 1
 * and 2 may be chosen with a reason.
 */
export function canChooseStrategy(chosen: StrategyNumber, recommended: Recommendation): boolean {
  return chosen !== 3 || isFacilitated(recommended);
}
