/** Handlers that show things: help, the start form, status, list, refresh. */
import { renderListCard, listCardData } from '../../cards/list';
import { renderRethinkCard, type Viewer } from '../../cards/rethink';
import { EMPTY_START_FORM, formAudience, renderStartCard, startCardData } from '../../cards/start';
import { renderStrategyCard, strategyCardData } from '../../cards/strategy';
import { renderWelcomeCard, welcomeCardData } from '../../cards/welcome';
import { applyCommand } from '../../services/rethink/engine';
import { mayFacilitate } from '../../services/rethink/facts';
import { referenceOf } from './caseReference';
import { formatUkDate } from '../../services/rethink/validation';
import type { Rethink } from '../../services/rethink/types';
import { actorFor, ERASED, recordCardActivity } from './rethink';
import { ADMINISTRATOR_COMMANDS, engineContext, MESSAGES, rethinkIdOf, textField, threadOf, type Deps, type Handler, type HandlerResult, type TurnInput } from './types';
import { typedCommand } from '../../services/text';

export const help: Handler = async (input, deps) => ({
  posts: [{ card: renderWelcomeCard(welcomeCardData(deps.profile)) }],
  // In their own chat only: the commands are theirs, not for everyone in a shared chat to read.
  ...(input.where.conversationKind === 'personal' && input.actor.aadObjectId && deps.administrators.includes(input.actor.aadObjectId) ? { notice: ADMINISTRATOR_COMMANDS } : {}),
});

/**
 * `start`, or `start PSCP-2026-0042` with the case reference filled in: a fresh start form, with the
 * person's role and agency remembered from last time. A value that isn't a case reference is never
 * put on the card: the form opens empty and says why.
 */
export const showStartForm: Handler = async (input, deps) => {
  const typed = textField(input.data, 'argument');
  // As the form itself will read it: a case on record under an earlier pattern is filled in too.
  const checked = typed ? await referenceOf(typed, deps) : undefined;
  const forEveryone = input.where.conversationKind !== 'personal';
  const person = !forEveryone && input.actor.aadObjectId ? await deps.people.get(input.actor.aadObjectId) : undefined;
  const values = { ...EMPTY_START_FORM, caseReference: checked?.ok ? checked.value : '', role: person?.role ?? '', agency: person?.agency ?? '' };
  const error = checked && !checked.ok ? checked.message : undefined;
  const already = checked?.ok ? await openHereFor(deps, input, checked.value) : undefined;
  return { posts: [{ card: renderStartCard(startCardData(deps.profile, values, error, formAudience(input.where.conversationKind))), ...(already ? { text: already } : {}) }] };
};

/**
 * A Re-think of this case already open here (one partition): said above a new form, so the group
 * doesn't split its contributions between two cards unknowingly. It can still be started on purpose.
 */
async function openHereFor(deps: Deps, input: TurnInput, caseReference: string): Promise<string | undefined> {
  // Begun, or still waiting for its strategy (two people pressing Start strategy 2 moments apart).
  const begun = (await deps.rethinks.forCaseIn(input.where.conversationId, caseReference)).filter((r) => r.status === 'open').at(-1);
  const waiting = begun ? undefined : await deps.rethinks.latestProposed(input.where.conversationId);
  const open = begun ?? (waiting?.caseReference === caseReference ? waiting : undefined);
  if (!open) return undefined;
  const by = open.participants.find((p) => p.id === open.createdBy)?.name ?? 'someone';
  const strategy = open.strategy ? `strategy ${open.strategy}, ` : '';
  const listed = typedCommand(input.where.conversationKind, 'list');
  if (open.status === 'proposed') return `A Re-think for case ${caseReference} is already being started here (by ${by} on ${formatUkDate(open.createdAt)}, waiting for its strategy to be chosen on its card). The form below starts another one only if that is what you mean.`;
  return `A Re-think for case ${caseReference} is already open here (${strategy}started by ${by} on ${formatUkDate(open.createdAt)}): type ${listed} to find its card. The form below starts another one only if that is what you mean.`;
}

/**
 * "Start strategy 2" on the summary of a strategy 1 Re-think that closed not resolved: a start form
 * for the same case, filled in from it (the concern, its summary, how it happens) with strategy 1
 * recorded as tried, so that strategy 2 is recommended rather than strategy 1 again. The summary
 * stays as it is.
 */
export const startNextStrategy: Handler = async (input, deps) => {
  const rethinkId = rethinkIdOf(input.data);
  const r = rethinkId ? await deps.rethinks.get(input.where.conversationId, rethinkId) : undefined;
  if (!r) return { notice: MESSAGES.notFound };
  // Posted for everyone in a shared chat: no one's own role and agency on it.
  const forEveryone = input.where.conversationKind !== 'personal';
  const person = !forEveryone && input.actor.aadObjectId ? await deps.people.get(input.actor.aadObjectId) : undefined;
  const values = {
    ...EMPTY_START_FORM,
    caseReference: r.caseReference,
    concernCategory: r.concernCategory,
    summary: r.summary,
    mode: r.mode,
    role: person?.role ?? '',
    agency: person?.agency ?? '',
    raisedWithLeadProfessional: r.strategy === 1,
  };
  const already = await openHereFor(deps, input, r.caseReference);
  // It shows this Re-think's concern: where it is, so that erasing the case replaces it too.
  const onPosted = async (activityId: string, conversationId: string): Promise<typeof ERASED | undefined> => {
    const outcome = await deps.rethinks.update(input.where.conversationId, r.id, (current) => applyCommand(current, { kind: 'formPosted', card: { activityId, conversationId } }, input.actor, engineContext(deps, input.now)), r);
    // Erased while it was on its way: replaced as it lands, as no erasure could know of it.
    return outcome.kind === 'notFound' ? ERASED : undefined;
  };
  return { posts: [{ card: renderStartCard(startCardData(deps.profile, values, undefined, formAudience(input.where.conversationKind))), ...(already ? { text: already } : {}), onPosted }], notice: 'A start form for strategy 2 is below, filled in from this Re-think.' };
};

/** Pressed on the welcome card: the welcome stays as it is and a start form follows. */
export const showStartFromCard: Handler = async (input, deps) => ({
  ...(await showStartForm(input, deps)),
  view: renderWelcomeCard(welcomeCardData(deps.profile)),
});

/**
 * Every open Re-think here first, then the most recent others, 15 in all, each part most recently
 * changed first: one left open and forgotten (its quiet-spell reminder says to look here) never
 * sinks below closed ones.
 */
export const list: Handler = async (input, deps) => {
  // One more open than is listed says whether any are left off.
  const [openAndOne, recent] = await Promise.all([deps.rethinks.list(input.where.conversationId, LISTED + 1, 'open'), deps.rethinks.list(input.where.conversationId, LISTED)]);
  const open = openAndOne.slice(0, LISTED);
  const others = recent.filter((r) => !open.some((o) => o.id === r.id));
  const items = [...open, ...others.slice(0, Math.max(0, LISTED - open.length))];
  return { posts: [{ card: renderListCard(listCardData(items, openAndOne.length > LISTED)) }] };
};
const LISTED = 15;

/** Posts the Re-think card again (for clients where cards do not refresh) and follows that copy. */
export function repost(input: TurnInput, deps: Deps, r: Rethink): HandlerResult {
  return {
    posts: [{ card: renderRethinkCard(deps.profile, r, { now: input.now }), onPosted: (activityId, conversationId) => recordCardActivity(input, deps, r.id, { activityId, conversationId }, r.written?.revision) }],
  };
}

export const status: Handler = async (input, deps) => {
  const thread = threadOf(input);
  const r = await deps.rethinks.latestOpen(input.where.conversationId, thread === undefined ? {} : { thread });
  if (r) return repost(input, deps, r);
  // Open in other threads of the channel: which one is for people to choose, not the newest moved here.
  const elsewhere = thread === undefined ? [] : await deps.rethinks.list(input.where.conversationId, LISTED + 1, 'open');
  if (elsewhere.length > 0) return { notice: MESSAGES.noneInThisThread, posts: [{ card: renderListCard(listCardData(elsewhere.slice(0, LISTED), elsewhere.length > LISTED)) }] };
  // None under way, but one waiting for its strategy: its card again, rather than "type start" (a second one).
  const waiting = await deps.rethinks.latestProposed(input.where.conversationId);
  return waiting ? strategyAgain(deps, waiting, `No Re-think has begun here yet: the one for case ${waiting.caseReference} is waiting for its strategy. Its strategy card is below again, for the person who started it to choose.`) : { notice: MESSAGES.noOpenRethink };
};

const strategyAgain = (deps: Deps, r: Rethink, notice = 'That Re-think hasn’t begun yet: its strategy card is below again, for the person who started it to choose the strategy.'): HandlerResult => ({
  notice,
  posts: [{ card: renderStrategyCard(strategyCardData(deps.profile, r)) }],
});

const NOT_SHOWN: Record<Exclude<Rethink['status'], 'open' | 'proposed'>, string> = {
  closed: 'That Re-think is closed: its summary is in the conversation.',
  cancelled: 'That Re-think was cancelled before it began, so there is no card to show.',
};

export const showRethink: Handler = async (input, deps) => {
  const rethinkId = rethinkIdOf(input.data);
  const r = rethinkId ? await deps.rethinks.get(input.where.conversationId, rethinkId) : undefined;
  if (!r) return { notice: MESSAGES.notFound };
  // A strategy card lost from view (covered, or far up the chat) is posted again: no dead end.
  if (r.status === 'proposed') return strategyAgain(deps, r);
  if (r.status !== 'open') return { notice: NOT_SHOWN[r.status] };
  return { ...repost(input, deps, r), notice: 'Here is that Re-think’s card again, below.' };
};

/** Each person's own view: sent automatically by Teams when a participant sees the card. */
export const refresh: Handler = async (input, deps) => {
  const rethinkId = rethinkIdOf(input.data);
  const r = rethinkId ? await deps.rethinks.get(input.where.conversationId, rethinkId) : undefined;
  if (!r) return { notice: MESSAGES.notFound };
  const viewer: Viewer = { id: input.actor.id };
  // In a meeting, presenters see the facilitator's controls: their role is asked of Teams now.
  if (r.meetingId && r.status === 'open') viewer.facilitates = mayFacilitate(r, await actorFor(input, r.meetingId, r));
  const joined = r.participants.some((p) => p.id === input.actor.id);
  if (!joined && r.status === 'open' && input.actor.aadObjectId) {
    const person = await deps.people.get(input.actor.aadObjectId);
    if (person?.role) viewer.rememberedRole = person.role;
    if (person?.agency) viewer.rememberedAgency = person.agency;
  }
  return { view: renderRethinkCard(deps.profile, r, { viewer, now: input.now }) };
};
