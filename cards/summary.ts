import type { PartnershipProfile } from '../services/profile/types';
import { contributionsAt, facilitatorIsNamed, liveActions } from '../services/rethink/facts';
import { STAGES, type Rethink } from '../services/rethink/types';
import { formatUkDate } from '../services/rethink/validation';
import template from './summary.json';
import { CardTooLargeError, expand, fitToSize, truncate, type AdaptiveCard, type Fit } from './render';
import { MODE_LABELS, nextStepLabels, OUTCOME_LABELS } from './wording';
import { distinctText } from '../services/text';

export interface SummaryCardData {
  rethinkId: string;
  caseReference: string;
  offerRequest: boolean;
  offerEscalation: boolean;
  /** After strategy 1, not resolved: a start form for strategy 2, filled in from this one. */
  offerNextStrategy: boolean;
  nextStrategyTitle: string;
  facts: { title: string; value: string }[];
  participants: { line: string }[];
  /** `together`: on a crowded card, the stage's contributions in one block instead of one each. */
  stages: { number: number; title: string; empty: boolean; contributions: { who: string; text: string }[]; together: string }[];
  noActions: boolean;
  actions: { line: string }[];
  /** On a crowded card, the actions in one block. */
  actionsTogether: string;
  outcomeLine: string;
  nextStepText: string;
  truncated: boolean;
  showProtocol: boolean;
  protocolTitle: string;
  protocolUrl: string;
}

/** After strategy 1 comes a group Re-think (start one); after strategy 2, the request for an independent facilitator. */
function nextStrategyText(profile: PartnershipProfile, strategy: number | undefined): string {
  const next = (strategy ?? 1) + 1;
  const title = profile.strategies[next - 1]?.title ?? `strategy ${next}`;
  // There is no strategy after 3 (records closed before that rule may say otherwise): escalation is next.
  if (next > 3) return `The concern is not resolved: escalation under the ${profile.partnership.escalationProtocolShortName} is the next step.`;
  return next === 3
    ? `The concern is not resolved. The next strategy is “${title}”: press “Request an independent facilitator” below.`
    : `The concern is not resolved. The next strategy is “${title}”: press “Start strategy ${next}” below to begin it, with this case filled in.`;
}

const nextStepText = (profile: PartnershipProfile, strategy: number | undefined) => ({
  resolved: 'The concern is resolved. Thank you for working on it together.',
  partlyResolved: 'The group continues with the agreed actions. Each owner follows up their action by its due date.',
  nextStrategy: nextStrategyText(profile, strategy),
  escalation: `The concern is not resolved: escalation under the ${profile.partnership.escalationProtocolShortName} is the next step. Follow the protocol, and press “Escalate under the ${profile.partnership.escalationProtocolShortName}” below to record its stage and reason: Re-think hands over the Re-thinks of the case held in this conversation.`,
});

/**
 * `textLimit` shortens long texts; `fit` makes a crowded card smaller still: `compact` names people
 * without their roles, `tight` also puts each stage's contributions, and the actions, in one block
 * each; `minimal` counts the people and each stage's contributions. Every action is listed unless
 * there are too many for any of these (`actionsListed`). The record keeps everything.
 */
function summaryCardData(profile: PartnershipProfile, r: Rethink, textLimit = 4000, fit: Fit = 'full', actionsListed = Number.POSITIVE_INFINITY): SummaryCardData {
  const compact = fit !== 'full';
  const minimal = fit === 'minimal';
  const tight = fit === 'tight' || minimal;
  const byId = new Map(r.participants.map((p) => [p.id, p]));
  const outcome = r.outcome;
  const next = outcome?.kind === 'notResolved' ? (outcome.nextStep ?? 'nextStrategy') : (outcome?.kind ?? 'partlyResolved');
  let truncated = false;
  const actions = liveActions(r);
  const shorten = (text: string, max = textLimit): string => {
    const short = truncate(text, Math.min(max, textLimit));
    if (short !== text) truncated = true;
    return short;
  };
  const stages = STAGES.map((n) => {
    const contributions = contributionsAt(r, n).map((c) => {
      const who = byId.get(c.participantId);
      const recordedFor = c.recordedBy !== c.participantId ? (compact ? ', by the facilitator' : ', recorded by the facilitator') : '';
      return { who: compact ? `${who?.name ?? 'Someone'}${recordedFor}` : `${who?.name ?? 'Someone'} (${c.agency ?? who?.agency ?? ''})${recordedFor}`, text: shorten(c.text) };
    });
    const together = minimal && contributions.length > 0
      ? `${contributions.length === 1 ? 'One contribution' : `${contributions.length} contributions`}, too many to show on one card: every one is kept in full in the record.`
      : tight ? contributions.map((c) => `**${c.who}:** ${c.text}`).join('\n\n') : '';
    if (minimal && contributions.length > 0) truncated = true;
    return { number: n, title: profile.stages[n - 1]?.title ?? `Stage ${n}`, empty: contributions.length === 0, contributions: tight ? [] : contributions, together };
  });
  const agencies = distinctText(r.participants.map((p) => p.agency));
  const listed = actions.slice(0, actionsListed);
  const unlisted = actions.length - listed.length;
  if (unlisted > 0) truncated = true;
  const actionLines = [
    ...listed.map((a) => `${shorten(a.description, 500)}: ${minimal ? truncate(a.owner.name, 40) : a.owner.name}, by ${formatUkDate(a.dueDate)}`),
    ...(unlisted > 0 ? [`and ${countOf(unlisted, 'more action', 'more actions')}, too many to list on one card: every one is kept in the record.`] : []),
  ];
  const facilitator = byId.get(r.facilitatorId);
  return {
    rethinkId: r.id,
    caseReference: r.caseReference,
    // An independent facilitator follows strategy 2 (after strategy 1 comes strategy 2); a resolved
    // concern needs none. Anyone can still type "request facilitator".
    offerRequest: r.status === 'closed' && r.strategy === 2 && outcome?.kind !== 'resolved',
    // Escalation is for what can't be resolved through Re-think: not while the group is trying the next strategy.
    offerEscalation: r.status === 'closed' && outcome?.kind === 'notResolved' && outcome.nextStep !== 'nextStrategy',
    offerNextStrategy: r.status === 'closed' && r.strategy === 1 && outcome?.kind === 'notResolved' && outcome.nextStep === 'nextStrategy',
    nextStrategyTitle: 'Start strategy 2',
    facts: [
      { title: 'Strategy', value: r.strategy ? (profile.strategies[r.strategy - 1]?.title ?? `Strategy ${r.strategy}`) : '' },
      ...(r.strategyReason ? [{ title: 'Why this strategy', value: shorten(r.strategyReason) }] : []),
      { title: 'Concern', value: profile.concernCategories.find((c) => c.id === r.concernCategory)?.label ?? r.concernCategory },
      { title: 'Summary', value: shorten(r.summary) },
      { title: 'How', value: MODE_LABELS[r.mode] ?? r.mode },
      { title: 'Facilitator', value: !facilitatorIsNamed(r) ? 'The meeting’s organiser and presenters' : facilitator ? `${facilitator.name} (${facilitator.agency})` : '' },
      { title: 'Agencies', value: minimal ? countOf(agencies.length, 'agency', 'agencies') : agencies.join(', ') },
      { title: 'Started', value: formatUkDate(r.createdAt) },
      ...(outcome ? [{ title: 'Closed', value: formatUkDate(outcome.at) }] : []),
    ],
    participants: minimal
      ? [{ line: `${countOf(r.participants.length, 'person', 'people')} from ${countOf(agencies.length, 'agency', 'agencies')} took part: too many to name on one card.` }]
      : compact
      ? [{ line: r.participants.map((p) => `${p.name} (${p.agency}${p.external ? ', by phone or face to face' : ''})`).join('; ') }]
      : r.participants.map((p) => ({ line: `${p.name} · ${p.role}, ${p.agency}${p.external ? ' (by phone or face to face)' : ''}` })),
    stages,
    noActions: actions.length === 0,
    actions: tight ? [] : actionLines.map((line) => ({ line })),
    actionsTogether: tight ? actionLines.map((line) => `• ${line}`).join('\n\n') : '',
    outcomeLine: outcome ? `Outcome: ${OUTCOME_LABELS[outcome.kind]}${outcome.nextStep ? `. Next step: ${nextStepLabels(profile)[outcome.nextStep]}` : ''}` : 'Outcome not yet recorded',
    nextStepText: nextStepText(profile, r.strategy)[next],
    truncated,
    showProtocol: outcome?.nextStep === 'escalation',
    protocolTitle: profile.partnership.escalationProtocolShortName,
    protocolUrl: profile.partnership.escalationProtocolUrl,
  };
}

/** The actions a summary lists before counting the rest, when listing them all is too much for any card. */
const MINIMAL_ACTIONS_LISTED = 40;

const countOf = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

export function renderSummaryCard(profile: PartnershipProfile, r: Rethink): AdaptiveCard {
  try {
    return fitToSize((limit, fit) => expand(template, summaryCardData(profile, r, limit, fit)));
  } catch (error) {
    if (!(error instanceof CardTooLargeError)) throw error;
  }
  // Hundreds of actions: the first are listed and the rest counted, so no Re-think is without its summary.
  return fitToSize((limit) => expand(template, summaryCardData(profile, r, limit, 'minimal', MINIMAL_ACTIONS_LISTED)), ['minimal']);
}
