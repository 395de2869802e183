/**
 * The `tracking` service's tables: `checkins`, `milestones` and `habit_progress`
 * (migrations/002, 003, 005). Every SQL statement on them is here.
 */
import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
import { isCompleted, type CheckinFacts, type CheckinStatus, type Target } from "../../lib/habit-rules";
import type { LocalDate } from "../../lib/dates";

/** A check-in as stored. */
export interface CheckinRecord {
  habitId: string;
  date: LocalDate;
  status: CheckinStatus;
  value: number | null;
  note: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A check-in as the API shows it: `completed` says whether it meets the habit's target. */
export interface Checkin {
  habitId: string;
  date: LocalDate;
  status: CheckinStatus;
  value: number | null;
  note: string | null;
  completed: boolean;
  createdAt: string;
  updatedAt: string;
}

export function toCheckin(record: CheckinRecord, target: Target): Checkin {
  return {
    habitId: record.habitId,
    date: record.date,
    status: record.status,
    value: record.value,
    note: record.note,
    completed: isCompleted(record, target),
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}

const COLUMNS = `habit_id AS "habitId", to_char(date, 'YYYY-MM-DD') AS date, status, value, note,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

/**
 * Starts a write to a habit's check-ins: takes the habit's progress row (made on first use),
 * which serialises writes to one habit, and bumps its revision. Returns the new revision; the
 * one before is `revision - 1`.
 */
export async function bumpRevision(db: Sequelize, transaction: Transaction, habitId: string): Promise<number> {
  const [{ revision }] = await db.query<{ revision: string }>(
    `INSERT INTO habit_progress (habit_id, revision) VALUES ($1, 1)
     ON CONFLICT (habit_id) DO UPDATE SET revision = habit_progress.revision + 1 RETURNING revision`,
    { bind: [habitId], type: QueryTypes.SELECT, transaction },
  );
  return Number(revision);
}

/** The revision of each habit's check-ins (0 for a habit never written to). */
export async function revisions(db: Sequelize, habitIds: string[]): Promise<Map<string, number>> {
  const rows = await db.query<{ habitId: string; revision: string }>(
    `SELECT habit_id AS "habitId", revision FROM habit_progress WHERE habit_id = ANY($1::uuid[])`,
    { bind: [habitIds], type: QueryTypes.SELECT },
  );
  const found = new Map(rows.map((row) => [row.habitId, Number(row.revision)]));
  return new Map(habitIds.map((id) => [id, found.get(id) ?? 0]));
}

/**
 * The check-ins streaks and scores are computed from, per habit: one row per habit with its
 * history packed into one text ("2026-11-30d,2026-12-01s,2026-12-02d8.5": date, status initial,
 * value), so a long history costs one value to send, not a row per day.
 */
export async function histories(db: Sequelize, habitIds: string[], transaction?: Transaction): Promise<Map<string, CheckinFacts[]>> {
  const rows = await db.query<{ habitId: string; history: string }>(
    `SELECT habit_id AS "habitId", string_agg(to_char(date, 'YYYY-MM-DD') || left(status, 1) || coalesce(value::text, ''), ',') AS history
       FROM checkins WHERE habit_id = ANY($1::uuid[]) GROUP BY habit_id`,
    { bind: [habitIds], type: QueryTypes.SELECT, transaction },
  );
  return new Map(rows.map((row) => [row.habitId, unpack(row.history)]));
}

function unpack(packed: string): CheckinFacts[] {
  return packed.split(",").map((entry) => ({
    date: entry.slice(0, 10),
    status: entry[10] === "s" ? "skipped" : "done",
    value: entry.length > 11 ? Number(entry.slice(11)) : null,
  }));
}

/** Inserts or replaces the check-in of (habit, date); `created` tells which. */
export async function upsertCheckin(
  db: Sequelize,
  transaction: Transaction,
  checkin: Pick<CheckinRecord, "habitId" | "date" | "status" | "value" | "note">,
): Promise<{ record: CheckinRecord; created: boolean }> {
  const [row] = await db.query<CheckinRecord & { created: boolean }>(
    `INSERT INTO checkins (habit_id, date, status, value, note) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (habit_id, date) DO UPDATE
       SET status = EXCLUDED.status, value = EXCLUDED.value, note = EXCLUDED.note, updated_at = now()
     RETURNING ${COLUMNS}, (xmax = 0) AS created`,
    { bind: [checkin.habitId, checkin.date, checkin.status, checkin.value, checkin.note], type: QueryTypes.SELECT, transaction },
  );
  const { created, ...record } = row;
  return { record, created };
}

/** Deletes the check-in of (habit, date); whether there was one. */
export async function deleteCheckin(db: Sequelize, transaction: Transaction, habitId: string, date: LocalDate): Promise<boolean> {
  const rows = await db.query("DELETE FROM checkins WHERE habit_id = $1 AND date = $2 RETURNING date", {
    bind: [habitId, date],
    type: QueryTypes.SELECT,
    transaction,
  });
  return rows.length > 0;
}

export function listCheckins(db: Sequelize, habitId: string, from: LocalDate, to: LocalDate): Promise<CheckinRecord[]> {
  return db.query<CheckinRecord>(`SELECT ${COLUMNS} FROM checkins WHERE habit_id = $1 AND date BETWEEN $2 AND $3 ORDER BY date`, {
    bind: [habitId, from, to],
    type: QueryTypes.SELECT,
  });
}

/** The date of the habit's earliest check-in, or null. */
export async function earliestCheckin(db: Sequelize, habitId: string): Promise<LocalDate | null> {
  const [{ first }] = await db.query<{ first: string | null }>(
    "SELECT to_char(min(date), 'YYYY-MM-DD') AS first FROM checkins WHERE habit_id = $1",
    {
      bind: [habitId],
      type: QueryTypes.SELECT,
    },
  );
  return first;
}

/**
 * Records that the habit's run starting `runStart` reached `milestone`, unless that run already
 * did; whether it was recorded now. A run filled in backwards starts earlier with each check-in,
 * so a milestone recorded for any start within the current run (on or after `runStart`) is this
 * run's. The caller holds the habit's progress row (`bumpRevision`), so this cannot race.
 */
export async function recordMilestone(
  db: Sequelize,
  transaction: Transaction,
  milestone: { habitId: string; milestone: number; unit: "days" | "weeks"; runStart: LocalDate },
): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO milestones (habit_id, milestone, unit, run_start)
     SELECT $1, $2, $3, $4::date
      WHERE NOT EXISTS (SELECT 1 FROM milestones WHERE habit_id = $1 AND milestone = $2 AND unit = $3 AND run_start >= $4::date)
     ON CONFLICT DO NOTHING RETURNING milestone`,
    { bind: [milestone.habitId, milestone.milestone, milestone.unit, milestone.runStart], type: QueryTypes.SELECT, transaction },
  );
  return rows.length > 0;
}
