import type { PartnershipProfile } from '../services/profile/types';
import { labelOf } from '../services/requests/form';
import type { RequestListItem } from '../services/store/requests';
import { formatUkDate } from '../services/rethink/validation';
import template from './requestList.json';
import { expand, type AdaptiveCard } from './render';
import { REQUEST_STATUS_LABELS } from './requestText';

export interface RequestListCardData {
  title: string;
  empty: boolean;
  emptyText: string;
  items: { requestId: string; caseReference: string; status: string; detail: string; showTitle: string }[];
  /** Said below the list when it is not all of them. */
  moreNote: string;
}

/** `more`: how many are left off the list, if known ('some' when only that there are more). */
export function requestListCardData(profile: PartnershipProfile, title: string, emptyText: string, items: readonly RequestListItem[], more: number | 'some' = 0): RequestListCardData {
  return {
    title,
    empty: items.length === 0,
    emptyText,
    moreNote: more === 0 ? '' : `${more === 'some' ? 'More' : more === 1 ? 'One more' : `${more} more`} ${more === 1 ? 'is' : 'are'} not shown here.`,
    items: items.map((i) => ({
      requestId: i.id,
      caseReference: i.caseReference,
      status: REQUEST_STATUS_LABELS[i.status] ?? i.status,
      // Each button names its own request: a case may have one withdrawn and one made since.
      showTitle: `Show the request for ${i.caseReference}, submitted ${formatUkDate(i.submittedAt)}`,
      detail: [`submitted ${formatUkDate(i.submittedAt)} by ${i.requesterName}`, i.acceptedBy ? `accepted by ${i.acceptedBy}` : '', labelOf(profile.requestForm.urgencies, i.urgency)].filter(Boolean).join(' · '),
    })),
  };
}

export const renderRequestListCard = (data: RequestListCardData): AdaptiveCard => expand(template, data);
