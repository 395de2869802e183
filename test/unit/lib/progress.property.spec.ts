/**
 * Property tests (issue 3, check 1): for random histories of every schedule type — with skips,
 * backfills, deletions, check-ins on unscheduled days and numeric at_least/at_most values —
 * the engine agrees with the simple reference in test/unit/lib/reference.ts on current,
 * longest, score, every day's status and the stats of a random range.
 */
import fc from "fast-check";
import { baseBeforeToday, computeProgress, computeStats, dayStatuses, isDueToday, withToday } from "../../../lib/progress";
import type { Schedule, Target } from "../../../lib/habit-rules";
import {
  nextDate,
  referenceRound4,
  referenceScore,
  referenceStats,
  referenceStatus,
  referenceStreak,
  type ReferenceHabit,
} from "./reference";

const RUNS = 1000;

const schedules: Record<string, fc.Arbitrary<Schedule>> = {
  daily: fc.constant({ type: "daily" }),
  weekdays: fc
    .uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 })
    .map((days) => ({ type: "weekdays", days: days.sort() })),
  every_n_days: fc.integer({ min: 1, max: 10 }).map((n) => ({ type: "every_n_days", n })),
  times_per_week: fc.integer({ min: 1, max: 7 }).map((times) => ({ type: "times_per_week", times })),
};

const targets: fc.Arbitrary<Target> = fc.oneof(
  fc.constant({ type: "boolean" } as Target),
  fc.integer({ min: 1, max: 10 }).map((value) => ({ type: "at_least", value }) as Target),
  fc.integer({ min: 0, max: 10 }).map((value) => ({ type: "at_most", value }) as Target),
);

/** A base date, days of history (sometimes a start in the future), and edits over time. */
const histories = (schedule: fc.Arbitrary<Schedule>) =>
  fc
    .record({
      schedule,
      target: targets,
      base: fc.integer({ min: 0, max: 2000 }).map((offset) => nextDate("2021-01-01", offset)),
      length: fc.integer({ min: -3, max: 150 }),
      edits: fc.array(
        fc.record({
          offset: fc.integer({ min: 0, max: 150 }),
          op: fc.constantFrom("done", "done", "done", "skipped", "delete"),
          value: fc.option(fc.integer({ min: 0, max: 12 }), { nil: null }),
        }),
        { maxLength: 200 },
      ),
    })
    .map(({ schedule, target, base, length, edits }): ReferenceHabit => {
      const startDate = base;
      const today = nextDate(base, length);
      // Apply puts and deletes in order: one check-in per date, the last write wins.
      const byDate = new Map<string, ReferenceHabit["checkins"][number]>();
      for (const edit of edits) {
        const date = nextDate(startDate, edit.offset);
        if (date > today) continue;
        if (edit.op === "delete") byDate.delete(date);
        else {
          const numeric = target.type !== "boolean";
          const value = edit.op === "done" && numeric ? (edit.value ?? 0) : numeric ? edit.value : null;
          byDate.set(date, { date, status: edit.op as "done" | "skipped", value });
        }
      }
      return { schedule, target, startDate, today, checkins: [...byDate.values()] } as ReferenceHabit;
    });

describe.each(Object.keys(schedules))("engine vs reference: %s schedules", (kind) => {
  it(`should agree on current, longest and score (${RUNS} random histories)`, () => {
    fc.assert(
      fc.property(histories(schedules[kind]), (habit) => {
        const progress = computeProgress(habit as never);
        const expected = referenceStreak(habit);
        expect({ current: progress.current, longest: progress.longest }).toEqual(expected);
        expect(progress.unit).toBe(kind === "times_per_week" ? "weeks" : "days");
        expect(progress.score).toBe(referenceRound4(referenceScore(habit)));
      }),
      { numRuns: RUNS },
    );
  });

  it(`should agree on every day's status and on stats (${RUNS} random histories)`, () => {
    fc.assert(
      fc.property(histories(schedules[kind]), fc.integer({ min: -5, max: 40 }), fc.integer({ min: 0, max: 60 }), (habit, a, span) => {
        const from = nextDate(habit.startDate, -5);
        const days = dayStatuses(habit as never, from, habit.today);
        for (const { date, status } of days) expect([date, status]).toEqual([date, referenceStatus(habit, date)]);
        const rangeFrom = nextDate(habit.startDate, a);
        const rangeTo = nextDate(rangeFrom, span);
        const clampedFrom = rangeFrom < habit.startDate ? habit.startDate : rangeFrom;
        const clampedTo = rangeTo > habit.today ? habit.today : rangeTo;
        expect(computeStats(habit as never, clampedFrom, clampedTo)).toEqual(referenceStats(habit, clampedFrom, clampedTo));
      }),
      { numRuns: RUNS },
    );
  });
});

describe.each(Object.keys(schedules))("incremental today vs full recompute: %s schedules", (kind) => {
  // A check-in for today updates the cached streak from a base kept in the cache, without the
  // history: the result must equal a full recompute, whatever today's check-in is.
  it(`should agree on progress, due and today's status (${RUNS} random histories)`, () => {
    fc.assert(
      fc.property(histories(schedules[kind]), (habit) => {
        const full = computeProgress(habit as never);
        const todayCheckin = habit.checkins.find((checkin) => checkin.date === habit.today) ?? null;
        const incremental = withToday(baseBeforeToday(habit as never), todayCheckin);
        expect(incremental.progress).toEqual(full);
        expect(incremental.due).toBe(isDueToday(habit as never));
        if (habit.startDate <= habit.today) {
          expect(incremental.status).toBe(dayStatuses(habit as never, habit.today, habit.today)[0].status);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
