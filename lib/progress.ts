/**
 * Day statuses, streaks, stats and Loop's habit-strength score (DESIGN.md §4), rebuilt from a
 * habit's rules and raw check-ins. Pure: `today` is an input, nothing reads a clock.
 * Internally dates are epoch-day numbers, so one pass over ten years of history is a few
 * thousand integer steps.
 */
import { fromDay, isoWeekdayOfDay, toDay, weekStartOfDay, type LocalDate } from "./dates";
import { frequencyOf, isCompleted, type CheckinFacts, type Schedule, type Target } from "./habit-rules";

export type DayStatus = "done" | "skipped" | "partial" | "pending" | "missed" | "not_due";
export type WeekState = "met" | "pending" | "transparent" | "excused" | "missed";
export type StreakUnit = "days" | "weeks";

export interface HabitHistory {
  schedule: Schedule;
  target: Target;
  startDate: LocalDate;
  /** The user's current local date. */
  today: LocalDate;
  checkins: readonly CheckinFacts[];
}

export interface Streak {
  current: number;
  longest: number;
  unit: StreakUnit;
  /** First day (or week's Monday) of the run `current` counts; null when current is 0. */
  currentRunStart: LocalDate | null;
}

export interface Progress extends Streak {
  completedToday: boolean;
  lastCompletedDate: LocalDate | null;
  score: number;
}

export interface Stats {
  from: LocalDate;
  to: LocalDate;
  scheduled: number;
  completed: number;
  skipped: number;
  missed: number;
  completionRate: number;
  days: Array<{ date: LocalDate; status: DayStatus }>;
}

/** What a check-in on one day amounts to. */
const enum Mark {
  None = 0,
  Completed = 1,
  Skipped = 2,
  /** done, but a numeric target missed */
  Partial = 3,
}

/** Rounds half-up to 4 decimals, ignoring binary noise (0.12345 stored as 0.1234499…). */
export function round4(value: number): number {
  return Math.round(Number((value * 10_000).toPrecision(12))) / 10_000;
}

/** A history indexed for the rules: one mark per epoch day (a dense array), and the day range. */
class Indexed {
  readonly start: number;
  readonly end: number;
  /** marks[day - first], for first..first+marks.length-1. */
  private readonly marks: Uint8Array;
  private readonly first: number;
  readonly lastCompleted: number | null;

  constructor(readonly history: HabitHistory) {
    this.start = toDay(history.startDate);
    this.end = toDay(history.today);
    const days = history.checkins.map((checkin) => toDay(checkin.date));
    let first = this.start;
    let last = this.end;
    for (const day of days) {
      first = Math.min(first, day);
      last = Math.max(last, day);
    }
    this.first = first;
    this.marks = new Uint8Array(Math.max(0, last - this.first + 1));
    let lastCompleted: number | null = null;
    for (let i = 0; i < days.length; i++) {
      const checkin = history.checkins[i];
      const mark =
        checkin.status === "skipped" ? Mark.Skipped : isCompleted(checkin, history.target) ? Mark.Completed : Mark.Partial;
      this.marks[days[i] - first] = mark;
      if (mark === Mark.Completed && (lastCompleted === null || days[i] > lastCompleted)) lastCompleted = days[i];
    }
    this.lastCompleted = lastCompleted;
  }

  mark(day: number): Mark {
    const index = day - this.first;
    return index >= 0 && index < this.marks.length ? this.marks[index] : Mark.None;
  }

  get weekly(): boolean {
    return this.history.schedule.type === "times_per_week";
  }

  /** Day schedules only: whether `day` is a scheduled day. */
  scheduled(day: number): boolean {
    if (day < this.start) return false;
    const schedule = this.history.schedule;
    switch (schedule.type) {
      case "daily":
        return true;
      case "weekdays":
        return schedule.days.includes(isoWeekdayOfDay(day));
      case "every_n_days":
        return (day - this.start) % schedule.n === 0;
      case "times_per_week":
        return false;
    }
  }

  /** Completed and skipped check-ins in the ISO week starting `monday`, up to today. */
  weekCounts(monday: number): { completed: number; skipped: number } {
    let completed = 0;
    let skipped = 0;
    for (let day = monday; day <= Math.min(monday + 6, this.end); day++) {
      const mark = this.mark(day);
      if (mark === Mark.Completed) completed++;
      else if (mark === Mark.Skipped) skipped++;
    }
    return { completed, skipped };
  }

  weekState(monday: number): WeekState {
    const times = (this.history.schedule as { times: number }).times;
    const { completed, skipped } = this.weekCounts(monday);
    if (completed >= times) return "met";
    if (monday === weekStartOfDay(this.end)) return "pending";
    if (monday === weekStartOfDay(this.start)) return "transparent";
    if (completed + skipped >= times) return "excused";
    return "missed";
  }

  dayStatus(day: number): DayStatus {
    if (day < this.start || day > this.end) return "not_due";
    const mark = this.mark(day);
    if (mark === Mark.Skipped) return "skipped";
    if (mark === Mark.Completed) return "done";
    if (mark === Mark.Partial) return "partial";
    if (!this.weekly) {
      if (!this.scheduled(day)) return "not_due";
      return day === this.end ? "pending" : "missed";
    }
    const monday = weekStartOfDay(day);
    if (day === this.end) return this.weekState(monday) === "met" ? "not_due" : "pending";
    return this.weekState(monday) === "missed" ? "missed" : "not_due";
  }

  streak(): Streak {
    return this.weekly ? this.weekStreak() : this.dayStreak();
  }

  /** Runs of scheduled days without a missed one; skipped and pending days neither count nor break. */
  private dayStreak(): Streak {
    let run = 0;
    let runStart: number | null = null;
    let longest = 0;
    let lastBroke = true;
    for (let day = this.start; day <= this.end; day++) {
      if (!this.scheduled(day)) continue;
      const mark = this.mark(day);
      const kept = mark === Mark.Completed || mark === Mark.Skipped;
      if (!kept && day === this.end) break; // pending today: neither counts nor breaks
      if (!kept) {
        run = 0;
        runStart = null;
        lastBroke = true;
        continue;
      }
      runStart ??= day;
      lastBroke = false;
      if (mark === Mark.Completed) longest = Math.max(longest, ++run);
    }
    const current = lastBroke ? 0 : run;
    return { current, longest, unit: "days", currentRunStart: current > 0 && runStart !== null ? fromDay(runStart) : null };
  }

  /** Runs of ISO weeks without a missed one, counting met weeks. */
  private weekStreak(): Streak {
    let run = 0;
    let runStart: number | null = null;
    let longest = 0;
    let lastBroke = true;
    if (this.start <= this.end) {
      for (let monday = weekStartOfDay(this.start); monday <= this.end; monday += 7) {
        const state = this.weekState(monday);
        if (state === "pending") continue;
        if (state === "missed") {
          run = 0;
          runStart = null;
          lastBroke = true;
          continue;
        }
        runStart ??= monday;
        lastBroke = false;
        if (state === "met") longest = Math.max(longest, ++run);
      }
    }
    const current = lastBroke ? 0 : run;
    return { current, longest, unit: "weeks", currentRunStart: current > 0 && runStart !== null ? fromDay(runStart) : null };
  }

  /** Loop Habit Tracker's strength: an exponential moving average of a windowed completion rate. */
  score(): number {
    if (this.start > this.end) return 0;
    const { num, den } = frequencyOf(this.history.schedule);
    const multiplier = 0.5 ** (Math.sqrt(num / den) / 13);
    const [windowNum, windowDen] = num / den < 1 ? [2 * num, 2 * den] : [num, den];
    // completedUpTo[i]: completed check-ins on days first..first+i-1 (any day, scheduled or not).
    const first = this.start - windowDen;
    const completedUpTo = new Int32Array(this.end - first + 2);
    for (let day = first; day <= this.end; day++) {
      completedUpTo[day - first + 1] = completedUpTo[day - first] + (this.mark(day) === Mark.Completed ? 1 : 0);
    }
    let score = 0;
    for (let day = this.start; day <= this.end; day++) {
      if (this.mark(day) === Mark.Skipped) continue;
      const inWindow = completedUpTo[day - first + 1] - completedUpTo[day - windowDen + 1 - first];
      const percentage = Math.min(1, inWindow / windowNum);
      score = score * multiplier + percentage * (1 - multiplier);
    }
    return score;
  }
}

export function computeProgress(history: HabitHistory): Progress {
  const indexed = new Indexed(history);
  return {
    ...indexed.streak(),
    completedToday: indexed.mark(indexed.end) === Mark.Completed,
    lastCompletedDate: indexed.lastCompleted === null ? null : fromDay(indexed.lastCompleted),
    score: round4(indexed.score()),
  };
}

export function dayStatuses(history: HabitHistory, from: LocalDate, to: LocalDate): Stats["days"] {
  const indexed = new Indexed(history);
  const days: Stats["days"] = [];
  for (let day = toDay(from); day <= toDay(to); day++) days.push({ date: fromDay(day), status: indexed.dayStatus(day) });
  return days;
}

/**
 * Stats over `from..to`, already validated and clamped to startDate..today by the caller; a
 * range that clamps to nothing (from > to) answers no days and zero counts.
 */
export function computeStats(history: HabitHistory, from: LocalDate, to: LocalDate): Stats {
  const days = toDay(from) <= toDay(to) ? dayStatuses(history, from, to) : [];
  let completed = 0;
  let skipped = 0;
  let missed = 0;
  let pendingToday = 0;
  for (const { date, status } of days) {
    if (status === "done") completed++;
    else if (status === "skipped") skipped++;
    else if (status === "missed") missed++;
    else if (status === "partial" && date !== history.today) missed++;
    if (date === history.today && (status === "pending" || status === "partial")) pendingToday = 1;
  }
  const decided = completed + missed;
  return {
    from,
    to,
    scheduled: completed + skipped + missed + pendingToday,
    completed,
    skipped,
    missed,
    completionRate: decided === 0 ? 0 : round4(completed / decided),
    days,
  };
}

/** `/today`'s `due`: scheduled today, or (times_per_week) fewer than N completed earlier this week. */
export function isDueToday(history: HabitHistory): boolean {
  const indexed = new Indexed(history);
  if (indexed.start > indexed.end) return false;
  if (!indexed.weekly) return indexed.scheduled(indexed.end);
  const times = (history.schedule as { times: number }).times;
  let completedBefore = 0;
  for (let day = weekStartOfDay(indexed.end); day < indexed.end; day++) {
    if (indexed.mark(day) === Mark.Completed) completedBefore++;
  }
  return completedBefore < times;
}
