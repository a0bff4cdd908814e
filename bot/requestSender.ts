/** Renders an outbox delivery as a Teams activity and sends it through the Bot Connector. */
import { renderQuestionCard, questionCardData } from '../cards/question';
import { renderRequestCard } from '../cards/request';
import type { AdaptiveCard } from '../cards/render';
import type { PartnershipProfile } from '../services/profile/types';
import type { Sender, SendOutcome } from '../services/requests/dispatcher';
import { documentFileName, requestDocument } from '../services/requests/document';
import type { Delivery, FacilitatorRequest } from '../services/requests/types';
import type { ConnectorClient } from './connectorClient';

const cardActivity = (card: AdaptiveCard) => ({ attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }] });

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

export function requestSender(profile: PartnershipProfile, connector: ConnectorClient): Sender {
  return {
    send: async (delivery, r): Promise<SendOutcome> => {
      const activity = await activityFor(profile, delivery, r);
      // Nothing left to send (a question since removed): settled, not retried.
      if (!activity) return { ok: true };
      if (delivery.action === 'update' && delivery.activityId) return connector.update(delivery.to, delivery.activityId, activity);
      return connector.post(delivery.to, activity);
    },
  };
}
