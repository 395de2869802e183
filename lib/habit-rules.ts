/**
 * Schedules, targets and completion (docs/contract.md, "Domain rules"). Pure: no clock, no I/O.
 */
import { isoWeekdayOfDay, toDay, type LocalDate } from "./dates";
export type Schedule =
  | { type: "daily" }
  | { type: "weekdays"; days: number[] }
  | { type: "every_n_days"; n: number }
  | { type: "times_per_week"; times: number };

export type Target =
  { type: "boolean" } | { type: "at_least"; value: number; unit?: string } | { type: "at_most"; value: number; unit?: string };

export type CheckinStatus = "done" | "skipped";

export interface CheckinFacts {
  date: string;
  status: CheckinStatus;
  value: number | null;
}

/** Done and the target met. A skipped check-in is never completed. */
export function isCompleted(checkin: Pick<CheckinFacts, "status" | "value">, target: Target): boolean {
  if (checkin.status !== "done") return false;
  switch (target.type) {
    case "boolean":
      return true;
    case "at_least":
      return checkin.value !== null && checkin.value >= target.value;
    case "at_most":
      return checkin.value !== null && checkin.value <= target.value;
  }
}

/**
 * Whether epoch day `day` is a scheduled day of a day schedule that starts on epoch day
 * `startDay`. No day before the start is; times_per_week schedules no single day (it counts weeks).
 */
export function isScheduledDay(schedule: Schedule, startDay: number, day: number): boolean {
  if (day < startDay) return false;
  switch (schedule.type) {
    case "daily":
      return true;
    case "weekdays":
      return schedule.days.includes(isoWeekdayOfDay(day));
    case "every_n_days":
      return (day - startDay) % schedule.n === 0;
    case "times_per_week":
      return false;
  }
}

/** `isScheduledDay` for calendar dates. */
export function isScheduled(schedule: Schedule, startDate: LocalDate, date: LocalDate): boolean {
  return isScheduledDay(schedule, toDay(startDate), toDay(date));
}

export interface Frequency {
  num: number;
  den: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Habit frequency in lowest terms: daily 1/1, weekdays k/7, every_n_days 1/n, times_per_week N/7. */
export function frequencyOf(schedule: Schedule): Frequency {
  const [num, den] =
    schedule.type === "daily"
      ? [1, 1]
      : schedule.type === "weekdays"
        ? [new Set(schedule.days).size, 7]
        : schedule.type === "every_n_days"
          ? [1, schedule.n]
          : [schedule.times, 7];
  const divisor = gcd(num, den);
  return { num: num / divisor, den: den / divisor };
}

/**
 * The earliest start date a habit may have: every streak and score is computed over the days
 * from the start date, so the start bounds what one read or write costs (about 46,000 days).
 */
export const EARLIEST_START_DATE = "1900-01-01";

export const DAY_MILESTONES = [7, 30, 100, 365] as const;
export const WEEK_MILESTONES = [4, 12, 52] as const;

const isInteger = (value: unknown, min: number, max: number): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;

const hasOnlyKeys = (value: object, keys: string[]) => Object.keys(value).every((key) => keys.includes(key));

/** Why `value` is not a valid schedule, or null when it is one. */
export function scheduleProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "must be an object with a type";
  const schedule = value as Record<string, unknown>;
  switch (schedule.type) {
    case "daily":
      return hasOnlyKeys(schedule, ["type"]) ? null : "of type daily takes no other fields";
    case "weekdays": {
      const days = schedule.days;
      if (!hasOnlyKeys(schedule, ["type", "days"])) return "of type weekdays takes only days";
      if (!Array.isArray(days) || days.length === 0 || days.length > 7) return "days must list 1 to 7 ISO weekdays";
      if (!days.every((day) => isInteger(day, 1, 7))) return "days must be ISO weekdays 1 (Monday) to 7 (Sunday)";
      return new Set(days).size === days.length ? null : "days must not repeat";
    }
    case "every_n_days":
      if (!hasOnlyKeys(schedule, ["type", "n"])) return "of type every_n_days takes only n";
      return isInteger(schedule.n, 1, 365) ? null : "n must be a whole number from 1 to 365";
    case "times_per_week":
      if (!hasOnlyKeys(schedule, ["type", "times"])) return "of type times_per_week takes only times";
      return isInteger(schedule.times, 1, 7) ? null : "times must be a whole number from 1 to 7";
    default:
      return "type must be daily, weekdays, every_n_days or times_per_week";
  }
}

/** Why `value` is not a valid target, or null when it is one. */
export function targetProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "must be an object with a type";
  const target = value as Record<string, unknown>;
  if (target.type === "boolean") return hasOnlyKeys(target, ["type"]) ? null : "of type boolean takes no other fields";
  if (target.type !== "at_least" && target.type !== "at_most") return "type must be boolean, at_least or at_most";
  if (!hasOnlyKeys(target, ["type", "value", "unit"])) return "takes only type, value and unit";
  if (typeof target.value !== "number" || !Number.isFinite(target.value) || target.value < 0 || target.value > 1e9) {
    return "value must be a number from 0 to 1e9";
  }
  if (target.unit !== undefined && (typeof target.unit !== "string" || target.unit.length > 30)) {
    return "unit must be a text of at most 30 characters";
  }
  return null;
}

/** Schedules and targets as stored: days sorted, so equal schedules compare equal. */
export function normalizeSchedule(schedule: Schedule): Schedule {
  return schedule.type === "weekdays" ? { type: "weekdays", days: [...schedule.days].sort((a, b) => a - b) } : schedule;
}
