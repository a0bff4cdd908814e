/** Text helpers (services/text.ts) and what typed card text keeps (bot/handlers/types.ts textField). */
import { commandFor } from '../../bot/router';
import { textField } from '../../bot/handlers/types';
import { characterCount, distinctText, textKey, trimChars } from '../../services/text';
import { truncate } from '../../cards/render';

test('the same name or agency however it was typed is one key; kept text stays as typed', () => {
  const spellings = ["Children's social care", 'Children’s social care', 'children’s  SOCIAL care ', 'Children’s\u00A0social care', 'Children’s social\u200B care', 'Ｃｈｉｌｄｒｅｎ’ｓ social care'];
  expect(new Set(spellings.map(textKey)).size).toBe(1);
  expect(textKey('NHS Solent')).not.toBe(textKey('NHS'));
  // Word and Outlook turn " - " into " – " as it is typed, and some keyboards type ´ for an apostrophe.
  const dashed = ["Portsmouth City Council - Children's Services", 'Portsmouth City Council – Children’s Services', 'Portsmouth City Council—Children´s Services', 'Portsmouth City Council − Children′s Services'];
  expect(new Set(dashed.map(textKey)).size).toBe(1);
  expect(textKey('Solent NHS Trust - 0-19 service')).toBe(textKey('Solent NHS Trust — 0‑19 service'));
  expect(textKey('Health - visiting')).not.toBe(textKey('Health visiting'));
  expect(distinctText(['Children’s social care', "Children's social care", 'Police', 'police '])).toEqual(['Children’s social care', 'Police']);
});

test('trimChars takes characters off each end only, and never backtracks through a run inside the text', () => {
  expect(trimChars('help...', '', '.!?')).toBe('help');
  expect(trimChars('{6A1F}.', '{(', '}).')).toBe('6A1F');
  expect(trimChars('a..b..', '', '.')).toBe('a..b');
  expect(trimChars('....', '', '.')).toBe('');
  expect(trimChars('', '.', '.')).toBe('');
});

test('a typed command with sentence punctuation is the command; a long run of punctuation inside a message is not one', () => {
  expect(commandFor('Facilitators?')?.name).toBe('facilitators');
  expect(commandFor('help. ')?.name).toBe('help');
  // Anyone can send this: it is answered as a message not understood, with the run scanned once.
  expect(commandFor(`help${'.'.repeat(30_000)}x`)).toBeUndefined();
  expect(commandFor(`help${'.'.repeat(30_000)}`)?.name).toBe('help');
});

test('a command pasted with an invisible character, in quotes, with a colon, or as the buttons word it, is still the command', () => {
  expect(commandFor('start\u200B')?.name).toBe('start');
  expect(commandFor('“start”')?.name).toBe('start');
  expect(commandFor('"status"')?.name).toBe('status');
  expect(commandFor('Status:')?.name).toBe('status');
  expect(commandFor('"status".')?.name).toBe('status');
  expect(commandFor("'help'?")?.name).toBe('help');
  expect(commandFor('@Re-think "status"')?.name).toBe('status');
  expect(commandFor('“request facilitator PSCP-2026-0042”')).toMatchObject({ name: 'request facilitator', argument: 'PSCP-2026-0042' });
  expect(commandFor('ｓｔａｒｔ')?.name).toBe('start');
  expect(commandFor('Request facilitator: PSCP-2026-0042')).toMatchObject({ name: 'request facilitator', argument: 'PSCP-2026-0042' });
  expect(commandFor('Start: PSCP-2026-0042')).toMatchObject({ name: 'start', argument: 'PSCP-2026-0042' });
  expect(commandFor('request an independent facilitator PSCP-2026-0042')).toMatchObject({ argument: 'PSCP-2026-0042' });
  expect(commandFor('request an independent facilitator')?.handler).toBe(commandFor('request facilitator')?.handler);
  expect(commandFor('Request a facilitator.')?.handler).toBe(commandFor('request facilitator')?.handler);
  // Not a command: a word that only begins like one.
  expect(commandFor('starting')).toBeUndefined();
  expect(commandFor('status please')).toBeUndefined();
});

test('typed text loses direction overrides and zero-width spaces, which would reverse or hide what follows on a shared line; joiners stay', () => {
  expect(textField({ agency: 'School\u202E' }, 'agency')).toBe('School');
  expect(textField({ name: '\u2066Jane\u2069 Doe\u200B\uFEFF' }, 'name')).toBe('Jane Doe');
  // The family emoji is three people joined by zero-width joiners.
  expect(textField({ text: 'Family 👩\u200D👩\u200D👧' }, 'text')).toBe('Family 👩\u200D👩\u200D👧');
  expect(textField({ name: '\u202E\u200B' }, 'name')).toBe('');
});

test('shortened text never ends in half an emoji or a dangling joiner, which Teams would show as �', () => {
  const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
  for (let at = 30; at < 45; at++) {
    const text = `${'a'.repeat(at)}😀👨\u200D👩\u200D👧 the rest of a long action`;
    const short = truncate(text, 40);
    expect(characterCount(short)).toBeLessThanOrEqual(40);
    expect(short.endsWith('…')).toBe(true);
    expect(lone.test(short)).toBe(false);
    expect(short).not.toMatch(/\u200D…$/);
  }
  expect(truncate('short', 40)).toBe('short');
  // Counted as limits count: 40 emoji are 40 characters, kept whole; 41 are cut to 39 and "…".
  expect(truncate('😀'.repeat(40), 40)).toBe('😀'.repeat(40));
  expect(truncate('😀'.repeat(41), 40)).toBe(`${'😀'.repeat(39)}…`);
});

test('text that shows nothing counts as nothing typed: blank letters from phone keyboards, accents on nothing; noncharacters are dropped', () => {
  for (const blank of ['\u3164', '\u2800\u2800', '\uFFA0', '\u115F', '\u034F', '\u0301\u0301', ' \u3164 ']) expect(textField({ role: blank }, 'role')).toBe('');
  // A letter with its accent, or Korean text, is text.
  expect(textField({ role: 'e\u0301' }, 'role')).toBe('é');
  expect(textField({ role: '사회복지사' }, 'role')).toBe('사회복지사');
  expect(textField({ role: 'Nurse\uFFFF\uFFFE\uFDD0' }, 'role')).toBe('Nurse');
});
