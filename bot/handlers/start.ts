/** Starting a Re-think: the form, the recommended strategy, and the choice. */
import { renderRethinkCard } from '../../cards/rethink';
import { formAudience, renderStartCard, startCardData, type StartFormValues } from '../../cards/start';
import { renderStrategyCard, strategyCardData } from '../../cards/strategy';
import { own } from '../../services/lookup';
import { applyCommand, startRethink } from '../../services/rethink/engine';
import { mayFacilitate } from '../../services/rethink/facts';
import { recommendStrategy } from '../../services/rethink/strategy';
import { referenceOf } from './caseReference';
import type { Rethink, StrategyNumber } from '../../services/rethink/types';
import { linkStrategyThree } from './requestLinks';
import { actorFor, changed, recordCardActivity, rememberRole } from './rethink';
import { shortKey } from '../shortKey';
import { engineContext, flagField, MESSAGES, rethinkIdOf, textField, type CardData, type Deps, type Handler, type HandlerResult, type TurnInput } from './types';
import { errorKind } from '../../services/logging';
import type { Stored } from '../../services/store/repository';

const formValues = (data: CardData): StartFormValues => ({
  caseReference: textField(data, 'caseReference'),
  concernCategory: textField(data, 'concernCategory'),
  summary: textField(data, 'summary'),
  mode: textField(data, 'mode'),
  role: textField(data, 'role'),
  agency: textField(data, 'agency'),
  isLeadProfessional: flagField(data, 'isLeadProfessional'),
  raisedWithLeadProfessional: flagField(data, 'raisedWithLeadProfessional'),
  groupMeetingHeld: flagField(data, 'groupMeetingHeld'),
  revealTogether: flagField(data, 'revealTogether'),
});

/** The start form is submitted: a proposed Re-think is saved and a strategy recommended. */
export const submitStart: Handler = async (input, deps) => {
  const values = formValues(input.data);
  const { isLeadProfessional, raisedWithLeadProfessional, groupMeetingHeld } = values;
  // The id follows from the form card pressed (or, without one, the activity): a redelivered or
  // second submit of one form finds the Re-think it already started, rather than starting another.
  const formKey = input.replyToId ?? input.activityId;
  const keyed = (key: string | undefined) => ({ ...engineContext(deps, input.now), ...(key ? { newId: () => shortKey(input.where.conversationId, key) } : {}) });
  // One point read (the person's record): whether they accepted the request for this case as its independent facilitator.
  const answers = { isLeadProfessional, raisedWithLeadProfessional, groupMeetingHeld };
  // Read as it will be saved (a reference pasted with look-alike dashes is the same reference); one
  // that is refused needs no look-ups, as nothing is started.
  const reference = await referenceOf(values.caseReference, deps);
  const person = input.actor.aadObjectId ? await deps.people.get(input.actor.aadObjectId) : undefined;
  // A form posted for everyone in a shared chat carries no one's role and agency: left empty, the person's own from last time.
  if (!values.role.trim()) values.role = person?.role ?? '';
  if (!values.agency.trim()) values.agency = person?.agency ?? '';
  // That list is kept after the answer and may lag either way: where it names the case, or the answers
  // lead to strategy 3 (which only the accepting facilitator may run), the requests themselves say.
  const listed = reference.ok && person?.facilitating?.includes(reference.value) === true;
  const facilitatingRequest = reference.ok && (listed || recommendStrategy(answers).strategy === 3) && (await deps.requests.acceptedFor(reference.value, input.actor.id)).length > 0;
  const start = (key: string | undefined) => startRethink({ ...values, facilitatingRequest, answers, recordedReference: reference.ok && reference.recorded }, input.actor, input.where, keyed(key));
  const started = start(formKey);
  if (!started.ok) {
    return { view: renderStartCard(startCardData(deps.profile, values, started.error.message, formAudience(input.where.conversationKind))), notice: started.error.message };
  }
  // Saved new, or the Re-think already saved under that id.
  const save = async (r: Rethink): Promise<{ created?: Stored<Rethink>; existing?: Stored<Rethink> }> => {
    const created = await deps.rethinks.create(r);
    return created ? { created } : { existing: await deps.rethinks.get(input.where.conversationId, r.id) };
  };
  // The form pressed becomes the strategy card: where it is, from the start, so that erasing the case
  // replaces it too (a Re-think cancelled or never begun has no other card to find).
  const placed = (r: Rethink): Rethink => (input.replyToId ? { ...r, strategyCard: { activityId: input.replyToId, conversationId: input.turnConversationId } } : r);
  let saved = await save(placed(started.value));
  // A form offered again after its Re-think was cancelled starts one of its own, keyed by this submit.
  const again = saved.existing?.status === 'cancelled' && input.activityId && formKey !== input.activityId ? start(input.activityId) : undefined;
  if (again?.ok) saved = await save(placed(again.value));
  const { created, existing } = saved;
  if (!created) return existing ? formUsed(input, deps, existing) : { notice: MESSAGES.unexpected };
  const remembered = person && { role: person.role ?? '', agency: person.agency ?? '' };
  rememberRole(deps, input.actor, input.now, { role: values.role.trim(), agency: values.agency.trim() }, remembered);
  const card = renderStrategyCard(strategyCardData(deps.profile, created));
  return { view: card, shared: { render: () => card, activityId: input.replyToId } };
};

/**
 * The form was used already (pressed twice, redelivered, or pressed by someone else first): what it
 * became is shown, and no card that has moved on is covered.
 */
function formUsed(input: TurnInput, deps: Deps, existing: Rethink): HandlerResult {
  const by = existing.participants.find((p) => p.id === existing.createdBy)?.name ?? 'someone else';
  const notice = existing.createdBy === input.actor.id ? undefined : `This form has already been used by ${by} to start a Re-think for case ${existing.caseReference}, so nothing new was started. To start another, type **start** (in a group chat, channel or meeting, **@Re-think start**) for a new form.`;
  const view =
    existing.status === 'proposed'
      ? renderStrategyCard(strategyCardData(deps.profile, existing, undefined, notice))
      : renderRethinkCard(deps.profile, existing, { viewer: { id: input.actor.id }, now: input.now, ...(notice ? { notice: { text: notice, tone: 'attention' } } : {}) });
  return { view, ...(notice ? { notice } : {}) };
}

const STRATEGIES: Record<string, StrategyNumber> = { '1': 1, '2': 2, '3': 3 };

export const confirmStrategy: Handler = async (input, deps) => {
  const rethinkId = rethinkIdOf(input.data);
  const typed = { strategy: textField(input.data, 'strategy'), reason: textField(input.data, 'strategyReason') };
  const strategy = own(STRATEGIES, typed.strategy);
  if (!rethinkId) return { notice: MESSAGES.notFound };
  const current = strategy ? undefined : await deps.rethinks.get(input.where.conversationId, rethinkId);
  if (!strategy) {
    if (!current) return { notice: MESSAGES.notFound };
    const message = 'Please choose which strategy you will use.';
    return { view: renderStrategyCard(strategyCardData(deps.profile, current, typed, message)), notice: message };
  }
  const ctx = engineContext(deps, input.now);
  // Strategy 3 is the accepting facilitator's: the request is asked again now (it may have been
  // withdrawn since the form was sent). Only then: the other strategies keep to a read and a write.
  const read = strategy === 3 ? await deps.rethinks.get(input.where.conversationId, rethinkId) : undefined;
  const accepted = read?.status === 'proposed' ? await deps.requests.acceptedFor(read.caseReference, input.actor.id) : undefined;
  const noAcceptedRequest = accepted?.length === 0;
  const outcome = await deps.rethinks.update(
    input.where.conversationId,
    rethinkId,
    (r) => applyCommand(r, { kind: 'confirmStrategy', strategy, reason: typed.reason, ...(noAcceptedRequest ? { noAcceptedRequest } : {}), ...(input.replyToId ? { card: { activityId: input.replyToId, conversationId: input.turnConversationId } } : {}) }, input.actor, ctx, input.activityId),
    read,
  );
  if (outcome.kind === 'notFound') return { notice: MESSAGES.notFound };
  if (outcome.kind === 'refused') {
    // Cancelled, or started already: there is no strategy left to choose, so no strategy card to redraw.
    if (outcome.doc.status !== 'proposed') return { notice: outcome.refusal.message };
    return { view: renderStrategyCard(strategyCardData(deps.profile, outcome.doc, typed, outcome.refusal.message)), notice: outcome.refusal.message };
  }
  const r = outcome.doc;
  // In the turn, and on a redelivery too, so a first try that stopped short is finished. The
  // Re-think has started whatever happens here.
  const linkNotice = await linkStrategyThree(deps, r, input, accepted, outcome.replay === true).catch((error: unknown) => {
    deps.log.warn({ err: errorKind(error) }, 'could not link the request now');
    return undefined;
  });
  if (outcome.replay) return { view: renderRethinkCard(deps.profile, r, { viewer: { id: input.actor.id }, now: input.now }) };
  // In a meeting, the organiser and presenters facilitate: a starter who is an attendee is told so, not "you are facilitating".
  const asked = r.meetingId ? await actorFor(input, r.meetingId, r) : undefined;
  const facilitates = asked && !asked.roleUnknown && asked.meetingRole ? mayFacilitate(r, asked) : undefined;
  // Strategy 2 is the lead professional's (or their line manager's) to lead: the starter who isn't is told how.
  const handOver =
    facilitates === false
      ? ' In this meeting, the organiser and presenters move it on and record its outcome: to facilitate, ask the organiser to make you a presenter.'
      : r.strategy === 2 && !r.answers.isLeadProfessional
        ? ` Who leads strategy 2: ${(deps.profile.strategies[1]?.facilitatedBy ?? 'the lead professional').replace(/\.$/, '').replace(/^\p{Lu}(?!\p{Lu})/u, (c) => c.toLowerCase())}. When they have joined, hand facilitation over to them.`
        : '';
  const started = `The Re-think has started. Everyone taking part: join, then add your contribution to stage 1.${handOver}${linkNotice?.text ?? ''}`;
  const result = { ...changed(input, deps, r, { text: started, tone: linkNotice?.kept ? 'attention' : 'good' }, { id: input.actor.id, ...(facilitates === undefined ? {} : { facilitates }) }), ...(handOver || linkNotice ? { said: started } : {}) };
  if (r.cardActivityId) return result;
  // No card to turn into the Re-think card (e.g. a client that sent no replyToId): post one, and
  // only that one (there is no copy in place to update yet).
  return { ...result, shared: undefined, posts: [{ card: renderRethinkCard(deps.profile, r, { now: input.now }), onPosted: (activityId, conversationId) => recordCardActivity(input, deps, r.id, { activityId, conversationId }, r.written?.revision) }] };
};

export const cancelStart: Handler = async (input, deps) => {
  const rethinkId = rethinkIdOf(input.data);
  if (!rethinkId) return { notice: MESSAGES.notFound };
  const outcome = await deps.rethinks.update(input.where.conversationId, rethinkId, (r) => applyCommand(r, { kind: 'cancel' }, input.actor, engineContext(deps, input.now), input.activityId));
  if (outcome.kind === 'notFound') return { notice: MESSAGES.notFound };
  if (outcome.kind === 'refused') return { notice: outcome.refusal.message };
  // Everyone's in a shared chat: the starter's role and agency, and whether they are the lead
  // professional, aren't left on it for someone else to start with.
  const forEveryone = input.where.conversationKind !== 'personal';
  const values = forEveryone ? { ...formFrom(outcome.doc), role: '', agency: '', isLeadProfessional: false } : formFrom(outcome.doc);
  // Not a problem to correct: said plainly, not in the colour of one.
  const card = renderStartCard(startCardData(deps.profile, values, undefined, { ...formAudience(input.where.conversationKind), note: 'This Re-think was cancelled before it started. You can start again with this form.' }));
  if (outcome.replay) return { view: card };
  return { view: card, shared: { render: () => card, activityId: input.replyToId } };
};

/** The start form as it was filled in for this Re-think. */
const formFrom = (r: Rethink): StartFormValues => ({
  caseReference: r.caseReference,
  concernCategory: r.concernCategory,
  summary: r.summary,
  mode: r.mode,
  role: r.participants[0]?.role ?? '',
  agency: r.participants[0]?.agency ?? '',
  ...r.answers,
  revealTogether: r.revealTogether === true,
});
