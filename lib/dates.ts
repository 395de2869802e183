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

/** Days since 1970-01-01 of a valid date, or NaN when `date` is not a real calendar date. */
export function toDay(date: LocalDate): number {
  const match = DATE_PATTERN.exec(date);
  if (!match) return Number.NaN;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return Number.NaN;
  }
  return ms / MS_PER_DAY;
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
