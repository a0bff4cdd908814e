/** Reading and checking the request form: every problem is reported at once, against its field. */
import type { Choice, PartnershipProfile } from '../profile/types';
import type { HistoryEntry, RequestForm } from './types';
import { characterCount } from '../text';

export type FieldErrors = Partial<Record<keyof RequestForm, string>>;

export const FORM_FIELDS: readonly (keyof RequestForm)[] = [
  'requesterRole',
  'requesterAgency',
  'requesterContact',
  'lineManagerName',
  'managerAgrees',
  'leadProfessionalName',
  'leadProfessionalAgency',
  'tierOfNeed',
  'planType',
  'network',
  'concernCategory',
  'concernSummary',
  'triedInstead',
  'urgency',
  'preferredFormat',
  'availability',
  'familyAware',
];

/** The strategies 1 and 2 with no closed Re-think in the history: the requester says what was tried instead. */
export const missingStrategies = (history: readonly HistoryEntry[]): (1 | 2)[] => ([1, 2] as const).filter((s) => !history.some((h) => h.strategy === s && h.status === 'closed'));

export const needsTriedInstead = (history: readonly HistoryEntry[]): boolean => missingStrategies(history).length > 0;

/**
 * The form as typed, each field read by `read` (the card reader every other form uses: anything
 * that is not text, or only invisible characters, counts as empty), so nothing typed is ever lost.
 */
export function formFromData(read: (field: keyof RequestForm) => string): RequestForm {
  const form = {} as RequestForm;
  for (const field of FORM_FIELDS) form[field] = read(field);
  return form;
}

/** The form, trimmed, or the problems with it, each worded for the person filling it in. */
export function checkForm(raw: RequestForm, profile: PartnershipProfile, history: readonly HistoryEntry[]): { form: RequestForm; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const form = { ...raw };
  const { nameMaxLength: short, summaryMaxLength: long } = profile.limits;
  const text = (field: keyof RequestForm, label: string, max: number, required = true): void => {
    const value = raw[field].trim();
    form[field] = value;
    if (required && value === '') errors[field] = `Please enter ${label}.`;
    else if (characterCount(value) > max) errors[field] = `This is ${characterCount(value).toLocaleString('en-GB')} characters long; the limit is ${max.toLocaleString('en-GB')}. Please shorten it.`;
  };
  const choice = (field: keyof RequestForm, label: string, choices: readonly Choice[]): void => {
    const value = raw[field].trim();
    form[field] = value;
    if (!choices.some((c) => c.id === value)) errors[field] = `Please choose ${label}.`;
  };
  const { requestForm: options } = profile;
  text('requesterRole', 'your role', short);
  text('requesterAgency', 'your agency', short);
  text('requesterContact', 'how the facilitator can contact you (a work email or phone number)', short);
  text('lineManagerName', 'your line manager’s name', short);
  choice('managerAgrees', 'whether your line manager agrees', options.managerAgrees);
  text('leadProfessionalName', 'the lead professional’s name', short);
  text('leadProfessionalAgency', 'the lead professional’s agency', short);
  choice('tierOfNeed', 'the tier of need', profile.tiersOfNeed);
  choice('planType', 'the type of plan', options.planTypes);
  text('network', 'the agencies and professionals involved', long);
  choice('concernCategory', 'what the concern is about', profile.concernCategories);
  text('concernSummary', 'a short summary of the concern', long);
  text('triedInstead', 'what has been tried instead of a strategy 1 or 2 Re-think (dates and outcomes)', long, needsTriedInstead(history));
  choice('urgency', 'how urgent this is', options.urgencies);
  choice('preferredFormat', 'a preferred format for the meeting', options.formats);
  text('availability', 'when you and the network are available', long);
  choice('familyAware', 'whether the family knows about the Re-think', options.familyAware);
  return { form, errors };
}

export const labelOf = (choices: readonly Choice[], id: string | undefined): string => choices.find((c) => c.id === id)?.label ?? '';
