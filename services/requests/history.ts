/**
 * What a request is pre-filled with: the case's Re-thinks that the requester took part in, and
 * nothing from the ones they did not (only a Re-think's own people may see it).
 */
import { isIndependentFacilitator, liveActions } from '../rethink/facts';
import type { Actor, Rethink } from '../rethink/types';
import type { HistoryEntry, PersonRef, RequestForm } from './types';
import { ukToday } from '../rethink/validation';
import { distinctText, textKey } from '../text';

const tookPart = (r: Rethink, person: Actor | PersonRef): boolean =>
  r.participants.some((p) => !p.external && (p.id === person.id || (person.aadObjectId !== undefined && p.aadObjectId === person.aadObjectId)));

/** The day where the partnership works: a Re-think closed at 00:30 in summer closed that day, not the UTC one before. */
const dayOf = (iso: string): string => ukToday(new Date(iso));

/** The Re-thinks the person took part in, as history. */
export const historyFor = (rethinks: readonly Rethink[], person: Actor | PersonRef): HistoryEntry[] => historyOf(rethinks.filter((r) => tookPart(r, person)));

/** These Re-thinks (those begun), oldest first, as history. */
export function historyOf(rethinks: readonly Rethink[]): HistoryEntry[] {
  return rethinks
    .filter((r) => r.status === 'open' || r.status === 'closed')
    .map((r) => ({
      rethinkId: r.id,
      ...(r.strategy ? { strategy: r.strategy } : {}),
      date: dayOf(r.outcome?.at ?? r.createdAt),
      status: r.status,
      ...(r.outcome ? { outcome: r.outcome.kind } : {}),
      ...(r.outcome?.nextStep ? { nextStep: r.outcome.nextStep } : {}),
      agencies: distinctText(r.participants.filter((p) => !(isIndependentFacilitator(r, p.id))).map((p) => p.agency).filter(Boolean)),
      actions: liveActions(r).map((a) => ({ description: a.description, owner: a.owner.name, dueDate: a.dueDate })),
    }))
    .sort((a, b) => a.date.localeCompare(b.date));
}

/** People from those Re-thinks who can be messaged in Teams (not those recorded by phone). */
export function networkOf(rethinks: readonly Rethink[], person: Actor | PersonRef): PersonRef[] {
  const seen = new Map<string, PersonRef>();
  for (const r of rethinks.filter((x) => tookPart(x, person))) {
    for (const p of r.participants) {
      // A strategy 3 Re-think's independent facilitator came from outside the case: not of its network.
      if (isIndependentFacilitator(r, p.id)) continue;
      if (!p.external && p.aadObjectId && !seen.has(p.aadObjectId)) seen.set(p.aadObjectId, { id: p.id, name: p.name, aadObjectId: p.aadObjectId });
    }
  }
  return [...seen.values()];
}

/** The form as the app can fill it in; the requester completes and corrects the rest. */
export function prefill(rethinks: readonly Rethink[], person: Actor | PersonRef, remembered: { role?: string; agency?: string }, networkMax = Number.POSITIVE_INFINITY): Partial<RequestForm> {
  const seen = rethinks.filter((r) => tookPart(r, person)).sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
  const latest = seen.at(-1);
  const me = latest?.participants.find((p) => p.id === person.id || (person.aadObjectId !== undefined && p.aadObjectId === person.aadObjectId));
  // Each person once, as they last joined (keyed by who they are, not by how they typed their agency);
  // a strategy 3 Re-think's independent facilitator came from outside the case.
  const roles = new Map<string, string>();
  for (const r of seen) {
    for (const p of r.participants) {
      if (isIndependentFacilitator(r, p.id)) continue;
      const key = p.aadObjectId ?? (p.external ? `${textKey(p.name)}|${textKey(p.agency)}` : p.id);
      roles.delete(key);
      roles.set(key, `${p.name}, ${p.role} (${p.agency})`);
    }
  }
  const agency = remembered.agency ?? me?.agency ?? '';
  // Someone who started one of these Re-thinks as the lead professional is the lead professional.
  const isLead = seen.some((r) => r.createdBy === person.id && r.answers.isLeadProfessional);
  return {
    requesterRole: remembered.role ?? me?.role ?? '',
    requesterAgency: agency,
    ...(isLead ? { leadProfessionalName: person.name, leadProfessionalAgency: agency } : {}),
    network: withinLimit([...roles.values()], networkMax),
    ...(latest ? { concernCategory: latest.concernCategory, concernSummary: latest.summary } : {}),
  };
}

/** As many of the people as fit within the field's limit, and how many more: the app never fills in more than the requester may send. */
function withinLimit(people: readonly string[], max: number): string {
  const all = people.join('; ');
  if (all.length <= max) return all;
  for (let kept = people.length - 1; kept >= 0; kept--) {
    const text = `${people.slice(0, kept).join('; ')}${kept ? '; ' : ''}and ${people.length - kept} more`;
    if (text.length <= max) return text;
  }
  return '';
}
