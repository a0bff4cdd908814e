/**
 * The engine's refusals: who may make a change, and whether what they sent still fits the Re-think
 * as it is now. Each answers ok or a typed refusal with the words to show.
 */
import type { PartnershipProfile } from '../profile/types';
import { ok, refuse, type Result } from '../result';
import { actionVersion, facilitatorQuiet, independentlyFacilitated, liveActions, mayFacilitate, roleCounts } from './facts';
import { participantNamed } from './participantKey';
import type { Actor, AgreedAction, EngineContext, Participant, Rethink, StageNumber } from './types';
import { STAGES } from './types';
import { checkDueDate, checkText } from './validation';

/**
 * The stage a card or the panel was showing: text typed for one stage never lands in the next. Sent
 * as a number or its digits; none (an older card) is the current stage; one that is no stage (7,
 * "NaN", true) is refused (undefined), never read as the current stage.
 */
export function stageSeen(raw: unknown): { stage?: StageNumber } | undefined {
  if (raw === undefined || raw === null || raw === '') return {};
  const stage = typeof raw === 'number' || (typeof raw === 'string' && /^\d$/.test(raw.trim())) ? Number(raw) : Number.NaN;
  return STAGES.includes(stage as StageNumber) ? { stage: stage as StageNumber } : undefined;
}
export const STAGE_UNREADABLE = 'That named a stage that isn’t one of the five, so nothing has been saved.';

/** `recorded`: the person as they joined, whose role or agency left unchanged stands even over a limit lowered since. */
export function checkPerson(role: string, agency: string, profile: PartnershipProfile, recorded?: Pick<Participant, 'role' | 'agency'>): Result<{ role: string; agency: string }> {
  const r = checkText(role, 'a role (for example, social worker)', profile.limits.nameMaxLength, { called: 'The role', recorded: recorded?.role });
  if (!r.ok) return r;
  const a = checkText(agency, 'an agency (for example, children’s social care)', profile.limits.nameMaxLength, { called: 'The agency', recorded: recorded?.agency });
  if (!a.ok) return a;
  return ok({ role: r.value, agency: a.value });
}

/**
 * `recorded`: an edited action as recorded. Its due date left as it is is kept even once it has
 * passed (an action may be corrected until the Re-think closes); a new date must not be in the past.
 * Its description and owner left as they are stand even over a limit lowered since.
 */
export function checkAction(r: Rethink, c: { description: string; ownerParticipantId: string; ownerName: string; dueDate: string }, ctx: EngineContext, recorded?: AgreedAction): Result<Pick<AgreedAction, 'description' | 'owner' | 'dueDate'>> {
  const description = checkText(c.description, 'what the action is', ctx.profile.limits.actionMaxLength, { called: 'The action', recorded: recorded?.description });
  if (!description.ok) return description;
  let owner: AgreedAction['owner'];
  const participant = participantNamed(r, c.ownerParticipantId);
  if (participant) owner = { participantId: participant.id, name: participant.name };
  else {
    const recordedOwner = recorded && !recorded.owner.participantId ? recorded.owner.name : undefined;
    const name = checkText(c.ownerName, 'who owns the action (choose a participant, or type who outside Teams owns it)', ctx.profile.limits.nameMaxLength, { called: 'The owner’s name and role', recorded: recordedOwner });
    if (!name.ok) return name;
    owner = { name: name.value };
  }
  const recordedDue = recorded?.dueDate;
  const dueDate = recordedDue !== undefined && c.dueDate.trim() === recordedDue ? ok(recordedDue) : checkDueDate(c.dueDate, ctx.now, ctx.profile.retentionDays);
  if (!dueDate.ok) return dueDate;
  return ok({ description: description.value, owner, dueDate: dueDate.value });
}

export function mustBeOpen(r: Rethink): Result<true> {
  if (r.status === 'closed') return refuse('closed', 'This Re-think is closed, so it can no longer be changed.');
  if (r.status === 'cancelled') return refuse('closed', 'This Re-think was cancelled before it started, so it can’t be changed. Type **start** to begin a new one (in a group chat, channel or meeting, **@Re-think start**).');
  if (r.status === 'proposed') return refuse('notOpen', 'This Re-think has not started yet: its strategy is still to be chosen.');
  return ok(true);
}

/** How to facilitate in a meeting, for someone who isn't facilitating there. */
export const TO_FACILITATE_IN_A_MEETING = 'To facilitate, ask the organiser to make you a presenter, or a presenter to hand facilitation over to you.';

export function mustFacilitate(r: Rethink, actor: Actor, ctx: EngineContext): Result<true> {
  const open = mustBeOpen(r);
  if (!open.ok) return open;
  if (!mayFacilitate(r, actor)) {
    // Gone quiet (perhaps left the service): whoever has joined is told how to carry on.
    const me = participantNamed(r, actor.id);
    const quiet = facilitatorQuiet(r, ctx.now, ctx.profile) && me !== undefined && !me.external;
    const takeOver = quiet ? ' If they are no longer available, you can take over facilitation with “Take over facilitation” on the Re-think card.' : '';
    if (roleCounts(r)) return refuse('notFacilitator', `In a meeting, the organiser and presenters facilitate the Re-think (and anyone the facilitator hands over to). Attendees contribute. ${TO_FACILITATE_IN_A_MEETING}${takeOver}`);
    const facilitator = r.participants.find((p) => p.id === r.facilitatorId);
    const who = independentlyFacilitated(r) ? 'the independent facilitator' : 'the facilitator';
    return refuse('notFacilitator', `Only ${who}${facilitator ? `, ${facilitator.name},` : ''} can do this.${takeOver}`);
  }
  return ok(true);
}

export function mayEditActions(r: Rethink, actor: Actor): Result<true> {
  const open = mustBeOpen(r);
  if (!open.ok) return open;
  if (r.stage !== 5) return refuse('wrongStage', 'Actions are agreed at stage 5. The facilitator will move the group on when every perspective has been heard.');
  if (!r.participants.some((p) => p.id === actor.id)) return refuse('notParticipant', 'Please join this Re-think first, with your role and agency.');
  return ok(true);
}

/** An action this person may change: by whoever added it or the facilitator, at stage 5, while open. */
export function changeableAction(r: Rethink, actionId: string, actor: Actor): Result<AgreedAction> {
  const may = mayEditActions(r, actor);
  if (!may.ok) return may;
  const action = liveActions(r).find((a) => a.id === actionId);
  if (!action) return refuse('notFound', 'That action is no longer on this Re-think.');
  if (action.addedBy === actor.id || mayFacilitate(r, actor)) return ok(action);
  return refuse('notFacilitator', 'Only the person who added this action, or the facilitator, can change or remove it.');
}

/** A change made from an editor opened on an older version would undo the newer one unseen. */
export function sameVersion(action: AgreedAction, seen: string | undefined): Result<true> {
  if (seen === undefined || seen === actionVersion(action)) return ok(true);
  return refuse('changedMeanwhile', 'This action was changed while you had it open, so your change wasn’t saved. It is shown below as it is now: please make your change again if it’s still needed.');
}

/** Text written for one stage is never filed under another: the person decides where it belongs. */
export function stageMovedOn(r: Rethink, seen: StageNumber | undefined, ctx: EngineContext): Result<true> {
  if (seen === undefined || seen === r.stage) return ok(true);
  const title = ctx.profile.stages[r.stage - 1]?.title ?? '';
  return refuse('wrongStage', `The group has moved on to stage ${r.stage} (“${title}”), so your text wasn’t saved. If it belongs to this stage, please add it again.`);
}
