/**
 * Builds real Loop Habit Tracker backup files for tests. A new SQLite database gets Loop's own
 * migrations (test/fixtures/loop-migrations, copied from iSoron/uhabits) applied in order, as Loop
 * does on a fresh install (its opener sets version 8, then runs 09.sql up to the version it wants),
 * then the habits and repetitions a test describes are written the way Loop's HabitRecord and
 * EntryRecord write them; the file's bytes come back. `schemaVersion` below 25 builds the backup
 * of an older Loop, whose tables lack the later columns.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";

const MIGRATIONS_DIR = path.resolve(__dirname, "../fixtures/loop-migrations");

/** The migrations Loop ships (09.sql to 25.sql); 25 is DATABASE_VERSION in Loop's Constants.kt. */
export const FIRST_LOOP_SCHEMA = 9;
export const LATEST_LOOP_SCHEMA = 25;

/** Loop's entry values (Entry.kt). */
export const LOOP_ENTRY = { UNKNOWN: -1, NO: 0, YES_AUTO: 1, YES_MANUAL: 2, SKIP: 3 } as const;

export interface LoopRepetitionSpec {
  date: string;
  /** An Entry value for a yes-or-no habit, thousandths for a numeric one; default 2 (done by hand). */
  value?: number;
  notes?: string;
}

export interface LoopHabitSpec {
  name: string;
  description?: string;
  question?: string;
  /** [times, days]; default [1, 1], daily. */
  frequency?: [number, number];
  numeric?: { targetType: "at_least" | "at_most"; targetValue: number; unit?: string };
  archived?: boolean;
  /** Default: the habit's index in the list. */
  position?: number;
  reminder?: { hour: number; minute: number; days?: number };
  /** An index into Loop's palette. */
  color?: number;
  repetitions?: LoopRepetitionSpec[];
}

export interface LoopBackupSpec {
  habits: LoopHabitSpec[];
  /** Apply only the migrations up to this one (9 to 25); default 25. */
  schemaVersion?: number;
  /** Repetitions of habit ids that do not exist, as Loop backups from before migration 22 can hold. */
  orphanRepetitions?: (LoopRepetitionSpec & { habitId: number })[];
}

/** The bytes of a SQLite file after `setup` ran on a new database. */
export function buildSqliteFile(setup: (db: DatabaseSync) => void, options: { enableDoubleQuotedStringLiterals?: boolean } = {}): Buffer {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "loop-backup-builder-"));
  try {
    const file = path.join(directory, "backup.db");
    const db = new DatabaseSync(file, { enableForeignKeyConstraints: false, ...options });
    try {
      setup(db);
    } finally {
      db.close();
    }
    return fs.readFileSync(file);
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

/** Loop's migration files up to `version`, in order. */
export function loopMigrations(version = LATEST_LOOP_SCHEMA): { version: number; sql: string }[] {
  if (!Number.isInteger(version) || version < FIRST_LOOP_SCHEMA || version > LATEST_LOOP_SCHEMA) {
    throw new RangeError(`Loop schema versions run from ${FIRST_LOOP_SCHEMA} to ${LATEST_LOOP_SCHEMA}, not ${version}`);
  }
  const versions = Array.from({ length: version - FIRST_LOOP_SCHEMA + 1 }, (_, index) => FIRST_LOOP_SCHEMA + index);
  return versions.map((each) => ({
    version: each,
    sql: fs.readFileSync(path.join(MIGRATIONS_DIR, `${String(each).padStart(2, "0")}.sql`), "utf8"),
  }));
}

/** A Loop backup file holding the habits (ids 1, 2, … in the order given) and their repetitions. */
export function buildLoopBackup(spec: LoopBackupSpec): Buffer {
  const version = spec.schemaVersion ?? LATEST_LOOP_SCHEMA;
  // Android's SQLite takes double-quoted string literals, and Loop's migrations 18 and 23 use them.
  return buildSqliteFile(
    (db) => {
      for (const migration of loopMigrations(version)) db.exec(migration.sql);
      db.exec(`PRAGMA user_version = ${version}`);
      // Migration 22 turns foreign keys on; off again so a test may write an orphan repetition.
      db.exec("PRAGMA foreign_keys = OFF");
      spec.habits.forEach((habit, index) => {
        const id = insertRow(db, "Habits", habitColumns(habit, index));
        for (const repetition of habit.repetitions ?? []) insertRow(db, "Repetitions", repetitionColumns(id, repetition));
      });
      for (const orphan of spec.orphanRepetitions ?? []) insertRow(db, "Repetitions", repetitionColumns(orphan.habitId, orphan));
    },
    { enableDoubleQuotedStringLiterals: true },
  );
}

/** The local date's midnight in UTC milliseconds, as Loop's Timestamp stores it. */
export function loopTimestamp(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

/** What Loop writes for a column the test left open; an older schema may lack the column, and then it is left out. */
class LoopDefault {
  constructor(readonly value: SQLInputValue) {}
}

const byDefault = (value: SQLInputValue) => new LoopDefault(value);

/** Each column and its value, set by the test or Loop's default. */
type Columns = Record<string, SQLInputValue | LoopDefault>;

/** As HabitRecord.copyFrom writes a habit. */
function habitColumns(habit: LoopHabitSpec, index: number): Columns {
  const [freqNum, freqDen] = habit.frequency ?? [1, 1];
  const numeric = habit.numeric;
  const reminder = habit.reminder;
  return {
    name: habit.name,
    description: habit.description ?? "",
    question: habit.question ?? byDefault(""),
    freq_num: freqNum,
    freq_den: freqDen,
    color: habit.color ?? 0,
    position: habit.position ?? index,
    highlight: 0,
    archived: habit.archived ? 1 : 0,
    type: numeric ? 1 : byDefault(0),
    target_type: numeric ? (numeric.targetType === "at_most" ? 1 : 0) : byDefault(0),
    target_value: numeric ? numeric.targetValue : byDefault(0),
    unit: numeric?.unit ?? byDefault(""),
    reminder_hour: reminder ? reminder.hour : null,
    reminder_min: reminder ? reminder.minute : null,
    reminder_days: reminder?.days ?? byDefault(reminder ? 127 : 0),
    uuid: byDefault(crypto.randomUUID().replaceAll("-", "")),
  };
}

/** As EntryRecord.copyFrom writes an entry (notes "" when there are none). */
function repetitionColumns(habitId: number, repetition: LoopRepetitionSpec): Columns {
  return {
    habit: habitId,
    timestamp: loopTimestamp(repetition.date),
    value: repetition.value ?? byDefault(LOOP_ENTRY.YES_MANUAL),
    notes: repetition.notes ?? byDefault(""),
  };
}

/** Inserts the columns the table has; a value the spec set for a column it lacks is a mistake in the test. */
function insertRow(db: DatabaseSync, table: string, columns: Columns): number {
  const present = new Set(
    db
      .prepare(`PRAGMA table_info(${table})`)
      .all()
      .map((column) => String(column.name)),
  );
  const values: Record<string, SQLInputValue> = {};
  for (const [column, value] of Object.entries(columns)) {
    if (present.has(column)) values[column] = value instanceof LoopDefault ? value.value : value;
    else if (!(value instanceof LoopDefault)) throw new Error(`This Loop schema's ${table} table has no ${column} column`);
  }
  const names = Object.keys(values);
  const insert = db.prepare(`INSERT INTO ${table} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`);
  return Number(insert.run(...Object.values(values)).lastInsertRowid);
}
