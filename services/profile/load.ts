import { readFileSync } from 'node:fs';
import { looksLikeDate, matchesCaseReference } from '../rethink/validation';
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
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ProfileError(file, [`cannot be read as JSON: ${(error as Error).message}`]);
  }
  const problems = validateProfile(raw);
  if (problems.length > 0) throw new ProfileError(file, problems);
  return raw as PartnershipProfile;
}

type Check = (value: unknown, at: string, problems: string[]) => void;

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
};
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
    } catch {
      p.push(`${at} is not a valid regular expression`);
    }
  }
};
const choices: Check = (v, at, p) => {
  list(object({ id: text, label: text }))(v, at, p);
  if (Array.isArray(v)) {
    const ids = v.map((c: { id?: unknown }) => c?.id);
    if (new Set(ids).size !== ids.length) p.push(`${at} has repeated ids`);
  }
};

const profileShape = object({
  partnership: object({ name: text, shortName: text, guidanceUrl: url, escalationProtocolUrl: url, escalationProtocolName: text, escalationProtocolShortName: text, publisherName: optional(text), websiteUrl: optional(url), privacyUrl: optional(url), termsOfUseUrl: optional(url) }),
  caseReference: object({ pattern: regex, example: text, hint: text }),
  retentionDays: positive,
  limits: object({ contributionMaxLength: positive, summaryMaxLength: positive, actionMaxLength: positive, nameMaxLength: positive }),
  stages: list(object({ title: text, prompt: text }), { min: 5, max: 5 }),
  strategies: list(object({ number: positive, title: text, description: text, facilitatedBy: text, options: list(text) }), { min: 3, max: 3 }),
  strategyQuestions: object({ isLeadProfessional: text, raisedWithLeadProfessional: text, groupMeetingHeld: text }),
  concernCategories: choices,
  tiersOfNeed: choices,
  escalationStages: list(text),
  reminders: object({ openRethinkDays: positive, actionDueSoonDays: positive }),
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
    } else if (!matchesCaseReference(pattern, example.trim().toUpperCase())) {
      problems.push('profile.caseReference.pattern must match the whole of profile.caseReference.example written in capitals (Re-think keeps references in capitals, so the pattern must accept them)');
    }
  }
  return problems;
}
