/**
 * When a reminder set for a local "HH:MM" fires, in a user's IANA zone (docs/contract.md, "Domain rules"). Pure:
 * the instants to look between are inputs, nothing reads a clock.
 *
 * A local time that exists once fires then; one that occurs twice (fall back) fires at the
 * earlier occurrence only; one that does not exist (spring forward) fires when the gap ends,
 * the first valid local minute after it (New York 2026-03-08 02:30 → 03:00 EDT).
 *
 * Luxon is used only for the zone's UTC offset at an instant: its wall-time-to-instant mapping
 * moves a time in a gap forward by the gap's length (02:30 → 03:30) and picks either
 * occurrence of a repeated time depending on the zone, so the mapping is done here.
 */
import { IANAZone } from "luxon";
import { addDays, isValidDate, type LocalDate } from "./dates";

export interface ReminderOccurrence {
  date: LocalDate;
  /** The reminder's local time as set, "HH:MM" (not the wall time it fired at after a gap). */
  time: string;
  at: Date;
}

const TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;
const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;

function zoneOf(zone: string): IANAZone {
  const iana = IANAZone.create(zone);
  if (!iana.isValid) throw new RangeError(`unknown time zone ${zone}`);
  return iana;
}

/** The zone's offset from UTC at an instant, in ms. */
function offsetMs(zone: IANAZone, instant: number): number {
  return zone.offset(instant) * MS_PER_MINUTE;
}

/** The local wall time at an instant, as ms since 1970-01-01T00:00 of that wall clock. */
function wallMs(zone: IANAZone, instant: number): number {
  return instant + offsetMs(zone, instant);
}

/** The wall time of a local date and "HH:MM", as ms since 1970-01-01T00:00 of that wall clock. */
function wallOf(date: LocalDate, time: string): number {
  const match = TIME_PATTERN.exec(time);
  if (!isValidDate(date)) throw new RangeError(`invalid date ${date}`);
  if (!match) throw new RangeError(`invalid time ${time}, expected HH:MM`);
  return Date.parse(`${date}T00:00:00Z`) + (Number(match[1]) * 60 + Number(match[2])) * MS_PER_MINUTE;
}

function instantOfWall(zone: IANAZone, wall: number): number {
  // Any instant showing this wall time is wall − offset for an offset the zone has within a day
  // of it; offsets a day either side cover every transition near it (the approach Temporal's
  // reference code takes).
  const offsets = new Set([offsetMs(zone, wall - MS_PER_DAY), offsetMs(zone, wall), offsetMs(zone, wall + MS_PER_DAY)]);
  let earliest = Number.POSITIVE_INFINITY;
  for (const offset of offsets) {
    const instant = wall - offset;
    if (offsetMs(zone, instant) === offset && instant < earliest) earliest = instant;
  }
  if (earliest !== Number.POSITIVE_INFINITY) return earliest;

  // A gap: the instant it ends lies between wall − largest offset (still before the jump, so its
  // wall time is earlier) and wall − smallest offset (after it, so later). Bisect to the
  // millisecond for the first instant whose wall time is past `wall`.
  let before = wall - Math.max(...offsets);
  let after = wall - Math.min(...offsets);
  if (!(wallMs(zone, before) < wall && wallMs(zone, after) > wall)) {
    throw new RangeError(`cannot place wall time ${new Date(wall).toISOString()} in ${zone.name}`);
  }
  while (after - before > 1) {
    const middle = before + Math.floor((after - before) / 2);
    if (wallMs(zone, middle) < wall) before = middle;
    else after = middle;
  }
  return after;
}

/** The instant a reminder set for local `time` ("HH:MM") on local `date` fires in `zone`. */
export function reminderInstant(date: LocalDate, time: string, zone: string): Date {
  return new Date(instantOfWall(zoneOf(zone), wallOf(date, time)));
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The local date in `zone` at an instant. */
function localDateAt(zone: IANAZone, instant: number): LocalDate {
  return new Date(wallMs(zone, instant)).toISOString().slice(0, 10);
}

/**
 * Every reminder of a habit with reminders at `times` firing after `since` and up to and
 * including `until`, by instant then time; each (date, time) once, so a repeated fall-back hour
 * fires nothing twice. Windows that follow each other ((a, b] then (b, c]) add up to (a, c].
 * Work grows with the window's length in days: meant for a scheduler's tick, not for years.
 */
export function occurrencesBetween(times: readonly string[], zone: string, since: Date, until: Date): ReminderOccurrence[] {
  const iana = zoneOf(zone);
  const from = since.getTime();
  const to = until.getTime();
  if (!(to > from)) return [];
  const unique = [...new Set(times)];
  // A day either side: a time in a gap may fire on the next local date, and a fall back at
  // midnight makes local dates go backwards for an hour.
  const last = addDays(localDateAt(iana, to), 1);
  const occurrences: ReminderOccurrence[] = [];
  for (let date = addDays(localDateAt(iana, from), -1); date <= last; date = addDays(date, 1)) {
    for (const time of unique) {
      const at = instantOfWall(iana, wallOf(date, time));
      if (at > from && at <= to) occurrences.push({ date, time, at: new Date(at) });
    }
  }
  return occurrences.sort((a, b) => a.at.getTime() - b.at.getTime() || compare(a.time, b.time) || compare(a.date, b.date));
}
