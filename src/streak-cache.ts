/**
 * The streak cache (shared store): per habit, everything `/today` and `/streak` need for one
 * local day, and the base a check-in for today is applied to without reading the history again.
 * An entry is *validated, not invalidated*: it records the two revisions it was computed at —
 * the habit's rules (`habits.revision`) and its check-ins (`habit_progress.revision`) — and the
 * local date, and is used only while all three are current. Writes are compare-and-set on the
 * check-ins revision, so a slow writer holding an older computation never wins.
 */
import type { LocalDate } from "../lib/dates";
import type { CheckinFacts, Schedule, Target } from "../lib/habit-rules";
import { baseBeforeToday, withToday, type DayStatus, type HabitHistory, type Progress, type TodayBase } from "../lib/progress";
import type { SharedStore } from "./store";

/** A habit as its streak is computed: its rules, the check-ins' revision, and the owner's today. */
export interface HabitState {
  rules: { id: string; schedule: Schedule; target: Target; startDate: LocalDate; revision: number };
  revision: number;
  today: LocalDate;
}

export interface CachedProgress {
  rulesRevision: number;
  revision: number;
  today: LocalDate;
  progress: Progress;
  due: boolean;
  todayStatus: DayStatus;
  todayValue: number | null;
  base: TodayBase;
}

const TTL_SECONDS = 24 * 3600;
const keyOf = (habitId: string) => `streak:${habitId}`;

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
    revision: state.revision,
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

/** Whether an entry still describes the habit: same local day, same rules, same check-ins. */
export function isFresh(entry: CachedProgress | null, state: HabitState): entry is CachedProgress {
  return entry !== null && entry.today === state.today && entry.revision === state.revision && entry.rulesRevision === state.rules.revision;
}

export class StreakCache {
  constructor(
    private readonly store: SharedStore,
    private readonly warn: (message: string) => void,
  ) {}

  /** The entries of these habits (null where absent, or where the store cannot answer: it is a cache). */
  async get(habitIds: string[]): Promise<Array<CachedProgress | null>> {
    try {
      return await this.store.getJson<CachedProgress>(habitIds.map(keyOf));
    } catch (err) {
      this.warn(`Streak cache read failed: ${(err as Error).message}`);
      return habitIds.map(() => null);
    }
  }

  /** Writes an entry through; a failure only costs the next reader a recompute. */
  async put(habitId: string, entry: CachedProgress): Promise<void> {
    try {
      await this.store.putJsonIfNewer(keyOf(habitId), entry, TTL_SECONDS);
    } catch (err) {
      this.warn(`Streak cache write failed for ${habitId}: ${(err as Error).message}`);
    }
  }
}
