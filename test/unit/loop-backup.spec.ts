/**
 * Reading Loop Habit Tracker backups (src/loop-backup.ts) end to end: files built with Loop's own
 * migrations (test/helpers/loop-backup-builder.ts) read back into rows and map to the import shape;
 * older schemas read with Loop's defaults for the columns they lack; anything else is
 * NotALoopBackupError; row caps hold; and the temporary copy of the bytes never outlives a read.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { mapLoopBackup } from "../../lib/loop-import";
import { LOOP_BACKUP_LIMITS, LoopBackupTooLargeError, NotALoopBackupError, readLoopBackup } from "../../src/loop-backup";
import {
  buildLoopBackup,
  buildSqliteFile,
  LOOP_ENTRY,
  loopMigrations,
  loopTimestamp,
  type LoopBackupSpec,
} from "../helpers/loop-backup-builder";

const TODAY = "2026-03-15";

/** One habit of each kind Loop has, with every sort of entry. */
const EVERY_KIND: LoopBackupSpec = {
  habits: [
    {
      name: "Meditate",
      question: "Did you meditate today?",
      frequency: [1, 1],
      reminder: { hour: 7, minute: 5 },
      position: 1,
      repetitions: [
        { date: "2026-03-01", value: LOOP_ENTRY.YES_MANUAL, notes: "10 minutes" },
        { date: "2026-03-02", value: LOOP_ENTRY.SKIP },
        { date: "2026-03-03", value: LOOP_ENTRY.NO, notes: "too tired" },
        { date: "2026-03-04", value: LOOP_ENTRY.YES_AUTO },
        { date: "2026-03-20", value: LOOP_ENTRY.YES_MANUAL },
      ],
    },
    {
      name: "Water",
      description: "Eight glasses",
      question: "How many glasses?",
      frequency: [3, 7],
      numeric: { targetType: "at_least", targetValue: 8, unit: "glasses" },
      position: 0,
      repetitions: [
        { date: "2026-02-10", value: 1500 },
        { date: "2026-02-11", value: 0 },
        { date: "2026-02-12", value: 9000, notes: "n".repeat(600) },
      ],
    },
    {
      name: "Coffee",
      frequency: [5, 10],
      numeric: { targetType: "at_most", targetValue: 2, unit: "cups" },
      archived: true,
      position: 2,
      reminder: { hour: 21, minute: 30, days: 0b0011111 },
      repetitions: [{ date: "2026-01-01", value: 3000 }],
    },
    { name: "Stretch", frequency: [2, 3], position: 3 },
  ],
  orphanRepetitions: [{ habitId: 42, date: "2026-03-01", value: LOOP_ENTRY.YES_MANUAL }],
};

/** What `run` throws; a test expecting an error fails when nothing is thrown. */
function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error, but nothing was thrown");
}

describe("readLoopBackup", () => {
  it("reads a backup with Loop's latest schema into rows", () => {
    const backup = readLoopBackup(buildLoopBackup(EVERY_KIND));
    expect(backup.habits).toHaveLength(4);
    expect(backup.habits[0]).toEqual({
      id: 1,
      name: "Meditate",
      description: "",
      question: "Did you meditate today?",
      freqNum: 1,
      freqDen: 1,
      type: 0,
      targetType: 0,
      targetValue: 0,
      unit: "",
      archived: 0,
      position: 1,
      reminderHour: 7,
      reminderMin: 5,
      reminderDays: 127,
      color: 0,
    });
    expect(backup.habits[1]).toMatchObject({ id: 2, type: 1, targetType: 0, targetValue: 8, unit: "glasses" });
    expect(backup.habits[2]).toMatchObject({ id: 3, type: 1, targetType: 1, archived: 1, reminderDays: 0b0011111 });
    expect(backup.repetitions[0]).toEqual({ habitId: 1, timestamp: loopTimestamp("2026-03-01"), value: 2, notes: "10 minutes" });
    expect(backup.repetitions).toHaveLength(5 + 3 + 1 + 1);
    expect(backup.repetitions.at(-1)).toEqual({ habitId: 42, timestamp: loopTimestamp("2026-03-01"), value: 2, notes: "" });
  });

  it("maps a backup with Loop's latest schema to the import shape", () => {
    const { habits, warnings } = mapLoopBackup(readLoopBackup(buildLoopBackup(EVERY_KIND)), TODAY);
    expect(habits).toEqual([
      {
        name: "Water",
        description: "Eight glasses",
        color: null,
        schedule: { type: "times_per_week", times: 3 },
        target: { type: "at_least", value: 8, unit: "glasses" },
        reminders: [],
        startDate: "2026-02-10",
        archived: false,
        checkins: [
          { date: "2026-02-10", status: "done", value: 1.5, note: null },
          { date: "2026-02-12", status: "done", value: 9, note: "n".repeat(500) },
        ],
      },
      {
        name: "Meditate",
        description: "Did you meditate today?",
        color: null,
        schedule: { type: "daily" },
        target: { type: "boolean" },
        reminders: ["07:05"],
        startDate: "2026-03-01",
        archived: false,
        checkins: [
          { date: "2026-03-01", status: "done", value: null, note: "10 minutes" },
          { date: "2026-03-02", status: "skipped", value: null, note: null },
        ],
      },
      {
        name: "Coffee",
        description: "",
        color: null,
        schedule: { type: "every_n_days", n: 2 },
        target: { type: "at_most", value: 2, unit: "cups" },
        reminders: ["21:30"],
        startDate: "2026-01-01",
        archived: true,
        checkins: [{ date: "2026-01-01", status: "done", value: 3, note: null }],
      },
      {
        name: "Stretch",
        description: "",
        color: null,
        schedule: { type: "times_per_week", times: 5 },
        target: { type: "boolean" },
        reminders: [],
        startDate: TODAY,
        archived: false,
        checkins: [],
      },
    ]);
    expect(warnings).toEqual([
      `"Water": cut 1 note to 500 characters`,
      `"Meditate": dropped 1 entry dated after today (2026-03-15)`,
      `"Meditate": dropped 1 note on days without a check-in`,
      `"Coffee": the reminder was set for some weekdays only in Loop; here it comes on every day the habit is due`,
      `"Stretch": Loop's frequency 2/3 (2 times in 3 days) has no equal here; imported as 5 times per week`,
    ]);
  });

  it("reads a backup from before migration 16 (no habit types, no repetition values) as done check-ins", () => {
    const bytes = buildLoopBackup({
      schemaVersion: 15,
      habits: [{ name: "Floss", description: "Did you floss?", frequency: [2, 7], repetitions: [{ date: "2026-03-03" }] }],
    });
    const backup = readLoopBackup(bytes);
    expect(backup.habits[0]).toMatchObject({ type: 0, targetType: 0, targetValue: 0, unit: "", question: null, reminderDays: 0 });
    expect(backup.repetitions).toEqual([{ habitId: 1, timestamp: loopTimestamp("2026-03-03"), value: 2, notes: null }]);
    expect(mapLoopBackup(backup, TODAY).habits[0]).toMatchObject({
      name: "Floss",
      description: "Did you floss?",
      schedule: { type: "times_per_week", times: 2 },
      target: { type: "boolean" },
      checkins: [{ date: "2026-03-03", status: "done", value: null, note: null }],
    });
  });

  it("reads a backup from before migration 11 (no reminder days) with its reminder", () => {
    const backup = readLoopBackup(buildLoopBackup({ schemaVersion: 10, habits: [{ name: "Run", reminder: { hour: 6, minute: 0 } }] }));
    expect(backup.habits[0]).toMatchObject({ reminderHour: 6, reminderMin: 0, reminderDays: 127 });
    const { habits, warnings } = mapLoopBackup(backup, TODAY);
    expect(habits[0].reminders).toEqual(["06:00"]);
    expect(warnings).toEqual([]);
  });

  it("reads a backup from before migration 22, keeping the first of two entries of a date", () => {
    const bytes = buildLoopBackup({
      schemaVersion: 21,
      habits: [
        {
          name: "Read",
          repetitions: [
            { date: "2026-03-05", value: LOOP_ENTRY.SKIP },
            { date: "2026-03-05", value: LOOP_ENTRY.YES_MANUAL },
          ],
        },
      ],
    });
    const { habits, warnings } = mapLoopBackup(readLoopBackup(bytes), TODAY);
    expect(habits[0].checkins).toEqual([{ date: "2026-03-05", status: "skipped", value: null, note: null }]);
    expect(warnings).toEqual([`"Read": dropped 1 entry on a date already imported`]);
  });

  it("reads every schema version Loop has migrated through", () => {
    for (const { version } of loopMigrations()) {
      const backup = readLoopBackup(
        buildLoopBackup({ schemaVersion: version, habits: [{ name: `v${version}`, repetitions: [{ date: "2026-03-01" }] }] }),
      );
      expect(mapLoopBackup(backup, TODAY).habits.map((habit) => [habit.name, habit.checkins.length])).toEqual([[`v${version}`, 1]]);
    }
  });

  it("reads a backup whose database is in WAL mode", () => {
    const bytes = buildSqliteFile(
      (db) => {
        for (const migration of loopMigrations()) db.exec(migration.sql);
        db.exec("PRAGMA journal_mode = WAL");
        db.exec("INSERT INTO Habits (name, freq_num, freq_den, position) VALUES ('Walk', 1, 1, 0)");
      },
      { enableDoubleQuotedStringLiterals: true },
    );
    expect(bytes[18]).toBe(2); // the header's "WAL" read version
    expect(readLoopBackup(bytes).habits.map((habit) => habit.name)).toEqual(["Walk"]);
  });

  describe("what is not a Loop backup", () => {
    it.each([
      ["empty bytes", Buffer.alloc(0)],
      ["text", Buffer.from("name,date\nRead,2026-03-01\n")],
      ["a zip file", Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00])],
      ["a SQLite header alone", Buffer.from("SQLite format 3")],
    ])("%s is NotALoopBackupError saying it is not SQLite", (_label, bytes) => {
      expect(() => readLoopBackup(bytes)).toThrow(NotALoopBackupError);
      expect(() => readLoopBackup(bytes)).toThrow(/not a SQLite database/);
    });

    it("a damaged SQLite file is NotALoopBackupError saying it could not be read", () => {
      const bytes = buildLoopBackup(EVERY_KIND);
      bytes.fill(0xa5, 100);
      expect(() => readLoopBackup(bytes)).toThrow(NotALoopBackupError);
      expect(() => readLoopBackup(bytes)).toThrow(/could not be read as a SQLite database/);
    });

    it("a SQLite file without Loop's tables is NotALoopBackupError naming the table", () => {
      const noTables = buildSqliteFile((db) => db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)"));
      expect(() => readLoopBackup(noTables)).toThrow(NotALoopBackupError);
      expect(() => readLoopBackup(noTables)).toThrow("The SQLite file has no Habits table, so it is not a Loop full backup.");
      const noRepetitions = buildSqliteFile((db) => db.exec("CREATE TABLE Habits (id INTEGER PRIMARY KEY, name TEXT)"));
      expect(() => readLoopBackup(noRepetitions)).toThrow("The SQLite file has no Repetitions table, so it is not a Loop full backup.");
    });

    it("a view named Habits is not the table", () => {
      const bytes = buildSqliteFile((db) =>
        db.exec(
          "CREATE TABLE Repetitions (id INTEGER PRIMARY KEY, habit INTEGER, timestamp INTEGER); CREATE VIEW Habits AS SELECT 1 AS id",
        ),
      );
      expect(() => readLoopBackup(bytes)).toThrow(/no Habits table/);
    });

    it("a Habits table without Loop's id column is NotALoopBackupError", () => {
      const bytes = buildSqliteFile((db) =>
        db.exec("CREATE TABLE Habits (name TEXT); CREATE TABLE Repetitions (habit INTEGER, timestamp INTEGER)"),
      );
      expect(() => readLoopBackup(bytes)).toThrow(NotALoopBackupError);
      expect(() => readLoopBackup(bytes)).toThrow(/Habits table has no id column/);
    });
  });

  describe("limits", () => {
    it("caps habits and repetitions at 1,000 and 500,000 by default", () => {
      expect(LOOP_BACKUP_LIMITS).toEqual({ maxHabits: 1000, maxRepetitions: 500_000 });
    });

    it("refuses more habits than the limit, saying how many", () => {
      const bytes = buildLoopBackup({ habits: [{ name: "A" }, { name: "B" }, { name: "C" }] });
      const error = errorOf(() => readLoopBackup(bytes, { maxHabits: 2, maxRepetitions: 10 }));
      expect(error).toBeInstanceOf(LoopBackupTooLargeError);
      expect(error).toMatchObject({
        table: "Habits",
        rows: 3,
        limit: 2,
        message: "The backup holds 3 rows in Habits; an import reads at most 2.",
      });
      expect(readLoopBackup(bytes, { maxHabits: 3, maxRepetitions: 10 }).habits).toHaveLength(3);
    });

    it("refuses more repetitions than the limit, counting those of unknown habits too", () => {
      const bytes = buildLoopBackup({
        habits: [{ name: "A", repetitions: [{ date: "2026-03-01" }, { date: "2026-03-02" }] }],
        orphanRepetitions: [{ habitId: 9, date: "2026-03-01" }],
      });
      expect(() => readLoopBackup(bytes, { maxHabits: 10, maxRepetitions: 2 })).toThrow(
        "The backup holds 3 rows in Repetitions; an import reads at most 2.",
      );
      expect(readLoopBackup(bytes, { maxHabits: 10, maxRepetitions: 3 }).repetitions).toHaveLength(3);
    });
  });

  describe("the temporary file", () => {
    let tmpdir: string;

    // The reader's os.tmpdir() is pointed at a directory of this test's own.
    beforeEach(() => {
      tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), "loop-backup-spec-"));
      jest.spyOn(os, "tmpdir").mockReturnValue(tmpdir);
    });

    afterEach(() => {
      jest.restoreAllMocks();
      fs.rmSync(tmpdir, { recursive: true, force: true });
    });

    it.each([
      ["a read that succeeds", buildLoopBackup(EVERY_KIND), null],
      ["a read of a SQLite file without Loop's tables", buildSqliteFile((db) => db.exec("CREATE TABLE t (a)")), NotALoopBackupError],
      ["a damaged file", buildLoopBackup(EVERY_KIND).fill(0xa5, 100), NotALoopBackupError],
      ["a read over the limit", buildLoopBackup(EVERY_KIND), LoopBackupTooLargeError],
    ])("is removed after %s", (_label, bytes, expectedError) => {
      const mkdtemp = jest.spyOn(fs, "mkdtempSync");
      const read = () =>
        readLoopBackup(bytes, expectedError === LoopBackupTooLargeError ? { maxHabits: 1, maxRepetitions: 1 } : LOOP_BACKUP_LIMITS);
      if (expectedError) expect(read).toThrow(expectedError);
      else expect(read().habits).toHaveLength(4);
      // The copy was made under the temporary directory, and nothing of it is left.
      expect(mkdtemp).toHaveBeenCalledTimes(1);
      expect(String(mkdtemp.mock.results[0].value).startsWith(tmpdir)).toBe(true);
      expect(fs.readdirSync(tmpdir)).toEqual([]);
    });

    it("is not made for bytes that are not SQLite", () => {
      const mkdtemp = jest.spyOn(fs, "mkdtempSync");
      expect(() => readLoopBackup(Buffer.from("hello"))).toThrow(NotALoopBackupError);
      expect(mkdtemp).not.toHaveBeenCalled();
    });
  });
});
