import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { heatmapRows, moveInHeatmap } from "./heatmap";
import { addDays, daysBetween, isoWeekday } from "./dates";
import type { DayStatus } from "../types";

const dateArb = fc
  .date({ min: new Date("2000-01-01"), max: new Date("2060-01-01"), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

describe("heatmapRows", () => {
  it("puts every day of the range once, in its weekday's row, weeks in order, with its status", () => {
    fc.assert(
      fc.property(dateArb, fc.integer({ min: 0, max: 400 }), (from, length) => {
        const to = addDays(from, length);
        const statuses = new Map<string, DayStatus>([[to, "done"]]);
        const rows = heatmapRows(from, to, statuses);
        const cells = rows
          .flatMap((row, weekday) => row.map((cell, week) => (cell ? { ...cell, weekday, week } : null)))
          .filter((cell) => cell !== null);
        expect(cells).toHaveLength(length + 1);
        for (const cell of cells) {
          expect(isoWeekday(cell.date)).toBe(cell.weekday + 1);
          expect(cell.status).toBe(cell.date === to ? "done" : "not_due");
        }
        // Reading column by column, top to bottom, gives the dates in order.
        const byColumn = [...cells].sort((a, b) => a.week - b.week || a.weekday - b.weekday).map((cell) => cell.date);
        expect(byColumn).toEqual(Array.from({ length: length + 1 }, (_, i) => addDays(from, i)));
      }),
      { numRuns: 50 },
    );
  });

  it("a year from a Wednesday spans 53 columns with blanks before it", () => {
    const rows = heatmapRows("2025-12-03", "2026-12-02", new Map());
    expect(rows).toHaveLength(7);
    expect(rows[0]).toHaveLength(53);
    expect(rows[0][0]).toBeNull();
    expect(rows[2][0]?.date).toBe("2025-12-03");
  });
});

describe("moveInHeatmap", () => {
  it("moves by a week across and a day down, and stays in range", () => {
    expect(moveInHeatmap("2026-06-10", "ArrowLeft", "2026-01-01", "2026-12-01")).toBe("2026-06-03");
    expect(moveInHeatmap("2026-06-10", "ArrowDown", "2026-01-01", "2026-12-01")).toBe("2026-06-11");
    expect(moveInHeatmap("2026-01-03", "ArrowLeft", "2026-01-01", "2026-12-01")).toBe("2026-01-01");
    expect(moveInHeatmap("2026-11-29", "ArrowRight", "2026-01-01", "2026-12-01")).toBe("2026-12-01");
    expect(moveInHeatmap("2026-06-10", "End", "2026-01-01", "2026-12-01")).toBe("2026-12-01");
    expect(moveInHeatmap("2026-06-10", "a", "2026-01-01", "2026-12-01")).toBeNull();
  });

  it("never leaves the range (property)", () => {
    const keys = fc.constantFrom("ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End");
    fc.assert(
      fc.property(dateArb, fc.integer({ min: 0, max: 366 }), fc.array(keys, { maxLength: 40 }), (from, length, presses) => {
        const to = addDays(from, length);
        let at = to;
        for (const key of presses) at = moveInHeatmap(at, key, from, to) ?? at;
        expect(daysBetween(from, at)).toBeGreaterThanOrEqual(0);
        expect(daysBetween(at, to)).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});
