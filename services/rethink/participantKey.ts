import { createHash } from 'node:crypto';
import type { Participant, Rethink } from './types';

/**
 * A short stand-in for a participant's Teams id in a crowded card's choice lists: with dozens of
 * people, their ids (about 80 characters each, in three lists) alone would push the card over
 * Teams' size limit.
 */
export const participantKey = (id: string): string => `k:${createHash('sha256').update(id).digest('base64url').slice(0, 12)}`;

/** The participant a card's choice names: by Teams id, or by a crowded card's short key when no one else shares it. */
export function participantNamed(r: Rethink, value: string): Participant | undefined {
  const byId = r.participants.find((p) => p.id === value);
  if (byId || !value.startsWith('k:')) return byId;
  const matching = r.participants.filter((p) => participantKey(p.id) === value);
  return matching.length === 1 ? matching[0] : undefined;
}
