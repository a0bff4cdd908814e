/** The independent facilitator request: the form, its submission, and what facilitators and requesters do with it. */
import { referenceOf } from './caseReference';
import { renderQuestionCard, questionCardData } from '../../cards/question';
import { renderRequestCard, type RequestTyped } from '../../cards/request';
import type { AdaptiveCard, NoticeTone } from '../../cards/render';
import { renderRequestFormCard } from '../../cards/requestForm';
import { renderRequestListCard, requestListCardData } from '../../cards/requestList';
import { REQUEST_STATUS_LABELS } from '../../cards/requestText';
import { formFromData } from '../../services/requests/form';
import { historyFor, networkOf, prefill } from '../../services/requests/history';
import * as lifecycle from '../../services/requests/lifecycle';
import type { Audience, FacilitatorRequest, PersonRef, Question } from '../../services/requests/types';
import { NO_ONE } from '../../services/rethink/types';
import type { Result } from '../../services/result';
import { formatUkDate } from '../../services/rethink/validation';
import type { ConversationAddress } from '../../services/store/people';
import { namedReach, poolChats, type FacilitatorPool, type PoolChats } from '../../services/store/pool';
import { personalChats } from '../../services/store/people';
import { unlessUnavailable, type Stored } from '../../services/store/repository';
import { errorKind } from '../../services/logging';
import { conversationKey } from '../turn';
import { engineContext, idField, MESSAGES, textField, threadOf, type CardData, type Deps, type Handler, type HandlerResult, type TurnInput } from './types';
import { typedCommand } from '../../services/text';

export const personOf = (input: TurnInput): PersonRef => ({ id: input.actor.id, name: input.actor.name, ...(input.actor.aadObjectId ? { aadObjectId: input.actor.aadObjectId } : {}) });

const chatOf = async (deps: Deps, aadObjectId: string | undefined): Promise<ConversationAddress | undefined> =>
  aadObjectId ? (await deps.people.get(aadObjectId))?.personalConversation : undefined;

/**
 * Teams says Re-think isn't in the person's personal chat after all (removed, and the news lost): it
 * is forgotten, so the next time says to add it, and they are told so now.
 */
const personalChatGone = (input: TurnInput, deps: Deps, chat: ConversationAddress) => async (): Promise<string> => {
  const aad = input.actor.aadObjectId;
  if (aad) await deps.people.forgetPersonalChat(aad, chat.conversationId, input.now.toISOString(), input.now, NO_ONE.delivery).catch((error: unknown) => deps.log.warn({ err: errorKind(error) }, 'could not forget a personal chat Teams says Re-think is not in'));
  return 'I couldn’t reach your personal chat with Re-think: Teams says Re-think isn’t there any more, so nothing was sent. Please add Re-think for yourself (in Teams: Apps, then Re-think, then Add), then ask again.';
};

// ---- The form ----

/** `request facilitator`: the form for this conversation's latest case, or a question for the case reference. */
export const requestFacilitator: Handler = async (input, deps) => {
  const given = textField(input.data, 'argument');
  const [latest] = given ? [] : await deps.rethinks.list(input.where.conversationId, 1, undefined, threadOf(input));
  const caseReference = given || latest?.caseReference;
  if (!caseReference) {
    const typed = (argument = '') => typedCommand(input.where.conversationKind, `request facilitator${argument}`);
    return { notice: `Which case is the request for? Type ${typed()} followed by the case reference, for example ${typed(` ${deps.profile.caseReference.example}`)}.` };
  }
  return formFor(input, deps, caseReference);
};

/** The summary's and the strategy card's button. */
export const showRequestForm: Handler = async (input, deps) => formFor(input, deps, textField(input.data, 'caseReference'), true);

/**
 * The form shows the case's history from other chats, so it only ever opens in the person's own
 * chat with Re-think: asked for anywhere else, it is sent there.
 */
async function formFor(input: TurnInput, deps: Deps, rawCaseReference: string, fromCard = false): Promise<HandlerResult> {
  const caseReference = await referenceOf(rawCaseReference, deps);
  if (!caseReference.ok) return { notice: caseReference.message };
  // Said before any form is filled in: a case has one open request at a time.
  const already = await openRequestNotice(deps, caseReference.value, personOf(input), 'A case has one open request at a time, so no new form has been opened.', input.where.conversationKind === 'personal');
  if (already) return { notice: already };
  const personal = input.where.conversationKind === 'personal';
  // One read of the person: their personal chat, and the role and agency they gave last time.
  const remembered = input.actor.aadObjectId ? await deps.people.get(input.actor.aadObjectId) : undefined;
  const chat = personal ? undefined : remembered?.personalConversation;
  if (!personal && !chat) {
    return {
      notice: `The request form shows the case’s history, so it opens only in your personal chat with Re-think. Please add Re-think for yourself (in Teams: Apps, then Re-think, then Add), then type **request facilitator ${caseReference.value}** there.`,
    };
  }
  const rethinks = await deps.rethinks.forCase(caseReference.value);
  const person = personOf(input);
  const card = renderRequestFormCard(deps.profile, {
    requestId: deps.newId(),
    caseReference: caseReference.value,
    values: prefill(rethinks, person, { ...(remembered?.role ? { role: remembered.role } : {}), ...(remembered?.agency ? { agency: remembered.agency } : {}) }, deps.profile.limits.summaryMaxLength),
    history: historyFor(rethinks, person),
  });
  if (chat) return { posts: [{ card, to: chat, onRefused: personalChatGone(input, deps, chat) }], notice: 'I’ve sent the request form to your personal chat with Re-think, so the case’s history stays private to you.' };
  // A new card of its own, so the card pressed (a summary, say) stays as it was.
  return { posts: [{ card }], ...(fromCard ? { notice: 'The request form is below.' } : {}) };
}

/**
 * What to say when the case already has an open request (a case has one at a time), or undefined.
 * Who made it, and when, is for the case's network and the administrators, not whoever types the reference.
 */
async function openRequestNotice(deps: Deps, caseReference: string, person: PersonRef, outcome: string, privately: boolean): Promise<string | undefined> {
  const open = await deps.requests.openFor(caseReference);
  if (!open) return undefined;
  const isThem = (p: PersonRef): boolean => lifecycle.samePerson(p, person);
  // Said in a shared chat, everyone there reads it: the details only in the person's own chat (and
  // the request is read for who is in its network only then).
  const inNetwork = async (): Promise<boolean> => {
    const full = await deps.requests.get(open.id);
    return full !== undefined && (isThem(full.requester) || full.network.some(isThem));
  };
  const told = privately && (deps.administrators.includes(person.aadObjectId ?? '') || (await inNetwork()));
  const accepted = told && open.acceptedBy ? `, accepted by ${open.acceptedBy}` : '';
  return told
    ? `There is already an open request for an independent facilitator for ${caseReference} (${REQUEST_STATUS_LABELS[open.status].toLowerCase()}, made by ${open.requesterName} on ${formatUkDate(open.submittedAt)}${accepted}). ${outcome}`
    : `There is already an open request for an independent facilitator for ${caseReference}. ${outcome} The case’s lead professional can tell you more.`;
}

export const submitRequest: Handler = async (input, deps) => {
  const requestId = idField(input.data, 'requestId');
  const caseReference = await referenceOf(textField(input.data, 'caseReference'), deps);
  if (!requestId || !caseReference.ok) return { notice: 'Sorry, this form can’t be sent as it is. Please type **request facilitator** for a fresh one.' };
  // Submitted already (a second press, or a redelivery): show it, change nothing.
  const existing = await deps.requests.get(requestId);
  if (existing) return viewFor(deps, existing, input, 'This request has already been submitted. Here it is as it stands.');

  const person = personOf(input);
  const already = await openRequestNotice(deps, caseReference.value, person, 'Nothing new has been sent; your form is kept above.', input.where.conversationKind === 'personal');
  if (already) return { notice: already };
  const rethinks = await deps.rethinks.forCase(caseReference.value);
  const history = historyFor(rethinks, person);
  const form = formFromData((field) => textField(input.data, field));
  // The form opens in the requester's personal chat: normally that is where it is submitted from.
  const [pool, requesterChat] = await Promise.all([poolTargets(deps), input.where.conversationKind === 'personal' ? input.address : chatOf(deps, input.actor.aadObjectId)]);
  const result = lifecycle.submitRequest(
    {
      id: requestId,
      tenantId: input.where.tenantId,
      caseReference: caseReference.value,
      requester: person,
      requestedIn: input.address,
      ...(requesterChat ? { requesterChat } : {}),
      ...(input.replyToId ? { formActivityId: input.replyToId } : {}),
      form,
      history,
      network: networkOf(rethinks, person).filter((p) => p.aadObjectId !== person.aadObjectId),
    },
    pool,
    engineContext(deps, input.now),
  );
  if (!result.ok) {
    // Everything typed stays on the card, with each problem beside its field.
    const card = renderRequestFormCard(deps.profile, { requestId, caseReference: caseReference.value, values: form, history, errors: result.errors, notice: result.message });
    return { view: card, postViewWithoutExecute: true };
  }
  // The search above answers most people kindly; this decides between two forms sent at the same moment.
  const holder = await deps.requests.claimCase(caseReference.value, requestId, input.now);
  if (holder && holder !== requestId) return { notice: `There is already an open request for an independent facilitator for ${caseReference.value}, made just now, so nothing new has been sent; your form is kept above.` };
  const created = await deps.requests.create(result.value);
  if (!created) {
    const now = await deps.requests.get(requestId);
    return now ? requestView(deps, now, 'requester', 'This request has already been submitted. Here it is as it stands.') : { notice: MESSAGES.unexpected };
  }
  // The pool changed while this was being made (a channel set, a facilitator added): the request
  // goes to the pool as it is now too (a chat that has left it is not sent it).
  const poolNow = await poolTargets(deps);
  await deps.requests.update(requestId, (current) => lifecycle.offerToPool(current, lifecycle.poolAddresses(poolNow), person.id, engineContext(deps, input.now)), created, true);
  deps.dispatch(requestId);
  return requestView(deps, created, 'requester', 'Your request has been sent to the independent facilitators. You will be told here when one accepts it.');
};

const poolTargets = (deps: Deps): Promise<PoolChats> => poolChats(deps.pool, deps.people);

/** The administrators' personal chats, where they are told what needs them. */
export const administratorChats = (deps: Deps): Promise<ConversationAddress[]> => personalChats(deps.people, deps.administrators);

/** Who could accept a request now, as the pool stands (read once here, or given as just changed). */
export async function poolReach(deps: Deps, settings?: FacilitatorPool): Promise<lifecycle.PoolReach & { named: { aadObjectId: string; chat?: ConversationAddress }[]; pool?: FacilitatorPool }> {
  const pool = settings ?? (await deps.pool.get());
  const [named, administrators] = await Promise.all([namedReach(pool, deps.people), administratorChats(deps)]);
  return { channel: pool?.channel !== undefined, reachable: named.flatMap((n) => (n.chat ? [n.aadObjectId] : [])), administrators, named, ...(pool ? { pool } : {}) };
}

/**
 * The accepting facilitator's record lists the open cases they facilitate, so their strategy 3
 * Re-think for the case is recommended as such. Kept after the answer; a preference, not the record.
 */
export function keepFacilitating(deps: Pick<Deps, 'people' | 'requests' | 'later'>, r: FacilitatorRequest, now: Date, by: string): void {
  const aad = r.accepted?.by.aadObjectId;
  if (!aad) return;
  const open = lifecycle.isOpenRequest(r);
  const keep = (yes: boolean) => deps.people.updateFacilitating(aad, (cases) => (yes ? [...new Set([...cases, r.caseReference])] : cases.filter((c) => c !== r.caseReference)), now, by);
  deps.later('remember the cases a facilitator has accepted', async () => {
    const added = await keep(open);
    if (!open || !added) return;
    // Read after adding: if the request has been closed, or erased with its case, since this answer,
    // take the case off again. An erasure looks the lists up after deleting, so one of the two sees the
    // other. A list that already named the case was added to (and checked) by an earlier action.
    // Unable to tell, it is taken off: a lagging list is covered by reading the request at start.
    const current = await deps.requests.get(r.id).catch(unlessUnavailable(() => undefined));
    if (!current || !lifecycle.isOpenRequest(current)) await keep(false);
  });
}

// ---- Acting on a request ----

const audienceFor = (r: FacilitatorRequest, input: TurnInput): Audience =>
  r.requester.id === input.actor.id && r.requestedIn.conversationId === input.where.conversationId ? 'requester' : 'pool';

function requestView(deps: Deps, r: FacilitatorRequest, audience: Audience, notice: string, typed: RequestTyped = {}, tone: NoticeTone = 'attention'): HandlerResult {
  return { view: renderRequestCard(deps.profile, r, audience, notice, typed, tone), notice };
}

/**
 * The request as this person may see it, with the notice: the requester's card to the requester; the
 * facilitators' card only to the pool, the requester, the facilitator who accepted it and the
 * administrators. Anyone else (someone since taken out of the pool, pressing an old card) gets the notice alone.
 */
async function viewFor(deps: Deps, r: FacilitatorRequest, input: TurnInput, notice: string, typed: RequestTyped = {}): Promise<HandlerResult> {
  const audience = audienceFor(r, input);
  if (audience === 'requester') return requestView(deps, r, audience, notice, typed);
  const who = personOf(input);
  const mayRead = lifecycle.samePerson(r.requester, who) || (!!r.accepted && lifecycle.samePerson(r.accepted.by, who)) || deps.administrators.includes(input.actor.aadObjectId ?? '') || (await isPoolMember(input, deps));
  return mayRead ? requestView(deps, r, audience, notice, typed) : { notice };
}

const typedOn = (data: CardData): RequestTyped => ({
  question: textField(data, 'question'),
  withdrawReason: textField(data, 'withdrawReason'),
  meetingDate: textField(data, 'meetingDate'),
  meetingTime: textField(data, 'meetingTime'),
  meetingFormat: textField(data, 'meetingFormat'),
  meetingWhere: textField(data, 'meetingWhere'),
});

/** A pool member: acting in the facilitator channel, or a named facilitator (anywhere). */
async function poolStanding(input: TurnInput, deps: Deps): Promise<{ member: boolean; inChannel: boolean }> {
  const pool = await deps.pool.get();
  const inChannel = !!pool?.channel && conversationKey(pool.channel.conversationId) === input.where.conversationId;
  const named = !!input.actor.aadObjectId && !!pool?.facilitators.some((f) => f.aadObjectId === input.actor.aadObjectId);
  return { member: inChannel || named, inChannel };
}

const isPoolMember = async (input: TurnInput, deps: Deps): Promise<boolean> => (await poolStanding(input, deps)).member;

/**
 * Whether the facilitator who asked may still be sent the answer in their own chat: the request's
 * acceptor; a facilitator the pool names now; or one who asked in the pool's channel while it still
 * is. Anyone removed from the pool since is sent nothing more about the request.
 */
async function stillFacilitates(deps: Deps, r: FacilitatorRequest, question: Question): Promise<boolean> {
  const who = question.askedBy;
  if (r.accepted && lifecycle.samePerson(r.accepted.by, who)) return true;
  const pool = await deps.pool.get();
  if (who.aadObjectId && pool?.facilitators.some((f) => f.aadObjectId === who.aadObjectId)) return true;
  // (A question asked before where was recorded is answered on the card only.)
  return !!pool?.channel && conversationKey(pool.channel.conversationId) === question.askedIn;
}

type Change = (r: Stored<FacilitatorRequest>, input: TurnInput, deps: Deps) => Promise<(current: Stored<FacilitatorRequest>) => Result<FacilitatorRequest> & { replay?: boolean }>;

/**
 * Who may, is the input valid, do it: `poolOnly` actions need a facilitator; the lifecycle checks
 * the rest (requester-only, acceptor-only, state) inside the conditional write, so two facilitators
 * accepting at once cannot both win.
 */
function requestAction(poolOnly: boolean, done: string | ((r: FacilitatorRequest) => string), prepare: Change): Handler {
  return async (input, deps) => {
    const requestId = idField(input.data, 'requestId');
    const found = requestId ? await deps.requests.get(requestId) : undefined;
    if (!found) return { notice: MESSAGES.requestNotFound };
    // The facilitator who accepted it runs it, in the pool or not any more.
    const acceptor = !!found.accepted && lifecycle.samePerson(found.accepted.by, personOf(input));
    if (poolOnly && !acceptor && !(await isPoolMember(input, deps))) return audienceFor(found, input) === 'requester' ? requestView(deps, found, 'requester', MESSAGES.notPool) : { notice: MESSAGES.notPool };
    const apply = await prepare(found, input, deps);
    const outcome = await deps.requests.update(requestId, apply, found, true);
    if (outcome.kind === 'notFound') return { notice: MESSAGES.requestNotFound };
    // Refused, what was typed stays on the card to be corrected.
    if (outcome.kind === 'refused') {
      // Their own view says why; where others read the answer too (no per-person views), only what concerns everyone.
      const told = input.where.conversationKind === 'personal' ? undefined : outcome.refusal.forOthers;
      const shown = poolOnly ? requestView(deps, outcome.doc, 'pool', outcome.refusal.message, typedOn(input.data)) : await viewFor(deps, outcome.doc, input, outcome.refusal.message, typedOn(input.data));
      return told ? { ...shown, notice: told } : shown;
    }
    const audience = poolOnly ? 'pool' : audienceFor(outcome.doc, input);
    if (!outcome.replay) {
      deps.dispatch(requestId);
      keepFacilitating(deps, outcome.doc, input.now, input.actor.id);
    }
    // A redelivery: the first delivery was answered, and the request may have moved on since.
    if (outcome.replay) return requestView(deps, outcome.doc, audience, MESSAGES.alreadyDone);
    return requestView(deps, outcome.doc, audience, typeof done === 'string' ? done : done(outcome.doc), {}, 'good');
  };
}

export const acceptRequest = requestAction(
  true,
  (r) =>
    r.accepted?.chat
      ? 'You have accepted this request. The requester is being told, and the completed form is on its way to your personal chat.'
      : 'You have accepted this request, and the requester is being told. To receive the completed form and the requester’s answers, add Re-think for yourself (in Teams: Apps, then Re-think, then Add).',
  async (r, input, deps) => {
    const [chat, insiders] = await Promise.all([chatOf(deps, input.actor.aadObjectId), deps.rethinks.peopleInCase(r.caseReference)]);
    return (current) => lifecycle.acceptRequest(current, personOf(input), chat, input.activityId, engineContext(deps, input.now), insiders);
  },
);

export const declineRequest = requestAction(true, 'You have declined this request. Another facilitator can still accept it.', async (_r, input, deps) => {
  // Who else could accept it: should no one be left, the requester and administrators are told.
  const reach = await poolReach(deps);
  return (current) => lifecycle.declineRequest(current, personOf(input), input.activityId, engineContext(deps, input.now), reach);
});

export const askQuestion = requestAction(true, 'Your question has been sent to the requester. Their answer will appear on this card.', async (_r, input, deps) => (current) =>
  lifecycle.askQuestion(current, personOf(input), textField(input.data, 'question'), input.where.conversationId, input.activityId, engineContext(deps, input.now)),
);

export const scheduleRequest = requestAction(true, 'The meeting is saved. The requester and the people from the earlier Re-thinks who have added Re-think for themselves are being told: please let anyone else who should know.', async (r, input, deps) => {
  const chats = await Promise.all(r.network.map((p) => chatOf(deps, p.aadObjectId)));
  const tell = chats.filter((c): c is ConversationAddress => c !== undefined);
  const when = { date: textField(input.data, 'meetingDate'), time: textField(input.data, 'meetingTime'), format: textField(input.data, 'meetingFormat'), where: textField(input.data, 'meetingWhere') };
  return (current) => lifecycle.scheduleRequest(current, personOf(input), when, tell, input.activityId, engineContext(deps, input.now));
});

export const withdrawRequest = requestAction(false, 'The request is withdrawn. The facilitators’ cards are being updated to say so.', async (r, input, deps) => {
  // Whoever was told of a meeting is told it is off. Looked up whether or not a meeting is arranged
  // as read: one may be arranged before this is saved, and the change is then applied to that.
  const chats = await Promise.all(r.network.map((p) => chatOf(deps, p.aadObjectId)));
  const tell = chats.filter((c): c is ConversationAddress => c !== undefined);
  return (current) => lifecycle.withdrawRequest(current, personOf(input), textField(input.data, 'withdrawReason'), tell, input.activityId, engineContext(deps, input.now));
});

export const answerQuestion: Handler = async (input, deps) => {
  const requestId = idField(input.data, 'requestId');
  const questionId = idField(input.data, 'questionId');
  const found = requestId ? await deps.requests.get(requestId) : undefined;
  if (!found || !questionId) return { notice: MESSAGES.requestNotFound };
  const question = found.questions.find((q) => q.id === questionId);
  const askerChat = question && (await stillFacilitates(deps, found, question)) ? await chatOf(deps, question.askedBy.aadObjectId) : undefined;
  const outcome = await deps.requests.update(
    requestId,
    (current) => lifecycle.answerQuestion(current, personOf(input), questionId, textField(input.data, 'answer'), askerChat, input.activityId, engineContext(deps, input.now)),
    found,
    true,
  );
  if (outcome.kind === 'notFound') return { notice: MESSAGES.requestNotFound };
  if (outcome.kind === 'updated' && !outcome.replay) deps.dispatch(requestId);
  // Sent only where the facilitator who asked can be reached; otherwise it is on the request's cards.
  const done = askerChat ? 'Thank you: your answer has been sent to the facilitator.' : 'Thank you: your answer is recorded on the request, where the facilitators can see it.';
  const notice = outcome.kind === 'refused' ? outcome.refusal.message : done;
  // The question and its answer are for the requester (and the facilitators, on their card).
  if (outcome.kind === 'refused' && !lifecycle.samePerson(outcome.doc.requester, personOf(input))) return { notice };
  const data = outcome.kind === 'refused' ? questionCardData(deps.profile, outcome.doc, questionId, notice, textField(input.data, 'answer')) : questionCardData(deps.profile, outcome.doc, questionId, notice, '', 'good');
  if (!data) return { notice };
  const view = renderQuestionCard(data);
  // Where there are no per-person views (Action.Submit), the question card pressed is shown answered
  // too: in the requester's own chat only (in a shared chat it would show their answer to everyone).
  const answered = outcome.kind !== 'refused' && input.replyToId && input.where.conversationKind === 'personal' ? { shared: { render: () => view, activityId: input.replyToId } } : {};
  return { view, notice, ...answered };
};

/**
 * One lifecycle change applied to each of these requests, one after another (each conditional on
 * its ETag; a document already read is not read again), and what it queued sent: how many changed.
 */
export async function changeEach(deps: Deps, requests: readonly ({ id: string } | Stored<FacilitatorRequest>)[], change: (current: FacilitatorRequest) => Result<FacilitatorRequest> & { replay?: boolean }): Promise<number> {
  let changed = 0;
  for (const r of requests) {
    const outcome = await deps.requests.update(r.id, change, '_etag' in r ? r : undefined, true);
    if (outcome.kind === 'updated' && !outcome.replay) {
      deps.dispatch(r.id);
      changed++;
    }
  }
  return changed;
}

/** Someone has added Re-think for themselves: requests they accepted before it could reach them follow them there. */
export async function reachAcceptorOnInstall(deps: Deps, input: TurnInput): Promise<void> {
  if (!input.actor.aadObjectId) return;
  await changeEach(deps, await deps.requests.acceptedWithoutChat(input.actor.aadObjectId), (current) => lifecycle.reachAcceptor(current, personOf(input), input.address, engineContext(deps, input.now)));
}

/**
 * "Show this request" on a list: the request as it is now, posted below for this person (the
 * requester's card to the requester; the facilitators' card to the pool, the facilitator who accepted
 * it and the administrators), so a card lost far up a chat, or in a channel no longer the pool's, can
 * be found again. Its buttons answer with the request as it is when pressed.
 */
export const showRequest: Handler = async (input, deps) => {
  const requestId = idField(input.data, 'requestId');
  const found = requestId ? await deps.requests.get(requestId) : undefined;
  if (!found) return { notice: MESSAGES.requestNotFound };
  const who = personOf(input);
  const audience: Audience = lifecycle.samePerson(found.requester, who) ? 'requester' : 'pool';
  const mayRead = audience === 'requester' || (!!found.accepted && lifecycle.samePerson(found.accepted.by, who)) || deps.administrators.includes(input.actor.aadObjectId ?? '') || (await isPoolMember(input, deps));
  if (!mayRead) return { notice: MESSAGES.notPool };
  // Lists are posted only where the person alone (or the pool's channel) sees them: so is this.
  const here = input.where.conversationKind === 'personal' || (audience === 'pool' && (await poolStanding(input, deps)).inChannel);
  const chat = here ? undefined : await chatOf(deps, input.actor.aadObjectId);
  if (!here && !chat) return { notice: 'Requests name cases and people, so I show them only in your personal chat with Re-think. Please add Re-think for yourself (in Teams: Apps, then Re-think, then Add).' };
  return {
    posts: [{ card: renderRequestCard(deps.profile, found, audience), ...(chat ? { to: chat, onRefused: personalChatGone(input, deps, chat) } : {}) }],
    notice: `The request for case ${found.caseReference}, as it is now, is ${chat ? 'in your personal chat with Re-think' : 'below'}.`,
  };
};

// ---- Lists ----

/**
 * A list of requests names cases and people: it is posted where only the person sees it (their
 * personal chat, or the facilitators' own channel), and asked for anywhere else it is sent to their personal chat.
 */
async function privately(input: TurnInput, deps: Deps, command: string, card: () => Promise<AdaptiveCard>, here = input.where.conversationKind === 'personal'): Promise<HandlerResult> {
  if (here) return { posts: [{ card: await card() }] };
  const chat = await chatOf(deps, input.actor.aadObjectId);
  if (!chat) return { notice: `Requests name cases and people, so I list them only in your personal chat with Re-think. Please add Re-think for yourself (in Teams: Apps, then Re-think, then Add), then type **${command}** there.` };
  return { posts: [{ card: await card(), to: chat, onRefused: personalChatGone(input, deps, chat) }], notice: 'Requests name cases and people, so I’m sending the list to your personal chat with Re-think.' };
}

export const myRequests: Handler = async (input, deps) =>
  privately(input, deps, 'my requests', async () =>
    renderRequestListCard(requestListCardData(deps.profile, 'Your requests for an independent facilitator', 'You haven’t requested an independent facilitator yet.', await deps.requests.byRequester(input.actor.id, input.actor.aadObjectId, 20))),
  );

export const poolRequests: Handler = async (input, deps) => {
  const { member, inChannel } = await poolStanding(input, deps);
  if (!member && !deps.administrators.includes(input.actor.aadObjectId ?? '')) return { notice: MESSAGES.notPool };
  return privately(
    input,
    deps,
    'requests',
    async () => {
      // Those waiting for someone to accept first, oldest first; then those under way, newest first.
      const shown = 30;
      const [waiting, underWay] = await Promise.all([deps.requests.open(shown + 1, 'waiting'), deps.requests.open(shown + 1, 'underWay')]);
      const all = [...waiting, ...underWay];
      const more = waiting.length > shown || underWay.length > shown ? 'some' : Math.max(0, all.length - shown);
      return renderRequestListCard(requestListCardData(deps.profile, 'Open requests for an independent facilitator', 'There are no open requests.', all.slice(0, shown), more));
    },
    inChannel || input.where.conversationKind === 'personal',
  );
};

