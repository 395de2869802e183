/**
 * Local calendar dates ("YYYY-MM-DD") and calendar arithmetic. Pure: no clock, no I/O.
 * Days are counted as calendar days (an epoch-day number), never as 24-hour spans, so DST
 * days of 23 or 25 hours change nothing.
 */
import { DateTime } from "luxon";

/** A calendar date, "YYYY-MM-DD". */
export type LocalDate = string;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Days since 1970-01-01 of a valid date, or NaN when `date` is not a real calendar date.
 * Hot (once per check-in per recompute), so it parses by hand; the civil-to-days formula is
 * Howard Hinnant's `days_from_civil`.
 */
export function toDay(date: LocalDate): number {
  if (date.length !== 10 || !DATE_PATTERN.test(date)) return Number.NaN;
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const day = Number(date.slice(8, 10));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return Number.NaN;
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

export function fromDay(day: number): LocalDate {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

export function isValidDate(value: string): boolean {
  return !Number.isNaN(toDay(value)) && value >= "0001-01-01";
}

export function addDays(date: LocalDate, days: number): LocalDate {
  return fromDay(toDay(date) + days);
}

/** Whole calendar days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: LocalDate, to: LocalDate): number {
  return toDay(to) - toDay(from);
}

/** ISO weekday of an epoch day: 1 = Monday … 7 = Sunday (1970-01-01 was a Thursday). */
export function isoWeekdayOfDay(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

export function isoWeekday(date: LocalDate): number {
  return isoWeekdayOfDay(toDay(date));
}

/** The Monday of the ISO week holding `day`. */
export function weekStartOfDay(day: number): number {
  return day - (isoWeekdayOfDay(day) - 1);
}

/** The user's current calendar date in an IANA zone at a given instant. */
export function todayIn(zone: string, now: Date): LocalDate {
  const local = DateTime.fromJSDate(now, { zone });
  if (!local.isValid) throw new RangeError(`unknown time zone ${zone}`);
  return local.toISODate() as LocalDate;
}
