/** Renders an outbox delivery as a Teams activity and sends it through the Bot Connector. */
import { renderQuestionCard, questionCardData } from '../cards/question';
import { renderRequestCard } from '../cards/request';
import type { PartnershipProfile } from '../services/profile/types';
import type { Sender, SendOutcome } from '../services/requests/dispatcher';
import { documentFileName, requestDocument } from '../services/requests/document';
import type { Delivery, FacilitatorRequest } from '../services/requests/types';
import type { ConversationAddress, PeopleRepository } from '../services/store/people';
import type { PoolRepository } from '../services/store/pool';
import { conversationKey } from './turn';
import { cardActivity, type ConnectorClient } from './connectorClient';
import { MESSAGES } from './handlers/types';

/** Teams asks the person before a file is put in their OneDrive: a file consent card, personal chats only. */
export async function fileConsentActivity(profile: PartnershipProfile, r: FacilitatorRequest): Promise<object> {
  const bytes = await requestDocument(r, profile);
  return {
    attachments: [
      {
        contentType: 'application/vnd.microsoft.teams.card.file.consent',
        name: documentFileName(r),
        content: {
          description: `The completed independent facilitator request for ${r.caseReference}, for your records.`,
          sizeInBytes: bytes.length,
          acceptContext: { requestId: r.id },
          declineContext: { requestId: r.id },
        },
      },
    ],
  };
}

async function activityFor(profile: PartnershipProfile, delivery: Delivery, r: FacilitatorRequest): Promise<object | undefined> {
  const { message } = delivery;
  switch (message.kind) {
    case 'requestCard':
      return cardActivity(renderRequestCard(profile, r, message.audience));
    case 'text':
      return { text: message.text };
    case 'question': {
      const data = questionCardData(profile, r, message.questionId);
      return data ? cardActivity(renderQuestionCard(data)) : undefined;
    }
    case 'document':
      return fileConsentActivity(profile, r);
  }
}

/** Whether a copy of the facilitators' card, where it was posted, is still for the pool to see. */
export type PoolHolds = (to: ConversationAddress, r: FacilitatorRequest) => Promise<boolean>;

/**
 * The pool as it is now: its channel, and its named facilitators' personal chats. Asked for each copy
 * of a request's card: whose chat this is is one query, not a read of every named facilitator's record
 * (which, for every copy of every change, grew with the square of the pool).
 */
export const poolHolds =
  (pool: PoolRepository, people: PeopleRepository): PoolHolds =>
  async (to, r) => {
    // The facilitator who accepted it goes on seeing the request they are running.
    if (r.accepted?.chat?.conversationId === to.conversationId) return true;
    const settings = await pool.get();
    // The channel first: a copy there needs no one's person record read.
    if (settings?.channel && conversationKey(settings.channel.conversationId) === conversationKey(to.conversationId)) return true;
    if (to.conversationKind !== 'personal' || !settings?.facilitators.length) return false;
    const named = new Set(settings.facilitators.map((f) => f.aadObjectId.toLowerCase()));
    return (await people.withPersonalChat(to.conversationId)).some((aad) => named.has(aad.toLowerCase()));
  };

/** What a copy becomes once its chat is no longer in the pool (a facilitator removed, the channel moved). */
export const LEFT_POOL = 'This request is no longer shown here, because this chat is no longer part of the partnership’s pool of independent facilitators.';

export function requestSender(profile: PartnershipProfile, connector: ConnectorClient, poolHolds: PoolHolds, allowedTenantIds?: readonly string[]): Sender {
  return {
    send: async (delivery, r): Promise<SendOutcome> => {
      const { message } = delivery;
      // A tenant taken off the allow-list since it was queued is sent nothing more.
      if (allowedTenantIds && !allowedTenantIds.includes(delivery.to.tenantId)) return { ok: true, withheld: 'tenantNotServed' };
      // An administrator's removal takes the request away from those removed: a card not yet posted
      // is not, and a copy already there becomes a note, once, and is not updated again.
      if (message.kind === 'requestCard' && message.audience === 'pool' && !(await poolHolds(delivery.to, r))) {
        if (delivery.action !== 'update' || !delivery.activityId) return { ok: true, withheld: 'leftPool' };
        const noted = await connector.update(delivery.to, delivery.activityId, { text: LEFT_POOL, attachments: [] });
        // Gone already (the app removed there, the message deleted): nothing left to take away, and nobody to alert.
        return noted.ok || noted.status === 403 || noted.status === 404 ? { ok: true, withheld: 'leftPool' } : noted;
      }
      const activity = await activityFor(profile, delivery, r);
      // Nothing left to send (a question since removed): settled, not retried.
      if (!activity) return { ok: true, withheld: 'nothingToSend' };
      if (delivery.action === 'update' && delivery.activityId) return connector.update(delivery.to, delivery.activityId, activity);
      return connector.post(delivery.to, activity);
    },
    erased: (delivery, activityId) => connector.update(delivery.to, activityId, { text: MESSAGES.erasedRequest, attachments: [] }),
  };
}
