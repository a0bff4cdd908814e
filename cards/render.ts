/** Shared card plumbing: expand a template with typed data, keep actions Submit-safe, fit the size. */
import { Template } from 'adaptivecards-templating';
import { characterCount, isPairAt } from '../services/text';

export type AdaptiveCard = Record<string, unknown> & { type: 'AdaptiveCard'; version: string };

/** A notice's container style: what was done is good news, what was refused needs attention. */
export type NoticeTone = 'good' | 'attention';

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
  // adaptive-expressions finds a property of a plain object by listing and lower-casing all its keys,
  // but asks a Map for the exact key first. Most lookups are of the data's top-level fields: as a Map
  // they make the same card with a third less garbage (the Re-think card's expansion, 338 → 219 KB).
  const card = compiled.expand({ $root: new Map(Object.entries(data)) }) as AdaptiveCard;
  return withSubmitFallbacks({ fallbackText: FALLBACK_TEXT, ...card });
}

/** What a Teams client that can't show a version 1.5 card (some mobile builds) says instead. */
export const FALLBACK_TEXT = 'A Re-think card. If it doesn’t show here, please open this chat in Teams on a computer, or update the Teams app.';

export const TOO_LONG_TO_KEEP = 'Something you typed was over its limit and too long to keep on this card, so it couldn’t be put back. Please type it again, shorter.';

/** No date, time or choice Teams sends is longer than this. */
const MAX_CHOICE_CHARS = 100;

/**
 * How much more than its limit a multi-line box lets in: Teams cuts text pasted past a box's
 * maxLength without a word, so the box leaves room and Re-think refuses what is over the limit,
 * saying so and keeping what was typed to shorten.
 */
export const PASTE_ROOM = 2;

const overLong = (node: Record<string, unknown>): boolean => {
  if (typeof node.type !== 'string' || !node.type.startsWith('Input.') || typeof node.value !== 'string') return false;
  const room = node.isMultiline === true ? PASTE_ROOM : 1;
  const max = node.type === 'Input.Text' && typeof node.maxLength === 'number' ? node.maxLength / room : MAX_CHOICE_CHARS;
  return node.value.length > max;
};

/**
 * What someone typed is put back on the card when something needs correcting; only a client that
 * ignores an input's limits can send more. For a card too large for Teams, what is over its limit is
 * left off and the card says so; a card with nothing over its limit is returned as it is.
 */
function leavingOffOverLong(card: AdaptiveCard): AdaptiveCard {
  const inputs = [...inputNodes(card)].filter(overLong);
  if (inputs.length === 0) return card;
  for (const input of inputs) delete input.value;
  const body = Array.isArray(card.body) ? card.body : [];
  return { ...card, body: [{ type: 'TextBlock', text: TOO_LONG_TO_KEEP, wrap: true, color: 'Attention', weight: 'Bolder' }, ...body] };
}

function* inputNodes(node: unknown): Generator<Record<string, unknown>> {
  if (Array.isArray(node)) {
    for (const item of node) yield* inputNodes(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const object = node as Record<string, unknown>;
  yield object;
  for (const value of Object.values(object)) yield* inputNodes(value);
}

/** A card of a fixed layout, within Teams' size limit, or an error: never sent too large. */
export function fitted(card: AdaptiveCard): AdaptiveCard {
  const measured = cardBytes(card);
  if (measured <= MAX_CARD_BYTES) return card;
  const kept = leavingOffOverLong(card);
  const bytes = kept === card ? measured : cardBytes(kept);
  if (bytes > MAX_CARD_BYTES) throw new CardTooLargeError(bytes);
  return kept;
}

export const cardBytes = (card: object): number => Buffer.byteLength(JSON.stringify(card), 'utf8');

/**
 * Also removes nulls. Where a client cannot run Action.Execute it runs the fallback, an
 * Action.Submit that carries the verb in its data; the bot routes both the same way. The expanded
 * card is a fresh object, so it is changed in place.
 */
function withSubmitFallbacks<T>(node: T): T {
  if (Array.isArray(node)) {
    node.forEach(withSubmitFallbacks);
    return node;
  }
  if (node === null || typeof node !== 'object') return node;
  const object = node as Record<string, unknown>;
  // for…in rather than Object.entries: no array per node (the card is plain JSON, nothing inherited).
  for (const key in object) {
    // A `$when` that is false on an object-valued property leaves null behind: drop it.
    if (object[key] === null) delete object[key];
    else withSubmitFallbacks(object[key]);
  }
  if (object.type === 'Action.Execute' && typeof object.verb === 'string' && object.fallback === undefined) {
    const data = typeof object.data === 'object' && object.data !== null ? object.data : {};
    object.fallback = { type: 'Action.Submit', title: object.title, data: { ...data, verb: object.verb } };
  }
  return node;
}

/**
 * At most `max` characters, counted as limits count them (an emoji is one), ending "…" when cut:
 * never in half an emoji (a surrogate pair), nor after a joiner waiting for what it joined.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max || characterCount(text) <= max) return text;
  let end = 0;
  for (let kept = 0; kept < max - 1; kept++) end += isPairAt(text, end) ? 2 : 1;
  while (end > 0 && text.charAt(end - 1) === '\u200D') end -= 1;
  return `${text.slice(0, end).trimEnd()}…`;
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
 * choice lists by short keys rather than Teams ids (see `participantKey`) and lists fewer of the
 * long things; `minimal` gives up whatever else it can and says so (the record keeps everything).
 */
export type Fit = 'full' | 'compact' | 'tight' | 'minimal';

const FITS: readonly Fit[] = ['full', 'compact', 'tight', 'minimal'];

/**
 * For cards whose lists can shrink (a case's earlier Re-thinks, a request's questions) beside text
 * people wrote for them (a request's summary, an escalation's reason): each fit is tried with text at
 * its longest first, so the lists give way before a word of that text does. Only when no fit is small
 * enough so is text shortened too (`fitToSize`).
 */
export function fitListsFirst(render: (textLimit: number, fit: Fit) => AdaptiveCard): AdaptiveCard {
  for (const fit of FITS) {
    const card = render(TEXT_LIMITS[0] as number, fit);
    if (cardBytes(card) <= MAX_CARD_BYTES) return card;
  }
  return fitToSize(render, FITS);
}

/**
 * Renders with the longest text limit that keeps the card within size: long contributions are
 * summarised on the card, while the record keeps every word. For very large groups the per-person
 * lists are shortened too. A card Teams would reject is an error, never sent.
 */
export function fitToSize(render: (textLimit: number, fit: Fit) => AdaptiveCard, fits: readonly Fit[] = FITS): AdaptiveCard {
  let bytes = 0;
  // Only when nothing else fits is typed text over its limit left off (the second pass: every
  // rendering was too large in the first).
  for (const keep of [(card: AdaptiveCard) => card, leavingOffOverLong]) {
    const attempt = (limit: number, fit: Fit): AdaptiveCard | undefined => {
      const card = keep(render(limit, fit));
      bytes = cardBytes(card);
      return bytes <= MAX_CARD_BYTES ? card : undefined;
    };
    for (const fit of fits) {
      // Most cards fit whole. Otherwise a shorter limit never makes a larger card, so a fit that is
      // too large even at the shortest is passed over, and the longest limit that fits is found by
      // halving (a crowded card is costly to render: a few renders rather than dozens).
      const whole = attempt(TEXT_LIMITS[0] as number, fit);
      if (whole) return whole;
      let fitting = attempt(TEXT_LIMITS[TEXT_LIMITS.length - 1] as number, fit);
      if (!fitting) continue;
      let [tooLarge, best] = [0, TEXT_LIMITS.length - 1];
      while (best - tooLarge > 1) {
        const middle = (tooLarge + best) >> 1;
        const card = attempt(TEXT_LIMITS[middle] as number, fit);
        if (card) [best, fitting] = [middle, card];
        else tooLarge = middle;
      }
      return fitting;
    }
  }
  throw new CardTooLargeError(bytes);
}
