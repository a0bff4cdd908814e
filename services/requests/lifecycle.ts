/**
 * The request's life: submitted → accepted → scheduled → completed, or withdrawn. Pure functions
 * from (request, who, input) to the changed request with its notifications, or a refusal.
 */
import type { PartnershipProfile } from '../profile/types';
import { ok, refuse, type Result } from '../result';
import { checkText, formatUkDate, isRealDate, keptUntil, formatUkDay, formatUkTime, ukToday, yearsAhead } from '../rethink/validation';
import { NO_ONE } from '../rethink/types';
import type { ConversationAddress } from '../store/people';
import type { PoolChats } from '../store/pool';
import { checkForm, labelOf, type FieldErrors } from './form';
import { enqueue, updateCopies, type Enqueue } from './outbox';
import type { FacilitatorRequest, HistoryEntry, PersonRef, RequestAuditWhat, RequestForm, RequestStatus, Schedule } from './types';
import { trimChars, typedCommand } from '../text';

/** Bytes: inside Cosmos DB's 2 MB item limit, with room for what always goes through (completing, withdrawing, the outbox's bookkeeping). */
const MAX_REQUEST_BYTES = 1_500_000;

type Changed = Result<FacilitatorRequest> & { replay?: boolean };

/**
 * A change that adds to the request (a decline, a question, an answer, a meeting arranged): refused
 * clearly once the record is full, rather than failing to save.
 */
function growing<A extends unknown[]>(change: (...args: A) => Changed): (...args: A) => Changed {
  return (...args) => {
    const result = change(...args);
    if (!result.ok || result.replay || Buffer.byteLength(JSON.stringify(result.value), 'utf8') <= MAX_REQUEST_BYTES) return result;
    return refuse('invalidInput', 'This request’s record has grown as large as it can be, so this could not be added. To carry on, the request can be withdrawn and a new one made for the case: its Re-thinks are filled in again.');
  };
}

export interface RequestContext {
  readonly now: Date;
  readonly newId: () => string;
  readonly profile: PartnershipProfile;
}

/** Where the facilitators are, as chats to post to: the channel, then named people's personal chats. */
export const poolAddresses = (pool: PoolChats): ConversationAddress[] => [...(pool.channel ? [pool.channel] : []), ...pool.facilitators];

export interface NewRequest {
  id: string;
  tenantId: string;
  caseReference: string;
  requester: PersonRef;
  requestedIn: ConversationAddress;
  requesterChat?: ConversationAddress;
  /** The form card the requester submitted: it becomes their copy of the request card. */
  formActivityId?: string;
  form: RequestForm;
  history: HistoryEntry[];
  network: PersonRef[];
}

export type SubmitResult = { ok: true; value: FacilitatorRequest } | { ok: false; errors: FieldErrors; message: string };

const APPLIED_IDS_KEPT = 100;

export function submitRequest(input: NewRequest, pool: PoolChats, ctx: RequestContext): SubmitResult {
  const { form, errors } = checkForm(input.form, ctx.profile, input.history);
  const problems = Object.keys(errors).length;
  if (problems > 0) return { ok: false, errors, message: problems === 1 ? 'Please check the field marked below.' : `Please check the ${problems} fields marked below.` };
  if (!pool.channel && pool.facilitators.length === 0) {
    return { ok: false, errors: {}, message: 'No independent facilitators can be reached just now (none is set up, or none has Re-think added for themselves), so this request can’t be sent. Nothing has been lost: please ask your partnership administrator to check the facilitator pool, then submit again.' };
  }
  const at = ctx.now.toISOString();
  let doc: FacilitatorRequest = {
    id: input.id,
    type: 'request',
    tenantId: input.tenantId,
    caseReference: input.caseReference,
    status: 'submitted',
    requester: input.requester,
    requestedIn: input.requestedIn,
    ...(input.requesterChat ? { requesterChat: input.requesterChat } : {}),
    form,
    history: input.history,
    network: input.network,
    submittedAt: at,
    declines: [],
    questions: [],
    revision: 1,
    cards: input.formActivityId ? [{ to: input.requestedIn, activityId: input.formActivityId, audience: 'requester' }] : [],
    outbox: [],
    appliedActivityIds: [],
    audit: [{ at, by: input.requester.id, what: 'submitted' }],
    updatedAt: at,
    ttl: ctx.profile.retentionDays * 86_400,
  };
  const poolPosts: Enqueue[] = poolAddresses(pool).map((to) => ({ to, message: { kind: 'requestCard', audience: 'pool' } }));
  // Others in the chat where it was asked see the form become the request; the requester has it already.
  doc = enqueue(doc, [...poolPosts, ...updateCopies(doc), ...(input.requesterChat ? [{ to: input.requesterChat, message: { kind: 'document' as const } }] : [])], ctx.now, ctx.newId);
  return { ok: true, value: doc };
}

/**
 * A redelivered activity was applied the first time: its result stands, whatever has happened to
 * the request since, so it is checked before anything else.
 */
const alreadyApplied = (doc: FacilitatorRequest, activityId: string | undefined): boolean => activityId !== undefined && doc.appliedActivityIds.includes(activityId);

/** Applies a change once: a redelivered activity, or the same change again, changes nothing. */
function change(
  doc: FacilitatorRequest,
  activityId: string | undefined,
  ctx: RequestContext,
  by: string,
  what: RequestAuditWhat,
  apply: (d: FacilitatorRequest) => { doc: FacilitatorRequest; notify: Enqueue[]; cardChanged: boolean },
  /** Not a change to the request (the pool changed around it): its retention still runs from its last real change. */
  bookkeeping = false,
): Result<FacilitatorRequest> & { replay?: boolean } {
  if (alreadyApplied(doc, activityId)) return { ok: true, value: doc, replay: true };
  const at = ctx.now.toISOString();
  const applied = apply(doc);
  let next: FacilitatorRequest = {
    ...applied.doc,
    revision: doc.revision + (applied.cardChanged ? 1 : 0),
    audit: [...doc.audit, { at, by, what }],
    appliedActivityIds: activityId ? [...doc.appliedActivityIds, activityId].slice(-APPLIED_IDS_KEPT) : doc.appliedActivityIds,
    // Kept as they were, the daily retention check brings the record's expiry back to its last real change.
    ...(bookkeeping ? {} : { updatedAt: at, ttl: ctx.profile.retentionDays * 86_400 }),
  };
  next = enqueue(next, [...(applied.cardChanged ? updateCopies(next) : []), ...applied.notify], ctx.now, ctx.newId);
  return ok(next);
}

const statusText: Record<RequestStatus, string> = {
  submitted: 'waiting for an independent facilitator',
  accepted: 'accepted',
  scheduled: 'scheduled',
  completed: 'completed',
  withdrawn: 'withdrawn',
};

function mustBe(doc: FacilitatorRequest, allowed: readonly RequestStatus[]): Result<true> {
  if (allowed.includes(doc.status)) return ok(true);
  if (doc.accepted && allowed.includes('submitted') && (doc.status === 'accepted' || doc.status === 'scheduled')) {
    return refuse('notAllowed', `This request has already been accepted by ${doc.accepted.by.name} on ${formatUkDate(doc.accepted.at)}. Nothing has been changed.`);
  }
  return refuse('notAllowed', `This request is ${statusText[doc.status]}, so that can’t be done now. Nothing has been changed.`);
}

/** The same person, by Teams id or by Entra object id (a person seen in another tenant's chat, say). */
export const samePerson = (a: Pick<PersonRef, 'id' | 'aadObjectId'>, b: Pick<PersonRef, 'id' | 'aadObjectId'>): boolean => a.id === b.id || (!!a.aadObjectId && a.aadObjectId === b.aadObjectId);
const isRequester = (doc: FacilitatorRequest, who: PersonRef): boolean => samePerson(doc.requester, who);
const isAcceptor = (doc: FacilitatorRequest, who: PersonRef): boolean => !!doc.accepted && (doc.accepted.by.id === who.id || (!!who.aadObjectId && doc.accepted.by.aadObjectId === who.aadObjectId));
const requesterTarget = (doc: FacilitatorRequest): ConversationAddress => doc.requesterChat ?? doc.requestedIn;

/**
 * First accept wins: the write is conditional on the version read, so a second accept sees this one.
 * `insiders`: everyone in Teams who took part in the case's Re-thinks (not only those the requester
 * shared), none of whom is independent.
 */
export function acceptRequest(doc: FacilitatorRequest, who: PersonRef, whoChat: ConversationAddress | undefined, activityId: string | undefined, ctx: RequestContext, insiders: readonly PersonRef[] = []): Result<FacilitatorRequest> & { replay?: boolean } {
  if (alreadyApplied(doc, activityId)) return { ok: true, value: doc, replay: true };
  // Pressed again (another copy, another device): their own accept stands.
  if (doc.accepted && samePerson(doc.accepted.by, who) && (doc.status === 'accepted' || doc.status === 'scheduled')) {
    return refuse('notAllowed', `You accepted this request on ${formatUkDate(doc.accepted.at)}, so nothing more is needed. Nothing has been changed.`);
  }
  const allowed = mustBe(doc, ['submitted']);
  if (!allowed.ok) return allowed;
  if (isRequester(doc, who)) return refuse('notAllowed', 'You made this request, so another independent facilitator needs to accept it: an independent facilitator is someone outside the case.');
  if ([...doc.network, ...insiders].some((p) => samePerson(p, who))) {
    return refuse('notAllowed', 'You took part in this case’s earlier Re-thinks, so another independent facilitator needs to accept it: an independent facilitator is someone outside the case.', { forOthers: 'Another independent facilitator needs to accept this request. Nothing has been changed.' });
  }
  return change(doc, activityId, ctx, who.id, 'accepted', (d) => ({
    // Declined earlier and now accepting: the card shouldn't list them as both.
    doc: { ...d, status: 'accepted', accepted: { by: who, at: ctx.now.toISOString(), ...(whoChat ? { chat: whoChat } : {}) }, declines: d.declines.filter((x) => !samePerson(x.by, who)) },
    cardChanged: true,
    notify: [
      { to: requesterTarget(d), message: { kind: 'text', text: `${who.name} has accepted your request for an independent facilitator for case ${d.caseReference}. They will be in touch to arrange the Re-think meeting.` } },
      ...(whoChat ? toAcceptor(d, whoChat) : []),
    ],
  }));
}

/**
 * What the facilitator who accepted is sent in their own chat: the completed form, and the request
 * they now run if it is not there already (accepted elsewhere, such as the channel): it stays with
 * them whatever becomes of the pool.
 */
const toAcceptor = (doc: FacilitatorRequest, chat: ConversationAddress): Enqueue[] => [
  { to: chat, message: { kind: 'document' } },
  ...(hasPoolCopy(doc, chat.conversationId) ? [] : [{ to: chat, message: { kind: 'requestCard' as const, audience: 'pool' as const } }]),
];

/** The pool's card is in this chat, or on its way there. */
const hasPoolCopy = (doc: FacilitatorRequest, conversationId: string): boolean =>
  doc.cards.some((c) => c.audience === 'pool' && c.to.conversationId === conversationId) ||
  doc.outbox.some((d) => d.status === 'pending' && d.message.kind === 'requestCard' && d.message.audience === 'pool' && d.to.conversationId === conversationId);

/**
 * A chat newly in the pool (a channel set, a facilitator added) is sent the requests still waiting
 * for someone to accept, as if it had been in the pool when they were made.
 */
export function offerToPool(doc: FacilitatorRequest, to: readonly ConversationAddress[], by: string, ctx: RequestContext): Result<FacilitatorRequest> & { replay?: boolean } {
  const missing = doc.status === 'submitted' ? to.filter((chat) => !hasPoolCopy(doc, chat.conversationId)) : [];
  if (missing.length === 0) return { ok: true, value: doc, replay: true };
  return change(doc, undefined, ctx, by, 'offeredToPool', (d) => ({ doc: d, cardChanged: false, notify: missing.map((chat) => ({ to: chat, message: { kind: 'requestCard' as const, audience: 'pool' as const } })) }));
}

/**
 * The facilitator who accepted, with no personal chat with Re-think then, has added the app: the
 * completed form and their own copy of the request reach them there now, as they were promised.
 */
export function reachAcceptor(doc: FacilitatorRequest, who: PersonRef, chat: ConversationAddress, ctx: RequestContext): Result<FacilitatorRequest> & { replay?: boolean } {
  const accepted = doc.accepted;
  if (!accepted || accepted.chat || !samePerson(accepted.by, who) || !isOpenRequest(doc)) return { ok: true, value: doc, replay: true };
  return change(doc, undefined, ctx, who.id, 'acceptorReached', (d) => ({
    doc: { ...d, accepted: { ...accepted, chat } },
    // The pool's copies said the form couldn't reach them yet.
    cardChanged: true,
    notify: toAcceptor(d, chat),
  }));
}

/**
 * Chats that have left the pool (a facilitator removed, the channel replaced): their copies are
 * updated now, so they become the note saying so at once rather than at the request's next change.
 */
export function noteLeftPool(doc: FacilitatorRequest, chats: readonly string[], by: string, ctx: RequestContext): Result<FacilitatorRequest> & { replay?: boolean } {
  const left = doc.cards.filter((c) => c.audience === 'pool' && chats.includes(c.to.conversationId));
  if (left.length === 0) return { ok: true, value: doc, replay: true };
  return change(doc, undefined, ctx, by, 'leftPool', (d) => ({ doc: d, cardChanged: false, notify: left.map((c) => ({ to: c.to, action: 'update' as const, activityId: c.activityId, message: { kind: 'requestCard' as const, audience: 'pool' as const } })) }), true);
}

/**
 * The day of a request's meeting has passed and no strategy 3 Re-think has been started for it: its
 * facilitator is reminded once per arrangement, in their own chat (or, with none, the administrators).
 */
export function raiseMeetingPassed(doc: FacilitatorRequest, administrators: readonly ConversationAddress[], ctx: RequestContext): Result<FacilitatorRequest> & { replay?: boolean } {
  const arranged = doc.schedule;
  if (doc.status !== 'scheduled' || doc.rethink || !arranged || (doc.meetingPassedRaisedAt && doc.meetingPassedRaisedAt >= arranged.at)) return { ok: true, value: doc, replay: true };
  const who = doc.accepted?.by.name ?? 'the facilitator who accepted it';
  const text = doc.accepted?.chat
    ? `The Re-think meeting for case ${doc.caseReference} was arranged for ${formatUkDay(arranged.date)}, but no strategy 3 Re-think has been started for it. If it was held, please start it now to record it (in the chat with the network, type **@Re-think start ${doc.caseReference}**); if it didn’t go ahead, please change the meeting on the request’s card.`
    : `The Re-think meeting for case ${doc.caseReference} was arranged for ${formatUkDay(arranged.date)} by ${who}, but no strategy 3 Re-think has been started for it, and ${who} hasn’t added Re-think for themselves to be reminded. Please check with them.`;
  const to = doc.accepted?.chat ? [doc.accepted.chat] : uniqueTargets(administrators);
  return change(doc, undefined, ctx, 'reminders', 'meetingPassedRaised', (d) => ({ doc: { ...d, meetingPassedRaisedAt: ctx.now.toISOString() }, cardChanged: false, notify: to.map((address) => ({ to: address, message: { kind: 'text' as const, text } })) }), true);
}

/**
 * A request no one has accepted after the profile's `requestWaitingDays`: raised once with those who
 * could accept it (the channel, and named facilitators who haven't declined) and the administrators.
 */
export function raiseWaiting(doc: FacilitatorRequest, pool: readonly ConversationAddress[], administrators: readonly ConversationAddress[], ctx: RequestContext): Result<FacilitatorRequest> & { replay?: boolean } {
  if (doc.status !== 'submitted' || doc.waitingRaisedAt) return { ok: true, value: doc, replay: true };
  const since = formatUkDate(doc.submittedAt);
  const urgency = labelOf(ctx.profile.requestForm.urgencies, doc.form.urgency);
  // The channel hears Re-think only when it is @mentioned; a facilitator's own chat needs no mention.
  const toPool = (to: ConversationAddress): string =>
    `The request for an independent facilitator for case ${doc.caseReference}, made on ${since}${urgency ? ` (${urgency})` : ''}, is still waiting for someone to accept it. Its card is in this ${to.conversationKind === 'personal' ? 'chat' : 'channel'}; type ${typedCommand(to.conversationKind, 'requests')} to see every request waiting.`;
  const toAdministrators = `The request for an independent facilitator for case ${doc.caseReference}, made on ${since}${urgency ? ` (${urgency})` : ''}, is still waiting for a facilitator to accept it. The facilitators have been reminded; if no one can take it, the pool may need another facilitator.`;
  return change(
    doc,
    undefined,
    ctx,
    NO_ONE.reminders,
    'waitingRaised',
    (d) => ({
      doc: { ...d, waitingRaisedAt: ctx.now.toISOString() },
      cardChanged: false,
      notify: [...uniqueTargets(pool).map((to) => ({ to, message: { kind: 'text' as const, text: toPool(to) } })), ...uniqueTargets(administrators).map((to) => ({ to, message: { kind: 'text' as const, text: toAdministrators } }))],
    }),
    // A reminder is not a change to the request: its retention still runs from the last one.
    true,
  );
}

/**
 * `pool`: who can accept it (the named facilitators who can be reached, by Entra object id; whether
 * there is a channel) and the administrators' chats. When this decline leaves no one who hasn't
 * declined, the requester and the administrators are told, rather than the request waiting in silence.
 */
export const declineRequest = growing(function declineRequest(
  doc: FacilitatorRequest,
  who: PersonRef,
  activityId: string | undefined,
  ctx: RequestContext,
  pool: PoolReach = { channel: true, reachable: [], administrators: [] },
): Result<FacilitatorRequest> & { replay?: boolean } {
  if (alreadyApplied(doc, activityId)) return { ok: true, value: doc, replay: true };
  const allowed = mustBe(doc, ['submitted']);
  if (!allowed.ok) return allowed;
  if (doc.declines.some((d) => d.by.id === who.id)) return refuse('notAllowed', 'You have already declined this request. Another facilitator can still accept it.');
  const declines = [...doc.declines, { by: who, at: ctx.now.toISOString() }];
  const none = noOneLeft({ ...doc, declines }, pool);
  return change(doc, activityId, ctx, who.id, 'declined', (d) => ({
    doc: { ...d, declines, ...(none ? { noOneLeftToldAt: ctx.now.toISOString() } : {}) },
    cardChanged: true,
    notify: none ? noOneLeftNotices(d, pool.administrators) : [],
  }));
});

/** Who could accept a request now: whether there is a channel, the named facilitators who can be reached (Entra object ids), and the administrators' chats. */
export type PoolReach = { channel: boolean; reachable: readonly string[]; administrators: readonly ConversationAddress[] };

/** Everyone who could accept it (with no channel, the named facilitators who can be reached) has declined it. */
const noOneLeft = (doc: FacilitatorRequest, pool: PoolReach): boolean => {
  const declined = new Set(doc.declines.map((d) => d.by.aadObjectId).filter((id): id is string => id !== undefined));
  return !pool.channel && pool.reachable.length > 0 && pool.reachable.every((id) => declined.has(id));
};

const noOneLeftNotices = (d: FacilitatorRequest, administrators: readonly ConversationAddress[]): Enqueue[] => [
  { to: requesterTarget(d), message: { kind: 'text' as const, text: `Every independent facilitator who can be reached has now declined your request for case ${d.caseReference} (a facilitator may know the family or the professionals involved). It stays open${administrators.length > 0 ? ', and the partnership’s administrators have been told, so that another facilitator can be found' : ': please let the partnership’s administrators know, so that another facilitator can be found'}. You can also withdraw it from its card.` } },
  ...administrators.map((to) => ({ to, message: { kind: 'text' as const, text: `Every independent facilitator who can be reached has declined the request for case ${d.caseReference}, made by ${d.requester.name} on ${formatUkDate(d.submittedAt)}. It is waiting with no one left to accept it: please add another facilitator (**add facilitator** with their Entra object id) or set a facilitator channel.` } })),
];

/**
 * The pool changed (a facilitator removed, the channel taken away) and everyone left who could
 * accept a waiting request has already declined it: told as at the last decline, once.
 */
export function tellNoOneLeft(doc: FacilitatorRequest, pool: PoolReach, by: string, ctx: RequestContext): Result<FacilitatorRequest> & { replay?: boolean } {
  // No one at all can be reached now (the channel gone, no named facilitator with Re-think added):
  // the requester is told too; the administrators have just been told in the answer to their change.
  const noOneReachable = !pool.channel && pool.reachable.length === 0;
  if (doc.status !== 'submitted' || doc.noOneLeftToldAt || !(noOneReachable || noOneLeft(doc, pool))) return { ok: true, value: doc, replay: true };
  const notify = (d: FacilitatorRequest): Enqueue[] => (noOneReachable ? [{ to: requesterTarget(d), message: { kind: 'text' as const, text: noOneReachableText(d) } }] : noOneLeftNotices(d, pool.administrators));
  return change(doc, undefined, ctx, by, 'noOneLeft', (d) => ({ doc: { ...d, noOneLeftToldAt: ctx.now.toISOString() }, cardChanged: false, notify: notify(d) }), true);
}

const noOneReachableText = (d: FacilitatorRequest): string =>
  `No independent facilitator can be reached just now for your request for case ${d.caseReference}: the partnership’s facilitator pool has changed. It stays open, and the partnership’s administrators know, so that a facilitator can be found. You can also withdraw it from its card.`;

export const askQuestion = growing(function askQuestion(doc: FacilitatorRequest, who: PersonRef, text: string, askedIn: string, activityId: string | undefined, ctx: RequestContext): Result<FacilitatorRequest> & { replay?: boolean } {
  if (alreadyApplied(doc, activityId)) return { ok: true, value: doc, replay: true };
  const allowed = mustBe(doc, ['submitted', 'accepted', 'scheduled']);
  if (!allowed.ok) return allowed;
  // Once accepted, the requester hears from their facilitator, and the answer goes to them.
  if (doc.accepted && !samePerson(doc.accepted.by, who)) {
    return refuse('notAllowed', `${doc.accepted.by.name} has accepted this request, so questions to the requester now come from them. If you have something to ask, please pass it to ${doc.accepted.by.name}.`);
  }
  const question = checkText(text, 'your question', ctx.profile.limits.summaryMaxLength);
  if (!question.ok) return question;
  const id = ctx.newId();
  return change(doc, activityId, ctx, who.id, 'questionAsked', (d) => ({
    doc: { ...d, questions: [...d.questions, { id, askedBy: who, askedIn, text: question.value, askedAt: ctx.now.toISOString() }] },
    cardChanged: true,
    notify: [{ to: requesterTarget(d), message: { kind: 'question', questionId: id } }],
  }));
});

export const answerQuestion = growing(function answerQuestion(
  doc: FacilitatorRequest,
  who: PersonRef,
  questionId: string,
  text: string,
  askerChat: ConversationAddress | undefined,
  activityId: string | undefined,
  ctx: RequestContext,
): Result<FacilitatorRequest> & { replay?: boolean } {
  if (alreadyApplied(doc, activityId)) return { ok: true, value: doc, replay: true };
  if (!isRequester(doc, who)) return refuse('notAllowed', `Only ${doc.requester.name}, who made the request, can answer its questions.`);
  const open = mustBe(doc, ['submitted', 'accepted', 'scheduled']);
  if (!open.ok) return open;
  const question = doc.questions.find((q) => q.id === questionId);
  if (!question) return refuse('notFound', 'I can’t find that question on this request.');
  if (question.answer !== undefined) return refuse('notAllowed', 'That question has already been answered. Nothing has been changed.');
  const answer = checkText(text, 'your answer', ctx.profile.limits.summaryMaxLength);
  if (!answer.ok) return answer;
  return change(doc, activityId, ctx, who.id, 'questionAnswered', (d) => ({
    doc: { ...d, questions: d.questions.map((q) => (q.id === questionId ? { ...q, answer: answer.value, answeredAt: ctx.now.toISOString() } : q)) },
    cardChanged: true,
    notify: askerChat ? [{ to: askerChat, message: { kind: 'text', text: `${who.name} has answered your question about the request for case ${d.caseReference}: “${answer.value}”` } }] : [],
  }));
});

/** Earlier arrangements with the one being replaced: a meeting moved is never forgotten. */
const kept = ({ previous = [], ...replaced }: Schedule): NonNullable<Schedule['previous']> => [...previous, replaced];

const TIME = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;
const uniqueTargets = (all: readonly ConversationAddress[]): ConversationAddress[] => all.filter((t, i) => all.findIndex((x) => x.conversationId === t.conversationId) === i);

export const scheduleRequest = growing(function scheduleRequest(
  doc: FacilitatorRequest,
  who: PersonRef,
  input: { date: string; time: string; format: string; where?: string },
  tell: readonly ConversationAddress[],
  activityId: string | undefined,
  ctx: RequestContext,
): Result<FacilitatorRequest> & { replay?: boolean } {
  if (alreadyApplied(doc, activityId)) return { ok: true, value: doc, replay: true };
  const allowed = mustBe(doc, ['accepted', 'scheduled']);
  if (!allowed.ok) return allowed;
  if (!isAcceptor(doc, who)) return refuse('notAllowed', `Only ${doc.accepted?.by.name ?? 'the facilitator who accepted it'} can schedule this request.`);
  const date = input.date.trim();
  // A date that does not exist (30 February) would be shown to everyone as another day.
  if (!isRealDate(date)) return refuse('invalidInput', 'Please choose the date of the meeting from the calendar: that isn’t a real date.');
  if (date < ukToday(ctx.now)) return refuse('invalidInput', 'The meeting date is in the past. Please choose today or a later date.');
  if (date > yearsAhead(ctx.now, 2)) return refuse('invalidInput', `The meeting date, ${formatUkDate(date)}, is more than two years away. Please check the year.`);
  // The request would be gone, with its reminders, before the meeting came.
  const keptBy = keptUntil(ctx.now, ctx.profile.retentionDays);
  if (keptBy && date > keptBy) return refuse('invalidInput', `The meeting date, ${formatUkDate(date)}, is later than Re-think keeps its records (${ctx.profile.retentionDays} days), so the request would be gone before the meeting. Please choose a date by ${formatUkDate(keptBy)}.`);
  // Some clients send seconds too: the whole value must be a time, then it is kept to the minute.
  const typedTime = input.time.trim();
  if (!TIME.test(typedTime)) return refuse('invalidInput', 'Please choose the time of the meeting, for example 10:30.');
  const time = typedTime.slice(0, 5);
  if (date === ukToday(ctx.now) && time < formatUkTime(ctx.now.toISOString())) return refuse('invalidInput', `${time} today has already passed. Please choose a later time, or another day.`);
  const format = labelOf(ctx.profile.requestForm.formats, input.format);
  if (!format) return refuse('invalidInput', 'Please choose how the meeting will happen.');
  const whereTyped = checkText(input.where ?? '', 'where the meeting is, or how to join it', ctx.profile.limits.summaryMaxLength, { required: false, called: 'The place or way to join' });
  if (!whereTyped.ok) return whereTyped;
  const where = whereTyped.value;
  const before = doc.status === 'scheduled' ? doc.schedule : undefined;
  // The same arrangement saved again (a second press): nothing to change or tell anyone.
  if (before && before.date === date && before.time === time && before.format === input.format && (before.where ?? '') === where) return { ok: true, value: doc, replay: true };
  const when = `${formatUkDay(date)} at ${time} (${format})`;
  const sameTime = before && before.date === date && before.time === time;
  const samePlace = !before || (before.where ?? '') === where;
  const at = where ? ` Where, or how to join: ${trimChars(where, '', '. \n\t')}.` : '';
  const meeting = `The Re-think meeting with an independent facilitator for case ${doc.caseReference}`;
  const text = sameTime && before.format === input.format
    ? `${meeting} on ${formatUkDay(date)} at ${time} has ${where ? `a new place or way to join.${at}` : 'no place or way to join recorded any more: the facilitator will tell you.'} It is facilitated by ${who.name}.`
    : sameTime
      ? `${meeting} on ${formatUkDay(date)} at ${time} is now ${format}, not ${labelOf(ctx.profile.requestForm.formats, before.format) ?? before.format}.${samePlace ? '' : at} It is facilitated by ${who.name}.`
      : before
        ? `${meeting} has moved: it is now on ${when}, not ${formatUkDay(before.date)} at ${before.time}.${at} It is facilitated by ${who.name}.`
        : `${meeting} is arranged for ${when}, facilitated by ${who.name}.${at}`;
  const targets = uniqueTargets([requesterTarget(doc), ...tell]);
  return change(doc, activityId, ctx, who.id, 'scheduled', (d) => ({
    doc: { ...d, status: 'scheduled', schedule: { date, time, format: input.format, ...(where ? { where } : {}), by: who.id, at: ctx.now.toISOString(), ...(before ? { previous: kept(before) } : {}) } },
    cardChanged: true,
    notify: targets.map((to) => ({ to, message: { kind: 'text' as const, text } })),
  }));
});

/** The facilitator's strategy 3 Re-think for this case follows the request. */
export function linkRethink(doc: FacilitatorRequest, who: PersonRef, rethink: { id: string; conversationId: string }, ctx: RequestContext): Result<FacilitatorRequest> & { replay?: boolean } {
  const allowed = mustBe(doc, ['accepted', 'scheduled']);
  if (!allowed.ok) return allowed;
  if (!isAcceptor(doc, who)) return refuse('notAllowed', 'Only the facilitator who accepted the request can link a Re-think to it.');
  if (doc.rethink?.id === rethink.id) return { ok: true, value: doc, replay: true };
  return change(doc, undefined, ctx, who.id, 'rethinkLinked', (d) => ({ doc: { ...d, rethink: { ...rethink, linkedAt: ctx.now.toISOString() } }, cardChanged: true, notify: [] }));
}

/** Completed when its Re-think closes. */
/** `outcome`: how its Re-think ended, with `said`, those words for the requester. */
export function completeRequest(doc: FacilitatorRequest, rethinkId: string, by: string, ctx: RequestContext, outcome?: NonNullable<FacilitatorRequest['outcome']> & { said: string }): Result<FacilitatorRequest> & { replay?: boolean } {
  if (doc.status === 'completed') return { ok: true, value: doc, replay: true };
  if (doc.rethink?.id !== rethinkId) return refuse('notAllowed', 'That Re-think is not linked to this request.');
  const allowed = mustBe(doc, ['accepted', 'scheduled']);
  if (!allowed.ok) return allowed;
  return change(doc, undefined, ctx, by, 'completed', (d) => ({
    doc: { ...d, status: 'completed', completedAt: ctx.now.toISOString(), ...(outcome ? { outcome: { kind: outcome.kind, ...(outcome.nextStep ? { nextStep: outcome.nextStep } : {}) } } : {}) },
    cardChanged: true,
    notify: [{ to: requesterTarget(d), message: { kind: 'text', text: `The Re-think with an independent facilitator for case ${d.caseReference} has been held and closed${outcome ? `, with the outcome “${outcome.said}”` : ''}. Its summary is in the chat where it took place.${outcome?.nextStep === 'escalation' ? escalationNext(ctx) : ''}` } }],
  }));
}

/** What the requester does next when the facilitated Re-think ends in escalation: the protocol, and where it is recorded. */
const escalationNext = (ctx: RequestContext): string => {
  const { escalationProtocolName: name, escalationProtocolShortName: short, escalationProtocolUrl: url } = ctx.profile.partnership;
  const first = ctx.profile.escalationStages[0];
  return ` What remains unresolved now goes to escalation under the [${name}](${url}): please take it up at the stage that fits${first ? ` (the protocol begins with “${first}”)` : ''}. Anyone who took part can record each stage with the summary’s **Escalate under the ${short}** button, so the case’s record shows it.`;
};

export function withdrawRequest(
  doc: FacilitatorRequest,
  who: PersonRef,
  reason: string,
  tell: readonly ConversationAddress[],
  activityId: string | undefined,
  ctx: RequestContext,
): Result<FacilitatorRequest> & { replay?: boolean } {
  if (alreadyApplied(doc, activityId)) return { ok: true, value: doc, replay: true };
  if (!isRequester(doc, who)) return refuse('notAllowed', `Only ${doc.requester.name}, who made the request, can withdraw it.`);
  const allowed = mustBe(doc, ['submitted', 'accepted', 'scheduled']);
  if (!allowed.ok) return allowed;
  const why = checkText(reason, 'why the request is being withdrawn', ctx.profile.limits.summaryMaxLength, { called: 'The reason' });
  if (!why.ok) return why;
  return change(doc, activityId, ctx, who.id, 'withdrawn', (d) => ({
    doc: { ...d, status: 'withdrawn', withdrawal: { reason: why.value, at: ctx.now.toISOString() } },
    cardChanged: true,
    notify: [
      ...(d.accepted?.chat ? [{ to: d.accepted.chat, message: { kind: 'text' as const, text: `${who.name} has withdrawn the request for case ${d.caseReference} that you accepted.` } }] : []),
      // A meeting was arranged: everyone told of it hears it is off (or, its day come, that the request has ended).
      ...(d.schedule ? uniqueTargets(tell).map((to) => ({ to, message: { kind: 'text' as const, text: meetingWithdrawn(d.caseReference, d.schedule, ctx.now) } })) : []),
    ],
  }));
}

/** Still to come, the meeting is off; once its time has come, only the request has ended. */
const meetingWithdrawn = (caseReference: string, schedule: Pick<Schedule, 'date' | 'time'> | undefined, now: Date): string => {
  const today = ukToday(now);
  const date = schedule?.date ?? today;
  const toCome = date > today || (date === today && (schedule?.time ?? '') > formatUkTime(now.toISOString()));
  return toCome
    ? `The Re-think meeting with an independent facilitator for case ${caseReference} on ${formatUkDay(date)} will not go ahead: the request has been withdrawn.`
    : `The request for an independent facilitator for case ${caseReference}, whose Re-think meeting was arranged for ${formatUkDay(date)}, has been withdrawn by the person who made it.`;
};

export const isOpenRequest = (doc: FacilitatorRequest): boolean => doc.status === 'submitted' || doc.status === 'accepted' || doc.status === 'scheduled';
