/** Text helpers (services/text.ts) and what typed card text keeps (bot/handlers/types.ts textField). */
import { commandFor } from '../../bot/router';
import { textField } from '../../bot/handlers/types';
import { distinctText, textKey, trimChars } from '../../services/text';

test('the same name or agency however it was typed is one key; kept text stays as typed', () => {
  const spellings = ["Children's social care", 'Children’s social care', 'children’s  SOCIAL care ', 'Children’s\u00A0social care', 'Children’s social\u200B care', 'Ｃｈｉｌｄｒｅｎ’ｓ social care'];
  expect(new Set(spellings.map(textKey)).size).toBe(1);
  expect(textKey('NHS Solent')).not.toBe(textKey('NHS'));
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

test('typed text loses direction overrides and zero-width spaces, which would reverse or hide what follows on a shared line; joiners stay', () => {
  expect(textField({ agency: 'School\u202E' }, 'agency')).toBe('School');
  expect(textField({ name: '\u2066Jane\u2069 Doe\u200B\uFEFF' }, 'name')).toBe('Jane Doe');
  // The family emoji is three people joined by zero-width joiners.
  expect(textField({ text: 'Family 👩\u200D👩\u200D👧' }, 'text')).toBe('Family 👩\u200D👩\u200D👧');
  expect(textField({ name: '\u202E\u200B' }, 'name')).toBe('');
});
