import { PASTE_ROOM } from './render';
import type { PartnershipProfile } from '../services/profile/types';
import type { Rethink } from '../services/rethink/types';

/** Words that appear on more than one card, kept in one place. */
export const PRIVACY_REMINDER =
  'Please don’t enter the names or dates of birth of children or family members, or any health or sexual details. Use the pseudonymous case reference, roles and agencies: each agency’s own case system stays the record.';

export const MODE_LABELS: Record<string, string> = { teams: 'In Teams', phone: 'By phone', faceToFace: 'Face to face' };

export const OUTCOME_LABELS: Record<string, string> = {
  resolved: 'Resolved',
  partlyResolved: 'Partly resolved: continuing with the agreed actions',
  notResolved: 'Not resolved',
};

export const nextStepLabels = (profile: PartnershipProfile): Record<string, string> => ({
  nextStrategy: 'Move to the next strategy',
  escalation: `Escalate under the ${profile.partnership.escalationProtocolShortName}`,
});

/**
 * The close form, on the Re-think card and the too-full card alike: its outcomes and, before stage 5
 * (its meeting over), why only "not resolved" is offered, nothing having been agreed yet.
 */
export const closeForm = (stage: number): { outcomeChoices: { title: string; value: string }[]; closeNote: string } => ({
  outcomeChoices: Object.entries(OUTCOME_LABELS)
    .filter(([value]) => stage === 5 || value === 'notResolved')
    .map(([value, title]) => ({ title, value })),
  closeNote:
    stage === 5
      ? ''
      : 'The group hasn’t reached stage 5, so nothing has been agreed yet: closing now records the concern as not resolved. To record it as resolved or partly resolved instead, leave it open and move the group on to stage 5 first: that can go on in this chat.',
});

/** After strategy 3 there is no next strategy: what is not resolved is escalated. */
export const nextStepChoices = (profile: PartnershipProfile, r: Rethink): { title: string; value: string }[] =>
  Object.entries(nextStepLabels(profile))
    .filter(([value]) => !(value === 'nextStrategy' && r.strategy === 3))
    .map(([value, title]) => ({ title, value }));

/**
 * Teams refreshes a card automatically for at most 60 people (in a chat of more): those in Teams, the
 * facilitator first, then whoever changed something most lately, then the rest as they joined.
 */
export function refreshUserIdsOf(r: Rethink): string[] {
  const inTeams = new Set(r.participants.filter((p) => !p.external).map((p) => p.id));
  const listed = new Set<string>();
  const add = (id: string) => inTeams.has(id) && listed.size < 60 && listed.add(id);
  add(r.facilitatorId);
  // From the end of the trail, stopping once 60 are listed: it is read at every render of the card.
  for (let i = r.audit.length - 1; i >= 0 && listed.size < 60; i--) add(r.audit[i]?.by ?? '');
  for (const id of inTeams) add(id);
  return [...listed];
}

export const STATUS_LABELS: Record<string, string> = {
  proposed: 'Choosing a strategy',
  open: 'In progress',
  closed: 'Closed',
  cancelled: 'Cancelled',
};

/** A multi-line box's maxLength for a text limit (see PASTE_ROOM). */
export const pasteRoom = (limit: number): number => limit * PASTE_ROOM;

/** A limit as a label says it: 4,000. */
export const characters = (limit: number): string => limit.toLocaleString('en-GB');
