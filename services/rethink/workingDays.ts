/**
 * Reminders and nudges reach people's work chats, often on their phones: they go out in working hours
 * on working days, UK time, and notice is counted in working days. A working day is a weekday that
 * isn't a bank holiday where the partnership works, nor a day its profile names as closed.
 */
import { bankHolidays, DAY_MS, type BankHolidayRegion } from './bankHolidays';
import { ukToday } from './validation';

/** From 08:00 until 18:00, Monday to Friday, where the partnership works. */
export const WORKING_HOURS = { from: 8, until: 18 } as const;

const UK_HOUR = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: 'numeric', hourCycle: 'h23' });

/** Which days are worked: built once per profile from its `reminders` settings. */
export interface WorkingCalendar {
  isWorkingDay(isoDate: string): boolean;
}

/** Whether a UK date (YYYY-MM-DD) is a Saturday or a Sunday. */
export function isWeekend(isoDate: string): boolean {
  const day = new Date(`${isoDate}T12:00:00Z`).getUTCDay();
  return day === 0 || day === 6;
}

export interface CalendarSettings {
  readonly bankHolidays?: BankHolidayRegion;
  readonly closedDays?: readonly string[];
}

/** England and Wales' bank holidays unless the profile names another nation's (or `none`). */
export function workingCalendar(settings: CalendarSettings = {}): WorkingCalendar {
  const region = settings.bankHolidays ?? 'england-and-wales';
  const closed = new Set(settings.closedDays ?? []);
  const years = new Map<number, Set<string>>();
  const holidaysOf = (year: number): Set<string> => {
    let found = years.get(year);
    if (!found) years.set(year, (found = bankHolidays(region, year)));
    return found;
  };
  return { isWorkingDay: (isoDate) => !isWeekend(isoDate) && !closed.has(isoDate) && !holidaysOf(Number(isoDate.slice(0, 4))).has(isoDate) };
}

const calendars = new WeakMap<object, WorkingCalendar>();

/** The calendar of a profile's reminder settings, made once for each profile. */
export function calendarOf(reminders: CalendarSettings): WorkingCalendar {
  let calendar = calendars.get(reminders);
  if (!calendar) calendars.set(reminders, (calendar = workingCalendar(reminders)));
  return calendar;
}

/** Whether reminders may go out now: a working day, within working hours, UK time. */
export function inWorkingHours(now: Date, calendar: WorkingCalendar): boolean {
  const hour = Number(UK_HOUR.format(now));
  return calendar.isWorkingDay(ukToday(now)) && hour >= WORKING_HOURS.from && hour < WORKING_HOURS.until;
}

/** The UK date `days` working days after today (YYYY-MM-DD): Friday and 2 is Tuesday. */
export function workingDaysAfter(now: Date, days: number, calendar: WorkingCalendar): string {
  let date = ukToday(now);
  for (let left = days; left > 0; ) {
    date = new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
    if (calendar.isWorkingDay(date)) left -= 1;
  }
  return date;
}

/** The moment `days` working days before now: days not worked (UK dates) are not counted. */
export function workingDaysBefore(now: Date, days: number, calendar: WorkingCalendar): Date {
  let at = now.getTime();
  for (let left = days; left > 0; ) {
    at -= DAY_MS;
    if (calendar.isWorkingDay(ukToday(new Date(at)))) left -= 1;
  }
  return new Date(at);
}
