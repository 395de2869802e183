/**
 * A deliberately simple, day-by-day reading of docs/contract.md ("Domain rules"), written apart from lib/ to check
 * it: string dates, linear scans, no indexes, no cleverness. Slow on purpose; only for tests.
 */
type Schedule =
  | { type: "daily" }
  | { type: "weekdays"; days: number[] }
  | { type: "every_n_days"; n: number }
  | { type: "times_per_week"; times: number };
type Target = { type: "boolean" } | { type: "at_least"; value: number } | { type: "at_most"; value: number };
type Checkin = { date: string; status: "done" | "skipped"; value: number | null };

export interface ReferenceHabit {
  schedule: Schedule;
  target: Target;
  startDate: string;
  today: string;
  checkins: Checkin[];
}

export function nextDate(date: string, days = 1): string {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function weekday(date: string): number {
  const sunday0 = new Date(`${date}T12:00:00Z`).getUTCDay();
  return sunday0 === 0 ? 7 : sunday0;
}

function mondayOf(date: string): string {
  return nextDate(date, -(weekday(date) - 1));
}

function datesFrom(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = nextDate(d)) out.push(d);
  return out;
}

function checkinOn(habit: ReferenceHabit, date: string): Checkin | undefined {
  return habit.checkins.find((c) => c.date === date);
}

function completed(habit: ReferenceHabit, c: Checkin | undefined): boolean {
  if (!c || c.status !== "done") return false;
  if (habit.target.type === "boolean") return true;
  if (c.value === null) return false;
  return habit.target.type === "at_least" ? c.value >= habit.target.value : c.value <= habit.target.value;
}

function isScheduled(habit: ReferenceHabit, date: string): boolean {
  if (date < habit.startDate) return false;
  const s = habit.schedule;
  if (s.type === "daily") return true;
  if (s.type === "weekdays") return s.days.includes(weekday(date));
  if (s.type === "every_n_days") {
    let k = 0;
    for (let d = habit.startDate; d < date; d = nextDate(d)) k++;
    return k % s.n === 0;
  }
  return false;
}

function weekState(habit: ReferenceHabit, monday: string): string {
  const times = (habit.schedule as { times: number }).times;
  let done = 0;
  let skipped = 0;
  for (const d of datesFrom(monday, nextDate(monday, 6))) {
    if (d > habit.today) break;
    const c = checkinOn(habit, d);
    if (completed(habit, c)) done++;
    else if (c?.status === "skipped") skipped++;
  }
  if (done >= times) return "met";
  if (monday === mondayOf(habit.today)) return "pending";
  if (monday === mondayOf(habit.startDate)) return "transparent";
  if (done + skipped >= times) return "excused";
  return "missed";
}

export function referenceStatus(habit: ReferenceHabit, date: string): string {
  if (date < habit.startDate || date > habit.today) return "not_due";
  const c = checkinOn(habit, date);
  if (c?.status === "skipped") return "skipped";
  if (completed(habit, c)) return "done";
  if (c?.status === "done") return "partial";
  if (habit.schedule.type !== "times_per_week") {
    if (!isScheduled(habit, date)) return "not_due";
    return date === habit.today ? "pending" : "missed";
  }
  if (date === habit.today) return weekState(habit, mondayOf(date)) === "met" ? "not_due" : "pending";
  return weekState(habit, mondayOf(date)) === "missed" ? "missed" : "not_due";
}

export function referenceStreak(habit: ReferenceHabit): { current: number; longest: number } {
  // The sequence of "periods" (scheduled days, or weeks) with their outcome.
  const outcomes: string[] = [];
  if (habit.startDate <= habit.today) {
    if (habit.schedule.type === "times_per_week") {
      for (let monday = mondayOf(habit.startDate); monday <= habit.today; monday = nextDate(monday, 7)) {
        const state = weekState(habit, monday);
        outcomes.push(state === "met" ? "count" : state === "missed" ? "break" : state === "pending" ? "pending" : "neutral");
      }
    } else {
      for (const d of datesFrom(habit.startDate, habit.today)) {
        if (!isScheduled(habit, d)) continue;
        const c = checkinOn(habit, d);
        if (completed(habit, c)) outcomes.push("count");
        else if (c?.status === "skipped") outcomes.push("neutral");
        else outcomes.push(d === habit.today ? "pending" : "break");
      }
    }
  }
  const decided = outcomes.filter((o) => o !== "pending");
  const runs: number[] = [0];
  for (const o of decided) {
    if (o === "break") runs.push(0);
    else if (o === "count") runs[runs.length - 1]++;
  }
  const last = decided[decided.length - 1];
  return { current: last === undefined || last === "break" ? 0 : runs[runs.length - 1], longest: Math.max(...runs) };
}

function gcd(a: number, b: number): number {
  return b ? gcd(b, a % b) : a;
}

/** The unrounded score. */
export function referenceScore(habit: ReferenceHabit): number {
  const s = habit.schedule;
  let num = s.type === "daily" ? 1 : s.type === "weekdays" ? new Set(s.days).size : s.type === "every_n_days" ? 1 : s.times;
  let den = s.type === "daily" ? 1 : s.type === "every_n_days" ? s.n : 7;
  const g = gcd(num, den);
  num /= g;
  den /= g;
  const m = Math.pow(0.5, Math.sqrt(num / den) / 13);
  const [wn, wd] = num / den < 1 ? [num * 2, den * 2] : [num, den];
  let score = 0;
  if (habit.startDate > habit.today) return 0;
  for (const d of datesFrom(habit.startDate, habit.today)) {
    if (checkinOn(habit, d)?.status === "skipped") continue;
    const windowStart = nextDate(d, -(wd - 1));
    const count = habit.checkins.filter((c) => c.date >= windowStart && c.date <= d && completed(habit, c)).length;
    score = score * m + Math.min(1, count / wn) * (1 - m);
  }
  return score;
}

/** Half-up to 4 decimals, by decimal string arithmetic. */
export function referenceRound4(x: number): number {
  const [whole, fraction = ""] = x.toFixed(10).split(".");
  const kept = Number(`${whole}.${fraction.slice(0, 4)}`);
  return Number(fraction[4]) >= 5 ? Number((kept + 0.0001).toFixed(4)) : kept;
}

export function referenceStats(habit: ReferenceHabit, from: string, to: string) {
  const days = from <= to ? datesFrom(from, to).map((date) => ({ date, status: referenceStatus(habit, date) })) : [];
  const count = (status: string) => days.filter((d) => d.status === status).length;
  const completedDays = count("done");
  const skippedDays = count("skipped");
  const missedDays = count("missed") + days.filter((d) => d.status === "partial" && d.date < habit.today).length;
  const todayEntry = days.find((d) => d.date === habit.today);
  const todayPending = todayEntry && (todayEntry.status === "pending" || todayEntry.status === "partial") ? 1 : 0;
  const denominator = completedDays + missedDays;
  return {
    from,
    to,
    scheduled: completedDays + skippedDays + missedDays + todayPending,
    completed: completedDays,
    skipped: skippedDays,
    missed: missedDays,
    completionRate: denominator === 0 ? 0 : referenceRound4(completedDays / denominator),
    days,
  };
}
