import { STRATEGY_REASON_MAX_LENGTH } from '../services/rethink/engine';
import { pasteRoom } from './wording';
import type { PartnershipProfile } from '../services/profile/types';
import { canChooseStrategy, isFacilitated } from '../services/rethink/strategy';
import type { Rethink, StrategyNumber } from '../services/rethink/types';
import template from './strategy.json';
import { expand, fitted, type AdaptiveCard } from './render';

export interface StrategyCardData {
  rethinkId: string;
  caseReference: string;
  hasError: boolean;
  error: string;
  recommendedTitle: string;
  recommendedDescription: string;
  reason: string;
  facilitatedBy: string;
  options: { text: string }[];
  chosen: string;
  choices: { title: string; value: string }[];
  strategyReason: string;
  reasonMax: number;
  showStrategy3Note: boolean;
  strategy3Note: string;
  /** Strategy 3 is recommended: the way in is the facilitator request form, the card's main action. */
  offerRequest: boolean;
  startStyle: 'positive' | 'default';
}

export function strategyCardData(profile: PartnershipProfile, r: Rethink, typed: { strategy?: string; reason?: string } = {}, error?: string): StrategyCardData {
  const recommended = profile.strategies[r.recommended.strategy - 1] ?? profile.strategies[0];
  const allowed = profile.strategies.filter((s) => canChooseStrategy(s.number as StrategyNumber, r.recommended));
  // The facilitator's own strategy 3 Re-think needs no request: it is the one requested.
  const offerRequest = r.recommended.strategy === 3 && !isFacilitated(r.recommended);
  const recommendedAllowed = allowed.some((s) => s.number === r.recommended.strategy);
  return {
    rethinkId: r.id,
    caseReference: r.caseReference,
    hasError: Boolean(error),
    error: error ?? '',
    recommendedTitle: recommended?.title ?? `Strategy ${r.recommended.strategy}`,
    recommendedDescription: recommended?.description ?? '',
    reason: r.recommended.reason,
    facilitatedBy: recommended?.facilitatedBy ?? '',
    options: (recommended?.options ?? []).map((text) => ({ text })),
    chosen: typed.strategy ?? (recommendedAllowed ? String(r.recommended.strategy) : ''),
    choices: allowed.map((s) => ({ title: s.title, value: String(s.number) })),
    strategyReason: typed.reason ?? '',
    reasonMax: pasteRoom(STRATEGY_REASON_MAX_LENGTH),
    showStrategy3Note: allowed.length < profile.strategies.length,
    strategy3Note: offerRequest
      ? 'Strategy 3 is led by an independent facilitator: request one below, and the facilitator who accepts will start the strategy 3 Re-think with you. If you would rather talk now, choose strategy 1 or 2 and say why.'
      : `Strategy 3, an independent facilitator, becomes available once ${r.answers.isLeadProfessional ? 'strategy 2 has' : 'strategies 1 and 2 have'} been tried.`,
    offerRequest,
    startStyle: offerRequest ? 'default' : 'positive',
  };
}

export const renderStrategyCard = (data: StrategyCardData): AdaptiveCard => fitted(expand(template, data));
