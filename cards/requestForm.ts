import type { Choice, PartnershipProfile } from '../services/profile/types';
import { missingStrategies, needsTriedInstead, type FieldErrors } from '../services/requests/form';
import type { HistoryEntry, RequestForm } from '../services/requests/types';
import template from './requestForm.json';
import { historyLines } from './requestText';
import { expand, fitListsFirst, type AdaptiveCard, type Fit } from './render';
import { characters, pasteRoom, PRIVACY_REMINDER } from './wording';
import { sentence } from '../services/text';

interface Field {
  id: keyof RequestForm;
  label: string;
  kind: 'text' | 'long' | 'choice';
  value: string;
  maxLength: number;
  /** The long boxes say their limit. */
  placeholder: string;
  required: boolean;
  requiredMessage: string;
  choices: Choice[];
  error: string;
}

export interface RequestFormCardData {
  requestId: string;
  caseReference: string;
  intro: string;
  privacyReminder: string;
  hasNotice: boolean;
  notice: string;
  noHistory: boolean;
  noHistoryText: string;
  history: { line: string }[];
  sections: { title: string; fields: Field[] }[];
}

export interface RequestFormInput {
  requestId: string;
  caseReference: string;
  values: Partial<RequestForm>;
  history: readonly HistoryEntry[];
  errors?: FieldErrors;
  notice?: string;
}

/**
 * Names each strategy with no closed Re-think on record: none at all, or one still open (listed above
 * the field, so "none recorded" would contradict it); strategy 1 doesn't apply to a lead professional.
 */
function triedInsteadLabel(missing: readonly (1 | 2)[], history: readonly HistoryEntry[]): string {
  const stillOpen = missing.filter((s) => history.some((h) => h.strategy === s && h.status === 'open'));
  const none = missing.filter((s) => !stillOpen.includes(s));
  const said = [
    ...(none.length === 2 ? ['No strategy 1 or 2 Re-thinks that you took part in are recorded.'] : none.map((s) => `No strategy ${s} Re-think that you took part in is recorded.`)),
    ...(stillOpen.length === 2 ? ['The strategy 1 and 2 Re-thinks above haven’t been closed.'] : stillOpen.map((s) => `The strategy ${s} Re-think above hasn’t been closed.`)),
  ];
  const tried = stillOpen.length > 0 ? 'What came of it, and what has been tried instead? Please give dates and outcomes.' : 'What has been tried instead? Please give dates and outcomes.';
  return `${said.join(' ')} ${tried}${missing.includes(1) ? ' If you are the lead professional, strategy 1 doesn’t apply: just say so.' : ''}`;
}

function requestFormCardData(profile: PartnershipProfile, input: RequestFormInput, textLimit = 4000, fit: Fit = 'full'): RequestFormCardData {
  const { nameMaxLength: short, summaryMaxLength: long } = profile.limits;
  const needsTried = needsTriedInstead(input.history);
  /** Fields with a problem, by the name they are asked by: the notice names them (tabbing through, red text after a box is never reached). */
  const flagged: string[] = [];
  const field = (id: keyof RequestForm, label: string, kind: Field['kind'], choices: readonly Choice[] = []): Field => {
    const error = input.errors?.[id] ?? '';
    // Its question, without what the brackets add (that field's long explanation, by its subject).
    if (error) flagged.push(id === 'triedInstead' ? 'What has been tried instead' : label.replace(/\s*\(.*\)$/, ''));
    // Said in the label: Teams hides a placeholder once a box is filled in, as these often are; and a
    // problem with it too, so that it is read out on the field itself.
    const said = kind === 'long' ? `${sentence(label)} Up to ${characters(long)} characters; no names of children or family members, please.` : label;
    return {
      id,
      label: error ? `${sentence(said)} Problem: ${error}` : said,
      kind,
      value: input.values[id] ?? '',
      maxLength: kind === 'long' ? pasteRoom(long) : short,
      placeholder: kind === 'long' ? 'No names of children or family members, please.' : '',
      required: id !== 'triedInstead' || needsTried,
      requiredMessage: 'This is needed for the request.',
      choices: [...choices],
      error,
    };
  };
  const options = profile.requestForm;
  const sections = [
    {
      title: 'About you',
      fields: [
        field('requesterRole', 'Your role', 'text'),
        field('requesterAgency', 'Your agency', 'text'),
        field('requesterContact', 'How the facilitator can contact you (work email or phone)', 'text'),
        field('lineManagerName', 'Your line manager', 'text'),
        field('managerAgrees', 'Does your line manager agree with this request?', 'choice', options.managerAgrees),
      ],
    },
    { title: 'Lead professional', fields: [field('leadProfessionalName', 'Lead professional’s name (this may be you)', 'text'), field('leadProfessionalAgency', 'Lead professional’s agency', 'text')] },
    {
      title: 'The case',
      fields: [
        field('tierOfNeed', 'Tier of need', 'choice', profile.tiersOfNeed),
        field('planType', 'Type of plan', 'choice', options.planTypes),
        field('network', 'Agencies and professionals involved', 'long'),
      ],
    },
    {
      title: 'The concern',
      fields: [
        field('concernCategory', 'What the concern is about', 'choice', profile.concernCategories),
        field('concernSummary', 'A short summary of the concern', 'long'),
        ...(needsTried || input.values.triedInstead ? [field('triedInstead', triedInsteadLabel(missingStrategies(input.history), input.history), 'long')] : []),
      ],
    },
    {
      title: 'The meeting',
      fields: [
        field('urgency', 'How urgent is this?', 'choice', options.urgencies),
        field('preferredFormat', 'Preferred format', 'choice', options.formats),
        field('availability', 'When are you and the network available?', 'long'),
        field('familyAware', 'Is the family aware of the Re-think?', 'choice', options.familyAware),
      ],
    },
  ];
  // Which fields, by name: "marked below" alone is seen, not heard.
  const notice = input.notice && flagged.length > 0 ? `${input.notice} ${flagged.length === 1 ? 'It is' : 'They are'}: ${sentence(flagged.join('; '))}` : (input.notice ?? '');
  return {
    requestId: input.requestId,
    caseReference: input.caseReference,
    intro: needsTried
      ? 'An independent facilitator can help when strategies 1 and 2 have been tried and there are still concerns. What Re-think already knows is filled in; please check it and complete the rest, including what has been tried. The request goes to the partnership’s independent facilitators.'
      : 'Strategies 1 and 2 have been tried and there are still concerns: an independent facilitator can help. What Re-think already knows is filled in; please check it and complete the rest. The request goes to the partnership’s independent facilitators.',
    privacyReminder: PRIVACY_REMINDER,
    hasNotice: notice !== '',
    notice,
    noHistory: input.history.length === 0,
    noHistoryText: 'No Re-thinks you took part in are recorded for this case.',
    history: historyLines(profile, input.history, textLimit, fit),
    sections,
  };
}

/** A long history (many actions) is shortened on the card to fit; the request keeps all of it. */
export const renderRequestFormCard = (profile: PartnershipProfile, input: RequestFormInput): AdaptiveCard =>
  fitListsFirst((limit, fit) => expand(template, requestFormCardData(profile, input, limit, fit)));
