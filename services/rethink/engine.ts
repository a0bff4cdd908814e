/**
 * The five-stage engine: pure functions from (Re-think, command, actor) to a new Re-think or a
 * refusal. It knows nothing of Teams or storage, so every rule is testable on its own. Who may make a
 * change is in `guards.ts`; what a Re-think says about itself (who facilitates, who is waited for) in `facts.ts`.
 */
import { own } from '../lookup';
import { ok, refuse, type Result } from '../result';
import { contributionsAt, facilitatorIsNamed, facilitatorLeft, facilitatorQuiet, independentlyFacilitated, isIndependentFacilitator, lastAudit, leftPlace, listNames, liveActions, namedFacilitator, sameName, waitingFor } from './facts';
import { changeableAction, checkAction, checkPerson, mayEditActions, mustBeOpen, mustFacilitate, sameVersion, stageMovedOn, TO_FACILITATE_IN_A_MEETING } from './guards';
import { participantNamed } from './participantKey';
import { actionsToRemind, idleToRemind, markedAt, markIds, REMINDER_TRIES } from './reminders';
import { canChooseStrategy, FACILITATED, recommendStrategy } from './strategy';
import type {
  Actor,
  AgreedAction,
  AuditWhat,
  Contribution,
  ConversationKind,
  ConversationMode,
  EngineContext,
  NextStep,
  OutcomeKind,
  OwedKind,
  Participant,
  Rethink,
  StageNumber,
  StrategyAnswers,
  StrategyNumber,
} from './types';
import { checkCaseReference, checkText } from './validation';
import { textKey, typedCommand } from '../text';

export interface StartInput {
  /** Contributions to a stage stay hidden from the others until the facilitator moves on. */
  revealTogether?: boolean;
  /** Started by the independent facilitator who accepted this case's request. */
  facilitatingRequest?: boolean;
  /** The reference is already on record (a case begun under an earlier pattern): any shape but a name or date. */
  recordedReference?: boolean;
  caseReference: string;
  concernCategory: string;
  summary: string;
  mode: string;
  role: string;
  agency: string;
  answers: StrategyAnswers;
}

export interface Where {
  conversationId: string;
  conversationKind: ConversationKind;
  tenantId: string;
  /** Set when the conversation is a Teams meeting's chat. */
  meetingId?: string;
  /** In a team's channel, the team: someone removed from the team is then recognised in each of its channels. */
  teamId?: string;
  /** How to reach the conversation later (the side panel's card updates, Teams' meeting API). */
  serviceUrl?: string;
  botId?: string;
}

/** Where a Re-think card was posted: the conversation id is the thread's, in a channel. */
export interface CardPlace {
  activityId: string;
  conversationId: string;
}

export type Command =
  /** `noAcceptedRequest`: strategy 3 asked for by someone who, now, holds no accepted request for the case. */
  | { kind: 'confirmStrategy'; strategy: StrategyNumber; reason: string; card?: CardPlace; noAcceptedRequest?: boolean }
  | { kind: 'recordCard'; card: CardPlace }
  | { kind: 'cancel' }
  | { kind: 'join'; role: string; agency: string }
  | { kind: 'contribute'; text: string; stage?: StageNumber }
  /** `samePerson`: the facilitator says this is someone of this name already recorded, whose role and agency are corrected. */
  /** `replace`: the facilitator has said what they typed is to take the place of what is recorded for them at this stage. */
  | { kind: 'contributeOnBehalf'; name: string; role: string; agency: string; text: string; stage?: StageNumber; samePerson?: boolean; replace?: boolean }
  /**
   * `joined`: how many people had joined when the facilitator was asked to confirm (the card and
   * the panel send it back). A confirmation covers the people it named; anyone who joined after it
   * is named first. Without it (a card posted before it was sent), it covers everyone.
   */
  | { kind: 'advance'; confirmed: boolean; stage?: StageNumber; joined?: number }
  | { kind: 'handOver'; toParticipantId: string }
  /** Someone who has joined takes over from a facilitator who has gone quiet or left (see facilitatorQuiet). */
  | { kind: 'takeOver' }
  /** Teams says this person was removed from the chat: if they facilitate, the others may take over at once. */
  | { kind: 'memberLeft'; memberId: string }
  /** A start form for the next strategy, filled in from this Re-think, is in the chat (see `formsPosted`). */
  | { kind: 'formPosted'; card: CardPlace }
  | { kind: 'addAction'; description: string; ownerParticipantId: string; ownerName: string; dueDate: string }
  /** `seen`: the version of the action the editor was opened on (`actionVersion`); absent on cards from before it was sent. */
  | { kind: 'editAction'; actionId: string; description: string; ownerParticipantId: string; ownerName: string; dueDate: string; seen?: string }
  | { kind: 'removeAction'; actionId: string; seen?: string }
  | { kind: 'close'; outcome: OutcomeKind; nextStep?: NextStep }
  | { kind: 'escalate'; stage: number; reason: string }
  | { kind: 'meetingEnded' }
  /** Follow-up (services/rethink/reminders.ts): marks what is now due a reminder, once. */
  | { kind: 'remind' }
  /**
   * The reminder marked at `at` could not be posted: unmarked, to be tried again (`retry`), or kept
   * marked, given up (the app removed from the chat, or Teams failing it REMINDER_TRIES times).
   */
  | { kind: 'reminderNotSent'; at: string; retry: boolean }
  /** Teams has the reminder marked at `at`. */
  | { kind: 'reminderPosted'; at: string }
  /** An owed post was posted (its activity id): by the turn that made it owed, or the periodic check. */
  | { kind: 'posted'; post: OwedKind; activityId?: string }
  /** The periodic check takes on an owed post whose claim has lapsed with nothing posted. */
  | { kind: 'postClaimed'; post: OwedKind };

const MODES: Record<string, ConversationMode> = { teams: 'teams', phone: 'phone', faceToFace: 'faceToFace' };
const APPLIED_IDS_KEPT = 200;
/** Characters in the reason for choosing another strategy than the one recommended. */
export const STRATEGY_REASON_MAX_LENGTH = 500;

/** Bytes, inside Cosmos DB's 2 MB item limit with room for closing and the audit trail. */
const MAX_DOCUMENT_BYTES = 1_800_000;
/** Actions have room of their own beyond it: a full record must still be able to agree its actions and close. */
const MAX_WITH_ACTIONS_BYTES = 1_900_000;
const ACTION_COMMANDS = new Set<Command['kind']>(['addAction', 'editAction']);
/**
 * Not changes people made to the Re-think: reminders, the card posted again (`status`), and Teams
 * saying the meeting ended. They leave its place in lists and its expiry as they were, so that
 * looking at a Re-think now and then never keeps it beyond the retention period.
 */
const NOT_CHANGES = new Set<Command['kind']>(['remind', 'reminderNotSent', 'reminderPosted', 'recordCard', 'meetingEnded', 'posted', 'postClaimed', 'memberLeft', 'formPosted']);

/**
 * An owed post claimed this long ago and still not posted is taken on by the periodic check: long
 * enough that the turn's own post (which botbuilder retries, honouring Teams' Retry-After) is over.
 */
export const POST_CLAIM_MS = 10 * 60_000;
/** After this many tries an owed post is given up (the app taken out of the chat, say): the card still shows where the Re-think is. */
export const POST_TRIES = 5;

/** Owes its chat a post, claimed now by the turn that will post it. */
const owe = (r: Rethink, post: OwedKind, ctx: EngineContext): void => {
  r.owed = { ...r.owed, [post]: { claimedAt: ctx.now.toISOString(), tries: 1 } };
};
const GROWING = new Set<Command['kind']>(['join', 'contribute', 'contributeOnBehalf', 'addAction', 'editAction']);

/** A new Re-think, proposed with a recommended strategy; the starter joins and facilitates. */
export function startRethink(input: StartInput, actor: Actor, where: Where, ctx: EngineContext): Result<Rethink> {
  const { profile } = ctx;
  // Every problem at once: a form with four gaps takes one more press, not five.
  const caseReference = checkCaseReference(input.caseReference, profile, { recorded: input.recordedReference === true });
  const category = profile.concernCategories.some((c) => c.id === input.concernCategory) ? ok(input.concernCategory) : refuse('invalidInput', 'Please choose what the concern is about.');
  const summary = checkText(input.summary, 'a short summary of the concern', profile.limits.summaryMaxLength);
  const modeChosen = own(MODES, input.mode);
  const mode = modeChosen ? ok(modeChosen) : refuse('invalidInput', 'Please choose how the conversation will happen: in Teams, by phone or face to face.');
  const role = checkText(input.role, 'your role (for example, social worker)', profile.limits.nameMaxLength, { called: 'The role' });
  const agency = checkText(input.agency, 'your agency (for example, children’s social care)', profile.limits.nameMaxLength, { called: 'The agency' });
  if (!caseReference.ok || !category.ok || !summary.ok || !mode.ok || !role.ok || !agency.ok) {
    const problems = [caseReference, category, summary, mode, role, agency].flatMap((checked) => (checked.ok ? [] : [checked.error.message]));
    return refuse('invalidInput', problems.length === 1 ? (problems[0] ?? '') : `Please check these, then press the button again:\n\n${problems.map((p) => `- ${p}`).join('\n')}`);
  }

  const at = ctx.now.toISOString();
  const starter: Participant = { ...participantOf(actor), role: role.value, agency: agency.value, external: false, joinedAt: at };
  return ok({
    id: ctx.newId(),
    ...where,
    caseReference: caseReference.value,
    concernCategory: input.concernCategory,
    summary: summary.value,
    mode: mode.value,
    answers: input.answers,
    ...(input.revealTogether ? { revealTogether: true } : {}),
    recommended: input.facilitatingRequest ? FACILITATED : recommendStrategy(input.answers),
    status: 'proposed',
    stage: 1,
    facilitatorId: actor.id,
    createdBy: actor.id,
    createdAt: at,
    updatedAt: at,
    participants: [starter],
    contributions: [],
    actions: [],
    appliedActivityIds: [],
    audit: [{ at, by: actor.id, what: 'started' }],
    ttl: profile.retentionDays * 86_400,
  });
}

type Handler<K extends Command['kind']> = (r: Rethink, c: Extract<Command, { kind: K }>, actor: Actor, ctx: EngineContext) => Result<Rethink>;
type Handlers = { [K in Command['kind']]: Handler<K> };

const handlers: Handlers = {
  confirmStrategy(r, c, actor) {
    // Pressed again by whoever just started it (a second tap on a phone, where the card is slow to change): already done.
    if (r.status === 'open' && r.strategy === c.strategy && actor.id === r.createdBy) return ok(r);
    if (r.status === 'cancelled') return refuse('closed', 'This Re-think was cancelled, so it can’t be started. Type **start** to begin a new one (in a group chat, channel or meeting, **@Re-think start**).');
    if (r.status !== 'proposed') return refuse('notOpen', `This Re-think has already started. To see its card, type ${typedCommand(r.conversationKind, 'status')}.`);
    if (actor.id !== r.createdBy) return refuse('notFacilitator', 'Only the person who started this Re-think can choose its strategy.');
    if (!canChooseStrategy(c.strategy, r.recommended)) {
      return refuse(
        'invalidInput',
        r.recommended.strategy === 3
          ? 'Strategy 3 is led by the independent facilitator who accepts your request. Please press “Request an independent facilitator”, or choose strategy 1 or 2 for now and say why.'
          : r.answers.isLeadProfessional
            ? 'Strategy 3 (an independent facilitator) starts from a request, once strategy 2 has been tried. Please choose strategy 2 for now.'
            : 'Strategy 3 (an independent facilitator) starts from a request, once strategies 1 and 2 have been tried. Please choose strategy 1 or 2 for now.',
      );
    }
    // The request it was to follow was withdrawn (or completed) since the form was sent: there is no independent facilitator's Re-think to run.
    if (c.strategy === 3 && c.noAcceptedRequest) {
      return refuse('invalidInput', `The request for an independent facilitator for case ${r.caseReference} is no longer accepted by you (it has been withdrawn or completed), so this can’t be started as strategy 3. Please choose strategy 1 or 2 and say why, or cancel.`);
    }
    const reason = c.reason.trim();
    if (c.strategy !== r.recommended.strategy && reason.length < 3) {
      return refuse('invalidInput', `You chose strategy ${c.strategy} rather than the recommended strategy ${r.recommended.strategy}: please give the reason, so it is recorded.`);
    }
    const tooLong = checkText(reason, 'the reason', STRATEGY_REASON_MAX_LENGTH, { required: false });
    if (!tooLong.ok) return tooLong;
    r.strategy = c.strategy;
    if (c.strategy !== r.recommended.strategy) r.strategyReason = reason;
    r.status = 'open';
    if (c.card) placeCard(r, c.card);
    return ok(r);
  },

  recordCard(r, c) {
    const open = mustBeOpen(r);
    if (!open.ok) return open;
    placeCard(r, c.card);
    return ok(r);
  },

  cancel(r, _c, actor) {
    // Cancelled already (a second press): nothing more to do.
    if (r.status === 'cancelled') return ok(r);
    if (r.status !== 'proposed') return refuse('notOpen', 'Only a Re-think that has not started yet can be cancelled.');
    if (actor.id !== r.createdBy) return refuse('notFacilitator', 'Only the person who started this Re-think can cancel it.');
    r.status = 'cancelled';
    return ok(r);
  },

  join(r, c, actor, ctx) {
    const open = mustBeOpen(r);
    if (!open.ok) return open;
    const existing = r.participants.find((p) => p.id === actor.id);
    const person = checkPerson(c.role, c.agency, ctx.profile, existing);
    if (!person.ok) return person;
    if (existing) Object.assign(existing, person.value, { name: actor.name || existing.name });
    else r.participants.push({ ...participantOf(actor), ...person.value, external: false, joinedAt: ctx.now.toISOString() });
    return ok(r);
  },

  contribute(r, c, actor, ctx) {
    const open = mustBeOpen(r);
    if (!open.ok) return open;
    if (!r.participants.some((p) => p.id === actor.id)) {
      return refuse('notParticipant', 'Please join first, with your role and agency, so everyone knows whose perspective this is.');
    }
    const text = checkText(c.text, 'your contribution', ctx.profile.limits.contributionMaxLength);
    if (!text.ok) return text;
    const moved = stageMovedOn(r, c.stage, ctx);
    if (!moved.ok) return moved;
    const me = r.participants.find((p) => p.id === actor.id);
    if (me) upsertContribution(r, me, text.value, actor.id, ctx);
    return ok(r);
  },

  contributeOnBehalf(r, c, actor, ctx) {
    const may = mustFacilitate(r, actor, ctx);
    if (!may.ok) return may;
    const name = checkText(c.name, 'the name of the person taking part', ctx.profile.limits.nameMaxLength);
    if (!name.ok) return name;
    const person = checkPerson(c.role, c.agency, ctx.profile);
    if (!person.ok) return person;
    const text = checkText(c.text, 'their contribution', ctx.profile.limits.contributionMaxLength);
    if (!text.ok) return text;
    const moved = stageMovedOn(r, c.stage, ctx);
    if (!moved.ok) return moved;
    // The same name from the same agency is the same person (a corrected role is updated; each
    // contribution keeps the role it was recorded under). The same name from another agency may be
    // someone else, or a correction: the facilitator is asked which, so neither's words take the
    // other's place, and no one is recorded twice.
    let participant = externalNamed(r, name.value, person.value.agency);
    const namesake = participant ? undefined : r.participants.find((p) => p.external && sameName(p.name, name.value));
    if (namesake && !c.samePerson) {
      return refuse(
        'invalidInput',
        `${namesake.name} from ${namesake.agency} is already recorded here. If this is the same person and their details were wrong, tick “The same person as someone already recorded here” and record it again. If it is someone else, please add something to the name to tell them apart, such as an initial.`,
      );
    }
    participant ??= namesake;
    // Recorded for them already at this stage (by another facilitator, or earlier in the call): what
    // was typed would take its place, so the facilitator says that is what they mean.
    const recorded = participant && contributionsAt(r, r.stage).find((x) => x.participantId === participant?.id);
    if (participant && recorded && recorded.text !== text.value && !c.replace && !c.samePerson) {
      const by = r.participants.find((p) => p.id === recorded.recordedBy)?.name;
      return refuse(
        'invalidInput',
        `${participant.name} already has a contribution recorded at this stage${by ? ` (by ${by})` : ''}. What you typed would take its place: to replace it, tick “Replace what is recorded for them at this stage” and record it again. To add to it, include what was recorded as well.`,
      );
    }
    if (!participant) {
      participant = { id: `ext:${ctx.newId()}`, name: name.value, ...person.value, external: true, joinedAt: ctx.now.toISOString() };
      r.participants.push(participant);
    } else {
      Object.assign(participant, person.value);
    }
    upsertContribution(r, participant, text.value, actor.id, ctx);
    return ok(r);
  },

  advance(r, c, actor, ctx) {
    const may = mustFacilitate(r, actor, ctx);
    if (!may.ok) return may;
    // A second press, or a press on an older card, must not skip a stage.
    if (c.stage !== undefined && c.stage !== r.stage) {
      return refuse('wrongStage', `The group has already moved on to stage ${r.stage} (“${ctx.profile.stages[r.stage - 1]?.title ?? ''}”).`);
    }
    if (r.stage === 5) return refuse('wrongStage', 'This is the last stage. When the actions are agreed, record the outcome to close the Re-think.');
    const waiting = waitingFor(r);
    const confirmedFor = c.confirmed ? (c.joined ?? r.participants.length) : 0;
    const unconfirmed = waiting.filter((p) => r.participants.indexOf(p) >= confirmedFor);
    if (unconfirmed.length > 0) {
      const names = waiting.map((p) => p.name);
      const since = c.confirmed ? `${listNames(unconfirmed.map((p) => p.name))} joined after you were asked. ` : '';
      return refuse('needsConfirmation', `${since}${listNames(names)} ${names.length === 1 ? 'has' : 'have'} not contributed to this stage yet. Every perspective matters: move on without them?`, { waitingFor: names });
    }
    const alone = oneVoice(r);
    if (alone && !c.confirmed) return refuse('needsConfirmation', alone, { waitingFor: [] });
    r.stage = (r.stage + 1) as StageNumber;
    return ok(r);
  },

  handOver(r, c, actor, ctx) {
    if (justDoneBy(r, actor, 'handedOver') && r.facilitatorId === c.toParticipantId) return ok(r);
    const may = mustFacilitate(r, actor, ctx);
    if (!may.ok) return may;
    // Handed to anyone taking part, someone in the disagreement could run and close it.
    if (independentlyFacilitated(r)) {
      return refuse('invalidInput', 'A strategy 3 Re-think is run by the independent facilitator who accepted the request, so it isn’t handed over. If you can’t go on, please tell the requester: they can withdraw the request and ask again for another independent facilitator.');
    }
    const to = participantNamed(r, c.toParticipantId);
    if (!to || to.external) return refuse('invalidInput', 'Please choose someone who has joined this Re-think in Teams to hand over to.');
    // They couldn't facilitate from outside the chat, and no one could take it back for weeks.
    if (to.leftAt) return refuse('invalidInput', `Teams says ${to.name} has left this ${leftPlace(r)}, so facilitation can’t be handed to them. Please choose someone else. (If they are back, it can be handed to them once they have changed something here, such as their role.)`);
    // In a meeting, a starter who is an attendee facilitates only once handed over to.
    if (to.id === r.facilitatorId && facilitatorIsNamed(r)) return refuse('invalidInput', 'You are already facilitating. Please choose someone else.');
    r.facilitatorId = to.id;
    r.facilitatorByHandOver = true;
    delete r.facilitatorLeftAt;
    return ok(r);
  },

  takeOver(r, _c, actor, ctx) {
    const open = mustBeOpen(r);
    if (!open.ok) return open;
    if (independentlyFacilitated(r)) {
      return refuse('invalidInput', 'A strategy 3 Re-think stays with its independent facilitator, so no one else takes it over. If they can’t go on, the requester can withdraw the request and ask again for another independent facilitator.');
    }
    const me = participantNamed(r, actor.id);
    if (!me || me.external) return refuse('notParticipant', 'Please join this Re-think first: only someone taking part can take over facilitating it.');
    if (namedFacilitator(r, actor.id)) return refuse('invalidInput', 'You are already facilitating this Re-think.');
    // In a meeting the organiser and presenters facilitate, unless it was handed to someone.
    if (!facilitatorIsNamed(r)) return refuse('notFacilitator', `In a meeting, the organiser and presenters facilitate the Re-think. ${TO_FACILITATE_IN_A_MEETING}`);
    const quiet = facilitatorQuiet(r, ctx.now, ctx.profile);
    if (!quiet) {
      const facilitator = r.participants.find((p) => p.id === r.facilitatorId);
      return refuse('notFacilitator', `${facilitator?.name ?? 'The facilitator'} has made a change here within the last ${ctx.profile.reminders.openRethinkDays} days, so facilitation isn’t taken over. Please ask them to hand over to you.`);
    }
    r.facilitatorId = actor.id;
    r.facilitatorByHandOver = true;
    delete r.facilitatorLeftAt;
    return ok(r);
  },

  formPosted(r, c) {
    if (r.formsPosted?.some((f) => f.activityId === c.card.activityId)) return ok(r);
    // A handful at most (one per press of Start strategy 2): kept to the last few.
    r.formsPosted = [...(r.formsPosted ?? []), c.card].slice(-10);
    return ok(r);
  },

  memberLeft(r, c, _actor, ctx) {
    if (r.status !== 'open') return ok(r);
    // Anyone who joined is no longer offered facilitation (until they are back and change something).
    const member = r.participants.find((p) => p.id === c.memberId && !p.external);
    if (member && !member.leftAt) member.leftAt = ctx.now.toISOString();
    // Facilitation is freed only while they facilitate by name (a meeting's presenters facilitate
    // whoever leaves; strategy 3 stays with its independent facilitator).
    // Gone already (and not back since): nothing new. Back and carrying on, then removed again: gone again.
    if (c.memberId !== r.facilitatorId || !facilitatorIsNamed(r) || independentlyFacilitated(r) || facilitatorLeft(r)) return ok(r);
    r.facilitatorLeftAt = ctx.now.toISOString();
    return ok(r);
  },

  addAction(r, c, actor, ctx) {
    const may = mayEditActions(r, actor);
    if (!may.ok) return may;
    const action = checkAction(r, c, ctx);
    if (!action.ok) return action;
    // The same action pressed twice (a second press while the first was on its way) is recorded once.
    const same = (a: AgreedAction): boolean => a.addedBy === actor.id && a.description === action.value.description && a.dueDate === action.value.dueDate && JSON.stringify(a.owner) === JSON.stringify(action.value.owner);
    if (liveActions(r).some(same)) return ok(r);
    if (liveActions(r).length >= 50) return refuse('invalidInput', 'This Re-think already has 50 actions, the most it can hold. Please change or remove an action before adding another.');
    r.actions.push({ id: ctx.newId(), ...action.value, addedBy: actor.id, at: ctx.now.toISOString() });
    return ok(r);
  },

  editAction(r, c, actor, ctx) {
    const found = changeableAction(r, c.actionId, actor);
    if (!found.ok) return found;
    const existing = found.value;
    const action = checkAction(r, c, ctx, existing);
    if (!action.ok) return action;
    const { description, owner, dueDate } = existing;
    // Saved again with nothing changed: no new version (applyCommand then records nothing). Also
    // a second press of the same Save, which would otherwise meet its own first press below.
    if (description === action.value.description && dueDate === action.value.dueDate && JSON.stringify(owner) === JSON.stringify(action.value.owner)) return ok(r);
    const unchanged = sameVersion(existing, c.seen);
    if (!unchanged.ok) return unchanged;
    existing.previous = [...(existing.previous ?? []), { description, owner, dueDate, at: existing.editedAt ?? existing.at }];
    Object.assign(existing, action.value, { editedAt: ctx.now.toISOString() });
    // A new date is reminded in its turn.
    if (dueDate !== action.value.dueDate) delete existing.remindedAt;
    return ok(r);
  },

  removeAction(r, c, actor, ctx) {
    if (r.actions.some((a) => a.id === c.actionId && a.removedBy === actor.id)) return ok(r);
    const found = changeableAction(r, c.actionId, actor);
    if (!found.ok) return found;
    const existing = found.value;
    const unchanged = sameVersion(existing, c.seen);
    if (!unchanged.ok) return unchanged;
    existing.removedAt = ctx.now.toISOString();
    existing.removedBy = actor.id;
    return ok(r);
  },

  close(r, c, actor, ctx) {
    if (r.status === 'closed' && r.outcome?.recordedBy === actor.id && r.outcome.kind === c.outcome && r.outcome.nextStep === c.nextStep) return ok(r);
    const may = mustFacilitate(r, actor, ctx);
    if (!may.ok) return may;
    // Once its meeting has ended, the outcome may be recorded at any stage.
    if (r.stage !== 5 && !r.meetingEndRemindedAt) return refuse('wrongStage', `Please take the Re-think through to stage 5 (“${ctx.profile.stages[4]?.title ?? 'Agreeing actions'}”) before recording the outcome.`);
    // Closed early (its meeting over), nothing has been agreed: it can't be recorded as resolved, even partly.
    if (r.stage !== 5 && c.outcome !== 'notResolved') {
      const first = c.outcome === 'resolved' ? 'first' : 'and agree the actions first';
      return refuse('invalidInput', `The group hasn’t reached stage 5, so nothing has been agreed yet. To record the Re-think as ${c.outcome === 'resolved' ? 'resolved' : 'partly resolved'}, please move the group on to stage 5 (“${ctx.profile.stages[4]?.title ?? 'Agreeing actions'}”) ${first}; otherwise record it as not resolved.`);
    }
    if (c.outcome === 'partlyResolved' && liveActions(r).length === 0) {
      return refuse('invalidInput', 'A partly resolved Re-think continues with the agreed actions: please add at least one action first.');
    }
    const protocol = ctx.profile.partnership.escalationProtocolShortName;
    if (c.outcome === 'notResolved' && !c.nextStep) {
      return refuse('invalidInput', r.strategy === 3 ? `Please choose the next step: escalation under the ${protocol}.` : `Please choose the next step: the next strategy, or escalation under the ${protocol}.`);
    }
    // There is no strategy after the independent facilitator's: what cannot be resolved is escalated.
    if (c.outcome === 'notResolved' && c.nextStep === 'nextStrategy' && r.strategy === 3) {
      return refuse('invalidInput', `Strategy 3 is the last strategy: if the concern is not resolved, the next step is escalation under the ${protocol}. Please choose escalation.`);
    }
    r.status = 'closed';
    r.outcome = { kind: c.outcome, recordedBy: actor.id, at: ctx.now.toISOString(), ...(c.outcome === 'notResolved' && c.nextStep ? { nextStep: c.nextStep } : {}) };
    // Posted by the closing turn, which claims it here: if that post is never recorded, the periodic check posts it.
    owe(r, 'summary', ctx);
    return ok(r);
  },

  posted(r, c, _actor, ctx) {
    const owed = r.owed?.[c.post];
    if (!owed || owed.postedAt) return ok(r);
    r.owed = { ...r.owed, [c.post]: { ...owed, postedAt: ctx.now.toISOString(), ...(c.activityId ? { activityId: c.activityId } : {}) } };
    return ok(r);
  },

  postClaimed(r, c, _actor, ctx) {
    const owed = r.owed?.[c.post];
    // Posted, given up, claimed by someone else meanwhile, or (the meeting's end) no longer open: nothing to do.
    const stale = !owed || owed.postedAt || owed.tries >= POST_TRIES || Date.parse(owed.claimedAt) > ctx.now.getTime() - POST_CLAIM_MS;
    if (stale || (c.post === 'meetingEnd' && r.status !== 'open')) return ok(r);
    r.owed = { ...r.owed, [c.post]: { claimedAt: ctx.now.toISOString(), tries: owed.tries + 1 } };
    return ok(r);
  },

  /** The meeting ended with the Re-think open: noted once, so the facilitator is reminded once. */
  meetingEnded(r, _c, _actor, ctx) {
    const open = mustBeOpen(r);
    if (!open.ok) return open;
    // Once: the reminder is owed, and posted by this turn (or, if that post is never recorded, the periodic check).
    if (r.meetingEndRemindedAt) return ok(r);
    r.meetingEndRemindedAt = ctx.now.toISOString();
    owe(r, 'meetingEnd', ctx);
    return ok(r);
  },

  remind(r, _c, _actor, ctx) {
    // One reminder at a time: while one is being posted (or its claim has lapsed unsettled), no other is marked.
    if (r.reminderPending) return ok(r);
    const at = ctx.now.toISOString();
    const actions = actionsToRemind(r, ctx.now, ctx.profile);
    for (const action of actions) action.remindedAt = at;
    const idle = idleToRemind(r, ctx.now, ctx.profile);
    if (idle) r.idleRemindedAt = at;
    if (actions.length > 0 || idle) r.reminderPending = at;
    return ok(r);
  },

  reminderPosted(r, c) {
    if (r.reminderPending === c.at) delete r.reminderPending;
    return ok(r);
  },

  reminderNotSent(r, c) {
    if (r.reminderPending === c.at) delete r.reminderPending;
    // Already recorded (the same change applied again after a lost answer), or nothing marked then.
    if (r.reminderFailures?.at === c.at || markIds(markedAt(r, c.at)) === '') return ok(r);
    const failures = failuresOf(r, c.at) + 1;
    r.reminderFailures = { for: reminderKey(r, c.at), count: failures, at: c.at };
    // Given up: left marked, so it is not tried again.
    if (!c.retry || failures >= REMINDER_TRIES) return ok(r);
    for (const action of r.actions) if (action.remindedAt === c.at) delete action.remindedAt;
    if (r.idleRemindedAt === c.at) delete r.idleRemindedAt;
    return ok(r);
  },

  /** Recorded, not run: the protocol itself happens outside the app. */
  escalate(r, c, actor, ctx) {
    const protocol = ctx.profile.partnership.escalationProtocolShortName;
    if (r.status !== 'closed' || r.outcome?.kind !== 'notResolved') return refuse('notOpen', `Escalation under the ${protocol} is recorded once a Re-think has ended without resolving the concern.`);
    const me = r.participants.find((p) => p.id === actor.id && !p.external);
    // In a meeting the facilitator need not have joined: whoever recorded the outcome, or was named
    // facilitator, took part as much as anyone.
    const facilitated = r.outcome.recordedBy === actor.id || r.facilitatorId === actor.id;
    if (!me && !facilitated) return refuse('notParticipant', 'Only someone who took part in this Re-think can record an escalation from it: please ask one of them.');
    const stageName = ctx.profile.escalationStages[c.stage - 1];
    if (!stageName) return refuse('invalidInput', 'Please choose the stage of the escalation.');
    // The stage by its name: a partnership may have added or taken out a stage of its protocol since,
    // and the numbers moved. (A stage renamed since may be recorded again under its new name.)
    if (r.escalations?.some((e) => sameName(e.stageName, stageName))) return refuse('invalidInput', `An escalation at the stage “${stageName}” is already recorded for this Re-think. If the escalation has moved on, please choose the next stage.`);
    const reason = checkText(c.reason, 'the reason for escalating', ctx.profile.limits.summaryMaxLength);
    if (!reason.ok) return reason;
    r.escalations = [...(r.escalations ?? []), { stage: c.stage, stageName, startedBy: actor.id, startedByName: me?.name ?? actor.name, at: ctx.now.toISOString(), reason: reason.value }];
    return ok(r);
  },
};

/**
 * Whether the latest change of this kind was this person's: the same press again (a second tap on a
 * phone, where the card is slow to change, or an older copy of the card) is already done, not refused.
 */
const justDoneBy = (r: Rethink, actor: Actor, what: AuditWhat): boolean => lastAudit(r, (a) => a.what === what)?.by === actor.id;

/** What a reminder marked at `at` reminds of: each action with its due date, and the quiet spell. */
const reminderKey = (r: Rethink, at: string): string => {
  const { actions, idle } = markedAt(r, at);
  return [...actions.map((a) => `${a.id}@${a.dueDate}`), ...(idle ? [`idle@${r.updatedAt}`] : [])].join(',');
};
/** How often Teams has already failed to take this same reminder (not an earlier one about the same things). */
const failuresOf = (r: Rethink, at: string): number => (r.reminderFailures?.for === reminderKey(r, at) ? r.reminderFailures.count : 0);

/** What each command records in the audit trail. */
function auditOf(before: Rethink, after: Rethink, command: Command, actor: Actor, at: string): { what: AuditWhat; ref?: string } {
  switch (command.kind) {
    case 'confirmStrategy':
      return { what: 'strategyConfirmed', ref: String(command.strategy) };
    case 'contribute':
      return { what: before.contributions.some((x) => x.stage === before.stage && x.participantId === actor.id) ? 'contributionEdited' : 'contributed', ref: `stage${before.stage}` };
    case 'contributeOnBehalf':
      return { what: 'contributedOnBehalf', ref: externalNamed(after, command.name.trim(), command.agency.trim())?.id };
    case 'advance':
      return { what: waitingFor(before).length > 0 ? 'advancedWithoutEveryone' : oneVoice(before) ? 'advancedWithOneVoice' : 'advanced', ref: `stage${after.stage}` };
    case 'handOver':
      return { what: 'handedOver', ref: after.facilitatorId };
    case 'takeOver':
      return { what: 'facilitationTakenOver', ref: before.facilitatorId };
    case 'memberLeft':
      return after.facilitatorLeftAt !== before.facilitatorLeftAt ? { what: 'facilitatorLeft', ref: before.facilitatorId } : { what: 'participantLeft', ref: command.memberId };
    case 'formPosted':
      return { what: 'startFormPosted', ref: command.card.activityId };
    case 'addAction':
      return { what: 'actionAdded', ref: after.actions[after.actions.length - 1]?.id };
    case 'editAction':
    case 'removeAction':
      return { what: command.kind === 'editAction' ? 'actionEdited' : 'actionRemoved', ref: command.actionId };
    case 'close':
      return { what: 'closed', ref: command.outcome };
    case 'cancel':
      return { what: 'cancelled' };
    case 'escalate':
      return { what: 'escalationStarted', ref: `stage${command.stage}` };
    case 'meetingEnded':
      return { what: 'meetingEndReminded' };
    case 'remind':
      return { what: 'remindersMarked', ref: markIds(markedAt(after, at)) };
    case 'reminderNotSent':
      return { what: command.retry && failuresOf(before, command.at) + 1 < REMINDER_TRIES ? 'reminderNotSent' : 'reminderUndeliverable', ref: markIds(markedAt(before, command.at)) };
    case 'join':
      return { what: 'joined' };
    case 'recordCard':
      // The copy it takes over from, no longer kept up to date: every copy can be found again (an erasure replaces them all).
      return { what: 'cardPosted', ...(before.cardActivityId && before.cardActivityId !== command.card.activityId ? { ref: before.cardActivityId } : {}) };
    case 'reminderPosted':
      return { what: 'reminderPosted', ref: markIds(markedAt(after, command.at)) };
    case 'posted':
      return { what: command.post === 'summary' ? 'summaryPosted' : 'meetingEndPosted' };
    case 'postClaimed':
      return { what: command.post === 'summary' ? 'summaryRetried' : 'meetingEndRetried', ref: String(after.owed?.[command.post]?.tries ?? 0) };
  }
}

/**
 * Applies a command. A replayed activity (same id) is recognised and changes nothing, inside the
 * same conditional write that records it.
 */
export function applyCommand(current: Rethink, command: Command, actor: Actor, ctx: EngineContext, activityId?: string): Result<Rethink> & { replay?: boolean } {
  if (activityId && current.appliedActivityIds.includes(activityId)) return { ok: true, value: current, replay: true };
  const next = structuredClone(current);
  const handler = handlers[command.kind] as Handler<Command['kind']>;
  const result = handler(next, command as never, actor, ctx);
  if (!result.ok) return result;
  // Someone Teams said had left, changing something here, is back (a closed Re-think's people stay as they were).
  const returned = next.status === 'open' ? next.participants.find((p) => p.id === actor.id && p.leftAt !== undefined) : undefined;
  if (returned) delete returned.leftAt;
  // Pressing Save again with nothing changed records nothing and sends nothing.
  // (JSON equality: the clone keeps key order, and it is indifferent to which realm made the objects.)
  const nextJson = JSON.stringify(next);
  if (nextJson === JSON.stringify(current)) return { ok: true, value: current, replay: true };
  // Cosmos DB holds at most 2 MB per document: refuse what would add to a full record, clearly,
  // rather than fail to save it. Closing and other small changes are always allowed.
  if (GROWING.has(command.kind)) {
    const action = ACTION_COMMANDS.has(command.kind);
    if (Buffer.byteLength(nextJson, 'utf8') > (action ? MAX_WITH_ACTIONS_BYTES : MAX_DOCUMENT_BYTES)) {
      return refuse(
        'invalidInput',
        action
          ? 'This Re-think’s record has grown as large as it can be, so this action could not be saved. Please close it with the actions already agreed, then start a new Re-think to continue.'
          : `This Re-think’s record has grown as large as it can be, so this could not be added. Please ${next.stage === 5 ? 'agree the actions' : `move on to stage 5 (“${ctx.profile.stages[4]?.title ?? 'Agreeing actions'}”)`} and close it, then start a new Re-think to continue.`,
      );
    }
  }
  const at = ctx.now.toISOString();
  const retention = ctx.profile.retentionDays * 86_400;
  if (NOT_CHANGES.has(command.kind)) {
    // Expires when it would have: Cosmos DB counts an item's TTL from its last write.
    next.ttl = Math.max(1, retention - Math.floor((ctx.now.getTime() - Date.parse(current.updatedAt)) / 1000));
  } else {
    next.updatedAt = at;
    // Retention runs from the last change, under the partnership's current retention period.
    next.ttl = retention;
  }
  next.audit.push({ at, by: actor.id, ...auditOf(current, next, command, actor, at) });
  if (activityId) next.appliedActivityIds = [...next.appliedActivityIds, activityId].slice(-APPLIED_IDS_KEPT);
  return ok(next);
}

/**
 * No one voice, or one agency, closes a stage alone: when everyone who joined has contributed but
 * they are one person or all from one agency, the facilitator is asked before moving on.
 */
function oneVoice(r: Rethink): string | undefined {
  const heard = contributionsAt(r, r.stage).filter((c) => !isIndependentFacilitator(r, c.participantId));
  const voices = new Set(heard.map((c) => c.participantId));
  // Strategy 3's facilitator alone (no one from the network has joined yet).
  if (voices.size === 0) return 'No one from the network has contributed at this stage yet. Re-think works best when every voice is heard: you could invite them to join, or record what someone taking part by phone or face to face said. Move on anyway?';
  if (voices.size < 2) {
    return 'Only one perspective has been heard at this stage. Re-think works best when every voice is heard: you could invite the others to join, or record what someone taking part by phone or face to face said. Move on anyway?';
  }
  const agencyOf = (c: Contribution): string => c.agency ?? r.participants.find((p) => p.id === c.participantId)?.agency ?? '';
  const agencies = new Set(heard.map((c) => textKey(agencyOf(c))));
  if (agencies.size < 2) {
    return 'Everyone heard at this stage is from the same agency. Re-think works best when every agency’s perspective is heard: move on anyway? (In a conversation within one agency, such as supervision, that’s fine.)';
  }
  return undefined;
}

function placeCard(r: Rethink, card: CardPlace): void {
  r.cardActivityId = card.activityId;
  r.cardConversationId = card.conversationId;
}

function upsertContribution(r: Rethink, who: Participant, text: string, recordedBy: string, ctx: EngineContext): void {
  const at = ctx.now.toISOString();
  const existing = r.contributions.find((c) => c.stage === r.stage && c.participantId === who.id);
  if (!existing) {
    r.contributions.push({ participantId: who.id, stage: r.stage, text, role: who.role, agency: who.agency, recordedBy, at });
    return;
  }
  if (existing.text === text) return;
  const { text: was, role, agency, recordedBy: by } = existing;
  existing.previous = [...(existing.previous ?? []), { text: was, ...(role ? { role } : {}), ...(agency ? { agency } : {}), recordedBy: by, at: existing.editedAt ?? existing.at }];
  Object.assign(existing, { text, role: who.role, agency: who.agency, recordedBy, editedAt: at });
}

/** Someone taking part by phone or face to face, known by their name and agency. */
const externalNamed = (r: Rethink, name: string, agency: string): Participant | undefined =>
  r.participants.find((p) => p.external && sameName(p.name, name) && sameName(p.agency, agency));

function participantOf(actor: Actor): Pick<Participant, 'id' | 'name' | 'aadObjectId'> {
  return { id: actor.id, name: actor.name || 'Someone', ...(actor.aadObjectId ? { aadObjectId: actor.aadObjectId } : {}) };
}
