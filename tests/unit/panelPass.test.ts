/** The side panel's membership pass (bot/panel/pass.ts): only what it signed, for whom it signed it, in time. */
import { randomBytes } from 'node:crypto';
import { onceInTenMinutes } from '../../bot/panel/api';
import { newPass, PASS_SECONDS, readPass, writePass, type PassScope } from '../../bot/panel/pass';

const key = randomBytes(32);
const scope: PassScope = { chatId: '19:meeting_abc@thread.v2', meetingId: 'MCMjMCMjbWVldGluZw==', aadObjectId: '6e1f3c2a-0000-4000-8000-000000000001', tenantId: '72f988bf-0000-4000-8000-000000000002' };
const NOW = new Date('2026-11-27T10:00:00.000Z');
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

test('a pass reads back as written, until PASS_SECONDS have passed', () => {
  // A role with characters an ETag could not carry as they are.
  const pass = newPass('29:1abc|"x"', 'Presenter "co-organiser"', NOW);
  const text = writePass(key, scope, pass);
  expect(text).toMatch(/^[A-Za-z0-9_.-]+$/);
  expect(readPass(key, scope, text, later(PASS_SECONDS - 1))).toEqual(pass);
  expect(readPass(key, scope, text, later(PASS_SECONDS))).toBeUndefined();
});

test('a pass is good only for its own scope and key', () => {
  const text = writePass(key, scope, newPass('29:1abc', 'Attendee', NOW));
  for (const field of ['chatId', 'meetingId', 'aadObjectId', 'tenantId'] as const) {
    expect(readPass(key, { ...scope, [field]: `${scope[field]}x` }, text, NOW)).toBeUndefined();
  }
  expect(readPass(randomBytes(32), scope, text, NOW)).toBeUndefined();
});

test('a pass with any of its fields changed, or spelt another way, is not a pass', () => {
  const pass = newPass('29:1abc', 'Attendee', NOW);
  const text = writePass(key, scope, pass);
  const [id = '', role = '', expires = '', signature = ''] = text.split('.');
  const b64 = (s: string) => Buffer.from(s).toString('base64url');
  for (const changed of [
    [b64('29:1abd'), role, expires, signature],
    [id, b64('Organizer'), expires, signature],
    [id, role, String(Number(expires) + 3600), signature],
    // The same time written another way, and the same id with other unused bits at its end.
    [id, role, `0${expires}`, signature],
    [id.slice(0, -1) + (id.endsWith('A') ? 'B' : 'A'), role, expires, signature],
  ]) {
    expect(readPass(key, scope, changed.join('.'), NOW)).toBeUndefined();
  }
  // Fields are kept apart: the same letters split differently between chat and meeting sign differently.
  const split = writePass(key, { ...scope, chatId: 'ab', meetingId: 'c' }, pass);
  expect(readPass(key, { ...scope, chatId: 'a', meetingId: 'bc' }, split, NOW)).toBeUndefined();
});

test.each([
  ['nothing', ''],
  ['too few parts', 'a.b.c'],
  ['too many parts', 'a.b.1.d.e'],
  ['characters outside base64url', 'a+.b.1.d'],
  ['a time that is not a number', 'YQ.Yg.soon.ZA'],
  ['a time written as an exponent', 'YQ.Yg.9e12.ZA'],
  ['no signature', 'YQ.Yg.9999999999.'],
])('%s is not a pass', (_name, text) => {
  expect(readPass(key, scope, text, NOW)).toBeUndefined();
});

test('a set-up warning met on every poll is logged once in ten minutes for each kind', () => {
  let now = 0;
  const warnNow = onceInTenMinutes(() => now);
  expect([warnNow('audience'), warnNow('audience'), warnNow('scope')]).toEqual([true, false, true]);
  now += 599_999;
  expect(warnNow('audience')).toBe(false);
  now += 1;
  expect(warnNow('audience')).toBe(true);
});
