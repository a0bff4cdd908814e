/** When reminders may go out, and notice in working days (services/rethink/workingDays.ts), whatever the server's time zone. */
import { inWorkingHours, isWeekend, workingDaysAfter, workingDaysBefore } from '../../services/rethink/workingDays';

const at = (iso: string) => new Date(iso);

test('reminders go out from 08:00 until 18:00 UK time, Monday to Friday, in summer time and in winter', () => {
  // Winter: UK time is UTC.
  expect(inWorkingHours(at('2027-03-01T07:59:59Z'))).toBe(false);
  expect(inWorkingHours(at('2027-03-01T08:00:00Z'))).toBe(true);
  expect(inWorkingHours(at('2027-03-01T17:59:59Z'))).toBe(true);
  expect(inWorkingHours(at('2027-03-01T18:00:00Z'))).toBe(false);
  // Summer: 07:00 UTC is 08:00 in the UK, and 23:00 UTC on a Friday is already Saturday there.
  expect(inWorkingHours(at('2026-07-03T06:59:59Z'))).toBe(false);
  expect(inWorkingHours(at('2026-07-03T07:00:00Z'))).toBe(true);
  expect(inWorkingHours(at('2026-07-03T16:59:59Z'))).toBe(true);
  expect(inWorkingHours(at('2026-07-03T17:00:00Z'))).toBe(false);
  expect(inWorkingHours(at('2026-07-03T23:00:40Z'))).toBe(false);
  // Saturday and Sunday noon: never.
  expect(inWorkingHours(at('2026-07-04T12:00:00Z'))).toBe(false);
  expect(inWorkingHours(at('2026-07-05T12:00:00Z'))).toBe(false);
  expect(inWorkingHours(at('2026-07-06T12:00:00Z'))).toBe(true);
  expect([isWeekend('2026-07-04'), isWeekend('2026-07-05'), isWeekend('2026-07-06')]).toEqual([true, true, false]);
});

test('working days ahead skip the weekend, from the UK day (not the UTC one)', () => {
  expect(workingDaysAfter(at('2026-07-01T12:00:00Z'), 2)).toBe('2026-07-03'); // Wednesday → Friday
  expect(workingDaysAfter(at('2026-07-02T12:00:00Z'), 2)).toBe('2026-07-06'); // Thursday → Monday
  expect(workingDaysAfter(at('2026-07-03T12:00:00Z'), 2)).toBe('2026-07-07'); // Friday → Tuesday
  // 23:30 UTC on Thursday is Friday in the UK.
  expect(workingDaysAfter(at('2026-07-02T23:30:00Z'), 2)).toBe('2026-07-07');
  // Across the clocks going forward (Sunday 29 March 2026).
  expect(workingDaysAfter(at('2026-03-27T12:00:00Z'), 1)).toBe('2026-03-30');
  expect(workingDaysAfter(at('2026-07-01T12:00:00Z'), 0)).toBe('2026-07-01');
});

test('working days back skip the weekend: three working days before Monday 10:00 is Wednesday 10:00', () => {
  expect(workingDaysBefore(at('2026-07-06T09:00:00Z'), 3).toISOString()).toBe('2026-07-01T09:00:00.000Z');
  expect(workingDaysBefore(at('2026-07-09T09:00:00Z'), 3).toISOString()).toBe('2026-07-06T09:00:00.000Z');
  // Submitted on Friday at 17:00: three working days have passed on Wednesday at 17:00, not on Monday.
  expect(workingDaysBefore(at('2026-07-08T16:00:00Z'), 3).toISOString()).toBe('2026-07-03T16:00:00.000Z');
});
