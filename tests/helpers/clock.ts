/** Test clocks that begin on a day of the test's choosing: reminders and nudges go out on working days only. */
import { isWeekend, workingCalendar, type WorkingCalendar } from '../../services/rethink/workingDays';

import { DAY_MS } from '../../services/rethink/bankHolidays';

/**
 * The next such weekday (0 Sunday … 6 Saturday) after `from` at 09:00 UTC (09:00 or 10:00 in the UK),
 * with no bank holiday of `calendar` (England and Wales') in the fortnight from it: tests move on by days.
 */
export function nextWeekdayAt9(from: number, weekday: number, calendar: WorkingCalendar = workingCalendar()): number {
  const day = new Date(from);
  day.setUTCHours(9, 0, 0, 0);
  const isoAfter = (days: number) => new Date(day.getTime() + days * DAY_MS).toISOString().slice(0, 10);
  const clearFortnight = () => Array.from({ length: 14 }, (_, i) => isoAfter(i)).every((date) => calendar.isWorkingDay(date) || isWeekend(date));
  do day.setUTCDate(day.getUTCDate() + 1);
  while (day.getUTCDay() !== weekday || !clearFortnight());
  return day.getTime();
}
