/**
 * The export document and the check of one sent for import (lib/export-document.ts): a document
 * built from an account's parts passes the check unchanged, and each bad part is named by path.
 */
import fc from "fast-check";
import { buildExport, checkedHabits, habitsToImport } from "../../../lib/export-document";
import { RuleViolation } from "../../../lib/rule-violation";

const TODAY = "2026-12-01";
const LIMITS = { maxHabits: 10, maxCheckinsPerHabit: 100 };

const habit = (overrides: Record<string, unknown> = {}) => ({
  id: "h1",
  name: "Walk",
  description: "",
  color: null,
  schedule: { type: "daily" },
  target: { type: "boolean" },
  reminders: [],
  startDate: "2026-11-20",
  archived: false,
  position: 0,
  createdAt: "2026-11-20T08:00:00.000Z",
  ...overrides,
});

function violation(run: () => unknown): { field: string; rule: string } | null {
  try {
    run();
    return null;
  } catch (err) {
    if (err instanceof RuleViolation) return { field: err.field, rule: err.rule };
    throw err;
  }
}

describe("buildExport", () => {
  it("puts each habit's check-ins under it by date, and what it builds imports back the same", () => {
    const document = buildExport({
      account: { email: "a@example.com", displayName: "A", timezone: "UTC", createdAt: "2026-11-01T00:00:00.000Z" },
      habits: [habit(), habit({ id: "h2", name: "Read", position: 1, target: { type: "at_least", value: 10, unit: "pages" } })] as never,
      checkins: [
        { habitId: "h2", date: "2026-11-25", status: "done", value: 12, note: null },
        { habitId: "h1", date: "2026-11-30", status: "skipped", value: null, note: "ill" },
        { habitId: "h1", date: "2026-11-21", status: "done", value: null, note: null },
      ],
      notifications: [],
      exportedAt: "2026-12-01T10:00:00.000Z",
    });
    expect(document.habits.map((one) => [one.name, one.checkins.map((checkin) => checkin.date)])).toEqual([
      ["Walk", ["2026-11-21", "2026-11-30"]],
      ["Read", ["2026-11-25"]],
    ]);
    expect(document.habits[0]).not.toHaveProperty("id");
    const back = habitsToImport(JSON.parse(JSON.stringify(document)), TODAY, LIMITS);
    expect(back.map(({ name, checkins }) => ({ name, checkins }))).toEqual(
      document.habits.map(({ name, checkins }) => ({ name, checkins })),
    );
  });
});

describe("habitsToImport", () => {
  const document = (habits: unknown[]) => ({ format: "habit-tracker-export", version: 1, habits });
  const good = { name: "Walk", startDate: "2026-11-20", checkins: [{ date: "2026-11-21" }] };

  it.each([
    [{ format: "x", version: 1, habits: [] }, "format"],
    [{ format: "habit-tracker-export", version: 1 }, "habits"],
    [document([good, 3]), "habits[1]"],
    [document([{ ...good, name: "   " }]), "habits[0].name"],
    [document([{ ...good, color: "red" }]), "habits[0].color"],
    [document([{ ...good, reminders: ["25:00"] }]), "habits[0].reminders[0]"],
    [document([{ ...good, reminders: ["08:00", "08:00"] }]), "habits[0].reminders"],
    [document([{ ...good, startDate: "1899-12-31" }]), "habits[0].startDate"],
    [document([{ ...good, checkins: [{ date: "2026-11-19" }] }]), "habits[0].checkins[0].date"],
    [document([{ ...good, checkins: [{ date: "2026-12-02" }] }]), "habits[0].checkins[0].date"],
    [document([{ ...good, checkins: [{ date: "2026-11-21", value: 3 }] }]), "habits[0].checkins[0].value"],
    [document([{ ...good, checkins: [{ date: "2026-11-21", status: "maybe" }] }]), "habits[0].checkins[0].status"],
    [document([{ ...good, checkins: [{ date: "2026-11-21", note: "x".repeat(501) }] }]), "habits[0].checkins[0].note"],
    [document([{ ...good, checkins: [{ date: "2026-11-21", at: 1 }] }]), "habits[0].checkins[0].at"],
  ])("names the bad part: %j → %s", (sent, path) => {
    expect(violation(() => habitsToImport(sent, TODAY, LIMITS))?.field).toBe(path);
  });

  it("orders by position, keeping the document's order for ties and missing ones", () => {
    const names = habitsToImport(
      document([
        { ...good, name: "c", position: 2 },
        { ...good, name: "a", position: 0 },
        { ...good, name: "b", position: 0 },
      ]),
      TODAY,
      LIMITS,
    ).map((one) => one.name);
    expect(names).toEqual(["a", "b", "c"]);
  });

  it("holds the account's room for habits and the check-ins per habit", () => {
    expect(violation(() => checkedHabits([good, good], TODAY, { ...LIMITS, maxHabits: 1 }))?.field).toBe("habits");
    const many = { ...good, startDate: "2026-01-01", checkins: Array.from({ length: 3 }, (_, i) => ({ date: `2026-02-0${i + 1}` })) };
    expect(violation(() => checkedHabits([many], TODAY, { ...LIMITS, maxCheckinsPerHabit: 2 }))?.field).toBe("habits[0].checkins");
  });

  it("accepts any set of distinct dates in startDate..today and returns them sorted", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 10 }), { maxLength: 11 }), (offsets) => {
        const dates = offsets.map((offset) => `2026-11-${String(20 + offset).padStart(2, "0")}`);
        const [imported] = habitsToImport(document([{ ...good, checkins: dates.map((date) => ({ date })) }]), TODAY, LIMITS);
        expect(imported.checkins.map((checkin) => checkin.date)).toEqual([...dates].sort());
      }),
    );
  });
});
