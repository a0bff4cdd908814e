import type { Container } from '@azure/cosmos';
import { createItem, patchOrCreate, queryAcross, readItem, StoreUnavailableError, updateItem } from './repository';

/** What Re-think remembers about a professional between Re-thinks (by Entra object id). */
export interface PersonRecord {
  id: string;
  aadObjectId: string;
  role?: string;
  agency?: string;
  /** Their personal chat with the bot, for messages sent to them alone. */
  personalConversation?: ConversationAddress;
  /** When Teams says the app was added there (its activity's time): an older removal is not this one. */
  personalConversationSince?: string;
  /** When Teams says it was last removed from their personal chat: anything older (a message handled late) doesn't bring the chat back. */
  personalConversationRemovedAt?: string;
  /** Case references of the requests they accepted as an independent facilitator, still open. */
  facilitating?: string[];
  /** Every change to the record: who, what, when (records from before it was kept start it at their next change). */
  audit?: PersonAuditEvent[];
  updatedAt: string;
  ttl: number;
}

/** What changed on a person's record. Never the values themselves (a case reference, a role): the record holds those. */
export type PersonChange = 'roleAndAgencyRemembered' | 'personalChatNoted' | 'personalChatForgotten' | 'facilitatingChanged' | 'keptReachable';

export interface PersonAuditEvent {
  at: string;
  /** Who made the change: the person (their Teams id), an administrator, or one of NO_ONE's names. */
  by: string;
  what: PersonChange;
}

/** What a remembered change is, by what it sets. */
const changeOf = (change: Partial<Pick<PersonRecord, 'role' | 'agency' | 'personalConversation'>>): PersonChange =>
  change.personalConversation ? 'personalChatNoted' : 'roleAndAgencyRemembered';

/** Enough to message a conversation proactively; the bot layer maps it to a Bot Framework reference. */
export interface ConversationAddress {
  conversationId: string;
  serviceUrl: string;
  tenantId: string;
  botId: string;
  conversationKind: string;
}

export interface PeopleRepository {
  get(aadObjectId: string): Promise<PersonRecord | undefined>;
  /** `known: false` when there is likely no record yet (nothing was remembered): one create, not a failed patch first. */
  remember(aadObjectId: string, change: Partial<Pick<PersonRecord, 'role' | 'agency' | 'personalConversation' | 'personalConversationSince'>>, now: Date, by: string, known?: boolean): Promise<void>;
  /**
   * They removed Re-think from their personal chat at `removedAt` (Teams' time): that chat is no
   * longer where to reach them, unless it was added again after that (a removal delivered late).
   */
  forgetPersonalChat(aadObjectId: string, conversationId: string, removedAt: string, now: Date, by: string): Promise<boolean>;
  /**
   * Their part in the partnership goes on (an administrator, a named facilitator): the record is kept
   * for another retention period, as it is. False when there is no record.
   */
  renew(aadObjectId: string, now: Date, by: string): Promise<boolean>;
  /** Whose personal chat with Re-think this is now (Entra object ids: one, unless records disagree): one query across people. */
  withPersonalChat(conversationId: string): Promise<string[]>;
  /**
   * Changes the cases they facilitate, conditional on the ETag: two accepts at once both stay listed.
   * Resolves `true` when the list changed (a write was made), `false` when it already read so.
   */
  updateFacilitating(aadObjectId: string, change: (cases: readonly string[]) => string[], now: Date, by: string): Promise<boolean>;
}

/** The personal chats of these people, for those who have Re-think added for themselves: one read each. */
export async function personalChats(people: PeopleRepository, aadObjectIds: readonly string[]): Promise<ConversationAddress[]> {
  const chats = await Promise.all(aadObjectIds.map(async (id) => (await people.get(id))?.personalConversation));
  return chats.filter((c): c is ConversationAddress => c !== undefined);
}

export function peopleRepository(container: Container, retentionSeconds: number): PeopleRepository {
  /** What every change to a record sets: a new retention period, and its entry in the trail. */
  const changedBy = (current: Pick<PersonRecord, 'audit'>, what: PersonChange, by: string, now: Date): Pick<PersonRecord, 'updatedAt' | 'ttl' | 'audit'> => ({
    updatedAt: now.toISOString(),
    ttl: retentionSeconds,
    audit: audited(current, { at: now.toISOString(), by, what }, retentionSeconds),
  });
  return {
    get: (aadObjectId) => readItem<PersonRecord>(container, safeId(aadObjectId), aadObjectId),
    // One patch for someone already known; a create the first time. Last writer wins: these are
    // their role and agency as last given, and where to reach them (whoever noted it last is right;
    // a chat noted from before the app was removed is refused by the caller), never a Re-think's record.
    remember: (aadObjectId, change, now, by, known = true) =>
      patchOrCreate<PersonRecord, 'aadObjectId'>(
        container,
        { ...change, id: safeId(aadObjectId), aadObjectId, updatedAt: now.toISOString(), ttl: retentionSeconds },
        'aadObjectId',
        { at: now.toISOString(), by, what: changeOf(change) },
        known ? 'patch' : 'create',
      ),
    forgetPersonalChat: async (aadObjectId, conversationId, removedAt, now, by) => {
      const outcome = await updateItem<PersonRecord>(
        container,
        safeId(aadObjectId),
        aadObjectId,
        (current) => {
          const stale = current.personalConversationSince !== undefined && removedAt < current.personalConversationSince;
          if (current.personalConversation?.conversationId !== conversationId || stale) return { ok: true, value: current, replay: true };
          // A change starts the retention period again, under today's period (as `remember` does).
          const next: PersonRecord = { ...current, personalConversationRemovedAt: removedAt, ...changedBy(current, 'personalChatForgotten', by, now) };
          delete next.personalConversation;
          delete next.personalConversationSince;
          return { ok: true, value: next };
        },
        { idempotent: true },
      );
      return outcome.kind === 'updated' && !outcome.replay;
    },
    renew: async (aadObjectId, now, by) => {
      const outcome = await updateItem<PersonRecord>(container, safeId(aadObjectId), aadObjectId, (current) => ({ ok: true, value: { ...current, ...changedBy(current, 'keptReachable', by, now) } }));
      return outcome.kind === 'updated';
    },
    withPersonalChat: (conversationId) =>
      queryAcross<string>(container, 'SELECT VALUE c.aadObjectId FROM c WHERE c.personalConversation.conversationId = @conversationId', [{ name: '@conversationId', value: conversationId }]),
    updateFacilitating: async (aadObjectId, change, now, by) => {
      const id = safeId(aadObjectId);
      for (let attempt = 0; attempt < 3; attempt++) {
        const outcome = await updateItem<PersonRecord>(container, id, aadObjectId, (current) => {
          const before = current.facilitating ?? [];
          const facilitating = change(before);
          const same = facilitating.length === before.length && facilitating.every((c, i) => c === before[i]);
          return same ? { ok: true, value: current, replay: true } : { ok: true, value: { ...current, facilitating, ...changedBy(current, 'facilitatingChanged', by, now) } };
        }, { idempotent: true });
        if (outcome.kind !== 'notFound') return outcome.kind === 'updated' && !outcome.replay;
        const facilitating = change([]);
        if (facilitating.length === 0) return false;
        // Someone created the record meanwhile (409): change theirs instead.
        if (await createItem<PersonRecord>(container, { id, aadObjectId, facilitating, ...changedBy({}, 'facilitatingChanged', by, now) })) return true;
      }
      throw new StoreUnavailableError(new Error('Could not create or update the person'));
    },
  };
}

/** The record's trail with this change added, less entries older than the retention period (kept no longer than the records they speak of). */
const audited = (current: Pick<PersonRecord, 'audit'>, entry: PersonAuditEvent, retentionSeconds: number): PersonAuditEvent[] => {
  const since = new Date(Date.parse(entry.at) - retentionSeconds * 1000).toISOString();
  return [...(current.audit ?? []).filter((a) => a.at >= since), entry];
};

/** Cosmos ids may not hold / \ ? or #. */
export const safeId = (value: string): string => value.replace(/[/\\?#]/g, '_');
