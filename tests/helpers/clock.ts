/** Test clocks that begin on a day of the test's choosing: reminders and nudges go out on working days only. */

/** The next such weekday (0 Sunday … 6 Saturday) after `from`, at 09:00 UTC (09:00 or 10:00 in the UK). */
export function nextWeekdayAt9(from: number, weekday: number): number {
  const day = new Date(from);
  day.setUTCHours(9, 0, 0, 0);
  do day.setUTCDate(day.getUTCDate() + 1);
  while (day.getUTCDay() !== weekday);
  return day.getTime();
}
