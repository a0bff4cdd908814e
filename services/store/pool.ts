import type { Container } from '@azure/cosmos';
import type { ConversationAddress, PeopleRepository } from './people';
import { createItem, readItem, updateItem } from './repository';
import type { FacilitatorRequest } from '../requests/types';
import { NO_ONE } from '../rethink/types';

/** The partnership's independent facilitators: a Teams channel and/or named people. */
export interface FacilitatorPool {
  id: 'facilitatorPool';
  /** `teamId`: the team it is in, so that the team's removal or archiving is recognised (set since this version). */
  channel?: ConversationAddress & { setBy: string; setAt: string; teamId?: string };
  /** Entra object ids of named facilitators (with the name Teams gave, when added by an @mention); their personal chats are found through `people`. */
  facilitators: { aadObjectId: string; name?: string; addedBy: string; addedAt: string }[];
  /** `ref`: the facilitator added or removed; for a channel set or removed, the channel it replaced or removed. */
  audit: { at: string; by: string; what: 'channelSet' | 'channelRemoved' | 'channelGone' | 'facilitatorAdded' | 'facilitatorNamed' | 'facilitatorRemoved'; ref?: string }[];
  updatedAt: string;
  /** Settings never expire (-1 overrides the container's retention). */
  ttl: -1;
}

export interface PoolRepository {
  get(): Promise<FacilitatorPool | undefined>;
  /**
   * The pool as changed and saved, or `undefined` if it could not be saved. When `apply` gives the
   * pool back as it was, nothing is written.
   */
  change(apply: (pool: FacilitatorPool) => FacilitatorPool, now: Date): Promise<FacilitatorPool | undefined>;
  /** Lets go of what happened to the pool longer ago than the retention period, for a pool that hasn't changed since (the daily check). */
  prune(now: Date): Promise<void>;
}

const ID = 'facilitatorPool';

/** Where the pool is reached now: its channel, and the personal chats of named facilitators who have one. */
export interface PoolChats {
  channel?: ConversationAddress;
  facilitators: readonly ConversationAddress[];
}

export async function poolChats(pool: PoolRepository, people: PeopleRepository): Promise<PoolChats> {
  const settings = await pool.get();
  return { ...(settings?.channel ? { channel: settings.channel } : {}), facilitators: await facilitatorChats(settings, people) };
}

/** Each named facilitator, with their personal chat when they have Re-think added for them: one read each. */
export async function namedReach(settings: FacilitatorPool | undefined, people: PeopleRepository): Promise<{ aadObjectId: string; name?: string; chat?: ConversationAddress }[]> {
  return Promise.all(
    (settings?.facilitators ?? []).map(async (f) => {
      const chat = (await people.get(f.aadObjectId))?.personalConversation;
      const who = { aadObjectId: f.aadObjectId, ...(f.name ? { name: f.name } : {}) };
      return chat ? { ...who, chat } : who;
    }),
  );
}

/** The named facilitators' personal chats (those who have Re-think added for them). */
async function facilitatorChats(settings: FacilitatorPool | undefined, people: PeopleRepository): Promise<ConversationAddress[]> {
  return (await namedReach(settings, people)).flatMap((n) => (n.chat ? [n.chat] : []));
}

/**
 * Ids as Teams sends them, in lower case and once each: ids added before they were lower-cased may be
 * stored in upper case, or twice. Every reader gets the pool this way, and the next change stores it.
 */
function normalised(pool: FacilitatorPool): FacilitatorPool {
  const seen = new Set<string>();
  const facilitators = pool.facilitators
    .map((f) => ({ ...f, aadObjectId: f.aadObjectId.toLowerCase() }))
    .filter((f) => !seen.has(f.aadObjectId) && seen.add(f.aadObjectId));
  return { ...pool, facilitators };
}
const empty = (now: Date): FacilitatorPool => ({ id: ID, facilitators: [], audit: [], updatedAt: now.toISOString(), ttl: -1 });

/**
 * The pool itself never expires (it is the partnership's set-up), but what happened to it is kept
 * only for the retention period, like every other record: older entries go at the next change, or
 * at the daily check (`prune`).
 */
export function poolRepository(container: Container, retentionSeconds?: number): PoolRepository {
  const recent = (audit: FacilitatorPool['audit'], now: Date): FacilitatorPool['audit'] =>
    retentionSeconds === undefined ? audit : audit.filter((a) => Date.parse(a.at) >= now.getTime() - retentionSeconds * 1000);
  return {
    get: async () => {
      const pool = await readItem<FacilitatorPool>(container, ID, ID);
      return pool && normalised(pool);
    },
    change: async (apply, now) => {
      // Created on first use; a concurrent first use is caught by the conditional update that follows.
      const read = (await readItem<FacilitatorPool>(container, ID, ID)) ?? (await createItem(container, empty(now)));
      const outcome = await updateItem<FacilitatorPool>(container, ID, ID, (current) => {
        const given = normalised(current);
        const changed = apply(given);
        // Unchanged, and stored as read: nothing to write (not even to prune its history).
        const asStored = given.facilitators.length === current.facilitators.length && given.facilitators.every((f, i) => f.aadObjectId === current.facilitators[i]?.aadObjectId);
        if (changed === given && asStored) return { ok: true, value: current, replay: true };
        return { ok: true, value: { ...changed, audit: recent(changed.audit, now), updatedAt: now.toISOString() } };
      }, { read });
      return outcome.kind === 'updated' ? outcome.doc : undefined;
    },
    prune: async (now) => {
      const read = await readItem<FacilitatorPool>(container, ID, ID);
      if (!read || recent(read.audit, now).length === read.audit.length) return;
      // Not a change anyone made: when the pool last changed stays as it was.
      await updateItem<FacilitatorPool>(
        container,
        ID,
        ID,
        (current) => {
          const kept = recent(current.audit, now);
          return kept.length === current.audit.length ? { ok: true, value: current, replay: true } : { ok: true, value: { ...current, audit: kept } };
        },
        { read },
      );
    },
  };
}

/**
 * People whose part in the partnership goes on while they are administrators or named facilitators:
 * their records (where to reach them) would otherwise expire a retention period after they last
 * changed, however much they are still relied on. A record within `renewWithin` of expiring is kept
 * for another period; one with no record is left alone. Returns how many were renewed.
 */
export async function keepReachable(
  administrators: readonly string[],
  pool: PoolRepository,
  people: PeopleRepository,
  retentionSeconds: number,
  now: Date,
  hasOpenRequest: (caseReference: string) => Promise<boolean>,
  renewWithinMs = 30 * 86_400_000,
): Promise<number> {
  const named = (await pool.get())?.facilitators.map((f) => f.aadObjectId) ?? [];
  let renewed = 0;
  for (const aadObjectId of [...new Set([...administrators.map((a) => a.toLowerCase()), ...named])]) {
    const record = await people.get(aadObjectId);
    // The store expires a record by the TTL its last write gave it: under a shorter period than today's, sooner.
    const stored = record as { _ts?: number; ttl?: number } | undefined;
    const byStore = stored?._ts !== undefined && stored.ttl !== undefined && stored.ttl > 0 ? (stored._ts + stored.ttl) * 1000 : Infinity;
    const expires = record ? Math.min(Date.parse(record.updatedAt) + retentionSeconds * 1000, byStore) : Infinity;
    if (expires - now.getTime() > renewWithinMs) continue;
    // Where to reach them is kept; the cases they facilitated are not, once no request for them is
    // open (the list is otherwise cleared as a request moves on, and may have missed one).
    const listed = record?.facilitating ?? [];
    const open = new Set<string>();
    for (const caseReference of listed) if (await hasOpenRequest(caseReference)) open.add(caseReference);
    // Either write starts a new retention period: one is enough.
    if (open.size < listed.length) await people.updateFacilitating(aadObjectId, (cases) => cases.filter((c) => open.has(c)), now, NO_ONE.retention);
    else await people.renew(aadObjectId, now, NO_ONE.retention);
    renewed++;
  }
  return renewed;
}

/** A named facilitator as the administrators read them: their name, when Teams gave it, with their id. */
export const whoIs = (f: { aadObjectId: string; name?: string | undefined }): string => (f.name ? `${f.name} (${f.aadObjectId})` : f.aadObjectId);

/**
 * Whose personal chat a request's delivery went to, when the request itself doesn't say (the
 * requester and the facilitator who accepted it, it does): someone from the case's network, by
 * name, or a named facilitator, by name if the pool has it and Entra object id. A few reads, only
 * when a delivery has failed for good.
 */
export async function chatOwner(doc: Pick<FacilitatorRequest, 'network'>, to: ConversationAddress, pool: PoolRepository, people: PeopleRepository): Promise<string | undefined> {
  if (to.conversationKind !== 'personal') return undefined;
  const reachedAt = async (aadObjectId: string | undefined) => aadObjectId !== undefined && (await people.get(aadObjectId))?.personalConversation?.conversationId === to.conversationId;
  for (const p of doc.network) if (await reachedAt(p.aadObjectId)) return `${p.name}’s personal chat with Re-think (they took part in the case’s earlier Re-thinks)`;
  for (const f of (await pool.get())?.facilitators ?? []) if (await reachedAt(f.aadObjectId)) return `the personal chat with Re-think of the named facilitator ${whoIs(f)}`;
  return undefined;
}
