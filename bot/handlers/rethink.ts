/** Card actions on a running Re-think: each parses its input, then the engine decides. */
import { EXTERNAL_OWNER, renderRethinkCard, type ActionDraft, type CardNotice, type Drafts, type RethinkCardOptions, type Viewer } from '../../cards/rethink';
import { renderSummaryCard } from '../../cards/summary';
import { renderErasedCard } from '../../cards/erased';
import { completeLinkedRequests } from './requestLinks';
import { ok, refuse, type Refusal, type Result } from '../../services/result';
import { applyCommand, type CardPlace, type Command } from '../../services/rethink/engine';
import { liveActions, mayFacilitate, roleCounts } from '../../services/rethink/facts';
import { mustBeOpen, STAGE_UNREADABLE, stageSeen } from '../../services/rethink/guards';
import type { Stored } from '../../services/store/repository';
import { NEXT_STEPS, OUTCOMES, type Actor, type NextStep, type OutcomeKind, type OwedKind, type Rethink } from '../../services/rethink/types';
import { engineContext, flagField, MESSAGES, rethinkIdOf, textField, type CardData, type Deps, type Erased, type Handler, type HandlerResult, type SharedCard, type TurnInput } from './types';
import { errorKind } from '../../services/logging';
import type { SendOutcome } from '../../services/requests/dispatcher';
import { rethinkAddress } from '../../services/store/conversations';
import type { ConversationAddress } from '../../services/store/people';
import type { ConnectorClient } from '../connectorClient';

type Parse = (data: CardData) => Result<Command>;

interface CommandSpec {
  readonly parse: Parse;
  /** Told to the person when it worked. */
  readonly done: (r: Rethink, actor: Actor) => string;
  /** What they typed, kept on their card if it needs correcting. */
  readonly drafts?: (data: CardData) => Drafts;
  /** The action whose editor stays open if it needs correcting. */
  readonly editing?: (data: CardData) => string;
}

/** The add form's inputs start `action…`; the editor's start `edit…`. */
const actionDraft = (data: CardData, prefix: 'action' | 'edit'): ActionDraft => ({
  description: textField(data, `${prefix}Description`),
  owner: textField(data, `${prefix}Owner`),
  ownerName: textField(data, `${prefix}OwnerName`),
  dueDate: textField(data, `${prefix}Due`),
});

const actionFields = (data: CardData, prefix: 'action' | 'edit') => {
  const { description, owner, ownerName, dueDate } = actionDraft(data, prefix);
  return { description, ownerParticipantId: owner === EXTERNAL_OWNER ? '' : owner, ownerName, dueDate };
};

const NO_SUCH_STAGE = refuse('invalidInput', `${STAGE_UNREADABLE} Please use the latest Re-think card: type **status** to see it (in a group chat, channel or meeting, **@Re-think status**).`);
/** The command, for the stage seen; refused if the card named a stage that can't be one. */
const atStage = <C extends Command>(data: CardData, command: C): Result<C> => {
  const seen = stageSeen(data.stage);
  return seen ? ok({ ...command, ...seen }) : NO_SUCH_STAGE;
};

/** How many had joined when the facilitator was asked to confirm moving on (a count, as a number or its digits). */
const joinedSeen = (data: CardData): { joined?: number } => {
  const raw = data.joined;
  const joined = typeof raw === 'number' || (typeof raw === 'string' && /^\d{1,4}$/.test(raw.trim())) ? Number(raw) : Number.NaN;
  return Number.isInteger(joined) && joined >= 0 ? { joined } : {};
};

const actionIdOf = (data: CardData): string => textField(data, 'actionId') || textField(data, 'chosenActionId');

/** The version of the action the editor was opened on (see `actionVersion`). */
const versionSeen = (data: CardData): { seen?: string } => {
  const seen = textField(data, 'actionVersion');
  return seen ? { seen } : {};
};

const specs = {
  join: {
    parse: (d) => ok({ kind: 'join', role: textField(d, 'role'), agency: textField(d, 'agency') }),
    drafts: (d) => ({ join: { role: textField(d, 'role'), agency: textField(d, 'agency') } }),
    // Joined before (the audit says so): this changed their role or agency.
    done: (r, actor) => (r.audit.filter((a) => a.what === 'joined' && a.by === actor.id).length > 1 ? 'Your role and agency are updated. What you contributed before keeps the role and agency it was made under.' : 'You have joined. Add your contribution when you are ready.'),
  },
  contribute: {
    parse: (d) => atStage(d, { kind: 'contribute', text: textField(d, 'contribution') }),
    done: () => 'Your contribution is saved. You can edit it until the group moves on.',
    drafts: (d) => ({ contribution: textField(d, 'contribution') }),
  },
  contributeOnBehalf: {
    parse: (d) =>
      atStage(d, { kind: 'contributeOnBehalf', name: textField(d, 'behalfName'), role: textField(d, 'behalfRole'), agency: textField(d, 'behalfAgency'), text: textField(d, 'behalfText'), samePerson: flagField(d, 'behalfSamePerson'), replace: flagField(d, 'behalfReplace') }),
    done: () => 'Their contribution is recorded, noted as recorded by you.',
    drafts: (d) => ({
      behalf: { name: textField(d, 'behalfName'), role: textField(d, 'behalfRole'), agency: textField(d, 'behalfAgency'), text: textField(d, 'behalfText'), samePerson: flagField(d, 'behalfSamePerson'), replace: flagField(d, 'behalfReplace') },
    }),
  },
  advance: {
    parse: (d) => atStage(d, { kind: 'advance', confirmed: flagField(d, 'confirmed'), ...joinedSeen(d) }),
    done: (r) => `The group has moved on to stage ${r.stage}.`,
  },
  handOver: {
    parse: (d) => {
      const to = textField(d, 'handOverTo');
      return to ? ok({ kind: 'handOver', toParticipantId: to }) : refuse('invalidInput', 'Please choose who will facilitate from now on.');
    },
    done: (r) => `${r.participants.find((p) => p.id === r.facilitatorId)?.name ?? 'The new facilitator'} is now facilitating.`,
  },
  takeOver: {
    parse: () => ok({ kind: 'takeOver' }),
    done: () => 'You are now facilitating this Re-think: everyone’s card says so. Move the group on when every perspective has been heard.',
  },
  addAction: {
    parse: (d) => ok({ kind: 'addAction', ...actionFields(d, 'action') }),
    done: () => 'The action is added.',
    drafts: (d) => ({ action: actionDraft(d, 'action') }),
  },
  editAction: {
    parse: (d) => {
      const actionId = actionIdOf(d);
      return actionId ? ok({ kind: 'editAction', actionId, ...actionFields(d, 'edit'), ...versionSeen(d) }) : refuse('invalidInput', 'Please choose which action to change.');
    },
    done: () => 'The action is updated.',
    drafts: (d) => {
      const { seen } = versionSeen(d);
      return { edit: actionDraft(d, 'edit'), ...(seen ? { editVersion: seen } : {}) };
    },
    editing: actionIdOf,
  },
  removeAction: {
    parse: (d) => {
      const actionId = actionIdOf(d);
      return actionId ? ok({ kind: 'removeAction', actionId, ...versionSeen(d) }) : refuse('invalidInput', 'Please choose which action to remove.');
    },
    done: () => 'The action is removed.',
  },
  close: {
    parse: (d) => {
      const outcome = textField(d, 'outcome') as OutcomeKind;
      if (!OUTCOMES.includes(outcome)) return refuse('invalidInput', 'Please choose the outcome: resolved, partly resolved or not resolved.');
      const nextStep = textField(d, 'nextStep') as NextStep;
      return ok({ kind: 'close', outcome, ...(NEXT_STEPS.includes(nextStep) ? { nextStep } : {}) });
    },
    done: () => 'The outcome is recorded and the Re-think is closed. The summary is posted in the conversation.',
  },
} satisfies Record<string, CommandSpec>;

export type RethinkVerb = keyof typeof specs;

/**
 * Teams may move a conversation to another service URL, and says so on each activity: a change
 * records the one it came with, for the posts that follow later (reminders, owed posts), at no
 * write of its own.
 */
function withServiceUrl<T extends Result<Rethink> & { replay?: boolean }>(result: T, input: TurnInput): T {
  const url = input.address.serviceUrl;
  if (result.ok && !result.replay && url && result.value.serviceUrl !== url) result.value.serviceUrl = url;
  return result;
}

/** Who may, is it valid, do it: the engine answers the first two inside one conditional write. */
function commandHandler(spec: CommandSpec): Handler {
  return async (input, deps) => {
    const rethinkId = rethinkIdOf(input.data);
    if (!rethinkId) return { notice: MESSAGES.notFound };
    const viewer = viewerOf(input);
    const drafts = spec.drafts?.(input.data);

    const parsed = spec.parse(input.data);
    if (!parsed.ok) {
      const current = await deps.rethinks.get(input.where.conversationId, rethinkId);
      if (!current) return { notice: MESSAGES.notFound };
      // Every one of these needs an open Re-think: that it is closed matters more than a field left empty.
      const open = mustBeOpen(current);
      if (current.meetingId) viewer.facilitates = mayFacilitate(current, await actorFor(input, current.meetingId, current));
      return refused(input, deps, current, open.ok ? parsed.error : open.error, viewer, drafts, spec.editing?.(input.data));
    }

    const ctx = engineContext(deps, input.now);
    const apply = (actor: Actor, read?: Stored<Rethink>) => deps.rethinks.update(input.where.conversationId, rethinkId, (current) => withServiceUrl(applyCommand(current, parsed.value, actor, ctx, input.activityId), input), read);
    // Pressed in the Re-think's meeting, as nearly always: its role there is asked before saving.
    let actor = await actorFor(input, input.where.meetingId);
    let outcome = await apply(actor);
    if (outcome.kind === 'notFound') return { notice: MESSAGES.notFound };
    // Pressed elsewhere (another meeting's thread, a card posted again outside it) and refused: the
    // role that counts is the one in the Re-think's own meeting, so ask about that one and try again.
    if (outcome.kind === 'refused' && outcome.doc.meetingId && outcome.doc.meetingId !== input.where.meetingId) {
      actor = await actorFor(input, outcome.doc.meetingId);
      outcome = await apply(actor, outcome.doc);
      if (outcome.kind === 'notFound') return { notice: MESSAGES.notFound };
    }
    if (outcome.doc.meetingId) viewer.facilitates = mayFacilitate(outcome.doc, actor);
    // Refused only for want of a role Teams couldn't confirm: say so, rather than "ask to be made a presenter".
    if (outcome.kind === 'refused' && outcome.refusal.code === 'notFacilitator' && roleCounts(outcome.doc) && actor.roleUnknown) return { notice: MESSAGES.roleUnknown };
    if (outcome.kind === 'refused') return refused(input, deps, outcome.doc, outcome.refusal, viewer, drafts, spec.editing?.(input.data));

    const r = outcome.doc;
    const notice: CardNotice = { text: spec.done(r, actor), tone: 'good' };
    // The Re-think is closed whatever happens here; a request left behind is completed by the
    // dispatcher's periodic check.
    if (parsed.value.kind === 'close') await completeLinkedRequests(deps, r, input).catch((error: unknown) => deps.log.warn({ err: errorKind(error) }, 'could not complete the linked request now; the periodic check will'));
    // A redelivered activity was applied the first time: show the result, send nothing again.
    if (outcome.replay) return { view: renderRethinkCard(deps.profile, r, { viewer, notice, now: input.now }) };
    if (parsed.value.kind === 'join') rememberRole(deps, input.actor, input.now, { role: parsed.value.role.trim(), agency: parsed.value.agency.trim() }, rememberedOnCard(input.data));
    return changed(input, deps, r, notice, viewer);
  };
}

export const rethinkHandlers = Object.fromEntries(Object.entries(specs).map(([verb, spec]) => [verb, commandHandler(spec)])) as Record<RethinkVerb, Handler>;

/** After a change: the person's own view, everyone's card in place, and the summary on closing. */
export function changed(input: TurnInput, deps: Deps, r: Stored<Rethink>, notice: CardNotice, viewer: Viewer): HandlerResult {
  return {
    view: renderRethinkCard(deps.profile, r, { viewer, notice, now: input.now }),
    shared: sharedCard(deps, r, input.now),
    posts: r.status === 'closed' ? [{ card: renderSummaryCard(deps.profile, r), onPosted: (activityId) => recordPosted(deps, r, 'summary', activityId, input.actor, input.now) }] : [],
  };
}

/**
 * Posts to the Re-think's chat (in a channel, the thread its card is in), as the periodic checks do:
 * what Teams answered, and where it went.
 */
export async function postToRethinkChat(deps: Deps, connector: ConnectorClient, r: Rethink, activity: object): Promise<{ sent: SendOutcome; address: ConversationAddress }> {
  const address = await rethinkAddress(deps.conversations, r, r.cardConversationId ?? r.conversationId);
  const sent: SendOutcome = address.serviceUrl ? await connector.post(address, activity) : { ok: false, status: 404 };
  return { sent, address };
}

/** A post whose Re-think was erased while it was on its way (no erasure knew of it): replaced as it lands. */
export const ERASED: Erased = { erased: MESSAGES.erasedRethink };

/**
 * An owed post is in the chat: the periodic check need not post it. Its record erased while it was on
 * its way (so no erasure could know of it): the line to replace it with.
 */
export async function recordPosted(deps: Deps, r: Stored<Rethink>, post: OwedKind, activityId: string | undefined, actor: Actor, now: Date): Promise<Erased | undefined> {
  const ctx = engineContext(deps, now);
  // From the save that made it owed: usually nothing has been saved since, so this is one conditional write.
  const outcome = await deps.rethinks.update(r.conversationId, r.id, (current) => applyCommand(current, { kind: 'posted', post, ...(activityId ? { activityId } : {}) }, actor, ctx), r);
  return outcome.kind === 'notFound' ? ERASED : undefined;
}

/** Everyone's card, with which save it shows and a way to fetch the latest (see `bot/cardUpdates.ts`). */
export function sharedCard(deps: Deps, r: Stored<Rethink>, now: Date): SharedCard {
  const { written } = r;
  return {
    activityId: r.cardActivityId,
    conversationId: r.cardConversationId,
    render: () => renderRethinkCard(deps.profile, r, { now }),
    ...(written && {
      order: {
        written,
        latest: async () => {
          const fresh = await deps.rethinks.get(r.conversationId, r.id);
          // Erased since this save (the erasure's own replacement may have landed before this update): the erased line, once more.
          if (!fresh) return { card: renderErasedCard(MESSAGES.erasedRethink), activityId: r.cardActivityId, conversationId: r.cardConversationId, erased: true };
          return { card: renderRethinkCard(deps.profile, fresh, { now }), activityId: fresh.cardActivityId, conversationId: fresh.cardConversationId, ...(fresh.written ? { written: fresh.written } : {}) };
        },
      },
    }),
  };
}

function refused(input: TurnInput, deps: Deps, r: Rethink, refusal: Refusal, viewer: Viewer, drafts?: Drafts, editingActionId?: string): HandlerResult {
  const confirming = refusal.code === 'needsConfirmation';
  // What was typed goes back on the card to be corrected (`expand` leaves off text far over its
  // limit); but an action someone changed meanwhile is shown as it now is, from its new version.
  const kept = refusal.code === 'changedMeanwhile' ? undefined : drafts;
  const views = viewAndPublic(deps, r, {
    viewer,
    now: input.now,
    ...(confirming ? { confirmation: refusal.message } : { notice: { text: refusal.message, tone: 'attention' } }),
    ...(kept ? { drafts: kept } : {}),
    ...(editingActionId ? { editingActionId } : {}),
  });
  // The confirmation needs its buttons: without per-person views it is posted as a card.
  return confirming ? { ...views, postViewWithoutExecute: true } : { view: views.view, notice: refusal.message };
}

/**
 * A person's own view, and what to post instead where there are no per-person views (everyone sees
 * that post, and may press it): the card as everyone's is, with the question or the editor asked
 * for, but nothing of that person's (their remembered role and agency, their contribution, what they
 * typed; with "reveal together", their still-hidden contribution).
 */
function viewAndPublic(deps: Deps, r: Rethink, options: RethinkCardOptions): Pick<HandlerResult, 'view' | 'publicView'> {
  const view = renderRethinkCard(deps.profile, r, options);
  const shared: RethinkCardOptions = { ...options, viewer: undefined, drafts: undefined, ...(r.revealTogether ? { concealOwn: true } : {}) };
  // Made only where it is posted: with per-person views (most answers) it is never needed.
  return { view, publicView: () => renderRethinkCard(deps.profile, r, shared) };
}

/** Opens the editor of one action on the person's own card. */
export const showActionEditor: Handler = async (input, deps) => {
  const rethinkId = rethinkIdOf(input.data);
  const r = rethinkId ? await deps.rethinks.get(input.where.conversationId, rethinkId) : undefined;
  if (!r) return { notice: MESSAGES.notFound };
  const actionId = actionIdOf(input.data);
  const action = liveActions(r).find((a) => a.id === actionId);
  const actor = await actorFor(input, r.meetingId, r);
  const viewer = viewerOf(input);
  // In a meeting, the controls follow the role Teams gives the person now.
  if (r.meetingId) viewer.facilitates = mayFacilitate(r, actor);
  const may = action && (action.addedBy === input.actor.id || mayFacilitate(r, actor));
  const notice: CardNotice | undefined = !action
    ? { text: 'Please choose which action to change.', tone: 'attention' }
    : !may
      ? { text: 'Only the person who added this action, or the facilitator, can change it.', tone: 'attention' }
      : undefined;
  const views = viewAndPublic(deps, r, { viewer, now: input.now, ...(notice ? { notice } : { editingActionId: actionId }) });
  return { ...views, postViewWithoutExecute: true, ...(notice ? { notice: notice.text } : {}) };
};

/**
 * In a meeting, the person's role there is asked of Teams at each action: it decides what they may
 * do and see. `roleUnknown`: Teams could not say, which is not the same as being an attendee.
 */
/**
 * The person, with their role in the meeting asked of Teams when it counts. Given the Re-think, a
 * role that cannot count (strategy 3, run by its independent facilitator) is not asked: every
 * refresh of a meeting's card would otherwise ask once per person.
 */
export async function actorFor(input: TurnInput, meetingId: string | undefined, r?: Rethink): Promise<Actor & { readonly roleUnknown?: true }> {
  if (!meetingId || !input.meetingRole || (r && !roleCounts(r))) return input.actor;
  const asked = await input.meetingRole(meetingId);
  if (asked.kind === 'role') return { ...input.actor, meetingRole: asked.role, meetingId };
  return asked.kind === 'unknown' ? { ...input.actor, roleUnknown: true } : input.actor;
}

function viewerOf(input: TurnInput): Viewer {
  const role = textField(input.data, 'role') || textField(input.data, 'rememberedRole');
  const agency = textField(input.data, 'agency') || textField(input.data, 'rememberedAgency');
  return { id: input.actor.id, ...(role ? { rememberedRole: role } : {}), ...(agency ? { rememberedAgency: agency } : {}) };
}

type RoleAndAgency = { role: string; agency: string };

/**
 * Role and agency are remembered for next time: written after the answer, only when they changed.
 * `before` is what was remembered, undefined when nothing was (likely no record yet: create first).
 */
export function rememberRole(deps: Deps, actor: Pick<Actor, 'id' | 'aadObjectId'>, now: Date, next: RoleAndAgency, before: RoleAndAgency | undefined): void {
  const { aadObjectId } = actor;
  if (!aadObjectId || (before && next.role === before.role && next.agency === before.agency)) return;
  deps.later('remember role', () => deps.people.remember(aadObjectId, next, now, actor.id, before !== undefined));
}

/** What the card said was remembered (the refresh put it there), undefined when nothing was. */
function rememberedOnCard(data: CardData): RoleAndAgency | undefined {
  const remembered = { role: textField(data, 'rememberedRole').trim(), agency: textField(data, 'rememberedAgency').trim() };
  return remembered.role || remembered.agency ? remembered : undefined;
}

/**
 * Remembers where the Re-think card now lives, so later changes update that copy in place. The copy
 * shows the save `shown`: if others saved since, their updates went to the old copy, so this one
 * is returned to be brought up to date.
 */
export async function recordCardActivity(input: TurnInput, deps: Deps, rethinkId: string, card: CardPlace, shown: number | undefined): Promise<SharedCard | Erased | undefined> {
  const ctx = engineContext(deps, input.now);
  const outcome = await deps.rethinks.update(input.where.conversationId, rethinkId, (current) => applyCommand(current, { kind: 'recordCard', card }, input.actor, ctx));
  // Erased while the card was on its way: no erasure knew of this copy.
  if (outcome.kind === 'notFound') return ERASED;
  if (outcome.kind !== 'updated' || outcome.replay) return undefined;
  const revision = outcome.doc.written?.revision ?? 0;
  return revision - 1 > (shown ?? 0) ? sharedCard(deps, outcome.doc, input.now) : undefined;
}
