/** Shared card plumbing: expand a template with typed data, keep actions Submit-safe, fit the size. */
import { Template } from 'adaptivecards-templating';

export type AdaptiveCard = Record<string, unknown> & { type: 'AdaptiveCard'; version: string };

/** Teams rejects cards over 28 KB: leave headroom for the activity envelope. */
export const MAX_CARD_BYTES = 27_000;

/** Parsing a template's expressions costs ~20 ms; expanding a parsed one ~2 ms: parse each once. */
const parsed = new WeakMap<object, Template>();

export function expand<T extends object>(template: object, data: T): AdaptiveCard {
  let compiled = parsed.get(template);
  if (!compiled) {
    compiled = new Template(template);
    parsed.set(template, compiled);
  }
  const card = compiled.expand({ $root: data }) as AdaptiveCard;
  const overLong: Record<string, unknown>[] = [];
  withSubmitFallbacks(card, overLong);
  return overLong.length > 0 ? withoutWhatCannotBeKept(card, overLong) : card;
}

export const TOO_LONG_TO_KEEP = 'Something you typed was far longer than its box allows, so it couldn’t be kept on the card. Please type it again, shorter.';

/**
 * What someone typed is put back on the card when something needs correcting; only a client that
 * ignores an input's maxLength can send more. Text far over it would make a card Teams rejects, so
 * then it is left off and the card says so.
 */
function withoutWhatCannotBeKept(card: AdaptiveCard, overLong: Record<string, unknown>[]): AdaptiveCard {
  if (cardBytes(card) <= MAX_CARD_BYTES) return card;
  for (const input of overLong) delete input.value;
  const body = Array.isArray(card.body) ? card.body : [];
  return { ...card, body: [{ type: 'TextBlock', text: TOO_LONG_TO_KEEP, wrap: true, color: 'Attention', weight: 'Bolder' }, ...body] };
}

export const cardBytes = (card: object): number => Buffer.byteLength(JSON.stringify(card), 'utf8');

/**
 * Also removes nulls, and collects text inputs holding more than their maxLength. Where a client cannot run Action.Execute it runs the fallback, an
 * Action.Submit that carries the verb in its data; the bot routes both the same way. The expanded
 * card is a fresh object, so it is changed in place.
 */
function withSubmitFallbacks(node: unknown, overLong: Record<string, unknown>[]): void {
  if (Array.isArray(node)) {
    for (const item of node) withSubmitFallbacks(item, overLong);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const object = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(object)) {
    // A `$when` that is false on an object-valued property leaves null behind: drop it.
    if (value === null) delete object[key];
    else withSubmitFallbacks(value, overLong);
  }
  if (object.type === 'Input.Text' && typeof object.value === 'string' && typeof object.maxLength === 'number' && object.value.length > object.maxLength) overLong.push(object);
  if (object.type === 'Action.Execute' && typeof object.verb === 'string' && object.fallback === undefined) {
    const data = typeof object.data === 'object' && object.data !== null ? object.data : {};
    object.fallback = { type: 'Action.Submit', title: object.title, data: { ...data, verb: object.verb } };
  }
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1)).trimEnd()}…`;
}

export class CardTooLargeError extends Error {
  constructor(readonly bytes: number) {
    super(`The card is ${bytes} bytes even at its most compact; Teams accepts ${MAX_CARD_BYTES}.`);
    this.name = 'CardTooLargeError';
  }
}

const TEXT_LIMITS = [4000, 2000, 1200, 800, 500, 300, 200, 120, 80, 40];

/**
 * How much a card gives up to fit: `compact` shows people by name alone; `tight` also names them in
 * choice lists by short keys rather than Teams ids (see `participantKey`).
 */
export type Fit = 'full' | 'compact' | 'tight';

/**
 * Renders with the longest text limit that keeps the card within size: long contributions are
 * summarised on the card, while the record keeps every word. For very large groups the per-person
 * lists are shortened too. A card Teams would reject is an error, never sent.
 */
export function fitToSize(render: (textLimit: number, fit: Fit) => AdaptiveCard): AdaptiveCard {
  let bytes = 0;
  for (const fit of ['full', 'compact', 'tight'] as const) {
    for (const limit of TEXT_LIMITS) {
      const card = render(limit, fit);
      bytes = cardBytes(card);
      if (bytes <= MAX_CARD_BYTES) return card;
    }
  }
  throw new CardTooLargeError(bytes);
}
