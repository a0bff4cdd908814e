import type { PartnershipProfile } from '../services/profile/types';
import type { StartInput } from '../services/rethink/engine';
import type { ConversationKind, StrategyAnswers } from '../services/rethink/types';
import template from './start.json';
import { expand, fitted, type AdaptiveCard } from './render';
import { MAX_REFERENCE } from '../services/rethink/validation';
import { characters, pasteRoom, PRIVACY_REMINDER } from './wording';

/** What the person has typed so far: kept on the card when something needs correcting. */
export type StartFormValues = Omit<StartInput, 'answers'> & StrategyAnswers;

export interface StartCardData {
  hasError: boolean;
  error: string;
  privacy: string;
  caseExample: string;
  caseHint: string;
  caseReference: string;
  referenceMax: number;
  categories: { id: string; label: string }[];
  concernCategory: string;
  summary: string;
  summaryMax: number;
  summaryLimit: string;
  mode: string;
  role: string;
  agency: string;
  /**
   * Posted for everyone in a shared chat, the form carries no one's role and agency (whoever fills
   * it in would be recorded with them): left empty, the person's own from last time are used.
   */
  ownDetailsRequired: boolean;
  /** In a team channel: who can read what is added (the whole team, and whoever joins it later). */
  audience: string;
  /** What happened, when it is not a problem to correct (a Re-think cancelled before it began). */
  note: string;
  rolePlaceholder: string;
  agencyPlaceholder: string;
  nameMax: number;
  questions: PartnershipProfile['strategyQuestions'];
  isLeadProfessional: string;
  raisedWithLeadProfessional: string;
  groupMeetingHeld: string;
  revealTogether: string;
}

export const EMPTY_START_FORM: StartFormValues = {
  caseReference: '',
  concernCategory: '',
  summary: '',
  mode: 'teams',
  role: '',
  agency: '',
  isLeadProfessional: false,
  raisedWithLeadProfessional: false,
  groupMeetingHeld: false,
  revealTogether: false,
};

/** A standard channel is open to the whole team, guests and later members included, and keeps its history. */
export const CHANNEL_AUDIENCE =
  'This is a team channel: everyone in the team can read it, including guests and anyone added later, and so can read everything added to this Re-think. For one child’s case, a group chat with just the people involved is usually the better place.';

/** Who the form is posted for: one person in their own chat, or everyone in a shared one (and in a channel, the whole team). */
export const formAudience = (kind: ConversationKind): { forEveryone: boolean; inChannel: boolean } => ({ forEveryone: kind !== 'personal', inChannel: kind === 'channel' });

export function startCardData(profile: PartnershipProfile, values: StartFormValues, error?: string, { forEveryone = false, inChannel = false, note = '' } = {}): StartCardData {
  return {
    hasError: Boolean(error),
    error: error ?? '',
    privacy: PRIVACY_REMINDER,
    caseExample: profile.caseReference.example,
    caseHint: profile.caseReference.hint,
    caseReference: values.caseReference,
    referenceMax: pasteRoom(MAX_REFERENCE),
    categories: profile.concernCategories.map((c) => ({ id: c.id, label: c.label })),
    concernCategory: values.concernCategory,
    summary: values.summary,
    summaryMax: pasteRoom(profile.limits.summaryMaxLength),
    summaryLimit: characters(profile.limits.summaryMaxLength),
    mode: values.mode,
    role: values.role,
    agency: values.agency,
    ownDetailsRequired: !forEveryone,
    audience: inChannel ? CHANNEL_AUDIENCE : '',
    note,
    rolePlaceholder: forEveryone ? 'Yours, e.g. social worker (left empty: the one you gave last time, if any)' : 'For example, social worker',
    agencyPlaceholder: forEveryone ? 'Yours, e.g. children’s social care (left empty: the one you gave last time, if any)' : 'For example, children’s social care',
    nameMax: profile.limits.nameMaxLength,
    questions: profile.strategyQuestions,
    isLeadProfessional: String(values.isLeadProfessional),
    raisedWithLeadProfessional: String(values.raisedWithLeadProfessional),
    groupMeetingHeld: String(values.groupMeetingHeld),
    revealTogether: String(values.revealTogether ?? false),
  };
}

export const renderStartCard = (data: StartCardData): AdaptiveCard => fitted(expand(template, data));
