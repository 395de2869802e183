/**
 * Local calendar dates ("YYYY-MM-DD") and calendar arithmetic. Pure: no clock, no I/O.
 * Days are counted as calendar days (an epoch-day number), never as 24-hour spans, so DST
 * days of 23 or 25 hours change nothing.
 */
import { DateTime } from "luxon";

/** A calendar date, "YYYY-MM-DD". */
export type LocalDate = string;

const MS_PER_DAY = 86_400_000;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month];
}

/** The decimal digit at `index`, or NaN (which then spreads through the arithmetic). */
function digitAt(text: string, index: number): number {
  const digit = text.charCodeAt(index) - 48;
  return digit >= 0 && digit <= 9 ? digit : Number.NaN;
}

const DASH = 45;

/**
 * Days since 1970-01-01 of a valid date, or NaN when `date` is not a real calendar date.
 * Hot (once per check-in per recompute), so it reads the digits by hand; the civil-to-days
 * formula is Howard Hinnant's `days_from_civil`.
 */
export function toDay(date: LocalDate): number {
  if (date.length !== 10 || date.charCodeAt(4) !== DASH || date.charCodeAt(7) !== DASH) return Number.NaN;
  const year = digitAt(date, 0) * 1000 + digitAt(date, 1) * 100 + digitAt(date, 2) * 10 + digitAt(date, 3);
  const month = digitAt(date, 5) * 10 + digitAt(date, 6);
  const day = digitAt(date, 8) * 10 + digitAt(date, 9);
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month))) return Number.NaN;
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

/** Per zone, the local day last asked for and the instants it spans: a hot path asks every request. */
const daysByZone = new Map<string, { date: LocalDate; from: number; until: number }>();

/** The user's current calendar date in an IANA zone at a given instant. */
export function todayIn(zone: string, now: Date): LocalDate {
  const at = now.getTime();
  const known = daysByZone.get(zone);
  if (known && at >= known.from && at < known.until) return known.date;
  const local = DateTime.fromJSDate(now, { zone });
  if (!local.isValid) throw new RangeError(`unknown time zone ${zone}`);
  const start = local.startOf("day");
  const day = { date: local.toISODate() as LocalDate, from: start.toMillis(), until: start.plus({ days: 1 }).toMillis() };
  // Zones are few (IANA has some 600); the bound only guards against a caller inventing them.
  if (daysByZone.size >= 1000) daysByZone.clear();
  daysByZone.set(zone, day);
  return day.date;
}

const INSTANT_PATTERN = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;
const FIRST_INSTANT = Date.parse("0001-01-01T00:00:00Z");
const LAST_INSTANT = Date.parse("9999-12-31T23:59:59.999Z");

/**
 * An ISO-8601 instant with a time and an offset ("2026-12-01T08:30Z", "…T08:30:00.5+01:00") in
 * UTC, or null when it is not one: a real calendar date, hours to 23, minutes and seconds to 59,
 * offsets to 23:59, and in UTC within years 1 to 9999 (what Postgres accepts). A UTC instant
 * comes back as given (microseconds kept); another offset comes back converted to UTC.
 */
export function parseInstant(value: string): string | null {
  const match = INSTANT_PATTERN.exec(value);
  if (!match || !isValidDate(match[1])) return null;
  const [hours, minutes, seconds = "0", offsetHours = "0", offsetMinutes = "0"] = match.slice(2);
  if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds) > 59 || Number(offsetHours) > 23 || Number(offsetMinutes) > 59) {
    return null;
  }
  const instant = Date.parse(value);
  if (Number.isNaN(instant) || instant < FIRST_INSTANT || instant > LAST_INSTANT) return null;
  return value.endsWith("Z") ? value : new Date(instant).toISOString();
}
