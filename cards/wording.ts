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

/** The close form's choices, on the Re-think card and the too-full card alike. */
export const outcomeChoices = (): { title: string; value: string }[] => Object.entries(OUTCOME_LABELS).map(([value, title]) => ({ title, value }));

/** After strategy 3 there is no next strategy: what is not resolved is escalated. */
export const nextStepChoices = (profile: PartnershipProfile, r: Rethink): { title: string; value: string }[] =>
  Object.entries(nextStepLabels(profile))
    .filter(([value]) => !(value === 'nextStrategy' && r.strategy === 3))
    .map(([value, title]) => ({ title, value }));

/** Teams refreshes a card for at most 60 people: those who joined in Teams, first come. */
export const refreshUserIdsOf = (r: Rethink): string[] =>
  r.participants
    .filter((p) => !p.external)
    .slice(0, 60)
    .map((p) => p.id);

export const STATUS_LABELS: Record<string, string> = {
  proposed: 'Choosing a strategy',
  open: 'In progress',
  closed: 'Closed',
  cancelled: 'Cancelled',
};
