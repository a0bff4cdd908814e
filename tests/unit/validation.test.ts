import { loadProfile } from '../../services/profile/load';
import { DEFAULT_PROFILE_PATH } from '../../services/config';
import { checkCaseReference, checkDueDate, checkText, formatUkDate, formatUkDay, formatUkTime, ukToday } from '../../services/rethink/validation';

const profile = loadProfile(DEFAULT_PROFILE_PATH);

describe('case references', () => {
  test('a pseudonymous reference in the partnership pattern is accepted and normalised', () => {
    expect(checkCaseReference(' pscp-2026-0042 ', profile)).toEqual({ ok: true, value: 'PSCP-2026-0042' });
  });

  test('a partnership’s pattern written with small letters still accepts its references, which are kept in capitals', () => {
    const edinburgh = { caseReference: { pattern: '^EDN/\\d{2}/\\d{5}[a-c]?$', example: 'EDN/26/01234', hint: '' } };
    expect(checkCaseReference('edn/26/01234b', edinburgh)).toEqual({ ok: true, value: 'EDN/26/01234B' });
    expect(checkCaseReference('EDN/26/01234', edinburgh)).toEqual({ ok: true, value: 'EDN/26/01234' });
  });

  test.each([
    ['non-breaking hyphens', 'PSCP\u20112026\u20110042'],
    ['en dashes', 'PSCP\u20132026\u20130042'],
    ['a zero-width space after it', 'PSCP-2026-0042\u200b'],
    ['a non-breaking space before it', '\u00a0PSCP-2026-0042'],
    ['full-width digits', 'PSCP-\uff12\uff10\uff12\uff16-0042'],
  ])('pasted with %s, it is the same reference', (_what, input) => {
    expect(checkCaseReference(input, profile)).toEqual({ ok: true, value: 'PSCP-2026-0042' });
  });

  test.each([
    ['a full stop after it', 'PSCP-2026-0042.'],
    ['quotes around it', '"PSCP-2026-0042"'],
    ['curly quotes and a comma', '‘PSCP-2026-0042’,'],
    ['brackets around it', '(PSCP-2026-0042)'],
    ['spaces for its dashes, as in a letter', 'PSCP 2026 0042'],
  ])('typed with %s, it is the same reference', (_what, input) => {
    expect(checkCaseReference(input, profile)).toEqual({ ok: true, value: 'PSCP-2026-0042' });
    expect(checkCaseReference(input, profile, { recorded: true })).toEqual({ ok: true, value: 'PSCP-2026-0042' });
  });

  test('spaces are read as dashes only where that makes the pattern’s shape: anything else keeps them and is refused', () => {
    expect(checkCaseReference('PSCP\u22122026\u22120042', profile)).toEqual({ ok: true, value: 'PSCP-2026-0042' });
    expect(checkCaseReference('PSCP 2026 0042 extra', profile).ok).toBe(false);
    expect(checkCaseReference('PS CP-2026-0042', profile).ok).toBe(false);
  });

  test.each(['Jane Smith', 'jane', "Liam O'Brien", 'Zoë Ann-Marie'])('a name (%s) is refused, with the reason', (input) => {
    const result = checkCaseReference(input, profile);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/it could be a name.*PSCP-2026-0042/);
  });

  test.each(['12/03/2015', '2015-03-12', '12 March 2015', 'March 12th', '3.4.19', '12-Mar-2015', '12Mar2015', '12/Mar/2015', '2015-Mar-12', 'Mar-12-2015', '1st Sept 2015'])('a date of birth (%s) is refused, with the reason', (input) => {
    const result = checkCaseReference(input, profile);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/looks like a date/);
  });

  test.each(['SMITH-2016-0412', 'jones-2019-120419'])('a reference made of a surname and a date (%s) is refused: the partnership’s references start with its own prefix', (input) => {
    const result = checkCaseReference(input, profile);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/should look like PSCP-2026-0042/);
  });

  test('looking up what is held (export, erasure), a reference recorded under an earlier pattern is still accepted; a name or date still is not', () => {
    expect(checkCaseReference('abc-2019-77', profile, { recorded: true })).toEqual({ ok: true, value: 'ABC-2019-77' });
    expect(checkCaseReference('abc-2019-77', profile).ok).toBe(false);
    expect(checkCaseReference('Jane Smith', profile, { recorded: true }).ok).toBe(false);
    expect(checkCaseReference('12/03/2015', profile, { recorded: true }).ok).toBe(false);
    // However the date is run together, and references that only contain a month's letters are still found.
    expect(checkCaseReference('12-Mar-2015', profile, { recorded: true }).ok).toBe(false);
    expect(checkCaseReference('12MAR2015', profile, { recorded: true }).ok).toBe(false);
    expect(checkCaseReference('MAYFIELD-12', profile, { recorded: true })).toEqual({ ok: true, value: 'MAYFIELD-12' });
    expect(checkCaseReference('MARKET-2015', profile, { recorded: true })).toEqual({ ok: true, value: 'MARKET-2015' });
    expect(checkCaseReference('DEC-2026-0042', profile, { recorded: true })).toEqual({ ok: true, value: 'DEC-2026-0042' });
    // A month's letters beside a reference's digits are not a date without a year as a date has one.
    for (const reference of ['NOV/26/01234', 'DEC-26-0042', '2026/MAY/0042', 'MAR12', 'MAR-12', 'NOV-7', 'OCT-2026-12', '2019-DEC-001']) expect(checkCaseReference(reference, profile, { recorded: true })).toEqual({ ok: true, value: reference });
    // One word of letters, as an earlier, looser pattern may have let through: still found to be exported or erased.
    expect(checkCaseReference('smith', profile, { recorded: true })).toEqual({ ok: true, value: 'SMITH' });
    expect(checkCaseReference('ABC-DEF', profile, { recorded: true })).toEqual({ ok: true, value: 'ABC-DEF' });
    expect(checkCaseReference('smith', profile).ok).toBe(false);
  });

  test('a value far longer than any reference is refused at once', () => {
    expect(checkCaseReference(`${'PSCP-2026-0042 '.repeat(2000)}.`, profile)).toMatchObject({ ok: false, error: { message: 'That is too long for a case reference. It should look like PSCP-2026-0042.' } });
  });

  test('something else that is not a reference is refused with the expected shape', () => {
    const result = checkCaseReference('12345', profile);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/should look like PSCP-2026-0042/);
    expect(checkCaseReference('', profile).ok).toBe(false);
  });

  test('the whole value must be the reference, even with a pattern that is not anchored', () => {
    const loose = { ...profile, caseReference: { ...profile.caseReference, pattern: '[A-Z]{2,6}-[0-9]{4}-[0-9]{3,6}' } };
    expect(checkCaseReference('Jane Smith PSCP-2026-0042', loose).ok).toBe(false);
    expect(checkCaseReference('PSCP-2026-0042', loose)).toEqual({ ok: true, value: 'PSCP-2026-0042' });
  });
});

describe('text and dates', () => {
  test('text over the limit is refused, stating the limit', () => {
    const result = checkText('x'.repeat(4001), 'your contribution', 4000);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toBe('Your contribution is 4,001 characters long; the limit is 4,000. Please shorten it and try again.');
    expect(checkText('  fine  ', 'x', 10)).toEqual({ ok: true, value: 'fine' });
    // Characters as people count them: an emoji is one.
    expect(checkText('😀'.repeat(10), 'x', 10)).toEqual({ ok: true, value: '😀'.repeat(10) });
    expect(checkText('😀'.repeat(11), 'a role', 10)).toMatchObject({ ok: false, error: { message: 'A role is 11 characters long; the limit is 10. Please shorten it and try again.' } });
    expect(checkText('   ', 'a summary', 10).ok).toBe(false);
    // A field asked for in a long phrase is named plainly when too long.
    const role = (typed: string) => {
      const r = checkText(typed, 'a role (for example, social worker)', 80, { called: 'The role' });
      return r.ok ? r.value : r.error.message;
    };
    expect(role('r'.repeat(95))).toBe('The role is 95 characters long; the limit is 80. Please shorten it and try again.');
    expect(role('')).toBe('Please enter a role (for example, social worker).');
  });

  test('due dates must be real and not in the past (UK time)', () => {
    const now = new Date('2026-11-26T23:30:00Z');
    expect(ukToday(now)).toBe('2026-11-26');
    expect(checkDueDate('2026-11-26', now).ok).toBe(true);
    expect(checkDueDate('2026-11-25', now).ok).toBe(false);
    expect(checkDueDate('2026-02-30', now).ok).toBe(false);
    expect(checkDueDate('next week', now).ok).toBe(false);
    // Two years ahead is the furthest: beyond it, a slip of the year.
    expect(checkDueDate('2028-11-26', now).ok).toBe(true);
    expect(checkDueDate('9999-12-31', now)).toMatchObject({ ok: false, error: { message: 'The due date, 31 December 9999, is more than two years away. Please check the year.' } });
    expect(checkDueDate('', now).ok).toBe(false);
    // In summer, UK time is an hour ahead of UTC.
    expect(ukToday(new Date('2026-07-01T23:30:00Z'))).toBe('2026-07-02');
  });

  test('dates and times are shown as they are in the UK, in summer time too, whatever the server’s time zone', () => {
    expect(formatUkTime('2026-07-01T13:05:00Z')).toBe('14:05');
    expect(formatUkTime('2026-12-01T13:05:00Z')).toBe('13:05');
    expect(formatUkDate('2026-07-01T23:30:00Z')).toBe('2 July 2026');
    expect(formatUkDate('2026-12-01T23:30:00Z')).toBe('1 December 2026');
    expect(formatUkDate('2026-07-06')).toBe('6 July 2026');
    // A day to act on has its weekday, with no comma, as UK style writes it.
    expect(formatUkDay('2026-07-06')).toBe('Monday 6 July 2026');
    expect(formatUkDay('2026-03-29')).toBe('Sunday 29 March 2026');
    expect(ukToday(new Date('2026-10-25T00:30:00Z'))).toBe('2026-10-25');
    expect(ukToday(new Date('0999-01-02T12:00:00Z'))).toBe('0999-01-02');
  });

  test('a partnership keeping records for less than two years: a due date after its records would be deleted is refused, saying by when', () => {
    const now = new Date('2026-11-26T09:00:00Z');
    expect(checkDueDate('2027-11-25', now, 365).ok).toBe(true);
    expect(checkDueDate('2027-11-26', now, 365)).toMatchObject({
      ok: false,
      error: { message: 'The due date, 26 November 2027, is later than Re-think keeps its records (365 days), so it couldn’t be followed up. Please choose a date by 25 November 2027, and keep anything longer in your own agency’s records.' },
    });
    // Portsmouth keeps them 730 days, which ends just short of two years from now (2028 is a leap year).
    expect(checkDueDate('2028-11-24', now, 730).ok).toBe(true);
    expect(checkDueDate('2028-11-25', now, 730).ok).toBe(false);
  });
});
