/**
 * Day statuses, streaks, stats and Loop's habit-strength score (docs/contract.md, "Domain rules"), rebuilt from a
 * habit's rules and raw check-ins. Pure: `today` is an input, nothing reads a clock.
 * Internally dates are epoch-day numbers, so one pass over ten years of history is a few
 * thousand integer steps.
 */
import { fromDay, toDay, weekStartOfDay, type LocalDate } from "./dates";
import { frequencyOf, isCompleted, isScheduledDay, type CheckinFacts, type Schedule, type Target } from "./habit-rules";

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

/** What the API shows of a habit's progress (GET /habits/:id/streak, and check-in events). */
export type StreakView = Omit<Progress, "currentRunStart">;

export function streakView(progress: Progress): StreakView {
  const { current, longest, unit, completedToday, lastCompletedDate, score } = progress;
  return { current, longest, unit, completedToday, lastCompletedDate, score };
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

interface RunState {
  run: number;
  runStart: number | null;
  longest: number;
  /** Whether the latest decided period broke the run (or none was decided yet). */
  lastBroke: boolean;
}

const newRun = (): RunState => ({ run: 0, runStart: null, longest: 0, lastBroke: true });

/** One decided period: counted (completed day / met week), kept (skipped, excused, transparent), or a break. */
function advanceRun(state: RunState, outcome: "count" | "keep" | "break", period: number): void {
  if (outcome === "break") {
    state.run = 0;
    state.runStart = null;
    state.lastBroke = true;
    return;
  }
  state.runStart ??= period;
  state.lastBroke = false;
  if (outcome === "count") state.longest = Math.max(state.longest, ++state.run);
}

function finishRun(state: RunState, unit: StreakUnit): Streak {
  const current = state.lastBroke ? 0 : state.run;
  return {
    current,
    longest: state.longest,
    unit,
    currentRunStart: current > 0 && state.runStart !== null ? fromDay(state.runStart) : null,
  };
}

function scoreParameters(schedule: Schedule) {
  const { num, den } = frequencyOf(schedule);
  const [windowNum, windowDen] = num / den < 1 ? [2 * num, 2 * den] : [num, den];
  return { multiplier: 0.5 ** (Math.sqrt(num / den) / 13), windowNum, windowDen };
}

function scoreStep(previous: number, completedInWindow: number, multiplier: number, windowNum: number): number {
  return previous * multiplier + Math.min(1, completedInWindow / windowNum) * (1 - multiplier);
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
      const mark = checkin.status === "skipped" ? Mark.Skipped : isCompleted(checkin, history.target) ? Mark.Completed : Mark.Partial;
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
    return isScheduledDay(this.history.schedule, this.start, day);
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
    return finishRun(this.weekly ? this.weekRuns(this.end) : this.dayRuns(this.end), this.weekly ? "weeks" : "days");
  }

  /**
   * Runs of scheduled days without a missed one, through day `last`; skipped days, and a
   * pending `today`, neither count nor break.
   */
  dayRuns(last: number, state: RunState = newRun()): RunState {
    for (let day = this.start; day <= last; day++) {
      if (!this.scheduled(day)) continue;
      const mark = this.mark(day);
      const kept = mark === Mark.Completed || mark === Mark.Skipped;
      if (!kept && day === this.end) break; // pending today
      advanceRun(state, kept ? (mark === Mark.Completed ? "count" : "keep") : "break", day);
    }
    return state;
  }

  /** Runs of ISO weeks without a missed one, counting met weeks, through the week of `last`. */
  weekRuns(last: number, state: RunState = newRun()): RunState {
    if (this.start > this.end) return state;
    for (let monday = weekStartOfDay(this.start); monday <= last; monday += 7) {
      const week = this.weekState(monday);
      if (week === "pending") continue;
      advanceRun(state, week === "met" ? "count" : week === "missed" ? "break" : "keep", monday);
    }
    return state;
  }

  /**
   * Loop Habit Tracker's strength through day `last`: an exponential moving average of a
   * windowed completion rate.
   */
  score(last = this.end): number {
    if (this.start > last) return 0;
    const { multiplier, windowNum, windowDen } = scoreParameters(this.history.schedule);
    // completedUpTo[i]: completed check-ins on days first..first+i-1 (any day, scheduled or not).
    const first = this.start - windowDen;
    const completedUpTo = new Int32Array(last - first + 2);
    for (let day = first; day <= last; day++) {
      completedUpTo[day - first + 1] = completedUpTo[day - first] + (this.mark(day) === Mark.Completed ? 1 : 0);
    }
    let score = 0;
    for (let day = this.start; day <= last; day++) {
      if (this.mark(day) === Mark.Skipped) continue;
      const inWindow = completedUpTo[day - first + 1] - completedUpTo[day - windowDen + 1 - first];
      score = scoreStep(score, inWindow, multiplier, windowNum);
    }
    return score;
  }

  /** Completed check-ins on days from..to. */
  completedBetween(from: number, to: number): number {
    let count = 0;
    for (let day = from; day <= to; day++) if (this.mark(day) === Mark.Completed) count++;
    return count;
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

/**
 * Whether a reminder for `history.today` is worth sending: the habit is due that day and no
 * check-in has settled it (completed, or skipped).
 */
export function shouldRemind(history: HabitHistory): boolean {
  const that = history.checkins.find((checkin) => checkin.date === history.today);
  if (that !== undefined && (that.status === "skipped" || isCompleted(that, history.target))) return false;
  return isDueToday(history);
}

/**
 * Everything about a habit's history except today's check-in that today's progress, status and
 * `due` depend on. Kept in the streak cache, it lets a check-in for today produce the new
 * values without reading the history again (see `withToday`).
 */
export interface TodayBase {
  today: LocalDate;
  schedule: Schedule;
  target: Target;
  startDate: LocalDate;
  /** The run through the last period decided before today (yesterday, or last week). */
  run: RunState;
  /** Score through yesterday, unrounded. */
  scoreBefore: number;
  /** Completed check-ins in today's score window, today excluded. */
  windowBefore: number;
  /** Latest completed date other than today, or null. */
  lastCompletedBefore: LocalDate | null;
  /** times_per_week: completed days of this week before today. */
  weekCompletedBefore: number;
}

export interface TodaySummary {
  progress: Progress;
  due: boolean;
  status: DayStatus;
}

export function baseBeforeToday(history: HabitHistory): TodayBase {
  const withoutToday = { ...history, checkins: history.checkins.filter((checkin) => checkin.date !== history.today) };
  const indexed = new Indexed(withoutToday);
  const end = indexed.end;
  const monday = weekStartOfDay(end);
  const { windowDen } = scoreParameters(history.schedule);
  return {
    today: history.today,
    schedule: history.schedule,
    target: history.target,
    startDate: history.startDate,
    run: indexed.weekly ? indexed.weekRuns(monday - 1) : indexed.dayRuns(end - 1),
    scoreBefore: indexed.score(end - 1),
    windowBefore: indexed.completedBetween(end - windowDen + 1, end - 1),
    lastCompletedBefore: indexed.lastCompleted === null ? null : fromDay(indexed.lastCompleted),
    weekCompletedBefore: indexed.weekly ? indexed.completedBetween(monday, end - 1) : 0,
  };
}

/** The status a check-in's mark gives today; `unmarked` when there is no check-in. */
function markedStatus(mark: Mark, unmarked: DayStatus): DayStatus {
  return mark === Mark.Skipped ? "skipped" : mark === Mark.Completed ? "done" : mark === Mark.Partial ? "partial" : unmarked;
}

/** Today's progress, status and `due` from a base and today's check-in (or none). */
export function withToday(base: TodayBase, todayCheckin: Pick<CheckinFacts, "status" | "value"> | null): TodaySummary {
  const end = toDay(base.today);
  const start = toDay(base.startDate);
  const mark =
    todayCheckin === null
      ? Mark.None
      : todayCheckin.status === "skipped"
        ? Mark.Skipped
        : isCompleted(todayCheckin, base.target)
          ? Mark.Completed
          : Mark.Partial;
  const run: RunState = { ...base.run };
  const weekly = base.schedule.type === "times_per_week";
  if (start > end) {
    return {
      progress: {
        ...finishRun(run, weekly ? "weeks" : "days"),
        completedToday: false,
        lastCompletedDate: base.lastCompletedBefore,
        score: 0,
      },
      due: false,
      status: "not_due",
    };
  }
  let status: DayStatus;
  let due: boolean;
  if (weekly) {
    const times = (base.schedule as { times: number }).times;
    const completed = base.weekCompletedBefore + (mark === Mark.Completed ? 1 : 0);
    if (completed >= times) advanceRun(run, "count", weekStartOfDay(end));
    due = base.weekCompletedBefore < times;
    status = markedStatus(mark, completed >= times ? "not_due" : "pending");
  } else {
    due = isScheduledDay(base.schedule, start, end);
    if (due && (mark === Mark.Completed || mark === Mark.Skipped)) advanceRun(run, mark === Mark.Completed ? "count" : "keep", end);
    status = markedStatus(mark, due ? "pending" : "not_due");
  }
  const { multiplier, windowNum } = scoreParameters(base.schedule);
  const score =
    mark === Mark.Skipped
      ? base.scoreBefore
      : scoreStep(base.scoreBefore, base.windowBefore + (mark === Mark.Completed ? 1 : 0), multiplier, windowNum);
  const lastCompletedDate =
    mark === Mark.Completed && (base.lastCompletedBefore === null || base.lastCompletedBefore < base.today)
      ? base.today
      : base.lastCompletedBefore;
  return {
    progress: {
      ...finishRun(run, weekly ? "weeks" : "days"),
      completedToday: mark === Mark.Completed,
      lastCompletedDate,
      score: round4(score),
    },
    due,
    status,
  };
}
