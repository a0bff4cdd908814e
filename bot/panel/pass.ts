/**
 * A membership pass: Teams said, at most PASS_SECONDS ago, that this person is in this meeting (or
 * chat) with this role. A panel polls every few seconds; asking Teams each time would spend the
 * bot's Teams rate limit (a few requests a second per conversation) on one meeting's viewers. The
 * pass rides in the ETag the page already sends back with each poll, signed with a key every
 * instance shares (services/store/panelPassKey.ts), so any instance trusts it and nothing is held
 * in memory. Reads within its time are answered from it; every change a person makes asks Teams afresh.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long after a check Teams is asked again: removal from a meeting hides it within this. */
export const PASS_SECONDS = 30;

export interface Pass {
  /** Who Teams says the person is in the chat, and their meeting role ('' outside a meeting). */
  readonly actorId: string;
  readonly role: string;
  /** Seconds since 1970. */
  readonly expires: number;
}

/** What a pass is good for: this person, signed in from this tenant, in this chat's meeting. */
export interface PassScope {
  readonly chatId: string;
  readonly meetingId: string;
  readonly aadObjectId: string;
  readonly tenantId: string;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');
const unb64 = (text: string): string => Buffer.from(text, 'base64url').toString('utf8');
const B64 = /^[A-Za-z0-9_-]*$/;

function signature(key: Buffer, scope: PassScope, pass: Pass): Buffer {
  const fields = [scope.chatId, scope.meetingId, scope.aadObjectId, scope.tenantId, pass.actorId, pass.role, String(pass.expires)];
  // Length-prefixed, so no two different sets of fields sign the same text.
  return createHmac('sha256', key)
    .update(fields.map((f) => `${f.length}:${f}`).join('|'))
    .digest();
}

export const newPass = (actorId: string, role: string, now: Date): Pass => ({ actorId, role, expires: Math.floor(now.getTime() / 1000) + PASS_SECONDS });

export function writePass(key: Buffer, scope: PassScope, pass: Pass): string {
  return [b64(pass.actorId), b64(pass.role), String(pass.expires), signature(key, scope, pass).toString('base64url')].join('.');
}

/**
 * The pass, if this text is one signed for this scope and still in time; otherwise nothing. Only
 * the one spelling `writePass` makes is accepted, so a pass compares equal wherever it is compared.
 */
export function readPass(key: Buffer, scope: PassScope, text: string, now: Date): Pass | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => B64.test(p))) return undefined;
  const [actorId, role, expires] = parts as [string, string, string, string];
  if (!/^\d{1,12}$/.test(expires)) return undefined;
  const pass: Pass = { actorId: unb64(actorId), role: unb64(role), expires: Number(expires) };
  if (pass.expires * 1000 <= now.getTime()) return undefined;
  const given = Buffer.from(text, 'utf8');
  const expected = Buffer.from(writePass(key, scope, pass), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected) ? pass : undefined;
}
