import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { completionBy } from "./completion";
import { addDays } from "./dates";
import type { DayStatus } from "../types";

const STATUSES: DayStatus[] = ["done", "partial", "skipped", "missed", "pending", "not_due"];

describe("completionBy", () => {
  it("rates a week as done over done + missed; skipped and not-due days do not count; empty weeks have no rate", () => {
    const days: { date: string; status: DayStatus }[] = [
      { date: "2026-11-23", status: "done" },
      { date: "2026-11-24", status: "missed" },
      { date: "2026-11-25", status: "skipped" },
      { date: "2026-11-26", status: "partial" },
      { date: "2026-11-30", status: "not_due" },
      { date: "2026-12-01", status: "partial" },
    ];
    expect(completionBy("week", days, "2026-12-01")).toEqual([
      { start: "2026-11-23", done: 1, missed: 2, rate: 1 / 3 },
      // Today's partial is still pending: not missed yet.
      { start: "2026-11-30", done: 0, missed: 0, rate: null },
    ]);
    expect(completionBy("month", days, "2026-12-01").map((entry) => entry.start)).toEqual(["2026-11-01", "2026-12-01"]);
  });

  it("the periods' counts add up to the whole range's (property, against a plain count)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...STATUSES), { maxLength: 120 }),
        fc.constantFrom<"week" | "month">("week", "month"),
        (statuses, period) => {
          const days = statuses.map((status, i) => ({ date: addDays("2026-01-01", i), status }));
          const today = days.at(-1)?.date ?? "2026-01-01";
          const periods = completionBy(period, days, today);
          const done = days.filter((day) => day.status === "done").length;
          const missed = days.filter((day) => day.status === "missed" || (day.status === "partial" && day.date !== today)).length;
          expect(periods.reduce((sum, entry) => sum + entry.done, 0)).toBe(done);
          expect(periods.reduce((sum, entry) => sum + entry.missed, 0)).toBe(missed);
          for (const entry of periods) if (entry.rate !== null) expect(entry.rate).toBeCloseTo(entry.done / (entry.done + entry.missed));
        },
      ),
    );
  });
});
