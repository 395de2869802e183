/**
 * The `habits` service's table, `habits` (migrations/002, 003). Every SQL statement on it is here;
 * other services get habits through the service's actions (`habits.definition`,
 * `habits.definitions`, `habits.withReminders`).
 */
import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
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

/** Serialises one user's changes to positions until the transaction ends (no other table is touched). */
export async function lockUserHabits(db: Sequelize, transaction: Transaction, userId: string): Promise<void> {
  await db.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", { bind: [userId], transaction });
}

export async function countHabits(db: Sequelize, userId: string, transaction?: Transaction): Promise<number> {
  const [{ count }] = await db.query<{ count: string }>("SELECT count(*) AS count FROM habits WHERE user_id = $1", {
    bind: [userId],
    type: QueryTypes.SELECT,
    transaction,
  });
  return Number(count);
}

export async function insertHabit(
  db: Sequelize,
  transaction: Transaction,
  habit: Omit<HabitRecord, "revision" | "createdAt" | "updatedAt">,
): Promise<HabitRecord> {
  const [row] = await db.query<HabitRecord>(
    `INSERT INTO habits (id, user_id, name, description, color, schedule, target, reminders, start_date, archived, position)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9, $10, $11) RETURNING ${COLUMNS}`,
    {
      bind: [
        habit.id,
        habit.userId,
        habit.name,
        habit.description,
        habit.color,
        JSON.stringify(habit.schedule),
        JSON.stringify(habit.target),
        JSON.stringify(habit.reminders),
        habit.startDate,
        habit.archived,
        habit.position,
      ],
      type: QueryTypes.SELECT,
      transaction,
    },
  );
  return row;
}

/** The user's habits (active, or archived), in position order. */
export function listHabits(db: Sequelize, userId: string, archived: boolean): Promise<HabitRecord[]> {
  return db.query<HabitRecord>(`SELECT ${COLUMNS} FROM habits WHERE user_id = $1 AND archived = $2 ORDER BY position`, {
    bind: [userId, archived],
    type: QueryTypes.SELECT,
  });
}

/** A habit, if it is the user's (any user's when `userId` is null: internal callers). */
export async function findHabit(db: Sequelize, id: string, userId: string | null, transaction?: Transaction): Promise<HabitRecord | null> {
  const [row] = await db.query<HabitRecord>(`SELECT ${COLUMNS} FROM habits WHERE id = $1 AND ($2::uuid IS NULL OR user_id = $2::uuid)`, {
    bind: [id, userId],
    type: QueryTypes.SELECT,
    transaction,
  });
  return row ?? null;
}

/** Writes every field of the habit back, and `updated_at`; returns it as stored now. */
export async function saveHabit(db: Sequelize, transaction: Transaction, habit: HabitRecord): Promise<HabitRecord> {
  const [row] = await db.query<HabitRecord>(
    `UPDATE habits SET name = $2, description = $3, color = $4, schedule = $5::jsonb, target = $6::jsonb, reminders = $7::jsonb,
            start_date = $8, archived = $9, position = $10, revision = $11, updated_at = now()
      WHERE id = $1 RETURNING ${COLUMNS}`,
    {
      bind: [
        habit.id,
        habit.name,
        habit.description,
        habit.color,
        JSON.stringify(habit.schedule),
        JSON.stringify(habit.target),
        JSON.stringify(habit.reminders),
        habit.startDate,
        habit.archived,
        habit.position,
        habit.revision,
      ],
      type: QueryTypes.SELECT,
      transaction,
    },
  );
  return row;
}

/** Moves the user's habits at positions low..high by `step` (±1), making room or closing a gap. */
export async function shiftPositions(
  db: Sequelize,
  transaction: Transaction,
  userId: string,
  low: number,
  high: number,
  step: 1 | -1,
): Promise<void> {
  await db.query("UPDATE habits SET position = position + $4 WHERE user_id = $1 AND position BETWEEN $2 AND $3", {
    bind: [userId, low, high, step],
    transaction,
  });
}

/** Closes the gap a deleted habit left at `position`. */
export async function closeGap(db: Sequelize, transaction: Transaction, userId: string, position: number): Promise<void> {
  await db.query("UPDATE habits SET position = position - 1 WHERE user_id = $1 AND position > $2", {
    bind: [userId, position],
    transaction,
  });
}

/** Deletes the habit (its check-ins and other rows referencing it go with it: ON DELETE CASCADE). */
export async function deleteHabit(db: Sequelize, transaction: Transaction, id: string): Promise<void> {
  await db.query("DELETE FROM habits WHERE id = $1", { bind: [id], transaction });
}

/** Active habits that have reminders, for the reminder scan. */
export function habitsWithReminders(db: Sequelize): Promise<HabitRecord[]> {
  return db.query<HabitRecord>(`SELECT ${COLUMNS} FROM habits WHERE NOT archived AND reminders <> '[]'::jsonb`, {
    type: QueryTypes.SELECT,
  });
}
