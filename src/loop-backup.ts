/**
 * Reads a Loop Habit Tracker full backup (a SQLite file, iSoron/uhabits "Export full backup") into
 * the plain rows lib/loop-import.ts maps. SQLite itself reads it (node:sqlite, read-only, untrusted
 * schema off); Node 22 cannot open a database from memory, so the bytes go to a private temporary
 * file that is always removed. Loop's schema grew by migrations, so the columns are looked up with
 * `PRAGMA table_info`; one an older backup lacks reads as the default Loop's own migration gives
 * it (11, 16, 18), or null. Row counts are capped before anything is read.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync, type SQLOutputValue } from "node:sqlite";
import type { LoopBackup, LoopHabitRow, LoopRepetitionRow } from "../lib/loop-import";

/** The bytes are not a Loop backup: not SQLite, unreadable, or without Loop's tables. */
export class NotALoopBackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotALoopBackupError";
  }
}

/** A Loop backup holding more rows than an import reads. */
export class LoopBackupTooLargeError extends Error {
  constructor(
    readonly table: "Habits" | "Repetitions",
    readonly rows: number,
    readonly limit: number,
  ) {
    super(`The backup holds ${rows} rows in ${table}; an import reads at most ${limit}.`);
    this.name = "LoopBackupTooLargeError";
  }
}

export interface LoopBackupLimits {
  maxHabits: number;
  maxRepetitions: number;
}

export const LOOP_BACKUP_LIMITS: LoopBackupLimits = { maxHabits: 1000, maxRepetitions: 500_000 };

/** The first 16 bytes of every SQLite 3 database file (sqlite.org/fileformat.html). */
const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1");

type ColumnDefault = string | number | null;

/** Each Habits column read, its field, and its default when the schema lacks it (Loop's migrations 11, 16, 18). */
const HABIT_COLUMNS: Record<string, [keyof LoopHabitRow, ColumnDefault]> = {
  id: ["id", null],
  name: ["name", null],
  description: ["description", null],
  question: ["question", null],
  freq_num: ["freqNum", null],
  freq_den: ["freqDen", null],
  type: ["type", 0],
  target_type: ["targetType", 0],
  target_value: ["targetValue", 0],
  unit: ["unit", ""],
  archived: ["archived", null],
  position: ["position", null],
  reminder_hour: ["reminderHour", null],
  reminder_min: ["reminderMin", null],
  reminder_days: ["reminderDays", 127],
  color: ["color", null],
};

/** The same for Repetitions: before migration 16 a repetition was a check, value 2 (done by hand). */
const REPETITION_COLUMNS: Record<string, [keyof LoopRepetitionRow, ColumnDefault]> = {
  habit: ["habitId", null],
  timestamp: ["timestamp", null],
  value: ["value", 2],
  notes: ["notes", null],
};

const TEXT_FIELDS = new Set<string>(["name", "description", "question", "unit", "notes"]);

/**
 * The habits and repetitions of a Loop backup, repetitions in row-id order.
 * @throws NotALoopBackupError when the bytes are not SQLite or lack the Habits or Repetitions table
 * @throws LoopBackupTooLargeError when a table holds more rows than `limits` allow
 */
export function readLoopBackup(bytes: Buffer, limits: LoopBackupLimits = LOOP_BACKUP_LIMITS): LoopBackup {
  if (!bytes.subarray(0, SQLITE_HEADER.length).equals(SQLITE_HEADER)) {
    throw new NotALoopBackupError("The file is not a SQLite database, as a Loop full backup is.");
  }
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "loop-backup-"));
  try {
    const file = path.join(directory, "backup.db");
    fs.writeFileSync(file, bytes, { mode: 0o600 });
    return readDatabaseFile(file, limits);
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

function readDatabaseFile(file: string, limits: LoopBackupLimits): LoopBackup {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file, { readOnly: true });
  } catch (error) {
    throw unreadable(error);
  }
  try {
    // An uploaded file is untrusted: no functions with side effects from its schema, cells checked.
    db.exec("PRAGMA trusted_schema = OFF; PRAGMA cell_size_check = ON;");
    return readTables(db, limits);
  } catch (error) {
    throw isSqliteError(error) ? unreadable(error) : error;
  } finally {
    db.close();
  }
}

/** By its code, not `instanceof`: node:sqlite's errors may come from another realm (as under jest). */
const isSqliteError = (error: unknown) =>
  typeof error === "object" && error !== null && (error as { code?: unknown }).code === "ERR_SQLITE_ERROR";

function unreadable(error: unknown): NotALoopBackupError {
  return new NotALoopBackupError(`The file could not be read as a SQLite database: ${(error as Error).message}`);
}

function readTables(db: DatabaseSync, limits: LoopBackupLimits): LoopBackup {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
  const habitsTable = tableNamed(tables, "Habits");
  const repetitionsTable = tableNamed(tables, "Repetitions");
  assertRowCount(db, habitsTable, "Habits", limits.maxHabits);
  assertRowCount(db, repetitionsTable, "Repetitions", limits.maxRepetitions);
  const habits = readRows(db, habitsTable, HABIT_COLUMNS, ["id"]) as unknown as LoopHabitRow[];
  const repetitions = readRows(db, repetitionsTable, REPETITION_COLUMNS, ["habit", "timestamp"]) as unknown as LoopRepetitionRow[];
  return { habits: habits.filter((habit) => habit.id !== null), repetitions };
}

/** The table's name as stored (SQLite names ignore case; Loop spells both "Habits" and "habits"). */
function tableNamed(tables: Record<string, SQLOutputValue>[], wanted: "Habits" | "Repetitions"): string {
  const found = tables.map((table) => table.name).find((name) => typeof name === "string" && name.toLowerCase() === wanted.toLowerCase());
  if (typeof found !== "string") throw new NotALoopBackupError(`The SQLite file has no ${wanted} table, so it is not a Loop full backup.`);
  return found;
}

const quoted = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

function assertRowCount(db: DatabaseSync, table: string, label: "Habits" | "Repetitions", limit: number): void {
  const { rows } = db.prepare(`SELECT COUNT(*) AS rows FROM ${quoted(table)}`).get() as { rows: number };
  if (rows > limit) throw new LoopBackupTooLargeError(label, rows, limit);
}

/** Every row with the wanted columns as fields, present ones read, missing ones defaulted; by row id. */
function readRows(
  db: DatabaseSync,
  table: string,
  columns: Record<string, [string, ColumnDefault]>,
  required: string[],
): Record<string, ColumnDefault>[] {
  const present = new Set(
    db
      .prepare(`PRAGMA table_info(${quoted(table)})`)
      .all()
      .map((column) => String(column.name).toLowerCase()),
  );
  const missing = required.filter((column) => !present.has(column));
  if (missing.length > 0) throw new NotALoopBackupError(`The ${table} table has no ${missing.join(" or ")} column, so it is not Loop's.`);
  const read = Object.keys(columns).filter((column) => present.has(column));
  const statement = db.prepare(`SELECT ${read.map(quoted).join(", ")} FROM ${quoted(table)} ORDER BY rowid`);
  const rows: Record<string, ColumnDefault>[] = [];
  for (const stored of statement.iterate()) {
    const row: Record<string, ColumnDefault> = {};
    for (const [column, [field, fallback]] of Object.entries(columns)) {
      row[field] = present.has(column) ? asField(stored[column], TEXT_FIELDS.has(field)) : fallback;
    }
    rows.push(row);
  }
  return rows;
}

/** A stored value as the field's type; SQLite keeps any type in any column, so a mismatch reads as null. */
function asField(value: SQLOutputValue, text: boolean): ColumnDefault {
  if (text) return typeof value === "string" ? value : null;
  if (typeof value === "number") return value;
  return typeof value === "bigint" ? Number(value) : null;
}
