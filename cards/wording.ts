import type { PartnershipProfile } from '../services/profile/types';

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

export const STATUS_LABELS: Record<string, string> = {
  proposed: 'Choosing a strategy',
  open: 'In progress',
  closed: 'Closed',
  cancelled: 'Cancelled',
};
