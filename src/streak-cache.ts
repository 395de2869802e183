/**
 * The streak cache (shared store, src/versioned-documents.ts): per habit, everything `/today` and
 * `/streak` need for one local day, and the base a check-in for today is applied to without
 * reading the history again. Its revision is that of the habit's check-ins
 * (`habit_progress.revision`): `tracking` marks it pending in every write and writes it after the
 * commit. An entry is used while it was computed under the habit's current rules (the habit's
 * own `revision`, bumped by `habits` when schedule, target or start date change) for the owner's
 * current local date; otherwise it is recomputed from the history.
 */
import type { LocalDate } from "../lib/dates";
import type { CheckinFacts, Schedule, Target } from "../lib/habit-rules";
import { baseBeforeToday, withToday, type DayStatus, type HabitHistory, type Progress, type TodayBase } from "../lib/progress";
import type { SharedStore } from "./store";
import { VersionedDocuments, type Found } from "./versioned-documents";

/** A habit as its streak is computed: its rules and the owner's today. */
export interface HabitState {
  rules: { schedule: Schedule; target: Target; startDate: LocalDate; revision: number };
  today: LocalDate;
}

export interface CachedProgress {
  rulesRevision: number;
  today: LocalDate;
  progress: Progress;
  due: boolean;
  todayStatus: DayStatus;
  todayValue: number | null;
  base: TodayBase;
}

export type StreakEntry = Found<CachedProgress>;

export function streakCache(store: SharedStore, warn: (message: string) => void): VersionedDocuments<CachedProgress> {
  return new VersionedDocuments<CachedProgress>(store, "streak:", warn);
}

export function historyOf(state: HabitState, checkins: readonly CheckinFacts[]): HabitHistory {
  const { schedule, target, startDate } = state.rules;
  return { schedule, target, startDate, today: state.today, checkins };
}

/** The entry for a state from a base (its history without today) and today's check-in, if any. */
export function withTodayCheckin(
  state: HabitState,
  base: TodayBase,
  todayCheckin: Pick<CheckinFacts, "status" | "value"> | null,
): CachedProgress {
  const { progress, due, status } = withToday(base, todayCheckin);
  return {
    rulesRevision: state.rules.revision,
    today: base.today,
    progress,
    due,
    todayStatus: status,
    todayValue: todayCheckin?.value ?? null,
    base,
  };
}

/** The entry for a state from its whole history. */
export function summarize(state: HabitState, checkins: readonly CheckinFacts[]): CachedProgress {
  const base = baseBeforeToday(historyOf(state, checkins));
  return withTodayCheckin(state, base, checkins.find((checkin) => checkin.date === state.today) ?? null);
}

/** Whether an entry describes the habit in this state: computed under these rules, for this day. */
export function isCurrent(entry: StreakEntry | null, state: HabitState): entry is StreakEntry {
  return entry !== null && entry.value.today === state.today && entry.value.rulesRevision === state.rules.revision;
}
