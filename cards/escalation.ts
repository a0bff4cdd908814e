import { characters, pasteRoom } from './wording';
import type { PartnershipProfile } from '../services/profile/types';
import type { HistoryEntry } from '../services/requests/types';
import type { Rethink } from '../services/rethink/types';
import { formatUkDate } from '../services/rethink/validation';
import template from './escalation.json';
import { expand, fitListsFirst, truncate, type AdaptiveCard, type Fit } from './render';
import { historyLines } from './requestText';

export interface EscalationCardData {
  title: string;
  intro: string;
  rethinkId: string;
  recorded: boolean;
  facts: { title: string; value: string }[];
  stages: { id: string; label: string }[];
  stageValue: string;
  reasonValue: string;
  textMaxLength: number;
  /** The limit as the boxes' labels say it. */
  textLimit: string;
  hasNotice: boolean;
  notice: string;
  noHistory: boolean;
  history: { line: string }[];
  protocolTitle: string;
  protocolUrl: string;
}

export interface EscalationInput {
  rethink: Rethink;
  /** Shown once recorded: the latest escalation, and the case's Re-thinks the person took part in. */
  history?: readonly HistoryEntry[];
  notice?: string;
  typed?: { stage: string; reason: string };
}

/** The form to record an escalation, or once recorded, its summary to hand over. */
function escalationCardData(profile: PartnershipProfile, input: EscalationInput, textLimit = 500, fit: Fit = 'full'): EscalationCardData {
  const { rethink: r } = input;
  const protocol = profile.partnership.escalationProtocolShortName;
  const latest = input.history ? r.escalations?.at(-1) : undefined;
  return {
    title: latest ? `Escalation under the ${protocol} · case ${r.caseReference}` : `Escalate under the ${protocol} · case ${r.caseReference}`,
    intro: latest
      ? `Escalation has been started under the ${profile.partnership.escalationProtocolName}. Re-think records it and hands over this history; the protocol itself is followed outside Re-think. Timescales are driven by the child’s needs.`
      : r.outcome?.nextStep === 'nextStrategy'
        ? `This Re-think ended without resolving the concern, and the group chose to try the next strategy. If the disagreement can’t be resolved through Re-think, or the child’s needs can’t wait, the ${protocol} must be started: anyone who took part can record here the stage it has reached and the reason. The ${protocol} itself is followed outside Re-think.`
        : `This Re-think ended without resolving the concern, so the ${protocol} must now be started. Anyone who took part can record here the stage it has reached and the reason. The ${protocol} itself is followed outside Re-think.`,
    rethinkId: r.id,
    recorded: !!latest,
    facts: latest
      ? [
          { title: 'Stage', value: latest.stageName },
          { title: 'Started by', value: latest.startedByName },
          { title: 'When', value: formatUkDate(latest.at) },
          { title: 'Reason', value: truncate(latest.reason, textLimit) },
          // What it is about, for whoever the protocol hands it to.
          { title: 'Concern', value: profile.concernCategories.find((c) => c.id === r.concernCategory)?.label ?? r.concernCategory },
          ...(r.summary ? [{ title: 'Summary', value: truncate(r.summary, textLimit) }] : []),
        ]
      : [],
    stages: profile.escalationStages.map((label, i) => ({ id: String(i + 1), label })),
    stageValue: input.typed?.stage ?? '',
    reasonValue: input.typed?.reason ?? '',
    textMaxLength: pasteRoom(profile.limits.summaryMaxLength),
    textLimit: characters(profile.limits.summaryMaxLength),
    hasNotice: Boolean(input.notice),
    notice: input.notice ?? '',
    noHistory: (input.history ?? []).length === 0,
    history: historyLines(profile, input.history ?? [], textLimit, fit),
    protocolTitle: `Read the ${protocol}`,
    protocolUrl: profile.partnership.escalationProtocolUrl,
  };
}

export function renderEscalationCard(profile: PartnershipProfile, input: EscalationInput): AdaptiveCard {
  return fitListsFirst((limit, fit) => expand(template, escalationCardData(profile, input, Math.min(limit, 500), fit)));
}
