/** Habits' schedules and targets in words, and the numbers as people read them. */
import type { Schedule, Target } from "../types";

export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

export function describeSchedule(schedule: Schedule): string {
  switch (schedule.type) {
    case "daily":
      return "Every day";
    case "weekdays":
      return schedule.days.length === 7 ? "Every day" : schedule.days.map((day) => WEEKDAYS[day - 1].slice(0, 3)).join(", ");
    case "every_n_days":
      return schedule.n === 1 ? "Every day" : `Every ${schedule.n} days`;
    case "times_per_week":
      return `${schedule.times} ${schedule.times === 1 ? "time" : "times"} a week`;
  }
}

export function describeTarget(target: Target): string {
  if (target.type === "boolean") return "Yes or no";
  return `${target.type === "at_least" ? "At least" : "At most"} ${formatNumber(target.value)} ${target.unit ?? ""}`.trim();
}

export function describeStreak(count: number, unit: "days" | "weeks"): string {
  const one = unit === "days" ? "day" : "week";
  return `${count} ${count === 1 ? one : unit}`;
}

/** A score 0..1 as a whole percentage. */
export function percent(value: number): string {
  return `${Math.round(value * 100)}%`;
}

export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 1000) / 1000);
}
