/**
 * Schedules, targets and completion (DESIGN.md §4). Pure: no clock, no I/O.
 */
export type Schedule =
  | { type: "daily" }
  | { type: "weekdays"; days: number[] }
  | { type: "every_n_days"; n: number }
  | { type: "times_per_week"; times: number };

export type Target =
  | { type: "boolean" }
  | { type: "at_least"; value: number; unit?: string }
  | { type: "at_most"; value: number; unit?: string };

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

export const DAY_MILESTONES = [7, 30, 100, 365] as const;
export const WEEK_MILESTONES = [4, 12, 52] as const;
