/**
 * Who said or owns what, as every view shows it: a contribution keeps the role and agency it was
 * made under (a later change doesn't rewrite whose perspective it was), and someone taking part by
 * phone or face to face is outside Teams whether or not they joined the Re-think.
 */
import type { AgreedAction, Contribution, Participant } from './types';

export interface ContributionAuthor {
  name: string;
  role: string;
  agency: string;
  /** Recorded for them by the facilitator. */
  recordedForThem: boolean;
}

export function authorOf(c: Contribution, byId: ReadonlyMap<string, Participant>): ContributionAuthor {
  const who = byId.get(c.participantId);
  return { name: who?.name ?? 'Someone', role: c.role ?? who?.role ?? '', agency: c.agency ?? who?.agency ?? '', recordedForThem: c.recordedBy !== c.participantId };
}

/** "Name (role, agency), recorded by the facilitator". */
export const authorLine = (a: ContributionAuthor): string => `${a.name} (${a.role}, ${a.agency})${a.recordedForThem ? ', recorded by the facilitator' : ''}`;

/** An action's owner by name, marked when they are outside Teams (typed, or recorded by phone or face to face). */
export function ownerLabel(a: AgreedAction, byId: ReadonlyMap<string, Participant>): string {
  const inTeams = a.owner.participantId !== undefined && byId.get(a.owner.participantId)?.external !== true;
  return `${a.owner.name}${inTeams ? '' : ' (outside Teams)'}`;
}
