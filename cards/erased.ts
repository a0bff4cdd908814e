/**
 * What takes the place of Re-think's card about a record that has been erased, where a card must be
 * sent (an update of everyone's card found the record gone); elsewhere the erasure sends plain text.
 */
import template from './erased.json';
import { expand, type AdaptiveCard } from './render';

export interface ErasedCardData {
  text: string;
}

export const renderErasedCard = (text: string): AdaptiveCard => expand(template, { text } satisfies ErasedCardData);
