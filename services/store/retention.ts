/**
 * A shortened retention period reaches the records already held. Each record carries its own TTL,
 * set at its last change, and Cosmos DB lets an item's TTL outrank the container's default: without
 * this, a record last changed under a longer period would be kept for that longer period.
 * A lengthened period reaches each record at its next change (nothing is kept longer unasked).
 *
 * The check looks at every record, so it runs when the period has changed and then once a day (to
 * catch what instances still on the old profile wrote), by one instance at a time: a marker in
 * `settings` records when it last ran to the end, under which period, and who is running it now.
 */
import type { Container } from '@azure/cosmos';
import { ok } from '../result';
import { CONTAINERS, type Containers } from './cosmos';
import { createItem, updateItem } from './repository';

type Name = keyof typeof CONTAINERS;

export interface RetentionCount {
  /** Records that carry a TTL of their own. */
  checked: number;
  /** Records that would have been kept past the current period, now due when it ends. */
  shortened: number;
}

interface Held {
  id: string;
  pk: string;
  _etag: string;
  _ts: number;
  ttl: number;
  updatedAt?: unknown;
}

/** When a record was last changed: its own `updatedAt`, or its last write when that is missing or later. */
function lastChange(record: Held): number {
  const written = record._ts * 1000;
  const updated = typeof record.updatedAt === 'string' ? Date.parse(record.updatedAt) : Number.NaN;
  return Number.isFinite(updated) && updated <= written ? updated : written;
}

/** The TTL, counted from a write now, that ends the record's life when the current period says; undefined when it already does. */
export function shortenedTtl(record: Pick<Held, '_ts' | 'ttl' | 'updatedAt'>, retentionSeconds: number, nowMs: number): number | undefined {
  const expires = (record._ts + record.ttl) * 1000;
  const due = lastChange(record as Held) + retentionSeconds * 1000;
  // A minute's grace: a record written a moment ago under this period is not rewritten for rounding.
  if (expires <= due + 60_000) return undefined;
  return Math.max(1, Math.ceil((due - nowMs) / 1000));
}

async function shortenIn(container: Container, partitionKeyPath: string, retentionSeconds: number, now: () => number, stopping: () => boolean): Promise<RetentionCount> {
  const pk = partitionKeyPath.slice(1);
  const query = container.items.query<Held>(`SELECT c.id, c["${pk}"] AS pk, c._etag, c._ts, c.ttl, c.updatedAt FROM c WHERE c.ttl > 0`, { maxItemCount: 500 });
  const count: RetentionCount = { checked: 0, shortened: 0 };
  while (query.hasMoreResults() && !stopping()) {
    const { resources } = await query.fetchNext();
    for (const record of resources) {
      count.checked++;
      const ttl = shortenedTtl(record, retentionSeconds, now());
      if (ttl === undefined) continue;
      try {
        // On the ETag: a record changed meanwhile has taken the current period from its change.
        await container.item(record.id, record.pk).patch({ operations: [{ op: 'set', path: '/ttl', value: ttl }] }, { accessCondition: { type: 'IfMatch', condition: record._etag } });
        count.shortened++;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code !== 412 && code !== 404) throw error;
      }
    }
  }
  return count;
}

/** Brings every record's expiry within the current retention period; a count per container. */
async function keepWithinRetention(containers: Containers, retentionSeconds: number, stopping: () => boolean = () => false, now: () => number = Date.now): Promise<Record<Name, RetentionCount>> {
  const names = Object.keys(CONTAINERS) as Name[];
  // Every container's scan ends before a failure is reported: none is left running unobserved.
  const settled = await Promise.allSettled(names.map((name) => shortenIn(containers[name], CONTAINERS[name], retentionSeconds, now, stopping)));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return Object.fromEntries(names.map((name, i) => [name, (settled[i] as PromiseFulfilledResult<RetentionCount>).value])) as Record<Name, RetentionCount>;
}

const MARKER_ID = 'retentionCheck';
/** How often the check runs again under the same period. */
const RETENTION_CHECK_EVERY_MS = 24 * 3_600_000;
/** A claim on the check held this long with no end recorded (its instance stopped) may be taken over. */
const CLAIM_MS = 60 * 60_000;

interface RetentionMarker {
  id: string;
  /** The period the last complete check applied, when it finished, and when the instance that first applied that period started. */
  retentionSeconds?: number;
  checkedAt?: string;
  periodFrom?: string;
  running?: { by: string; until: string };
  ttl: -1;
}

/** This running instance: who it is, when it started, and the period its profile sets. */
export interface RetentionRunner {
  readonly instance: string;
  readonly startedAt: string;
  readonly retentionSeconds: number;
}

function isDue(m: RetentionMarker, runner: RetentionRunner, now: Date): boolean {
  if (m.running && m.running.until >= now.toISOString()) return false;
  // Another period, applied by an instance that started after this one: a deployment is under way and
  // this instance is the old one. Applying its own period would undo the new one (records the new
  // instances just changed cut back to a shorter period, say).
  if (m.retentionSeconds !== runner.retentionSeconds) return !m.periodFrom || m.periodFrom <= runner.startedAt;
  return !m.checkedAt || Date.parse(m.checkedAt) <= now.getTime() - RETENTION_CHECK_EVERY_MS;
}

/**
 * Runs the check if it is due and no other instance is running it: the counts, or undefined when it
 * was not this instance's to run. Stopped part-way, its claim is left to lapse so another runs it.
 */
export async function checkRetention(containers: Containers, runner: RetentionRunner, now: () => Date, stopping: () => boolean = () => false): Promise<Record<Name, RetentionCount> | undefined> {
  if (stopping()) return undefined;
  const at = now();
  const running = { by: runner.instance, until: new Date(at.getTime() + CLAIM_MS).toISOString() };
  const claimed = await updateItem<RetentionMarker>(containers.settings, MARKER_ID, MARKER_ID, (current) => (isDue(current, runner, at) ? ok({ ...current, running }) : { ok: true, value: current, replay: true }));
  if (claimed.kind === 'notFound') {
    // The first check on this store; another instance creating it first runs it.
    if (!(await createItem<RetentionMarker>(containers.settings, { id: MARKER_ID, running, ttl: -1 }))) return undefined;
  } else if (claimed.kind !== 'updated' || claimed.replay) return undefined;
  const counts = await keepWithinRetention(containers, runner.retentionSeconds, stopping);
  if (stopping()) return counts;
  await updateItem<RetentionMarker>(containers.settings, MARKER_ID, MARKER_ID, (current) => {
    const samePeriod = current.retentionSeconds === runner.retentionSeconds;
    // A claim another instance took meanwhile (this one's lapsed) stays theirs.
    const theirs = current.running && current.running.by !== runner.instance ? { running: current.running } : {};
    return ok({ id: current.id, retentionSeconds: runner.retentionSeconds, checkedAt: now().toISOString(), periodFrom: samePeriod ? (current.periodFrom ?? runner.startedAt) : runner.startedAt, ...theirs, ttl: -1 as const });
  });
  return counts;
}
