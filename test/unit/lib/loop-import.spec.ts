/**
 * Mapping a Loop Habit Tracker backup to the import shape (lib/loop-import.ts): each rule of the
 * mapping in a table, then properties: the frequency mapping agrees with a reference that finds
 * Loop's frequency by cross-multiplying (no gcd), and whatever rows come in, every habit passes
 * the contract's own checks (scheduleProblem, targetProblem, text limits, dates).
 */
import fc from "fast-check";
import { scheduleProblem, targetProblem, type Schedule } from "../../../lib/habit-rules";
import {
  mapLoopBackup,
  scheduleForLoopFrequency,
  type LoopBackup,
  type LoopHabitRow,
  type LoopRepetitionRow,
} from "../../../lib/loop-import";

const RUNS = 500;
const TODAY = "2026-03-15";

/** A yes-or-no, daily Loop habit as Loop's latest schema stores it. */
function habitRow(overrides: Partial<LoopHabitRow> = {}): LoopHabitRow {
  return {
    id: 1,
    name: "Read",
    description: "",
    question: "",
    freqNum: 1,
    freqDen: 1,
    type: 0,
    targetType: 0,
    targetValue: 0,
    unit: "",
    archived: 0,
    position: 0,
    reminderHour: null,
    reminderMin: null,
    reminderDays: 0,
    color: 5,
    ...overrides,
  };
}

const numericRow = (overrides: Partial<LoopHabitRow> = {}) =>
  habitRow({ type: 1, targetType: 0, targetValue: 8, unit: "glasses", ...overrides });

function repetition(date: string, value: number, notes: string | null = "", habitId = 1): LoopRepetitionRow {
  return { habitId, timestamp: Date.parse(`${date}T00:00:00Z`), value, notes };
}

/** The one habit a one-habit backup maps to, and the warnings. */
function mapOne(row: LoopHabitRow, repetitions: LoopRepetitionRow[] = [], today = TODAY) {
  const { habits, warnings } = mapLoopBackup({ habits: [row], repetitions }, today);
  expect(habits).toHaveLength(1);
  return { habit: habits[0], warnings };
}

describe("mapLoopBackup", () => {
  it("maps a whole habit: name, description, no color, schedule, target, reminder, start date and check-ins", () => {
    const row = numericRow({
      id: 4,
      name: "Water",
      question: "Did you drink?",
      freqNum: 3,
      freqDen: 7,
      reminderHour: 9,
      reminderMin: 30,
      reminderDays: 127,
    });
    const { habits, warnings } = mapLoopBackup(
      { habits: [row], repetitions: [repetition("2026-03-02", 9000, "hot day", 4), repetition("2026-03-01", 2500, "", 4)] },
      TODAY,
    );
    expect(habits).toEqual([
      {
        name: "Water",
        description: "Did you drink?",
        color: null,
        schedule: { type: "times_per_week", times: 3 },
        target: { type: "at_least", value: 8, unit: "glasses" },
        reminders: ["09:30"],
        startDate: "2026-03-01",
        archived: false,
        checkins: [
          { date: "2026-03-01", status: "done", value: 2.5, note: null },
          { date: "2026-03-02", status: "done", value: 9, note: "hot day" },
        ],
      },
    ]);
    expect(warnings).toEqual([]);
  });

  describe("frequency", () => {
    // Each case: Loop's freq_num and freq_den, the schedule, and whether it only approximates (warning).
    it.each<[number, number, Schedule, boolean]>([
      [1, 1, { type: "daily" }, false],
      [7, 7, { type: "daily" }, false],
      [1, 2, { type: "every_n_days", n: 2 }, false],
      [5, 10, { type: "every_n_days", n: 2 }, false],
      [2, 6, { type: "every_n_days", n: 3 }, false],
      // Loop's "once a week" is 1/7: the 1/n rule comes before the k/7 one.
      [1, 7, { type: "every_n_days", n: 7 }, false],
      [2, 14, { type: "every_n_days", n: 7 }, false],
      [3, 30, { type: "every_n_days", n: 10 }, false],
      [1, 365, { type: "every_n_days", n: 365 }, false],
      [3, 7, { type: "times_per_week", times: 3 }, false],
      [6, 7, { type: "times_per_week", times: 6 }, false],
      [12, 14, { type: "times_per_week", times: 6 }, false],
      // No equal here: the nearest times per week, 1 to 7.
      [2, 3, { type: "times_per_week", times: 5 }, true],
      [4, 30, { type: "times_per_week", times: 1 }, true],
      [10, 31, { type: "times_per_week", times: 2 }, true],
      [2, 1, { type: "times_per_week", times: 7 }, true],
      [8, 7, { type: "times_per_week", times: 7 }, true],
      // every_n_days stops at 365.
      [1, 400, { type: "every_n_days", n: 365 }, true],
    ])("%i/%i becomes %j (warning: %s)", (freqNum, freqDen, schedule, warned) => {
      const { habit, warnings } = mapOne(habitRow({ freqNum, freqDen }));
      expect(habit.schedule).toEqual(schedule);
      expect(warnings).toHaveLength(warned ? 1 : 0);
    });

    it("names the habit and both frequencies when there is no equal", () => {
      expect(mapOne(habitRow({ freqNum: 2, freqDen: 3 })).warnings).toEqual([
        `"Read": Loop's frequency 2/3 (2 times in 3 days) has no equal here; imported as 5 times per week`,
      ]);
      expect(mapOne(habitRow({ freqNum: 1, freqDen: 400 })).warnings).toEqual([
        `"Read": Loop's frequency 1/400 (1 times in 400 days) has no equal here; imported as every 365 days`,
      ]);
    });

    it.each([
      [0, 7],
      [3, 0],
      [null, null],
      [1.5, 7],
    ])("an invalid frequency %p/%p becomes daily with a warning", (freqNum, freqDen) => {
      const { habit, warnings } = mapOne(habitRow({ freqNum, freqDen }));
      expect(habit.schedule).toEqual({ type: "daily" });
      expect(warnings).toEqual([`"Read": Loop's frequency ${freqNum}/${freqDen} is not a valid frequency; imported as daily`]);
    });
  });

  describe("target", () => {
    it.each([
      ["a yes-or-no habit", habitRow({ type: 0 }), { type: "boolean" }],
      ["a habit of unset type (an old schema)", habitRow({ type: null }), { type: "boolean" }],
      [
        "numeric, at least",
        numericRow({ targetType: 0, targetValue: 8, unit: "glasses" }),
        { type: "at_least", value: 8, unit: "glasses" },
      ],
      [
        "numeric, at most",
        numericRow({ targetType: 1, targetValue: 2.5, unit: "coffees" }),
        { type: "at_most", value: 2.5, unit: "coffees" },
      ],
      ["numeric without a unit", numericRow({ unit: "" }), { type: "at_least", value: 8 }],
      ["numeric with a null unit", numericRow({ unit: null }), { type: "at_least", value: 8 }],
      ["numeric, target 0", numericRow({ targetValue: 0 }), { type: "at_least", value: 0, unit: "glasses" }],
    ])("%s", (_label, row, target) => {
      const { habit, warnings } = mapOne(row);
      expect(habit.target).toEqual(target);
      expect(warnings).toEqual([]);
    });

    it.each([
      [
        "a unit over 30 characters is cut",
        numericRow({ unit: "u".repeat(40) }),
        { type: "at_least", value: 8, unit: "u".repeat(30) },
        "the unit was cut to 30",
      ],
      ["a negative target becomes 0", numericRow({ targetValue: -1 }), { type: "at_least", value: 0, unit: "glasses" }, "target value -1"],
      [
        "a target above 1e9 becomes 1e9",
        numericRow({ targetValue: 2e9 }),
        { type: "at_least", value: 1e9, unit: "glasses" },
        "above 1000000000",
      ],
      [
        "an unknown target type is at least",
        numericRow({ targetType: 7 }),
        { type: "at_least", value: 8, unit: "glasses" },
        "target type 7",
      ],
      ["an unknown habit type is boolean", habitRow({ type: 2 }), { type: "boolean" }, "habit type 2"],
    ])("%s, with a warning", (_label, row, target, warning) => {
      const { habit, warnings } = mapOne(row);
      expect(habit.target).toEqual(target);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^"Read": /);
      expect(warnings[0]).toContain(warning);
    });
  });

  describe("check-ins", () => {
    // Loop's Entry values for a yes-or-no habit: only 2 (done by hand) and 3 (skip) are check-ins.
    it.each([
      [-1, null],
      [0, null],
      [1, null],
      [2, { date: "2026-03-10", status: "done", value: null, note: null }],
      [3, { date: "2026-03-10", status: "skipped", value: null, note: null }],
      [4, null],
    ])("a yes-or-no entry of value %i becomes %j", (value, checkin) => {
      const { habit } = mapOne(habitRow(), [repetition("2026-03-10", value)]);
      expect(habit.checkins).toEqual(checkin ? [checkin] : []);
    });

    // Numeric amounts are thousandths; nothing above 0 is no check-in. Per the contract, 3 (Loop's skip
    // value on numeric habits in recent versions) is an amount of 0.003 like any other.
    it.each([
      [-1, null],
      [0, null],
      [1, 0.001],
      [3, 0.003],
      [1000, 1],
      [1500, 1.5],
      [123_456, 123.456],
    ])("a numeric entry of %i becomes %p", (value, amount) => {
      const { habit } = mapOne(numericRow(), [repetition("2026-03-10", value)]);
      expect(habit.checkins).toEqual(amount === null ? [] : [{ date: "2026-03-10", status: "done", value: amount, note: null }]);
    });

    it("caps a numeric amount at 1e9 with a warning", () => {
      const { habit, warnings } = mapOne(numericRow(), [repetition("2026-03-10", 2e12)]);
      expect(habit.checkins.map((checkin) => checkin.value)).toEqual([1e9]);
      expect(warnings).toEqual([`"Read": imported 1 value above 1000000000 as 1000000000`]);
    });

    it.each([
      ["", null],
      [null, null],
      ["felt good", "felt good"],
      ["x".repeat(500), "x".repeat(500)],
    ])("the note %p becomes %p", (notes, note) => {
      const { habit, warnings } = mapOne(habitRow(), [repetition("2026-03-10", 2, notes)]);
      expect(habit.checkins[0].note).toBe(note);
      expect(warnings).toEqual([]);
    });

    it("cuts notes over 500 characters, with one warning for the habit", () => {
      const { habit, warnings } = mapOne(habitRow(), [
        repetition("2026-03-10", 2, "a".repeat(600)),
        repetition("2026-03-11", 3, "b".repeat(501)),
      ]);
      expect(habit.checkins.map((checkin) => checkin.note)).toEqual(["a".repeat(500), "b".repeat(500)]);
      expect(warnings).toEqual([`"Read": cut 2 notes to 500 characters`]);
    });

    it("does not split an emoji when it cuts a note", () => {
      const notes = `${"a".repeat(499)}😀 and more`;
      const { habit } = mapOne(habitRow(), [repetition("2026-03-10", 2, notes)]);
      expect(habit.checkins[0].note).toBe("a".repeat(499));
    });

    it("drops a note on a day without a check-in, with a warning", () => {
      const { habit, warnings } = mapOne(habitRow(), [repetition("2026-03-10", 0, "rained"), repetition("2026-03-11", -1, "")]);
      expect(habit.checkins).toEqual([]);
      expect(warnings).toEqual([`"Read": dropped 1 note on days without a check-in`]);
    });

    it("keeps today and drops later dates, with a warning", () => {
      const { habit, warnings } = mapOne(habitRow(), [repetition(TODAY, 2), repetition("2026-03-16", 2), repetition("2027-01-01", 3)]);
      expect(habit.checkins.map((checkin) => checkin.date)).toEqual([TODAY]);
      expect(warnings).toEqual([`"Read": dropped 2 entries dated after today (2026-03-15)`]);
    });

    it("takes the UTC date of the timestamp", () => {
      const lateInTheDay = Date.parse("2026-03-10T23:59:59Z");
      const { habit } = mapOne(habitRow(), [{ habitId: 1, timestamp: lateInTheDay, value: 2, notes: null }]);
      expect(habit.checkins.map((checkin) => checkin.date)).toEqual(["2026-03-10"]);
    });

    it("drops entries before 1900-01-01 or without a timestamp, with a warning", () => {
      const { habit, warnings } = mapOne(habitRow(), [
        repetition("1899-12-31", 2),
        { habitId: 1, timestamp: null, value: 2, notes: null },
        repetition("1900-01-01", 2),
      ]);
      expect(habit.checkins.map((checkin) => checkin.date)).toEqual(["1900-01-01"]);
      expect(warnings).toEqual([`"Read": dropped 2 entries dated before 1900-01-01 or not dated at all`]);
    });

    it("keeps the first entry of a date given twice (as Loop's migration 22 does), with a warning", () => {
      const { habit, warnings } = mapOne(habitRow(), [repetition("2026-03-10", 3), repetition("2026-03-10", 2)]);
      expect(habit.checkins).toEqual([{ date: "2026-03-10", status: "skipped", value: null, note: null }]);
      expect(warnings).toEqual([`"Read": dropped 1 entry on a date already imported`]);
    });

    it("sorts check-ins by date and ignores repetitions of unknown habits", () => {
      const { habit, warnings } = mapOne(habitRow({ id: 1 }), [
        repetition("2026-03-12", 2, "", 1),
        repetition("2026-03-01", 2, "", 99),
        repetition("2026-03-05", 2, "", 1),
        { habitId: null, timestamp: Date.parse("2026-03-02T00:00:00Z"), value: 2, notes: null },
      ]);
      expect(habit.checkins.map((checkin) => checkin.date)).toEqual(["2026-03-05", "2026-03-12"]);
      expect(warnings).toEqual([]);
    });
  });

  describe("start date", () => {
    it.each([
      ["the earliest imported check-in", [repetition("2026-02-20", 2), repetition("2026-01-05", 3)], "2026-01-05"],
      ["not an earlier entry that is no check-in", [repetition("2025-12-01", 0), repetition("2026-02-20", 2)], "2026-02-20"],
      ["today without check-ins", [], TODAY],
      ["today when every entry is dropped", [repetition("2026-04-01", 2)], TODAY],
    ])("is %s", (_label, repetitions, startDate) => {
      expect(mapOne(habitRow(), repetitions).habit.startDate).toBe(startDate);
    });
  });

  describe("texts", () => {
    it.each([
      ["the description", "Pages a day", "Did you read?", "Pages a day"],
      ["the question when the description is empty", "", "Did you read?", "Did you read?"],
      ["the question when the description is blank", "  ", "Did you read?", "Did you read?"],
      ["the description of an old schema (no question column)", "Did you read?", null, "Did you read?"],
      ["empty when both are", "", "", ""],
      ["empty when both are null", null, null, ""],
    ])("the description is %s", (_label, description, question, expected) => {
      const { habit, warnings } = mapOne(habitRow({ description, question }));
      expect(habit.description).toBe(expected);
      expect(warnings).toEqual([]);
    });

    it("cuts a description over 1,000 characters, with a warning", () => {
      const { habit, warnings } = mapOne(habitRow({ question: "q".repeat(1200) }));
      expect(habit.description).toBe("q".repeat(1000));
      expect(warnings).toEqual([`"Read": the description was cut to 1000 characters`]);
    });

    it("trims the name", () => {
      expect(mapOne(habitRow({ name: "  Read  " })).habit.name).toBe("Read");
    });

    it("cuts a name over 100 characters, with a warning naming the cut name", () => {
      const { habit, warnings } = mapOne(habitRow({ name: "n".repeat(120) }));
      expect(habit.name).toBe("n".repeat(100));
      expect(warnings).toEqual([`"${"n".repeat(100)}": the name was cut to 100 characters`]);
    });

    it.each([[""], ["   "], [null]])("names a habit named %p Untitled, with a warning", (name) => {
      const { habit, warnings } = mapOne(habitRow({ id: 7, name }));
      expect(habit.name).toBe("Untitled");
      expect(warnings).toEqual([`"Untitled": Loop habit 7 has no name; imported as "Untitled"`]);
    });

    it("says the habit's name in the warnings about it", () => {
      const { warnings } = mapOne(habitRow({ name: "Walk", freqNum: 2, freqDen: 3 }), [repetition("2030-01-01", 2)]);
      expect(warnings).toHaveLength(2);
      for (const warning of warnings) expect(warning).toMatch(/^"Walk": /);
    });
  });

  describe("archived, color and reminders", () => {
    it.each([
      [1, true],
      [0, false],
      [null, false],
    ])("archived %p becomes %p", (archived, expected) => {
      expect(mapOne(habitRow({ archived })).habit.archived).toBe(expected);
    });

    it("leaves the color out (Loop's is a palette index)", () => {
      expect(mapOne(habitRow({ color: 11 })).habit.color).toBeNull();
    });

    it.each([
      [8, 5, 127, ["08:05"]],
      [0, 0, 127, ["00:00"]],
      [23, 59, null, ["23:59"]],
      [null, null, 0, []],
      [-1, -1, 0, []],
      [-1, 30, 127, []],
      [8, null, 127, []],
    ])("a reminder at hour %p, minute %p (days %p) becomes %j", (reminderHour, reminderMin, reminderDays, reminders) => {
      const { habit, warnings } = mapOne(habitRow({ reminderHour, reminderMin, reminderDays }));
      expect(habit.reminders).toEqual(reminders);
      expect(warnings).toEqual([]);
    });

    it("drops a reminder that is no time of day, with a warning", () => {
      const { habit, warnings } = mapOne(habitRow({ reminderHour: 25, reminderMin: 0, reminderDays: 127 }));
      expect(habit.reminders).toEqual([]);
      expect(warnings).toEqual([`"Read": the reminder at hour 25, minute 0 is not a valid time and was not imported`]);
    });

    it("keeps a reminder for some weekdays only, with a warning that it comes on every due day", () => {
      const { habit, warnings } = mapOne(habitRow({ reminderHour: 7, reminderMin: 0, reminderDays: 0b0111110 }));
      expect(habit.reminders).toEqual(["07:00"]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain("some weekdays only");
    });
  });

  describe("order", () => {
    it("returns the habits in Loop's position order, ties and missing positions by id", () => {
      const backup: LoopBackup = {
        habits: [
          habitRow({ id: 1, name: "C", position: 2 }),
          habitRow({ id: 2, name: "A", position: 0 }),
          habitRow({ id: 3, name: "Last", position: null }),
          habitRow({ id: 4, name: "B2", position: 1 }),
          habitRow({ id: 5, name: "B1", position: 1 }),
        ],
        repetitions: [],
      };
      // Ties keep Loop's id order: B2 (id 4) before B1 (id 5).
      expect(mapLoopBackup(backup, TODAY).habits.map((habit) => habit.name)).toEqual(["A", "B2", "B1", "C", "Last"]);
    });

    it("puts each habit's check-ins and warnings with it", () => {
      const backup: LoopBackup = {
        habits: [habitRow({ id: 1, name: "Second", position: 1 }), numericRow({ id: 2, name: "First", position: 0 })],
        repetitions: [repetition("2026-03-01", 2, "", 1), repetition("2026-03-02", 1500, "", 2), repetition("2026-04-01", 2, "", 1)],
      };
      const { habits, warnings } = mapLoopBackup(backup, TODAY);
      expect(habits.map((habit) => [habit.name, habit.checkins.map((checkin) => [checkin.date, checkin.value])])).toEqual([
        ["First", [["2026-03-02", 1.5]]],
        ["Second", [["2026-03-01", null]]],
      ]);
      expect(warnings).toEqual([`"Second": dropped 1 entry dated after today (2026-03-15)`]);
    });

    it("maps an empty backup to no habits", () => {
      expect(mapLoopBackup({ habits: [], repetitions: [repetition("2026-03-01", 2)] }, TODAY)).toEqual({ habits: [], warnings: [] });
    });
  });
});

/**
 * The reference: Loop's frequency num/den against each candidate by cross-multiplying, in the
 * contract's order (daily, every n days, k per week), else the nearest times per week.
 */
function referenceSchedule(num: number, den: number): { schedule: Schedule; exact: boolean } {
  if (num === den) return { schedule: { type: "daily" }, exact: true };
  for (let n = 2; n <= 365; n++) if (num * n === den) return { schedule: { type: "every_n_days", n }, exact: true };
  if (den % num === 0) return { schedule: { type: "every_n_days", n: 365 }, exact: false };
  for (let k = 1; k <= 6; k++) if (num * 7 === den * k) return { schedule: { type: "times_per_week", times: k }, exact: true };
  let times = Math.round((7 * num) / den);
  if (times < 1) times = 1;
  if (times > 7) times = 7;
  return { schedule: { type: "times_per_week", times }, exact: false };
}

describe("scheduleForLoopFrequency (properties)", () => {
  it("agrees with the cross-multiplying reference and is always a valid schedule", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 800 }), fc.integer({ min: 1, max: 5 }), (num, den, factor) => {
        const mapped = scheduleForLoopFrequency(num * factor, den * factor);
        expect(mapped).toEqual(referenceSchedule(num, den));
        expect(scheduleProblem(mapped.schedule)).toBeNull();
      }),
      { numRuns: RUNS * 4 },
    );
  });

  it("warns about the frequency exactly when the mapping is not exact", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 800 }), (freqNum, freqDen) => {
        const { warnings } = mapOne(habitRow({ freqNum, freqDen }));
        expect(warnings.length).toBe(referenceSchedule(freqNum, freqDen).exact ? 0 : 1);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("mapLoopBackup (properties)", () => {
  const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: null });
  const anyNumber = fc.oneof(fc.integer({ min: -5, max: 1000 }), fc.double({ noNaN: false }));
  const anyText = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ minLength: 90, maxLength: 1200 }), fc.constant("   "));

  const rows: fc.Arbitrary<LoopHabitRow> = fc.record({
    id: fc.integer({ min: 1, max: 5 }),
    name: maybe(anyText),
    description: maybe(anyText),
    question: maybe(anyText),
    freqNum: maybe(anyNumber),
    freqDen: maybe(anyNumber),
    type: maybe(fc.integer({ min: -1, max: 2 })),
    targetType: maybe(fc.integer({ min: -1, max: 2 })),
    targetValue: maybe(fc.oneof(anyNumber, fc.constant(5e9))),
    unit: maybe(anyText),
    archived: maybe(fc.integer({ min: 0, max: 1 })),
    position: maybe(fc.integer({ min: 0, max: 10 })),
    reminderHour: maybe(fc.integer({ min: -1, max: 25 })),
    reminderMin: maybe(fc.integer({ min: -1, max: 61 })),
    reminderDays: maybe(fc.integer({ min: 0, max: 127 })),
    color: maybe(fc.integer({ min: 0, max: 19 })),
  });

  const repetitions: fc.Arbitrary<LoopRepetitionRow> = fc.record({
    habitId: maybe(fc.integer({ min: 1, max: 6 })),
    timestamp: maybe(
      fc.oneof(
        fc.integer({ min: -3000, max: 200 }).map((offset) => Date.parse(`${TODAY}T00:00:00Z`) + offset * 86_400_000),
        fc.double({ noNaN: false }),
      ),
    ),
    value: maybe(fc.oneof(fc.integer({ min: -1, max: 4 }), fc.integer({ min: 0, max: 1e7 }), fc.constant(3e12))),
    notes: maybe(fc.oneof(fc.string({ maxLength: 20 }), fc.string({ minLength: 480, maxLength: 520 }))),
  });

  it("always gives habits the contract accepts", () => {
    fc.assert(
      fc.property(fc.array(rows, { maxLength: 4 }), fc.array(repetitions, { maxLength: 60 }), (habitRows, repetitionRows) => {
        const { habits } = mapLoopBackup({ habits: habitRows, repetitions: repetitionRows }, TODAY);
        expect(habits).toHaveLength(habitRows.length);
        for (const habit of habits) {
          expect(habit.name).toBe(habit.name.trim());
          expect(habit.name.length).toBeGreaterThanOrEqual(1);
          expect(habit.name.length).toBeLessThanOrEqual(100);
          expect(habit.description.length).toBeLessThanOrEqual(1000);
          expect(scheduleProblem(habit.schedule)).toBeNull();
          expect(targetProblem(habit.target)).toBeNull();
          for (const reminder of habit.reminders) expect(reminder).toMatch(/^([01]\d|2[0-3]):[0-5]\d$/);
          expect(habit.startDate >= "1900-01-01" && habit.startDate <= TODAY).toBe(true);
          const dates = habit.checkins.map((checkin) => checkin.date);
          expect(dates).toEqual([...new Set(dates)].sort());
          for (const checkin of habit.checkins) {
            expect(checkin.date >= habit.startDate && checkin.date <= TODAY).toBe(true);
            expect(checkin.note === null || (checkin.note.length >= 1 && checkin.note.length <= 500)).toBe(true);
            // A numeric habit's done check-in has a value 0 to 1e9; a boolean one has none.
            if (habit.target.type === "boolean") expect(checkin.value).toBeNull();
            else expect(checkin.value !== null && checkin.value > 0 && checkin.value <= 1e9).toBe(true);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
});
