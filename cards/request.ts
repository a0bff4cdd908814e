import type { PartnershipProfile } from '../services/profile/types';
import { labelOf } from '../services/requests/form';
import type { Audience, FacilitatorRequest } from '../services/requests/types';
import { formatUkDate } from '../services/rethink/validation';
import template from './request.json';
import { fitListsFirst, expand, truncate, type AdaptiveCard, type Fit, type NoticeTone } from './render';
import { earlierNotShown, historyLines, REQUEST_STATUS_LABELS, statusLine } from './requestText';
import { characters, pasteRoom, PRIVACY_REMINDER } from './wording';

export interface RequestCardData {
  requestId: string;
  caseReference: string;
  statusLabel: string;
  statusLine: string;
  statusStyle: string;
  facts: { title: string; value: string }[];
  noHistory: boolean;
  history: { line: string }[];
  hasTriedInstead: boolean;
  triedInstead: string;
  hasQuestions: boolean;
  questions: { line: string }[];
  showNextSteps: boolean;
  nextSteps: string;
  hasNotice: boolean;
  notice: string;
  /** Something done is good news; something refused needs attention. */
  noticeStyle: NoticeTone;
  privacyReminder: string;
  textMaxLength: number;
  /** The limit as the boxes' labels say it. */
  textLimit: string;
  canAccept: boolean;
  canAsk: boolean;
  hasAskWho: boolean;
  askWho: string;
  canSchedule: boolean;
  scheduleTitle: string;
  /** The pool's copies are shared: whose this is to do. */
  scheduleWho: string;
  meetingDate: string;
  meetingTime: string;
  meetingFormat: string;
  meetingWhere: string;
  formats: { id: string; label: string }[];
  canWithdraw: boolean;
  typedQuestion: string;
  typedWithdrawReason: string;
}

/** What someone typed on the card: kept on it when what they pressed was refused. */
export interface RequestTyped {
  question?: string;
  withdrawReason?: string;
  meetingDate?: string;
  meetingTime?: string;
  meetingFormat?: string;
  meetingWhere?: string;
}

const STYLES: Record<FacilitatorRequest['status'], string> = { submitted: 'warning', accepted: 'accent', scheduled: 'accent', completed: 'good', withdrawn: 'default' };

/** However many questions were asked and facilitators declined, the card lists only so many at each fit (the request keeps all). */
const LISTED: Record<Fit, { questions: number; decliners: number }> = {
  full: { questions: 20, decliners: 30 },
  compact: { questions: 10, decliners: 15 },
  tight: { questions: 5, decliners: 8 },
  minimal: { questions: 2, decliners: 3 },
};

/** "A, B and 12 others": the first names, then a count. */
function namesUpTo(names: readonly string[], most: number): string {
  const shown = names.slice(0, most).map((n) => truncate(n, 120));
  const others = names.length - shown.length;
  return others > 0 ? `${shown.join(', ')} and ${others === 1 ? 'one other' : `${others} others`}` : shown.join(', ');
}

/**
 * The pool's copy offers accept, decline, questions and scheduling; the requester's offers
 * withdrawal. Who may press what is checked again when it is pressed.
 */
export function requestCardData(profile: PartnershipProfile, r: FacilitatorRequest, audience: Audience, notice = '', textLimit = 500, typed: RequestTyped = {}, tone: NoticeTone = 'attention', fit: Fit = 'full'): RequestCardData {
  const f = r.form;
  const open = r.status === 'submitted' || r.status === 'accepted' || r.status === 'scheduled';
  const cut = (text: string): string => truncate(text, textLimit);
  const latestQuestions = r.questions.slice(-LISTED[fit].questions);
  const earlierQuestions = r.questions.length - latestQuestions.length;
  return {
    requestId: r.id,
    caseReference: r.caseReference,
    statusLabel: REQUEST_STATUS_LABELS[r.status],
    statusLine: statusLine(profile, r),
    statusStyle: STYLES[r.status],
    facts: [
      { title: 'Requested by', value: `${r.requester.name}, ${f.requesterRole} (${f.requesterAgency})` },
      { title: 'Contact', value: f.requesterContact },
      { title: 'Line manager', value: `${f.lineManagerName}; agrees: ${labelOf(profile.requestForm.managerAgrees, f.managerAgrees)}` },
      { title: 'Lead professional', value: `${f.leadProfessionalName} (${f.leadProfessionalAgency})` },
      { title: 'Tier of need', value: labelOf(profile.tiersOfNeed, f.tierOfNeed) },
      { title: 'Plan', value: labelOf(profile.requestForm.planTypes, f.planType) },
      { title: 'Network', value: cut(f.network) },
      { title: 'Concern', value: labelOf(profile.concernCategories, f.concernCategory) },
      { title: 'Summary', value: cut(f.concernSummary) },
      { title: 'Urgency', value: labelOf(profile.requestForm.urgencies, f.urgency) },
      { title: 'Preferred format', value: labelOf(profile.requestForm.formats, f.preferredFormat) },
      { title: 'Availability', value: cut(f.availability) },
      { title: 'Family aware', value: labelOf(profile.requestForm.familyAware, f.familyAware) },
      // Who declined (often for a conflict of interest) is for the pool, not the requester.
      ...(audience === 'pool' && r.declines.length ? [{ title: 'Declined by', value: namesUpTo(r.declines.map((d) => d.by.name), LISTED[fit].decliners) }] : []),
      ...(r.schedule?.where && open ? [{ title: 'Where, or how to join', value: cut(r.schedule.where) }] : []),
      ...(r.rethink ? [{ title: 'Facilitated Re-think', value: `Started on ${formatUkDate(r.rethink.linkedAt)}` }] : []),
      ...(r.withdrawal ? [{ title: 'Why withdrawn', value: cut(r.withdrawal.reason) }] : []),
    ],
    noHistory: r.history.length === 0,
    history: historyLines(profile, r.history, textLimit, fit),
    hasTriedInstead: f.triedInstead !== '',
    triedInstead: cut(f.triedInstead),
    hasQuestions: r.questions.length > 0,
    questions: [
      ...(earlierQuestions > 0 ? [{ line: earlierNotShown(earlierQuestions, 'earlier question', 'earlier questions') }] : []),
      ...latestQuestions.map((q) => ({ line: `**${truncate(q.askedBy.name, 120)} asked:** ${cut(q.text)}${q.answer !== undefined ? `\n\n**Answer:** ${cut(q.answer)}` : ' (waiting for an answer)'}` })),
    ],
    showNextSteps: audience === 'pool' && (r.status === 'accepted' || r.status === 'scheduled') && !r.rethink,
    nextSteps: nextSteps(r),
    hasNotice: notice !== '',
    notice,
    noticeStyle: tone,
    privacyReminder: PRIVACY_REMINDER,
    textMaxLength: pasteRoom(profile.limits.summaryMaxLength),
    textLimit: characters(profile.limits.summaryMaxLength),
    canAccept: audience === 'pool' && r.status === 'submitted',
    canAsk: audience === 'pool' && open,
    hasAskWho: !!r.accepted,
    askWho: `For ${r.accepted?.by.name ?? 'the facilitator who accepted it'} to do, as the facilitator who accepted this request.`,
    canSchedule: audience === 'pool' && (r.status === 'accepted' || r.status === 'scheduled'),
    scheduleTitle: r.status === 'scheduled' ? 'Change the meeting' : 'Schedule the meeting',
    scheduleWho: `For ${r.accepted?.by.name ?? 'the facilitator who accepted it'} to do, as the facilitator who accepted this request.`,
    meetingDate: typed.meetingDate || (r.schedule?.date ?? ''),
    meetingTime: typed.meetingTime || (r.schedule?.time ?? ''),
    meetingFormat: typed.meetingFormat || (r.schedule?.format ?? f.preferredFormat),
    meetingWhere: typed.meetingWhere || (r.schedule?.where ?? ''),
    formats: [...profile.requestForm.formats],
    canWithdraw: audience === 'requester' && open,
    typedQuestion: typed.question ?? '',
    typedWithdrawReason: typed.withdrawReason ?? '',
  };
}

/**
 * What the facilitator who accepted does next, on the pool's shared copies (everyone there reads it).
 * The answer to their accept is soon replaced by the card as everyone sees it, so what must last
 * is said here: while they haven't added Re-think for themselves, the form and answers can't reach them.
 */
function nextSteps(r: FacilitatorRequest): string {
  const who = r.accepted?.by.name ?? 'the facilitator who accepted';
  const unreached = r.accepted && !r.accepted.chat ? `\n\n${who} hasn’t added Re-think for themselves yet, so the completed form and the requester’s answers can’t reach them: they will once ${who} adds it (in Teams: Apps, then Re-think, then Add).` : '';
  return `**Next, for ${who}:** start a group chat (or meeting) with the network, add Re-think and type **@Re-think start ${r.caseReference}**. Because ${who} accepted this request, Re-think will recommend strategy 3 to them there. That Re-think is linked to this request, and closing it completes the request.${unreached}`;
}

export function renderRequestCard(profile: PartnershipProfile, r: FacilitatorRequest, audience: Audience, notice = '', typed: RequestTyped = {}, tone: NoticeTone = 'attention'): AdaptiveCard {
  return fitListsFirst((limit, fit) => expand(template, requestCardData(profile, r, audience, notice, Math.min(limit, 500), typed, tone, fit)));
}
