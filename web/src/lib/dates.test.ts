import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { addDays, daysBetween, isoWeekday, todayIn, weekStart } from "./dates";

describe("dates", () => {
  it("counts by calendar across month, year and DST boundaries", () => {
    expect(addDays("2026-03-28", 2)).toBe("2026-03-30");
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2028-02-28", 1)).toBe("2028-02-29");
    expect(daysBetween("2026-01-01", "2027-01-01")).toBe(365);
  });

  it("addDays and daysBetween agree (property)", () => {
    const date = fc
      .date({ min: new Date("1990-01-01"), max: new Date("2090-01-01"), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10));
    fc.assert(fc.property(date, fc.integer({ min: -2000, max: 2000 }), (from, days) => daysBetween(from, addDays(from, days)) === days));
  });

  it("ISO weekdays and week starts (Monday first)", () => {
    expect(isoWeekday("2026-11-30")).toBe(1);
    expect(isoWeekday("2026-12-06")).toBe(7);
    expect(weekStart("2026-12-06")).toBe("2026-11-30");
    expect(weekStart("2026-11-30")).toBe("2026-11-30");
  });

  it("today in a zone is that zone's calendar date", () => {
    const instant = new Date("2026-12-01T23:30:00Z");
    expect(todayIn("UTC", instant)).toBe("2026-12-01");
    expect(todayIn("Europe/Berlin", instant)).toBe("2026-12-02");
    expect(todayIn("America/Los_Angeles", instant)).toBe("2026-12-01");
    expect(todayIn("Pacific/Kiritimati", new Date("2026-12-01T10:00:00Z"))).toBe("2026-12-02");
  });
});
