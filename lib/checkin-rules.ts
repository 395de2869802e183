/**
 * What a check-in, a date range and a habit change must satisfy (docs/contract.md, "Check-ins"
 * and "Habits"), and which milestones a check-in reaches. Pure: `today` is an input.
 */
import { addDays, daysBetween, type LocalDate } from "./dates";
import { DAY_MILESTONES, WEEK_MILESTONES, type CheckinStatus, type Target } from "./habit-rules";
import type { Streak } from "./progress";
import { RuleViolation } from "./rule-violation";

/** Longest date range a list or stats request may ask for. */
export const MAX_RANGE_DAYS = 366;

/** @throws RuleViolation unless the check-in fits the habit: in startDate..today, value as the target wants. */
export function assertCheckinFits(
  checkin: { date: LocalDate; status: CheckinStatus; value: number | null },
  habit: { startDate: LocalDate; target: Target },
  today: LocalDate,
): void {
  if (checkin.date < habit.startDate || checkin.date > today) {
    throw new RuleViolation("date", "dateOutOfRange", `The date must be between ${habit.startDate} and today (${today}).`);
  }
  if (habit.target.type === "boolean" && checkin.value !== null) {
    throw new RuleViolation("value", "valueNotAllowed", "A boolean habit takes no value.");
  }
  if (habit.target.type !== "boolean" && checkin.status === "done" && checkin.value === null) {
    throw new RuleViolation("value", "valueRequired", "A numeric habit needs a value when done.");
  }
}

/**
 * A from/to range as sent, checked (from ≤ to, at most MAX_RANGE_DAYS dates), then clamped to
 * startDate..today; `to` defaults to today, `from` to `to` − 29. A range that clamps to nothing
 * comes back with from > to.
 * @throws RuleViolation naming `from` or `to`
 */
export function resolveRange(
  range: { from?: LocalDate; to?: LocalDate },
  startDate: LocalDate,
  today: LocalDate,
): { from: LocalDate; to: LocalDate } {
  const end = range.to ?? today;
  const start = range.from ?? addDays(end, -29);
  if (start > end) throw new RuleViolation("from", "rangeOrder", "'from' must not be after 'to'.");
  if (daysBetween(start, end) + 1 > MAX_RANGE_DAYS)
    throw new RuleViolation("to", "rangeSize", `A range holds at most ${MAX_RANGE_DAYS} dates.`);
  return { from: start < startDate ? startDate : start, to: end > today ? today : end };
}

/**
 * The milestones a check-in reached: those up to the new current streak, when it grew and is a
 * run (the caller records each once per run).
 */
export function milestonesReached(previousCurrent: number, next: Pick<Streak, "current" | "unit" | "currentRunStart">): number[] {
  if (next.currentRunStart === null || next.current <= previousCurrent) return [];
  return (next.unit === "days" ? DAY_MILESTONES : WEEK_MILESTONES).filter((milestone) => milestone <= next.current);
}

/** @throws RuleViolation when a new start date would leave a check-in before it. */
export function assertStartDateKeepsCheckins(startDate: LocalDate, earliestCheckin: LocalDate | null): void {
  if (earliestCheckin !== null && startDate > earliestCheckin) {
    throw new RuleViolation("startDate", "startDateAfterCheckin", `The habit has a check-in on ${earliestCheckin}, before ${startDate}.`);
  }
}

/** @throws RuleViolation when an account holding `count` habits may not add another. */
export function assertRoomForHabit(count: number, maxHabits: number): void {
  if (count >= maxHabits)
    throw new RuleViolation("habits", "habitLimit", `An account holds at most ${maxHabits} habits (archived ones included).`);
}
