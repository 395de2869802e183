/**
 * Worked examples of docs/contract.md ("Domain rules"), one rule each, with fixed dates ("today" is pinned).
 * Random histories against a reference live in progress.property.spec.ts.
 */
import { addDays } from "../../../lib/dates";
import { computeProgress, computeStats, dayStatuses, isDueToday, round4, type HabitHistory } from "../../../lib/progress";
import type { CheckinFacts } from "../../../lib/habit-rules";

const TODAY = "2026-11-21"; // a Saturday

const done = (date: string, value: number | null = null): CheckinFacts => ({ date, status: "done", value });
const skipped = (date: string): CheckinFacts => ({ date, status: "skipped", value: null });
const daysAgo = (n: number) => addDays(TODAY, -n);

function habit(overrides: Partial<HabitHistory>): HabitHistory {
  return { schedule: { type: "daily" }, target: { type: "boolean" }, startDate: daysAgo(30), today: TODAY, checkins: [], ...overrides };
}

describe("day streaks", () => {
  it("counts completed days up to yesterday while today is pending", () => {
    const checkins = Array.from({ length: 10 }, (_, i) => done(daysAgo(i + 1)));
    const progress = computeProgress(habit({ checkins }));
    expect(progress).toMatchObject({ current: 10, longest: 10, unit: "days", completedToday: false });
    expect(progress.lastCompletedDate).toBe(daysAgo(1));
    expect(progress.currentRunStart).toBe(daysAgo(10));
  });

  it("lets a skipped day neither count nor break the run", () => {
    const checkins = [done(daysAgo(3)), skipped(daysAgo(2)), done(daysAgo(1)), done(TODAY)];
    expect(computeProgress(habit({ startDate: daysAgo(3), checkins }))).toMatchObject({ current: 3, longest: 3, completedToday: true });
  });

  it("breaks the run on a missed scheduled day and keeps the longest", () => {
    const checkins = [done(daysAgo(6)), done(daysAgo(5)), done(daysAgo(4)), done(daysAgo(2)), done(daysAgo(1))];
    expect(computeProgress(habit({ startDate: daysAgo(6), checkins }))).toMatchObject({ current: 2, longest: 3 });
  });

  it("is 0 when the latest decided day was missed", () => {
    expect(computeProgress(habit({ startDate: daysAgo(2), checkins: [done(daysAgo(2))] }))).toMatchObject({
      current: 0,
      longest: 1,
      currentRunStart: null,
    });
  });

  it("ignores check-ins on unscheduled days for streaks but shows them", () => {
    // Mon/Wed/Fri; a check-in on Thursday 2026-11-19.
    const history = habit({
      schedule: { type: "weekdays", days: [1, 3, 5] },
      startDate: "2026-11-16",
      checkins: [done("2026-11-16"), done("2026-11-18"), done("2026-11-19"), done("2026-11-20")],
    });
    expect(computeProgress(history)).toMatchObject({ current: 3, longest: 3 });
    expect(dayStatuses(history, "2026-11-19", "2026-11-21").map((d) => d.status)).toEqual(["done", "done", "not_due"]);
  });

  it("schedules every_n_days from the start date", () => {
    const history = habit({
      schedule: { type: "every_n_days", n: 3 },
      startDate: daysAgo(9),
      checkins: [done(daysAgo(9)), done(daysAgo(6))],
    });
    // Scheduled: 9, 6, 3 days ago and today. Three days ago was missed.
    expect(computeProgress(history)).toMatchObject({ current: 0, longest: 2 });
    expect(isDueToday(history)).toBe(true);
    expect(isDueToday({ ...history, startDate: daysAgo(8) })).toBe(false);
  });
});

describe("numeric targets", () => {
  const target = { type: "at_least", value: 8, unit: "glasses" } as const;

  it("marks a done check-in below the target partial: missed when past, pending today", () => {
    const history = habit({ target, startDate: daysAgo(2), checkins: [done(daysAgo(2), 9), done(daysAgo(1), 5), done(TODAY, 3)] });
    expect(dayStatuses(history, daysAgo(2), TODAY).map((d) => d.status)).toEqual(["done", "partial", "partial"]);
    expect(computeProgress(history)).toMatchObject({ current: 0, longest: 1, completedToday: false });
    expect(computeStats(history, daysAgo(2), TODAY)).toMatchObject({ scheduled: 3, completed: 1, missed: 1, completionRate: 0.5 });
  });

  it("completes at_most when the value stays at or under the limit", () => {
    const history = habit({ target: { type: "at_most", value: 2 }, startDate: TODAY, checkins: [done(TODAY, 2)] });
    expect(computeProgress(history).completedToday).toBe(true);
  });
});

describe("week streaks (times_per_week)", () => {
  const schedule = { type: "times_per_week", times: 2 } as const;

  it("counts met weeks; the start week is transparent, an excused week neither counts nor breaks", () => {
    // Start on Friday 2026-10-30: that week has one completion (transparent).
    const checkins = [
      done("2026-10-30"),
      done("2026-11-02"),
      done("2026-11-04"), // met
      done("2026-11-09"),
      skipped("2026-11-10"), // excused: 1 done + 1 skipped ≥ 2
      done("2026-11-16"),
      done("2026-11-17"),
      done("2026-11-21"), // the current week, already met
    ];
    const history = habit({ schedule, startDate: "2026-10-30", checkins });
    // The transparent start week belongs to the run (it does not break it), so the run starts there.
    expect(computeProgress(history)).toMatchObject({ current: 2, longest: 2, unit: "weeks", currentRunStart: "2026-10-26" });
    // Two completions before today already meet this week's target.
    expect(isDueToday(history)).toBe(false);
    expect(dayStatuses(history, "2026-11-21", "2026-11-21")[0].status).toBe("done");
    // Without this week's completions the week is pending: it neither counts nor breaks.
    const pendingWeek = { ...history, checkins: checkins.filter((c) => c.date < "2026-11-16") };
    expect(computeProgress(pendingWeek)).toMatchObject({ current: 1, longest: 1 });
    expect(isDueToday(pendingWeek)).toBe(true);
    expect(dayStatuses(pendingWeek, "2026-11-20", "2026-11-21").map((d) => d.status)).toEqual(["not_due", "pending"]);
  });

  it("marks the days of a missed week missed and breaks the run", () => {
    const history = habit({ schedule, startDate: "2026-11-02", checkins: [done("2026-11-02"), done("2026-11-03"), done("2026-11-10")] });
    expect(computeProgress(history)).toMatchObject({ current: 0, longest: 1 });
    const week = dayStatuses(history, "2026-11-09", "2026-11-15").map((d) => d.status);
    expect(week).toEqual(["missed", "done", "missed", "missed", "missed", "missed", "missed"]);
  });

  it("is not due once the week is met before today", () => {
    const history = habit({ schedule, startDate: "2026-11-02", checkins: [done("2026-11-16"), done("2026-11-17")] });
    expect(isDueToday(history)).toBe(false);
    expect(dayStatuses(history, TODAY, TODAY)[0].status).toBe("not_due");
  });
});

describe("score", () => {
  it("is 0 with no history and approaches 1 for a year of daily completions", () => {
    expect(computeProgress(habit({ checkins: [] })).score).toBe(0);
    const year = Array.from({ length: 365 }, (_, i) => done(daysAgo(i)));
    expect(computeProgress(habit({ startDate: daysAgo(364), checkins: year })).score).toBeGreaterThan(0.99);
  });

  it("leaves the score unchanged on a skipped day", () => {
    const base = habit({ startDate: daysAgo(5), checkins: [done(daysAgo(5)), done(daysAgo(4))] });
    const withSkip = { ...base, checkins: [...base.checkins, skipped(daysAgo(3))] };
    // The skip turns one decaying step into no step at all: the score is higher.
    expect(computeProgress(withSkip).score).toBeGreaterThan(computeProgress(base).score);
  });

  // As in Loop's ScoreListTest: a 3-times-a-week habit done twice a week converges near 2/3.
  it("converges towards the completed fraction of the frequency", () => {
    const checkins: CheckinFacts[] = [];
    for (let week = 0; week < 52; week++) {
      const monday = addDays("2025-11-24", week * 7);
      checkins.push(done(monday), done(addDays(monday, 3)));
    }
    const score = computeProgress(habit({ schedule: { type: "times_per_week", times: 3 }, startDate: "2025-11-24", checkins })).score;
    expect(score).toBeCloseTo(2 / 3, 1);
  });

  it("rounds half up to 4 decimals", () => {
    expect(round4(0.03125)).toBe(0.0313);
    expect(round4(0.12345)).toBe(0.1235);
    expect(round4(2 / 3)).toBe(0.6667);
  });
});

describe("ranges and future starts", () => {
  it("schedules nothing before a future start date", () => {
    const history = habit({ startDate: addDays(TODAY, 3) });
    expect(computeProgress(history)).toMatchObject({ current: 0, longest: 0, score: 0, lastCompletedDate: null });
    expect(isDueToday(history)).toBe(false);
    expect(computeStats(history, addDays(TODAY, 3), TODAY)).toMatchObject({ days: [], scheduled: 0, completionRate: 0 });
  });
});
