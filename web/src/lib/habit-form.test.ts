import { describe, expect, it } from "vitest";
import { bodyOf, emptyFields, fieldsOf } from "./habit-form";
import type { Habit } from "../types";

const habit = (overrides: Partial<Habit>): Habit => ({
  id: "h1",
  name: "Water",
  description: "",
  color: "#123abc",
  schedule: { type: "daily" },
  target: { type: "boolean" },
  reminders: [],
  startDate: "2026-11-01",
  archived: false,
  position: 0,
  createdAt: "2026-11-01T00:00:00Z",
  updatedAt: "2026-11-01T00:00:00Z",
  ...overrides,
});

describe("habit form", () => {
  it("every schedule and target comes back as it went in", () => {
    const cases: Partial<Habit>[] = [
      {
        schedule: { type: "weekdays", days: [1, 3, 5] },
        target: { type: "at_least", value: 8, unit: "glasses" },
        reminders: ["08:00", "20:30"],
      },
      { schedule: { type: "every_n_days", n: 3 }, target: { type: "at_most", value: 2.5, unit: "coffees" }, color: null },
      { schedule: { type: "times_per_week", times: 4 } },
    ];
    for (const overrides of cases) {
      const source = habit(overrides);
      const body = bodyOf(fieldsOf(source, "2026-12-01"));
      expect(body).toEqual({
        name: source.name,
        description: source.description,
        color: source.color,
        schedule: source.schedule,
        target: source.target,
        reminders: source.reminders,
        startDate: source.startDate,
      });
    }
  });

  it("a new habit is daily, yes-or-no, without colour, starting today; weekdays are sent sorted; names trimmed", () => {
    const fields = { ...emptyFields("2026-12-01"), name: "  Read  " };
    expect(bodyOf(fields)).toMatchObject({
      name: "Read",
      schedule: { type: "daily" },
      target: { type: "boolean" },
      color: null,
      startDate: "2026-12-01",
    });
    expect(bodyOf({ ...fields, scheduleType: "weekdays", days: [5, 1, 3] }).schedule).toEqual({ type: "weekdays", days: [1, 3, 5] });
    expect(bodyOf({ ...fields, targetType: "at_least", targetValue: "1,5", unit: " km " }).target).toEqual({
      type: "at_least",
      value: 1.5,
      unit: "km",
    });
  });
});
