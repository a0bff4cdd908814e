/**
 * What a Re-think says about itself: who facilitates, who is still to be heard, what is on it now.
 * Read-only questions shared by the engine, the cards and the side panel.
 */
import type { PartnershipProfile } from '../profile/types';
import { textKey } from '../text';
import { DAY_MS } from './bankHolidays';
import type { Actor, AgreedAction, AuditEvent, Participant, Rethink, StageNumber } from './types';

/** People who joined but have not yet contributed to the current stage (strategy 3's facilitator aside). */
export function waitingFor(r: Rethink): Participant[] {
  return r.participants.filter((p) => !isIndependentFacilitator(r, p.id) && !r.contributions.some((c) => c.stage === r.stage && c.participantId === p.id));
}

/**
 * The current stage's contributions this person may see: all of them, or with "reveal together"
 * only their own until the group moves on. `viewerId` undefined: everyone's shared view.
 */
export function visibleContributions(r: Rethink, viewerId: string | undefined) {
  const all = contributionsAt(r, r.stage);
  if (!r.revealTogether || r.status !== 'open') return { shown: all, hidden: 0 };
  const shown = all.filter((c) => c.participantId === viewerId);
  return { shown, hidden: all.length - shown.length };
}

export function contributionsAt(r: Rethink, stage: StageNumber) {
  return r.contributions.filter((c) => c.stage === stage);
}

export const isFacilitator = (r: Rethink, actorId: string): boolean => r.facilitatorId === actorId;

/**
 * Strategy 3 is led by the independent facilitator who accepted the request, whatever meeting role
 * anyone has, and isn't handed over: Teams makes everyone a presenter by default, and the people in
 * the disagreement must not run or close it.
 */
export const independentlyFacilitated = (r: Rethink): boolean => r.strategy === 3;

/** This person is the independent facilitator of strategy 3: they lead it, and aren't one of the network. */
export const isIndependentFacilitator = (r: Rethink, participantId: string): boolean => independentlyFacilitated(r) && participantId === r.facilitatorId;

/**
 * The named facilitator has made no change for the profile's `openRethinkDays` (they may have left
 * the service): anyone who has joined may then take over, so the Re-think is never stuck. Counted
 * from their last change on the record, or from when they became facilitator.
 */
export function facilitatorQuiet(r: Rethink, now: Date, profile: PartnershipProfile): boolean {
  if (r.status !== 'open' || independentlyFacilitated(r) || !facilitatorIsNamed(r)) return false;
  return facilitatorLeft(r) || now.getTime() - Date.parse(facilitatorSince(r)) >= profile.reminders.openRethinkDays * DAY_MS;
}

/** The facilitator's latest change (taking over included), or being handed it by the one before. */
const facilitatorSince = (r: Rethink): string => lastAudit(r, (a) => a.by === r.facilitatorId || (a.what === 'handedOver' && a.ref === r.facilitatorId))?.at ?? r.createdAt;

/** What someone Teams says was removed has left: a channel's Re-think, its team; any other, its chat. */
export const leftPlace = (r: Pick<Rethink, 'conversationKind'>): 'team' | 'chat' => (r.conversationKind === 'channel' ? 'team' : 'chat');

/** Removed from the chat, and no change of theirs since (someone added back who carries on facilitates again). */
export const facilitatorLeft = (r: Rethink): boolean => r.facilitatorLeftAt !== undefined && facilitatorSince(r) < r.facilitatorLeftAt;

/** The latest audit event that passes `test`, read from the end without copying the trail (cards render on every change). */
export function lastAudit(r: Rethink, test: (a: AuditEvent) => boolean): AuditEvent | undefined {
  for (let i = r.audit.length - 1; i >= 0; i--) {
    const a = r.audit[i];
    if (a && test(a)) return a;
  }
  return undefined;
}

/** Whether who may facilitate depends on a meeting role, to be asked of Teams: not outside meetings, nor for strategy 3. */
export const roleCounts = (r: Rethink): boolean => Boolean(r.meetingId) && !independentlyFacilitated(r);

/**
 * Whom to name as the facilitator: outside meetings the starter (or whoever it was handed over to);
 * in a meeting only someone handed over to, the organiser and presenters facilitating otherwise.
 */
export const facilitatorIsNamed = (r: Rethink): boolean => !roleCounts(r) || r.facilitatorByHandOver === true;
export const namedFacilitator = (r: Rethink, participantId: string): boolean => r.facilitatorId === participantId && facilitatorIsNamed(r);

const PRESENTING = new Set(['Organizer', 'Presenter']);

/**
 * Outside meetings, the facilitator (the starter, until handed over). In a meeting, its organiser and
 * presenters, and anyone the facilitator has handed over to; the role is the one Teams gives now, in
 * the Re-think's meeting (someone who starts another meeting in the same channel organises only that one).
 * Strategy 3: its independent facilitator alone.
 */
export function mayFacilitate(r: Rethink, actor: Actor): boolean {
  if (!roleCounts(r)) return isFacilitator(r, actor.id);
  return (PRESENTING.has(actor.meetingRole ?? '') && actor.meetingId === r.meetingId) || (r.facilitatorByHandOver === true && isFacilitator(r, actor.id));
}

export function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

// Names recorded before typed text was NFC-normalised may be in either Unicode form; see textKey.
const nameKey = textKey;
export const sameName = (a: string, b: string): boolean => nameKey(a) === nameKey(b);

/** Whether someone recorded by phone or face to face under this name has a contribution at the current stage. */
export const recordedForAtStage = (r: Rethink, name: string): boolean =>
  r.participants.some((p) => p.external && sameName(p.name, name) && contributionsAt(r, r.stage).some((x) => x.participantId === p.id));

/** The actions still on the Re-think (removed ones are kept in the record, marked). */
export const liveActions = (r: Rethink): AgreedAction[] => r.actions.filter((a) => !a.removedAt);

/** Which version of an action someone is looking at: it changes with every edit. */
export const actionVersion = (action: AgreedAction): string => action.editedAt ?? action.at;
