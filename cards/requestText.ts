/** Words about requests shared by the request cards and messages. */
import type { PartnershipProfile } from '../services/profile/types';
import { labelOf } from '../services/requests/form';
import type { FacilitatorRequest, HistoryEntry, RequestStatus } from '../services/requests/types';
import { formatUkDate, formatUkDay, formatUkTime } from '../services/rethink/validation';
import { truncate, type Fit } from './render';
import { OUTCOME_LABELS, nextStepLabels } from './wording';

/** Where a request is: on its cards, in lists and messages, and in its Word document. */
export const REQUEST_STATUS_LABELS: Record<RequestStatus, string> = {
  submitted: 'Submitted: waiting for an independent facilitator',
  accepted: 'Accepted',
  scheduled: 'Meeting scheduled',
  completed: 'Completed',
  withdrawn: 'Withdrawn',
};

/**
 * How much of a case's history a card shows at each fit: the latest Re-thinks, and the first agreed
 * actions of each. However long a case has run, the card stays within Teams' limit; the request
 * (and its Word document) keeps all of it.
 */
const HISTORY_SHOWN: Record<Fit, { rethinks: number; actions: number }> = {
  full: { rethinks: 12, actions: 15 },
  compact: { rethinks: 6, actions: 8 },
  tight: { rethinks: 3, actions: 4 },
  minimal: { rethinks: 1, actions: 2 },
};

/** The most agreed actions of one earlier Re-think shown on a card. */
export const HISTORY_ACTIONS_SHOWN = HISTORY_SHOWN.full.actions;

/**
 * One earlier Re-think as the cards show it: date, strategy, outcome and agencies, then each agreed
 * action on a line of its own, each shortened to `limit` on its own (a long action never hides the
 * ones after it).
 */
export function historyText(profile: PartnershipProfile, h: HistoryEntry, limit: number, actionsShown = HISTORY_ACTIONS_SHOWN): string {
  const strategy = h.strategy ? `Strategy ${h.strategy}` : 'Strategy not chosen';
  const outcome = h.outcome ? OUTCOME_LABELS[h.outcome] : 'Still open';
  const next = h.nextStep ? ` (${nextStepLabels(profile)[h.nextStep]})` : '';
  const heading = truncate(`${formatUkDate(h.date)} · ${strategy} · ${outcome}${next} · ${h.agencies.join(', ')}`, limit);
  if (h.actions.length === 0) return `${heading}; no actions agreed.`;
  // However many were agreed, the card stays within Teams' limit: the rest are counted.
  const owner = (name: string): string => truncate(name, Math.min(limit, 120));
  const actions = h.actions.slice(0, actionsShown).map((a, i) => `Action ${i + 1}: ${truncate(a.description, limit)} (${owner(a.owner)}, by ${formatUkDate(a.dueDate)})`);
  const more = h.actions.length - actions.length;
  return [`${heading}. Actions agreed:`, ...actions, ...(more > 0 ? [`and ${more} more, not shown here.`] : [])].join('\n\n');
}

/** The line before the latest few of a list, counting those left off: "3 earlier questions, not shown…". */
export const earlierNotShown = (count: number, one: string, many: string): string => `${count === 1 ? `One ${one}` : `${count} ${many}`}, not shown here to fit the card. The latest:`;

/**
 * A case's history as a card lists it (oldest first): the latest Re-thinks the fit allows, after a
 * line counting the earlier ones left off.
 */
export function historyLines(profile: PartnershipProfile, history: readonly HistoryEntry[], limit: number, fit: Fit): { line: string }[] {
  const shown = HISTORY_SHOWN[fit];
  const latest = history.slice(-shown.rethinks);
  const earlier = history.length - latest.length;
  return [
    ...(earlier > 0 ? [{ line: earlierNotShown(earlier, 'earlier Re-think of this case', 'earlier Re-thinks of this case') }] : []),
    ...latest.map((h) => ({ line: historyText(profile, h, limit, shown.actions) })),
  ];
}

/** How a facilitated Re-think ended, as its summary says it: "Not resolved (escalation under the HIPS protocol)". */
export const outcomeWords = (profile: PartnershipProfile, outcome: NonNullable<FacilitatorRequest['outcome']>): string =>
  `${OUTCOME_LABELS[outcome.kind] ?? outcome.kind}${outcome.nextStep ? ` (${nextStepLabels(profile)[outcome.nextStep] ?? outcome.nextStep})` : ''}`;

/** One line saying where the request is, e.g. "Accepted by Jo Bloggs on 3 December 2026". */
export function statusLine(profile: PartnershipProfile, r: FacilitatorRequest): string {
  switch (r.status) {
    case 'submitted':
      return `Submitted on ${formatUkDate(r.submittedAt)}: waiting for an independent facilitator to accept.`;
    case 'accepted':
      return `Accepted by ${r.accepted?.by.name ?? 'a facilitator'} on ${formatUkDate(r.accepted?.at ?? r.updatedAt)} at ${formatUkTime(r.accepted?.at ?? r.updatedAt)}.`;
    case 'scheduled': {
      // Changed: the arrangement it replaced, so no one goes by the old one.
      const before = r.schedule?.previous?.at(-1);
      const sameTime = before && before.date === r.schedule?.date && before.time === r.schedule.time;
      const from = !before ? '' : sameTime ? (before.format === r.schedule?.format ? '' : ` It was changed from ${labelOf(profile.requestForm.formats, before.format)}.`) : ` It was moved from ${formatUkDay(before.date)} at ${before.time}.`;
      return `Accepted by ${r.accepted?.by.name ?? 'a facilitator'}. Meeting on ${formatUkDay(r.schedule?.date ?? r.updatedAt)} at ${r.schedule?.time ?? ''} (${labelOf(profile.requestForm.formats, r.schedule?.format)}).${from}`;
    }
    case 'completed':
      return `Completed on ${formatUkDate(r.completedAt ?? r.updatedAt)}: the facilitated Re-think has closed${r.outcome ? `, with the outcome “${outcomeWords(profile, r.outcome)}”` : ''}.`;
    case 'withdrawn':
      return `Withdrawn by ${r.requester.name} on ${formatUkDate(r.withdrawal?.at ?? r.updatedAt)}.`;
  }
}
