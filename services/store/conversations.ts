import type { Container } from '@azure/cosmos';
import type { ConversationAddress } from './people';
import { readItem, upsertItem } from './repository';
import { safeId } from './people';

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
