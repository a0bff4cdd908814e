/** Small text helpers shared by the domain and the bot, each linear in the text's length. */

/**
 * The same name or agency however it was typed: a straight or curly apostrophe, a hyphen or the dash
 * Word and Outlook make of it (spaced or not), a double or no-break space, an invisible character or
 * full-width letters make no difference. Kept text stays as typed; only comparisons use this.
 */
export const textKey = (text: string): string =>
  text
    // Before NFKC, which makes ´ a space and a combining accent.
    .replace(/[‘’ʼ`´′]/g, "'")
    .normalize('NFKC')
    .replace(/\p{Cf}/gu, '')
    .replace(DASHES, '-')
    .replace(/\s+/g, ' ')
    .replace(/ ?- ?/g, '-')
    .trim()
    .toLocaleLowerCase('en-GB');

/**
 * How many characters people see counted: an emoji is one, not the two UTF-16 units JavaScript's
 * `length` counts. Never more than `length`, so a box's maxLength still bounds it.
 */
export function characterCount(text: string): number {
  let pairs = 0;
  for (let i = 0; i < text.length - 1; i++) {
    if (isPairAt(text, i)) {
      pairs += 1;
      i += 1;
    }
  }
  return text.length - pairs;
}

/** Whether the UTF-16 units at `i` and `i + 1` are one character (an emoji, say) together. */
export function isPairAt(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  const next = text.charCodeAt(i + 1);
  return code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
}

/** Half a surrogate pair: not a character at all (a cut made in the middle of one). */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Hyphens, the dashes Word and Outlook make of them, and the minus sign a spreadsheet or PDF may. */
export const DASHES = /[\p{Pd}\u2212]/gu;

/** Each value once, in its first spelling (see textKey). */
export function distinctText(values: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const value of values) {
    const key = textKey(value);
    if (!seen.has(key)) seen.set(key, value);
  }
  return [...seen.values()];
}

/**
 * The text without any of `leading` at its start or `trailing` at its end. A regular expression such
 * as /[.!?]+$/ backtracks through every run of those characters that isn't at the end: on a long
 * run in someone's message that takes time growing with the square of its length.
 */
export function trimChars(text: string, leading: string, trailing: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && leading.includes(text.charAt(start))) start += 1;
  while (end > start && trailing.includes(text.charAt(end - 1))) end -= 1;
  return text.slice(start, end);
}

/**
 * A case reference as part of a file name every file system (and OneDrive) accepts: any other
 * character becomes a hyphen, so EDN/26/01234 is EDN-26-01234 rather than a folder path.
 */
export function fileNamePart(caseReference: string): string {
  return caseReference
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
}

/** Ends with a full stop, unless it already ends a sentence (a question, say). */
export const sentence = (text: string): string => (/[.?!]$/.test(text) ? text : `${text}.`);

/** A command as people type it where they are: outside their own chat with it, Re-think hears only an @mention. */
export const typedCommand = (conversationKind: string, command: string): string => `**${conversationKind === 'personal' ? '' : '@Re-think '}${command}**`;
