import type { PartnershipProfile } from '../profile/types';
import { ok, refuse, type Result } from '../result';
import { DAY_MS } from './bankHolidays';
import { characterCount, DASHES } from '../text';

/** A month's name or its abbreviation, whole (not the start of a longer word: "Mayfield", "Market"). */
const MONTH = '(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sept?(ember)?|oct(ober)?|nov(ember)?|dec(ember)?)(?![a-z])';
const DAY = '\\d{1,2}(st|nd|rd|th)?';
/** A year as a date of birth has one: 19xx, 20xx, or two digits (not the 0042 of a reference). */
const YEAR = '((19|20)\\d{2}|\\d{2})(?!\\d)';
/** Between a date's parts, when it has a year: nothing at all (12Mar2015, as some systems print it), or a space, slash, dot or hyphen. */
const APART = '[\\s/.-]?';
const DATE_LIKE = [
  /\b\d{1,2}[/.\s-]\d{1,2}[/.\s-]\d{2,4}\b/,
  /\b\d{4}[/.-]\d{1,2}[/.-]\d{1,2}\b/,
  // 12 March, 12th Mar 15, 1st Sept 2015
  new RegExp(`(?<![a-z0-9])${DAY}\\s+${MONTH}`, 'i'),
  // 12-Mar-2015, 12/Mar/2015, 12Mar2015 (run together or hyphenated, only with a year: NOV/26/01234 is a reference)
  new RegExp(`(?<![a-z0-9])${DAY}${APART}${MONTH}${APART}${YEAR}`, 'i'),
  // March 12th
  new RegExp(`(?<![a-z])${MONTH}\\s+${DAY}\\b`, 'i'),
  // Mar-12-2015 (the day and year apart: DEC-2026 is no date)
  new RegExp(`(?<![a-z])${MONTH}${APART}${DAY}[\\s/.-]${YEAR}`, 'i'),
  // 2015-Mar-12
  new RegExp(`(?<![a-z0-9])(19|20)\\d{2}${APART}${MONTH}${APART}\\d{1,2}(?!\\d)`, 'i'),
];
const NAME_LIKE = /^\p{L}[\p{L}'’ .-]*$/u;

/** The longest case reference taken (the start form's box allows as many). */
export const MAX_REFERENCE = 64;

/** Quotes and brackets around a reference, and sentence punctuation after it. */
const SURROUNDING = /^[\s"'“”‘’«»([{<]+|[\s"'“”‘’«»)\]}>.,;:!?]+$/gu;

export const looksLikeDate = (value: string): boolean => DATE_LIKE.some((pattern) => pattern.test(value));
export const looksLikeName = (value: string): boolean => NAME_LIKE.test(value);

/**
 * References are kept in capitals. The whole value must be the reference, whether or not the
 * profile's pattern is anchored: otherwise a name typed around a valid reference would be kept with it.
 * Matched whatever the case of the pattern's letters: a partnership writing `[a-c]` means the letters,
 * and the reference it checks is always in capitals.
 */
export const matchesCaseReference = (pattern: string, normalised: string): boolean => new RegExp(`^(?:${pattern})$`, 'i').test(normalised);

/**
 * A pseudonymous case reference, never a name or date of birth: refused with the reason.
 * `recorded`: looking up what is held (an administrator's export or erasure), where a reference
 * recorded under an earlier pattern must still be found: any other shape is accepted then.
 */
export function checkCaseReference(input: string, profile: Pick<PartnershipProfile, 'caseReference'>, { recorded = false } = {}): Result<string> {
  const example = profile.caseReference.example;
  // Far longer than any reference: refused before anything is run on it.
  if (input.length > 4 * MAX_REFERENCE) return refuse('invalidInput', `That is too long for a case reference. It should look like ${example}.`);
  // As pasted from a document or web page: look-alike hyphens and digits, and invisible characters.
  // Typed in a sentence or pasted from a letter: quotes or brackets around it, a full stop after it.
  const value = input
    .normalize('NFKC')
    .replace(/\p{Cf}/gu, '')
    .replace(DASHES, '-')
    .trim()
    .replace(SURROUNDING, '')
    .trim();
  if (value === '') return refuse('invalidInput', `Please enter the case reference, for example ${example}.`);
  if (looksLikeDate(value)) {
    return refuse('invalidInput', `That looks like a date. Please don’t enter a child’s date of birth: use the pseudonymous case reference, for example ${example}.`);
  }
  // Before the pattern: however loosely a partnership writes it, a name is never taken for a new
  // reference. Looking up what is held, a one-word reference recorded under an earlier pattern
  // (letters only, as some allowed) must still be found; a name as people write it has a space.
  if (looksLikeName(value) && (!recorded || /\s/.test(value))) {
    return refuse('invalidInput', `That isn’t a case reference: it has no digits, so it could be a name, and names aren’t recorded. Please use the pseudonymous case reference, for example ${example}.`);
  }
  // No reference is this long, and a partnership's pattern is never run on more.
  if (value.length > MAX_REFERENCE) return refuse('invalidInput', `That is too long for a case reference. It should look like ${example}.`);
  const normalised = value.toUpperCase();
  if (matchesCaseReference(profile.caseReference.pattern, normalised)) return ok(normalised);
  // Spaced out as in some letters ("PSCP 2026 0042"): taken only if that is the pattern's shape.
  const dashed = normalised.replace(/\s+/g, '-');
  if (dashed !== normalised && matchesCaseReference(profile.caseReference.pattern, dashed)) return ok(dashed);
  if (recorded) return ok(normalised);
  return refuse('invalidInput', `That isn’t a case reference Re-think recognises. It should look like ${example}.`);
}

/**
 * Trimmed text within a length limit. `label` asks for the field ("Please enter a role"); `called`
 * names it when it is too long ("Your role is …"), where the label would read oddly. `recorded`: what
 * is already recorded for this field, kept as it is even over a limit lowered since.
 */
export function checkText(input: string, label: string, max: number, { required = true, called = capitalise(label), recorded }: { required?: boolean; called?: string; recorded?: string | undefined } = {}): Result<string> {
  const value = input.trim();
  if (recorded !== undefined && value === recorded && value !== '') return ok(value);
  if (required && value === '') return refuse('invalidInput', `Please enter ${label}.`);
  const characters = characterCount(value);
  if (characters > max) {
    return refuse('invalidInput', `${called} is ${characters.toLocaleString('en-GB')} characters long; the limit is ${max.toLocaleString('en-GB')}. Please shorten it and try again.`);
  }
  return ok(value);
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

// Building a DateTimeFormat is far costlier than using one: build each once.
const IN_LONDON = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });
const UK_LONG_DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
const UK_WEEKDAY = new Intl.DateTimeFormat('en-GB', { weekday: 'long', timeZone: 'Europe/London' });

/** Today's date where the partnership works, as YYYY-MM-DD (from its parts: no locale's order is relied on). */
export function ukToday(now: Date): string {
  const parts = IN_LONDON.formatToParts(now);
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year').padStart(4, '0')}-${part('month')}-${part('day')}`;
}

/** A date written YYYY-MM-DD that exists: 30 February, which Date takes as 2 March, doesn't. */
export function isRealDate(value: string): boolean {
  if (!ISO_DATE.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/**
 * `keptDays`: how long Re-think keeps a record after its last change (the partnership's retention).
 * A date beyond it would be deleted, unreminded, before it came: refused when that is nearer than two years.
 */
export function checkDueDate(input: string, now: Date, keptDays = Infinity): Result<string> {
  const value = input.trim();
  if (value === '') return refuse('invalidInput', 'Please choose a due date for the action.');
  if (!isRealDate(value)) return refuse('invalidInput', 'The due date must be a real date: please choose it from the calendar.');
  if (value < ukToday(now)) return refuse('invalidInput', 'The due date is in the past. Please choose today or a later date.');
  if (value > yearsAhead(now, 2)) return refuse('invalidInput', `The due date, ${formatUkDate(value)}, is more than two years away. Please check the year.`);
  const kept = keptUntil(now, keptDays);
  if (kept && value > kept) {
    return refuse('invalidInput', `The due date, ${formatUkDate(value)}, is later than Re-think keeps its records (${keptDays} days), so it couldn’t be followed up. Please choose a date by ${formatUkDate(kept)}, and keep anything longer in your own agency’s records.`);
  }
  return ok(value);
}

/** The last date a record changed today is still kept (YYYY-MM-DD), with `keptDays` of retention; none if kept for ever. */
export function keptUntil(now: Date, keptDays: number): string | undefined {
  return Number.isFinite(keptDays) ? new Date(Date.parse(`${ukToday(now)}T00:00:00Z`) + (keptDays - 1) * DAY_MS).toISOString().slice(0, 10) : undefined;
}

/** The date `years` from today where the partnership works (YYYY-MM-DD): beyond it, a date is likely a slip of the year. */
export function yearsAhead(now: Date, years: number): string {
  const today = ukToday(now);
  return `${String(Number(today.slice(0, 4)) + years).padStart(4, '0')}${today.slice(4)}`;
}

const UK_TIME = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/London' });

/** The time of day where the partnership works, e.g. 14:05. */
export const formatUkTime = (iso: string): string => UK_TIME.format(new Date(iso));

export function formatUkDate(isoDate: string): string {
  const date = new Date(isoDate.length === 10 ? `${isoDate}T12:00:00Z` : isoDate);
  return UK_LONG_DATE.format(date);
}

/** A day people will act on, with its weekday, so a slip in a date picker shows: Monday 6 July 2026. */
export function formatUkDay(isoDate: string): string {
  const date = new Date(isoDate.length === 10 ? `${isoDate}T12:00:00Z` : isoDate);
  return `${UK_WEEKDAY.format(date)} ${UK_LONG_DATE.format(date)}`;
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
