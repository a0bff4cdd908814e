import type { Container } from '@azure/cosmos';
import { patchOrCreate, readItem } from './repository';

/** What Re-think remembers about a professional between Re-thinks (by Entra object id). */
export interface PersonRecord {
  id: string;
  aadObjectId: string;
  role?: string;
  agency?: string;
  /** Their personal chat with the bot, for messages sent to them alone. */
  personalConversation?: ConversationAddress;
  /** Case references of the requests they accepted as an independent facilitator, still open. */
  facilitating?: string[];
  updatedAt: string;
  ttl: number;
}

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
  remember(aadObjectId: string, change: Partial<Pick<PersonRecord, 'role' | 'agency' | 'personalConversation' | 'facilitating'>>, now: Date, known?: boolean): Promise<void>;
}

export function peopleRepository(container: Container, retentionSeconds: number): PeopleRepository {
  return {
    get: (aadObjectId) => readItem<PersonRecord>(container, safeId(aadObjectId), aadObjectId),
    // One patch for someone already known; a create the first time. Last writer wins: these are
    // preferences, never part of a Re-think record.
    remember: (aadObjectId, change, now, known = true) =>
      patchOrCreate<PersonRecord>(container, { ...change, id: safeId(aadObjectId), aadObjectId, updatedAt: now.toISOString(), ttl: retentionSeconds }, aadObjectId, known ? 'patch' : 'create'),
  };
}

/** Cosmos ids may not hold / \ ? or #. */
export const safeId = (value: string): string => value.replace(/[/\\?#]/g, '_');
