/**
 * The UK's bank holidays, by the rules each nation keeps them by (gov.uk/bank-holidays): computed,
 * so no list runs out. A one-off holiday (a coronation, a jubilee) goes in the profile's `closedDays`.
 */

export const BANK_HOLIDAY_REGIONS = ['england-and-wales', 'scotland', 'northern-ireland', 'none'] as const;
export type BankHolidayRegion = (typeof BANK_HOLIDAY_REGIONS)[number];

export const DAY_MS = 86_400_000;
const iso = (time: number): string => new Date(time).toISOString().slice(0, 10);
const dayOf = (year: number, month: number, day: number): number => Date.UTC(year, month - 1, day);
const weekday = (time: number): number => new Date(time).getUTCDay();

/** Easter Sunday (the Gregorian computus: Meeus, Jones and Butcher). */
function easterSunday(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return dayOf(year, month, day);
}

const firstMonday = (year: number, month: number): number => {
  const first = dayOf(year, month, 1);
  return first + ((8 - weekday(first)) % 7) * DAY_MS;
};
const lastMonday = (year: number, month: number): number => {
  const last = dayOf(year, month + 1, 0);
  return last - ((weekday(last) + 6) % 7) * DAY_MS;
};

/**
 * A holiday on a Saturday or Sunday is taken on the next weekday that isn't already one: Christmas
 * on a Saturday moves to Monday, and Boxing Day (Sunday) to Tuesday.
 */
function withSubstitutes(fixed: number[], moving: number[]): Set<string> {
  const taken = new Set<number>(moving);
  for (const day of [...fixed].sort((x, y) => x - y)) {
    if (weekday(day) !== 0 && weekday(day) !== 6) {
      taken.add(day);
      continue;
    }
    let substitute = day;
    do substitute += DAY_MS;
    while (weekday(substitute) === 0 || weekday(substitute) === 6 || taken.has(substitute) || fixed.includes(substitute));
    taken.add(substitute);
  }
  return new Set([...taken].map(iso));
}

/** The bank holidays of `year` in `region`, as UK dates (YYYY-MM-DD). */
export function bankHolidays(region: BankHolidayRegion, year: number): Set<string> {
  if (region === 'none') return new Set();
  const easter = easterSunday(year);
  const goodFriday = easter - 2 * DAY_MS;
  const christmas = [dayOf(year, 12, 25), dayOf(year, 12, 26)];
  if (region === 'scotland') {
    return withSubstitutes([dayOf(year, 1, 1), dayOf(year, 1, 2), dayOf(year, 11, 30), ...christmas], [goodFriday, firstMonday(year, 5), lastMonday(year, 5), firstMonday(year, 8)]);
  }
  const moving = [goodFriday, easter + DAY_MS, firstMonday(year, 5), lastMonday(year, 5), lastMonday(year, 8)];
  const fixed = [dayOf(year, 1, 1), ...christmas];
  if (region === 'northern-ireland') fixed.push(dayOf(year, 3, 17), dayOf(year, 7, 12));
  return withSubstitutes(fixed, moving);
}
