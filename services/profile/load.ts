import { readFileSync } from 'node:fs';
import { BANK_HOLIDAY_REGIONS } from '../rethink/bankHolidays';
import { isRealDate, looksLikeDate, looksLikeName, matchesCaseReference, MAX_REFERENCE } from '../rethink/validation';
import type { PartnershipProfile } from './types';

export class ProfileError extends Error {
  constructor(readonly file: string, readonly problems: readonly string[]) {
    super(`The partnership profile ${file} has ${problems.length} problem(s):\n- ${problems.join('\n- ')}`);
    this.name = 'ProfileError';
  }
}

/** Reads and validates a profile file; every problem is reported at once, with its JSON path. */
export function loadProfile(file: string): PartnershipProfile {
  let raw: unknown;
  let source = '';
  try {
    source = readFileSync(file, 'utf8');
    raw = JSON.parse(source);
  } catch (error) {
    throw new ProfileError(file, [`cannot be read as JSON: ${withLineAndColumn((error as Error).message, source)}`]);
  }
  const problems = validateProfile(raw);
  if (problems.length > 0) throw new ProfileError(file, problems);
  return raw as PartnershipProfile;
}

/** Node 20 says where JSON broke as a character position; an editor shows lines and columns. */
function withLineAndColumn(message: string, source: string): string {
  const at = /at position (\d+)/.exec(message);
  if (!at || /\(line \d+/.test(message)) return message;
  const before = source.slice(0, Number(at[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${message} (line ${line}, column ${column})`;
}

type Check = (value: unknown, at: string, problems: string[]) => void;

/** 2^31 - 1 seconds, Cosmos DB's largest time to live, in whole days. */
export const MAX_RETENTION_DAYS = 24_855;

const text: Check = (v, at, p) => {
  if (typeof v !== 'string' || v.trim() === '') p.push(`${at} must be non-empty text`);
};
const url: Check = (v, at, p) => {
  if (typeof v !== 'string' || !/^https:\/\/\S+$/.test(v)) p.push(`${at} must be an https:// address`);
};
/** Checked when given: the app runs without it (the Teams app package needs it, and says so). */
const optional = (check: Check): Check => (v, at, p) => {
  if (v !== undefined) check(v, at, p);
};
const positive: Check = (v, at, p) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) p.push(`${at} must be a whole number above 0`);
};
const object = (shape: Record<string, Check>): Check => (v, at, p) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    p.push(`${at} must be an object`);
    return;
  }
  for (const [key, check] of Object.entries(shape)) check((v as Record<string, unknown>)[key], `${at}.${key}`, p);
  // A misspelt optional setting would otherwise be ignored in silence, and its default used.
  for (const key of Object.keys(v)) {
    if (Object.hasOwn(shape, key) || key.startsWith('$') || key.startsWith('_')) continue;
    const near = Object.keys(shape).find((known) => known.toLowerCase() === key.toLowerCase() || editDistance(known.toLowerCase(), key.toLowerCase()) <= 2);
    p.push(`${at}.${key} is not a setting Re-think knows${near ? `: did you mean ${at}.${near}?` : ''} (a note for people may be kept under a name starting with _)`);
  }
};

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
const list = (item: Check, { min = 1, max = Infinity } = {}): Check => (v, at, p) => {
  if (!Array.isArray(v)) {
    p.push(`${at} must be a list`);
    return;
  }
  if (v.length < min || v.length > max) p.push(min === max ? `${at} must hold exactly ${min} entries` : `${at} must hold between ${min} and ${max === Infinity ? 'any number of' : max} entries`);
  v.forEach((entry, i) => item(entry, `${at}[${i}]`, p));
};
const regex: Check = (v, at, p) => {
  text(v, at, p);
  if (typeof v === 'string') {
    try {
      new RegExp(v);
      if (nestedRepetition(v)) p.push(`${at} repeats a group that itself repeats or holds alternatives, such as ([A-Z0-9]+-?)+ or (\\d|\\w)+: matching text against it can take minutes and stop Re-think answering. Write each part once, such as [A-Z]{4}-[0-9]{4}-[0-9]{4}`);
    } catch {
      p.push(`${at} is not a valid regular expression`);
    }
  }
};

/**
 * Whether a pattern repeats a group in a way that makes a backtracking match take exponential time on
 * text that nearly matches: a group holding a repetition (`(a+)+`, `(\\w*-?)*`), or alternatives
 * (`(\\d|\\w)+`), itself repeated. A group that starts with a fixed character (`(-[0-9]+)+`) is
 * safe: each repeat must begin at that character, so there is only one way to split the text.
 */
export function nestedRepetition(pattern: string): boolean {
  interface Group {
    repeats: boolean;
    alternatives: boolean;
    /** Its first atom is one fixed character, always there. */
    fixedStart: boolean;
    atoms: number;
  }
  const open: Group[] = [];
  let group: Group = { repeats: false, alternatives: false, fixedStart: false, atoms: 0 };
  // What follows an atom: whether it may repeat a varying number of times, whether it may be left out, and how long the quantifier is.
  const quantifierAt = (i: number): { repeats: boolean; optional: boolean; length: number } => {
    const c = pattern[i];
    if (c === '+') return { repeats: true, optional: false, length: pattern[i + 1] === '?' ? 2 : 1 };
    if (c === '*') return { repeats: true, optional: true, length: pattern[i + 1] === '?' ? 2 : 1 };
    if (c === '?') return { repeats: false, optional: true, length: 1 };
    const counted = /^\{(\d+)(,(\d*))?\}\??/.exec(pattern.slice(i));
    if (!counted) return { repeats: false, optional: false, length: 0 };
    // A fixed count ({4}) backtracks no more than writing it out would: only a range is a repetition here.
    const least = Number(counted[1]);
    const most = counted[2] === undefined ? least : counted[3] === '' ? Infinity : Number(counted[3]);
    return { repeats: most > least && most > 1, optional: least === 0, length: counted[0].length };
  };
  const atom = (fixed: boolean, i: number): number => {
    const q = quantifierAt(i);
    if (group.atoms === 0) group.fixedStart = fixed && !q.optional && !q.repeats;
    group.atoms++;
    if (q.repeats) group.repeats = true;
    return q.length;
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      // \d, \w, \s and the like are classes; any other escape is the character itself.
      const next = pattern[i + 1] ?? '';
      i += 1 + atom(!/[dDwWsSbBpPuxc0-9]/.test(next), i + 2);
      continue;
    }
    if (c === '[') {
      // A character class: its contents are one atom.
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
      i += atom(false, i + 1);
      continue;
    }
    if (c === '(') {
      open.push(group);
      group = { repeats: false, alternatives: false, fixedStart: false, atoms: 0 };
      if (pattern[i + 1] === '?') i += pattern[i + 2] === '<' && pattern[i + 3] !== '=' && pattern[i + 3] !== '!' ? pattern.indexOf('>', i) - i : 2;
      continue;
    }
    if (c === '|') {
      group.alternatives = true;
      group.atoms = 0;
      continue;
    }
    if (c === ')') {
      const inner = group;
      group = open.pop() ?? { repeats: false, alternatives: false, fixedStart: false, atoms: 0 };
      const q = quantifierAt(i + 1);
      if (q.repeats && ((inner.repeats && !inner.fixedStart) || inner.alternatives)) return true;
      if (group.atoms === 0) group.fixedStart = false;
      group.atoms++;
      if (q.repeats || inner.repeats) group.repeats = true;
      i += q.length;
      continue;
    }
    if (c === '^' || c === '$') continue;
    i += atom(c !== '.', i + 1);
  }
  return false;
}
const choices: Check = (v, at, p) => {
  list(object({ id: text, label: text }))(v, at, p);
  if (Array.isArray(v)) {
    const ids = v.map((c: { id?: unknown }) => c?.id);
    if (new Set(ids).size !== ids.length) p.push(`${at} has repeated ids`);
  }
};

const oneOf = (allowed: readonly string[]): Check => (v, at, p) => {
  if (typeof v !== 'string' || !allowed.includes(v)) p.push(`${at} must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
};
/** A real calendar date, written YYYY-MM-DD. */
const isoDate: Check = (v, at, p) => {
  if (typeof v !== 'string' || !isRealDate(v)) p.push(`${at} must be a date written YYYY-MM-DD, such as 2027-06-07`);
};

const profileShape = object({
  partnership: object({ name: text, shortName: text, guidanceUrl: url, escalationProtocolUrl: url, escalationProtocolName: text, escalationProtocolShortName: text, publisherName: optional(text), websiteUrl: optional(url), privacyUrl: optional(url), termsOfUseUrl: optional(url) }),
  caseReference: object({ pattern: regex, example: text, hint: text }),
  retentionDays: (v, at, p) => {
    positive(v, at, p);
    // Cosmos DB keeps a TTL in seconds as a 32-bit number: beyond this, every save would be refused.
    if (typeof v === 'number' && v > MAX_RETENTION_DAYS) p.push(`${at} must be at most ${MAX_RETENTION_DAYS} days (about 68 years), the longest Cosmos DB can keep a record for`);
  },
  limits: object({ contributionMaxLength: positive, summaryMaxLength: positive, actionMaxLength: positive, nameMaxLength: positive }),
  stages: list(object({ title: text, prompt: text }), { min: 5, max: 5 }),
  strategies: list(object({ number: positive, title: text, description: text, facilitatedBy: text, options: list(text) }), { min: 3, max: 3 }),
  strategyQuestions: object({ isLeadProfessional: text, raisedWithLeadProfessional: text, groupMeetingHeld: text }),
  concernCategories: choices,
  tiersOfNeed: choices,
  escalationStages: list(text),
  reminders: object({
    openRethinkDays: positive,
    actionDueSoonDays: positive,
    requestWaitingDays: optional(positive),
    bankHolidays: optional(oneOf(BANK_HOLIDAY_REGIONS)),
    closedDays: optional(list(isoDate, { min: 0 })),
  }),
  requestForm: object({ planTypes: choices, urgencies: choices, formats: choices, familyAware: choices, managerAgrees: choices }),
});

function validateProfile(raw: unknown): string[] {
  const problems: string[] = [];
  profileShape(raw, 'profile', problems);
  const strategies = (raw as { strategies?: { number?: unknown }[] } | null)?.strategies;
  if (Array.isArray(strategies) && strategies.some((s, i) => s?.number !== i + 1)) {
    problems.push('profile.strategies must be strategies 1, 2 and 3, in that order');
  }
  const profile = raw as Partial<PartnershipProfile> | null;
  const pattern = profile?.caseReference?.pattern;
  const example = profile?.caseReference?.example;
  // The example must be a reference the app itself accepts, or no Re-think could ever be started.
  if (typeof pattern === 'string' && typeof example === 'string' && problems.length === 0) {
    if (looksLikeDate(example.trim())) {
      problems.push('profile.caseReference.example looks like a date, and Re-think refuses anything that looks like a date (to keep dates of birth out): choose a reference format that does not');
    } else if (looksLikeName(example.trim())) {
      problems.push('profile.caseReference.example is letters only, and Re-think refuses anything that looks like a person’s name (to keep names out): choose a reference format with digits in it');
    } else if (example.trim().length > MAX_REFERENCE) {
      problems.push(`profile.caseReference.example is longer than the ${MAX_REFERENCE} characters Re-think takes for a case reference`);
    } else if (!matchesCaseReference(pattern, example.trim().toUpperCase())) {
      problems.push('profile.caseReference.pattern must match the whole of profile.caseReference.example written in capitals (Re-think keeps references in capitals, so the pattern must accept them)');
    }
  }
  return problems;
}
