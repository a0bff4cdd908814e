/**
 * Reminders and nudges reach people's work chats, often on their phones: they go out in working hours
 * on working days, UK time, and notice is counted in working days. Bank holidays are not known here.
 */
import { ukToday } from './validation';

/** From 08:00 until 18:00, Monday to Friday, where the partnership works. */
export const WORKING_HOURS = { from: 8, until: 18 } as const;

const DAY_MS = 86_400_000;
const UK_WEEKDAY_HOUR = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', weekday: 'short', hour: 'numeric', hourCycle: 'h23' });

/** Whether a UK date (YYYY-MM-DD) is a Saturday or a Sunday. */
export function isWeekend(isoDate: string): boolean {
  const day = new Date(`${isoDate}T12:00:00Z`).getUTCDay();
  return day === 0 || day === 6;
}

/** Whether reminders may go out now: a weekday, within working hours, UK time. */
export function inWorkingHours(now: Date): boolean {
  const parts = UK_WEEKDAY_HOUR.formatToParts(now);
  const weekday = parts.find((p) => p.type === 'weekday')?.value;
  const hour = Number(parts.find((p) => p.type === 'hour')?.value);
  return weekday !== 'Sat' && weekday !== 'Sun' && hour >= WORKING_HOURS.from && hour < WORKING_HOURS.until;
}

/** The UK date `days` working days after today (YYYY-MM-DD): Friday and 2 is Tuesday. */
export function workingDaysAfter(now: Date, days: number): string {
  let date = ukToday(now);
  for (let left = days; left > 0; ) {
    date = new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
    if (!isWeekend(date)) left -= 1;
  }
  return date;
}

/** The moment `days` working days before now: Saturdays and Sundays (UK dates) are not counted. */
export function workingDaysBefore(now: Date, days: number): Date {
  let at = now.getTime();
  for (let left = days; left > 0; ) {
    at -= DAY_MS;
    if (!isWeekend(ukToday(new Date(at)))) left -= 1;
  }
  return new Date(at);
}
