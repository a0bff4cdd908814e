/** The side panel's membership pass (bot/panel/pass.ts): only what it signed, for whom it signed it, in time. */
import { randomBytes } from 'node:crypto';
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

test.each([
  ['nothing', ''],
  ['too few parts', 'a.b.c'],
  ['too many parts', 'a.b.1.d.e'],
  ['characters outside base64url', 'a+.b.1.d'],
  ['a time that is not a number', 'YQ.Yg.soon.ZA'],
  ['no signature', 'YQ.Yg.9999999999.'],
])('%s is not a pass', (_name, text) => {
  expect(readPass(key, scope, text, NOW)).toBeUndefined();
});
