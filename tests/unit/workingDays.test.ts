/** When reminders may go out, and notice in working days (services/rethink/workingDays.ts), whatever the server's time zone. */
import { bankHolidays } from '../../services/rethink/bankHolidays';
import { calendarOf, inWorkingHours, isWeekend, workingCalendar, workingDaysAfter, workingDaysBefore } from '../../services/rethink/workingDays';
import { loadProfile } from '../../services/profile/load';
import { DEFAULT_PROFILE_PATH } from '../../services/config';

/** No bank holidays: what the weekday rules do on their own. */
const weekdays = workingCalendar({ bankHolidays: 'none' });

const at = (iso: string) => new Date(iso);

test('reminders go out from 08:00 until 18:00 UK time, Monday to Friday, in summer time and in winter', () => {
  // Winter: UK time is UTC.
  expect(inWorkingHours(at('2027-03-01T07:59:59Z'), weekdays)).toBe(false);
  expect(inWorkingHours(at('2027-03-01T08:00:00Z'), weekdays)).toBe(true);
  expect(inWorkingHours(at('2027-03-01T17:59:59Z'), weekdays)).toBe(true);
  expect(inWorkingHours(at('2027-03-01T18:00:00Z'), weekdays)).toBe(false);
  // Summer: 07:00 UTC is 08:00 in the UK, and 23:00 UTC on a Friday is already Saturday there.
  expect(inWorkingHours(at('2026-07-03T06:59:59Z'), weekdays)).toBe(false);
  expect(inWorkingHours(at('2026-07-03T07:00:00Z'), weekdays)).toBe(true);
  expect(inWorkingHours(at('2026-07-03T16:59:59Z'), weekdays)).toBe(true);
  expect(inWorkingHours(at('2026-07-03T17:00:00Z'), weekdays)).toBe(false);
  expect(inWorkingHours(at('2026-07-03T23:00:40Z'), weekdays)).toBe(false);
  // Saturday and Sunday noon: never.
  expect(inWorkingHours(at('2026-07-04T12:00:00Z'), weekdays)).toBe(false);
  expect(inWorkingHours(at('2026-07-05T12:00:00Z'), weekdays)).toBe(false);
  expect(inWorkingHours(at('2026-07-06T12:00:00Z'), weekdays)).toBe(true);
  expect([isWeekend('2026-07-04'), isWeekend('2026-07-05'), isWeekend('2026-07-06')]).toEqual([true, true, false]);
});

test('working days ahead skip the weekend, from the UK day (not the UTC one)', () => {
  expect(workingDaysAfter(at('2026-07-01T12:00:00Z'), 2, weekdays)).toBe('2026-07-03'); // Wednesday → Friday
  expect(workingDaysAfter(at('2026-07-02T12:00:00Z'), 2, weekdays)).toBe('2026-07-06'); // Thursday → Monday
  expect(workingDaysAfter(at('2026-07-03T12:00:00Z'), 2, weekdays)).toBe('2026-07-07'); // Friday → Tuesday
  // 23:30 UTC on Thursday is Friday in the UK.
  expect(workingDaysAfter(at('2026-07-02T23:30:00Z'), 2, weekdays)).toBe('2026-07-07');
  // Across the clocks going forward (Sunday 29 March 2026).
  expect(workingDaysAfter(at('2026-03-27T12:00:00Z'), 1, weekdays)).toBe('2026-03-30');
  expect(workingDaysAfter(at('2026-07-01T12:00:00Z'), 0, weekdays)).toBe('2026-07-01');
});

test('working days back skip the weekend: three working days before Monday 10:00 is Wednesday 10:00', () => {
  expect(workingDaysBefore(at('2026-07-06T09:00:00Z'), 3, weekdays).toISOString()).toBe('2026-07-01T09:00:00.000Z');
  expect(workingDaysBefore(at('2026-07-09T09:00:00Z'), 3, weekdays).toISOString()).toBe('2026-07-06T09:00:00.000Z');
  // Submitted on Friday at 17:00: three working days have passed on Wednesday at 17:00, not on Monday.
  expect(workingDaysBefore(at('2026-07-08T16:00:00Z'), 3, weekdays).toISOString()).toBe('2026-07-03T16:00:00.000Z');
});

describe('bank holidays, as gov.uk publishes them', () => {
  const sorted = (set: Set<string>) => [...set].sort();
  test('England and Wales, with Christmas and New Year moved off the weekend', () => {
    expect(sorted(bankHolidays('england-and-wales', 2026))).toEqual(['2026-01-01', '2026-04-03', '2026-04-06', '2026-05-04', '2026-05-25', '2026-08-31', '2026-12-25', '2026-12-28']);
    // Christmas on a Saturday: Monday 27 and Tuesday 28 December.
    expect(sorted(bankHolidays('england-and-wales', 2027))).toEqual(['2027-01-01', '2027-03-26', '2027-03-29', '2027-05-03', '2027-05-31', '2027-08-30', '2027-12-27', '2027-12-28']);
    // New Year's Day on a Saturday: Monday 3 January.
    expect(sorted(bankHolidays('england-and-wales', 2028))).toEqual(['2028-01-03', '2028-04-14', '2028-04-17', '2028-05-01', '2028-05-29', '2028-08-28', '2028-12-25', '2028-12-26']);
    // Christmas on a Sunday: Boxing Day stays on Monday and Christmas moves to Tuesday.
    expect(sorted(bankHolidays('england-and-wales', 2022))).toContain('2022-12-27');
  });
  test('Scotland and Northern Ireland keep their own', () => {
    // 1 and 2 January on a Saturday and Sunday: Monday and Tuesday; St Andrew's Day on a Saturday: Monday.
    expect(sorted(bankHolidays('scotland', 2022))).toEqual(['2022-01-03', '2022-01-04', '2022-04-15', '2022-05-02', '2022-05-30', '2022-08-01', '2022-11-30', '2022-12-26', '2022-12-27']);
    expect(bankHolidays('scotland', 2026)).toEqual(new Set(['2026-01-01', '2026-01-02', '2026-04-03', '2026-05-04', '2026-05-25', '2026-08-03', '2026-11-30', '2026-12-25', '2026-12-28']));
    // St Patrick's Day on a Sunday (2024): Monday 18 March; the Boyne on a Sunday (2026): Monday 13 July.
    expect(bankHolidays('northern-ireland', 2024)).toEqual(new Set(['2024-01-01', '2024-03-18', '2024-03-29', '2024-04-01', '2024-05-06', '2024-05-27', '2024-07-12', '2024-08-26', '2024-12-25', '2024-12-26']));
    expect(bankHolidays('northern-ireland', 2026).has('2026-07-13')).toBe(true);
    expect(bankHolidays('none', 2026).size).toBe(0);
  });
});

test('no reminders on a bank holiday or a day the partnership names as closed, and notice skips them', () => {
  const england = workingCalendar();
  // Easter Monday 2027, at 10:00 UK time.
  expect(inWorkingHours(at('2027-03-29T09:00:00Z'), england)).toBe(false);
  expect(inWorkingHours(at('2027-03-29T09:00:00Z'), weekdays)).toBe(true);
  expect(inWorkingHours(at('2027-03-30T09:00:00Z'), england)).toBe(true);
  // Thursday before Easter, two working days ahead: Tuesday (Good Friday and Easter Monday skipped).
  expect(workingDaysAfter(at('2027-03-25T12:00:00Z'), 2, england)).toBe('2027-03-31');
  // Wednesday 29 December 2027, after the Christmas bank holidays (27th and 28th): the 24th, 23rd and 22nd count.
  expect(workingDaysBefore(at('2027-12-29T10:00:00Z'), 3, england).toISOString()).toBe('2027-12-22T10:00:00.000Z');
  const withAClosedDay = workingCalendar({ closedDays: ['2027-06-07'] });
  expect(inWorkingHours(at('2027-06-07T09:00:00Z'), withAClosedDay)).toBe(false);
  expect(workingDaysAfter(at('2027-06-04T12:00:00Z'), 1, withAClosedDay)).toBe('2027-06-08');
});

test("the shipped profile keeps England and Wales' bank holidays, and its calendar is made once", () => {
  const { reminders } = loadProfile(DEFAULT_PROFILE_PATH);
  expect(calendarOf(reminders)).toBe(calendarOf(reminders));
  expect(calendarOf(reminders).isWorkingDay('2026-12-25')).toBe(false);
  expect(calendarOf(reminders).isWorkingDay('2026-12-24')).toBe(true);
});
