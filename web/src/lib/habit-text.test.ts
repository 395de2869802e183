import { describe, expect, it } from "vitest";
import { describeSchedule, describeStreak, describeTarget, percent } from "./habit-text";

describe("habit text", () => {
  it("says schedules, targets (with or without a unit), streaks and scores in words", () => {
    expect(describeSchedule({ type: "weekdays", days: [1, 3, 5] })).toBe("Mon, Wed, Fri");
    expect(describeSchedule({ type: "weekdays", days: [1, 2, 3, 4, 5, 6, 7] })).toBe("Every day");
    expect(describeSchedule({ type: "every_n_days", n: 3 })).toBe("Every 3 days");
    expect(describeSchedule({ type: "times_per_week", times: 1 })).toBe("1 time a week");
    expect(describeTarget({ type: "at_least", value: 8, unit: "glasses" })).toBe("At least 8 glasses");
    expect(describeTarget({ type: "at_most", value: 2.5 })).toBe("At most 2.5");
    expect(describeStreak(1, "days")).toBe("1 day");
    expect(describeStreak(4, "weeks")).toBe("4 weeks");
    expect(percent(0.2649)).toBe("26%");
  });
});
