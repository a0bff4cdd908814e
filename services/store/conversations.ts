import type { Container } from '@azure/cosmos';
import type { ConversationAddress } from './people';
import { readItem, upsertItem } from './repository';
import { safeId } from './people';
import type { Rethink } from '../rethink/types';

export interface ConversationRecord extends ConversationAddress {
  id: string;
  installedBy?: string;
  installedAt: string;
  ttl: number;
}

export interface ConversationRepository {
  get(conversationId: string): Promise<ConversationRecord | undefined>;
  /** Captured on install, so the app can post into the conversation later. */
  save(address: ConversationAddress, installedBy: string | undefined, now: Date): Promise<void>;
}

/**
 * Where to reach a Re-think's chat outside a turn (`conversationId`: a channel thread of it, say):
 * kept on the Re-think, or for one that predates keeping it, on its conversation's record. No
 * `serviceUrl` when neither knows.
 */
export async function rethinkAddress(conversations: ConversationRepository, r: Rethink, conversationId = r.conversationId): Promise<ConversationAddress> {
  const record = r.serviceUrl && r.botId ? undefined : await conversations.get(r.conversationId);
  return { conversationId, serviceUrl: r.serviceUrl ?? record?.serviceUrl ?? '', tenantId: r.tenantId, botId: r.botId ?? record?.botId ?? '', conversationKind: r.conversationKind };
}

export function conversationRepository(container: Container, retentionSeconds: number): ConversationRepository {
  return {
    get: (conversationId) => readItem<ConversationRecord>(container, safeId(conversationId), conversationId),
    save: async (address, installedBy, now) => {
      await upsertItem<ConversationRecord>(container, {
        ...address,
        id: safeId(address.conversationId),
        ...(installedBy ? { installedBy } : {}),
        installedAt: now.toISOString(),
        ttl: retentionSeconds,
      });
    },
  };
}
