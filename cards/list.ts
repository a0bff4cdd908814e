import type { RethinkListItem } from '../services/store/rethinks';
import { formatUkDate } from '../services/rethink/validation';
import template from './list.json';
import { expand, type AdaptiveCard } from './render';
import { OUTCOME_LABELS, STATUS_LABELS } from './wording';

export interface ListCardData {
  empty: boolean;
  items: { id: string; caseReference: string; strategy: string; detail: string; isOpen: boolean }[];
  moreNote: string;
}

/** `moreOpen`: open Re-thinks here left off the list. */
export function listCardData(items: readonly RethinkListItem[], moreOpen = false): ListCardData {
  return {
    empty: items.length === 0,
    moreNote: moreOpen ? 'More Re-thinks are open here than can be listed: these are the ones changed most recently.' : '',
    items: items.map((item) => ({
      id: item.id,
      caseReference: item.caseReference,
      strategy: item.strategy ? `Strategy ${item.strategy}` : 'Strategy to be chosen',
      detail: [
        STATUS_LABELS[item.status] ?? item.status,
        item.status === 'open' ? `stage ${item.stage} of 5` : '',
        item.outcome ? OUTCOME_LABELS[item.outcome.kind] : '',
        `last changed ${formatUkDate(item.updatedAt)}`,
      ]
        .filter(Boolean)
        .join(' · '),
      isOpen: item.status === 'open',
    })),
  };
}

export const renderListCard = (data: ListCardData): AdaptiveCard => expand(template, data);
