/**
 * The `habits` service's tables, `habits` and `habit_lists` (migrations/002, 003, 007). Every SQL
 * statement on them is here; other services get habits through the service's actions
 * (`habits.definition`, `habits.ofUser`, `habits.withReminders`) and its published lists
 * (src/habit-lists.ts).
 */
import type { Sequelize, Transaction } from "sequelize";
import { run, sql } from "../sql";
import type { Schedule, Target } from "../../lib/habit-rules";

/** A habit as the API shows it. */
export interface Habit {
  id: string;
  name: string;
  description: string;
  color: string | null;
  schedule: Schedule;
  target: Target;
  reminders: string[];
  startDate: string;
  archived: boolean;
  position: number;
  createdAt: string;
  updatedAt: string;
}

/** A habit as stored. */
export interface HabitRecord extends Omit<Habit, "createdAt" | "updatedAt"> {
  userId: string;
  /**
   * Bumped whenever the rules its streak is computed by change (schedule, target, start date),
   * so values cached under older rules are known to be stale.
   */
  revision: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A habit as other services get it (dates as text: it crosses the transporter as JSON). */
export interface HabitDefinition extends Habit {
  userId: string;
  revision: number;
}

export function toDefinition(record: HabitRecord): HabitDefinition {
  return { ...toHabit(record), userId: record.userId, revision: record.revision };
}

/** The public shape of a definition. */
export function publicHabit({ userId: _userId, revision: _revision, ...habit }: HabitDefinition): Habit {
  return habit;
}

const COLUMNS = `id, user_id AS "userId", name, description, color, schedule, target, reminders,
  to_char(start_date, 'YYYY-MM-DD') AS "startDate", archived, position, revision::float8 AS revision,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

export function toHabit(record: HabitRecord): Habit {
  return {
    id: record.id,
    name: record.name,
    description: record.description,
    color: record.color,
    schedule: record.schedule,
    target: record.target,
    reminders: record.reminders,
    startDate: record.startDate,
    archived: record.archived,
    position: record.position,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}

const BUMP_LIST = sql(`INSERT INTO habit_lists (user_id, revision) VALUES ($1, 1)
  ON CONFLICT (user_id) DO UPDATE SET revision = habit_lists.revision + 1 RETURNING revision::float8 AS revision`);
/**
 * Starts a change to the user's habits: takes the user's list row (made on first use), which
 * serialises changes to one user's habits (so positions stay 0..n-1), and bumps its revision.
 */
export async function bumpListRevision(db: Sequelize, transaction: Transaction, userId: string): Promise<number> {
  const [{ revision }] = await run<{ revision: number }>(db, BUMP_LIST, [userId], transaction);
  return revision;
}

/** All the user's habits (archived too) in position order, and their list's revision, in one snapshot. */
export const HABITS_OF_USER = sql(`SELECT l."listRevision", h.* FROM
    (SELECT coalesce((SELECT revision FROM habit_lists WHERE user_id = $1), 0)::float8 AS "listRevision") l
    LEFT JOIN LATERAL (SELECT ${COLUMNS} FROM habits WHERE user_id = $1) h ON true
  ORDER BY h.position`);
export async function habitsOfUser(
  db: Sequelize,
  userId: string,
  transaction?: Transaction,
): Promise<{ revision: number; habits: HabitRecord[] }> {
  // A row per habit, or one row of nulls but the revision when the user has none.
  const rows = await run<{ listRevision: number } & HabitRecord>(db, HABITS_OF_USER, [userId], transaction);
  return {
    revision: rows[0].listRevision,
    habits: rows.filter((row) => row.id !== null).map(({ listRevision: _list, ...habit }) => habit),
  };
}

const COUNT = sql("SELECT count(*)::int AS count FROM habits WHERE user_id = $1");
export async function countHabits(db: Sequelize, userId: string, transaction?: Transaction): Promise<number> {
  const [{ count }] = await run<{ count: number }>(db, COUNT, [userId], transaction);
  return count;
}

/** The values of a habit's own fields, in the order INSERT and SAVE bind them. */
function editableValues(habit: Omit<HabitRecord, "revision" | "createdAt" | "updatedAt">): unknown[] {
  return [
    habit.name,
    habit.description,
    habit.color,
    JSON.stringify(habit.schedule),
    JSON.stringify(habit.target),
    JSON.stringify(habit.reminders),
    habit.startDate,
    habit.archived,
    habit.position,
  ];
}

const INSERT = sql(`INSERT INTO habits (id, user_id, name, description, color, schedule, target, reminders, start_date, archived, position)
  VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9, $10, $11) RETURNING ${COLUMNS}`);
export async function insertHabit(
  db: Sequelize,
  transaction: Transaction,
  habit: Omit<HabitRecord, "revision" | "createdAt" | "updatedAt">,
): Promise<HabitRecord> {
  const [row] = await run<HabitRecord>(db, INSERT, [habit.id, habit.userId, ...editableValues(habit)], transaction);
  return row;
}

const LIST = sql(`SELECT ${COLUMNS} FROM habits WHERE user_id = $1 AND archived = $2 ORDER BY position`);
/** The user's habits (active, or archived), in position order. */
export function listHabits(db: Sequelize, userId: string, archived: boolean): Promise<HabitRecord[]> {
  return run<HabitRecord>(db, LIST, [userId, archived]);
}

const FIND = sql(`SELECT ${COLUMNS} FROM habits WHERE id = $1 AND ($2::uuid IS NULL OR user_id = $2::uuid)`);
/** A habit, if it is the user's (any user's when `userId` is null: internal callers). */
export async function findHabit(db: Sequelize, id: string, userId: string | null, transaction?: Transaction): Promise<HabitRecord | null> {
  const [row] = await run<HabitRecord>(db, FIND, [id, userId], transaction);
  return row ?? null;
}

const SAVE = sql(`UPDATE habits SET name = $2, description = $3, color = $4, schedule = $5::jsonb, target = $6::jsonb,
    reminders = $7::jsonb, start_date = $8, archived = $9, position = $10, revision = $11, updated_at = now()
  WHERE id = $1 RETURNING ${COLUMNS}`);
/** Writes every field of the habit back, and `updated_at`; returns it as stored now. */
export async function saveHabit(db: Sequelize, transaction: Transaction, habit: HabitRecord): Promise<HabitRecord> {
  const [row] = await run<HabitRecord>(db, SAVE, [habit.id, ...editableValues(habit), habit.revision], transaction);
  return row;
}

const SHIFT = sql("UPDATE habits SET position = position + $4 WHERE user_id = $1 AND position BETWEEN $2 AND $3");
/** Moves the user's habits at positions low..high by `step` (±1), making room or closing a gap. */
export async function shiftPositions(
  db: Sequelize,
  transaction: Transaction,
  userId: string,
  low: number,
  high: number,
  step: 1 | -1,
): Promise<void> {
  await run(db, SHIFT, [userId, low, high, step], transaction);
}

const CLOSE_GAP = sql("UPDATE habits SET position = position - 1 WHERE user_id = $1 AND position > $2");
/** Closes the gap a deleted habit left at `position`. */
export async function closeGap(db: Sequelize, transaction: Transaction, userId: string, position: number): Promise<void> {
  await run(db, CLOSE_GAP, [userId, position], transaction);
}

const DELETE = sql("DELETE FROM habits WHERE id = $1");
/** Deletes the habit (its check-ins and other rows referencing it go with it: ON DELETE CASCADE). */
export async function deleteHabit(db: Sequelize, transaction: Transaction, id: string): Promise<void> {
  await run(db, DELETE, [id], transaction);
}

const WITH_REMINDERS = sql(`SELECT ${COLUMNS} FROM habits WHERE NOT archived AND reminders <> '[]'::jsonb`);
/** Active habits that have reminders, for the reminder scan. */
export function habitsWithReminders(db: Sequelize): Promise<HabitRecord[]> {
  return run<HabitRecord>(db, WITH_REMINDERS);
}
