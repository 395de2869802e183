/**
 * The `tracking` service's tables: `checkins`, `milestones` and `habit_progress`
 * (migrations/002, 003, 005). Every SQL statement on them is here.
 */
import type { Sequelize, Transaction } from "sequelize";
import { count, run, sql } from "../sql";
import { insertEventsFrom } from "./outbox";
import { isCompleted, type CheckinFacts, type CheckinStatus, type Target } from "../../lib/habit-rules";
import type { LocalDate } from "../../lib/dates";
import type { StreakUnit } from "../../lib/progress";

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

/** A timestamp as JavaScript's toISOString() writes it (both truncate to milliseconds). */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A habit's history packed into one text ("2026-11-30d,2026-12-01s,2026-12-02d8.5": date, status initial, value). */
const PACKED_HISTORY = `string_agg(to_char(date, 'YYYY-MM-DD') || left(status, 1) || coalesce(value::text, ''), ',')`;

export const BUMP = sql(`INSERT INTO habit_progress (habit_id, revision) VALUES ($1, 1)
  ON CONFLICT (habit_id) DO UPDATE SET revision = habit_progress.revision + 1 RETURNING revision::float8 AS revision`);
/**
 * Starts a write to a habit's check-ins: takes the habit's progress row (made on first use),
 * which serialises writes to one habit, and bumps its revision. Returns the new revision; the
 * one before is `revision - 1`.
 */
export async function bumpRevision(db: Sequelize, transaction: Transaction, habitId: string): Promise<number> {
  const [{ revision }] = await run<{ revision: number }>(db, BUMP, [habitId], transaction);
  return revision;
}

export interface ProgressSnapshot {
  /** The check-ins' revision (0 for a habit never written to). */
  revision: number;
  checkins: CheckinFacts[];
}

export const SNAPSHOT = sql(`SELECT ids.id AS "habitId", coalesce(p.revision, 0)::float8 AS revision,
    (SELECT ${PACKED_HISTORY} FROM checkins WHERE habit_id = ids.id) AS history
  FROM unnest($1::uuid[]) AS ids(id) LEFT JOIN habit_progress p ON p.habit_id = ids.id`);
/** What streaks are computed from, per habit: its check-ins and their revision, read together (one snapshot). */
export async function progressSnapshots(db: Sequelize, habitIds: string[]): Promise<Map<string, ProgressSnapshot>> {
  const rows = await run<{ habitId: string; revision: number; history: string | null }>(db, SNAPSHOT, [habitIds]);
  return new Map(rows.map((row) => [row.habitId, { revision: row.revision, checkins: unpackHistory(row.history) }]));
}

export const HISTORIES = sql(
  `SELECT habit_id AS "habitId", ${PACKED_HISTORY} AS history FROM checkins WHERE habit_id = ANY($1::uuid[]) GROUP BY habit_id`,
);
/**
 * The check-ins streaks and scores are computed from, per habit: one row per habit with its
 * history packed into one text, so a long history costs one value to send, not a row per day.
 */
export async function histories(db: Sequelize, habitIds: string[], transaction?: Transaction): Promise<Map<string, CheckinFacts[]>> {
  const rows = await run<{ habitId: string; history: string }>(db, HISTORIES, [habitIds], transaction);
  return new Map(rows.map((row) => [row.habitId, unpackHistory(row.history)]));
}

/** A history as `PACKED_HISTORY` packs it (null: no check-ins). */
export function unpackHistory(packed: string | null): CheckinFacts[] {
  if (packed === null) return [];
  return packed.split(",").map((entry) => ({
    date: entry.slice(0, 10),
    status: entry[10] === "s" ? "skipped" : "done",
    value: entry.length > 11 ? Number(entry.slice(11)) : null,
  }));
}

const UPSERT_SET = `ON CONFLICT (habit_id, date) DO UPDATE
  SET status = EXCLUDED.status, value = EXCLUDED.value, note = EXCLUDED.note, updated_at = now()
  RETURNING ${COLUMNS}, (xmax = 0) AS created`;

export const UPSERT = sql(`INSERT INTO checkins (habit_id, date, status, value, note) VALUES ($1, $2, $3, $4, $5) ${UPSERT_SET}`);
/** Inserts or replaces the check-in of (habit, date); `created` tells which. */
export async function upsertCheckin(
  db: Sequelize,
  transaction: Transaction,
  checkin: Pick<CheckinRecord, "habitId" | "date" | "status" | "value" | "note">,
): Promise<{ record: CheckinRecord; created: boolean }> {
  const [{ created, ...record }] = await run<CheckinRecord & { created: boolean }>(
    db,
    UPSERT,
    [checkin.habitId, checkin.date, checkin.status, checkin.value, checkin.note],
    transaction,
  );
  return { record, created };
}

/**
 * An INSERT of the milestones runs reached, one per row of `from` (none: one row), each part an
 * SQL expression, skipping a milestone the run already reached. A run filled in backwards starts
 * earlier with each check-in, so a milestone recorded for any start within the current run (on
 * or after `runStart`) is this run's.
 */
function milestonesReachedFrom(from: string | null, row: { habitId: string; milestone: string; unit: string; runStart: string }): string {
  const { habitId, milestone, unit, runStart } = row;
  return `INSERT INTO milestones (habit_id, milestone, unit, run_start)
  SELECT ${habitId}, ${milestone}, ${unit}, ${runStart}${from === null ? "" : ` FROM ${from}`}
   WHERE NOT EXISTS (SELECT 1 FROM milestones WHERE habit_id = ${habitId} AND milestone = ${milestone} AND unit = ${unit} AND run_start >= ${runStart})
  ON CONFLICT DO NOTHING`;
}

/**
 * A check-in, its `checkin.recorded` event and the milestones it reaches (each with its
 * `streak.milestone` event, when the run had not reached it yet: as `recordMilestone`) in one
 * statement (one round trip, no transaction to open), provided the habit's check-ins are still
 * at `expectedRevision` (then bumped by one): the write path for a check-in whose new streak was
 * computed from a cache entry at that revision. The event's `checkin` gets the stored
 * timestamps. Null, and nothing written, when the revision moved on (the caller takes the
 * general path). The bumped row is locked until the statement commits, so the milestone check
 * cannot race another write of the habit.
 */
export const RECORD_AT_REVISION = sql(`WITH bumped AS (
    UPDATE habit_progress SET revision = revision + 1 WHERE habit_id = $1 AND revision = $2 RETURNING habit_id
  ), saved AS (
    INSERT INTO checkins (habit_id, date, status, value, note) SELECT habit_id, $3, $4, $5, $6 FROM bumped ${UPSERT_SET}
  ), recorded AS (
    ${insertEventsFrom("saved", {
      eventId: "$7::uuid",
      event: "'checkin.recorded'",
      userId: "$8::uuid",
      payload: `$9::jsonb || jsonb_build_object('checkin', $10::jsonb || jsonb_build_object('createdAt', ${iso('"createdAt"')}, 'updatedAt', ${iso('"updatedAt"')}))`,
      requestId: "$16",
    })}
  ), reached AS (
    ${milestonesReachedFrom("bumped, unnest($11::int[], $12::uuid[]) AS m(milestone, event_id)", {
      habitId: "$1",
      milestone: "m.milestone",
      unit: "$13",
      runStart: "$14::date",
    })} RETURNING milestone
  ), announced AS (
    ${insertEventsFrom("reached JOIN unnest($11::int[], $12::uuid[]) AS m(milestone, event_id) USING (milestone)", {
      eventId: "m.event_id",
      event: "'streak.milestone'",
      userId: "$8::uuid",
      payload: "$15::jsonb || jsonb_build_object('milestone', milestone, 'runStart', to_char($14::date, 'YYYY-MM-DD'))",
      requestId: "$16",
    })}
  )
  SELECT * FROM saved`);
export async function recordAtRevision(
  db: Sequelize,
  write: {
    checkin: Pick<CheckinRecord, "habitId" | "date" | "status" | "value" | "note">;
    expectedRevision: number;
    /** `requestId`: the request the check-in is made in, stored with its events. */
    event: { eventId: string; userId: string; payload: object; checkin: object; requestId: string | null };
    /** The milestones the check-in reaches, the event each gets if its run had not reached it, and that event's payload but for `milestone` and `runStart`. */
    milestones: { reached: Array<{ milestone: number; eventId: string }>; unit: StreakUnit; runStart: LocalDate | null; payload: object };
  },
): Promise<{ record: CheckinRecord; created: boolean } | null> {
  const { checkin, event, milestones } = write;
  const [row] = await run<CheckinRecord & { created: boolean }>(db, RECORD_AT_REVISION, [
    checkin.habitId,
    write.expectedRevision,
    checkin.date,
    checkin.status,
    checkin.value,
    checkin.note,
    event.eventId,
    event.userId,
    JSON.stringify(event.payload),
    JSON.stringify(event.checkin),
    milestones.reached.map((reached) => reached.milestone),
    milestones.reached.map((reached) => reached.eventId),
    milestones.unit,
    milestones.runStart,
    JSON.stringify(milestones.payload),
    event.requestId,
  ]);
  if (!row) return null;
  const { created, ...record } = row;
  return { record, created };
}

const DELETE = sql("DELETE FROM checkins WHERE habit_id = $1 AND date = $2");
/** Deletes the check-in of (habit, date); whether there was one. */
export async function deleteCheckin(db: Sequelize, transaction: Transaction, habitId: string, date: LocalDate): Promise<boolean> {
  return (await count(db, DELETE, [habitId, date], transaction)) > 0;
}

const LIST = sql(`SELECT ${COLUMNS} FROM checkins WHERE habit_id = $1 AND date BETWEEN $2 AND $3 ORDER BY date`);
export function listCheckins(db: Sequelize, habitId: string, from: LocalDate, to: LocalDate): Promise<CheckinRecord[]> {
  return run<CheckinRecord>(db, LIST, [habitId, from, to]);
}

const EARLIEST = sql("SELECT to_char(min(date), 'YYYY-MM-DD') AS first FROM checkins WHERE habit_id = $1");
/** The date of the habit's earliest check-in, or null. */
export async function earliestCheckin(db: Sequelize, habitId: string): Promise<LocalDate | null> {
  const [{ first }] = await run<{ first: string | null }>(db, EARLIEST, [habitId]);
  return first;
}

export const RECORD_MILESTONE = sql(milestonesReachedFrom(null, { habitId: "$1", milestone: "$2", unit: "$3", runStart: "$4::date" }));
/**
 * Records that the habit's run starting `runStart` reached `milestone`, unless that run already
 * did (`milestonesReachedFrom`); whether it was recorded now. The caller holds the habit's
 * progress row (`bumpRevision`), so this cannot race.
 */
export async function recordMilestone(
  db: Sequelize,
  transaction: Transaction,
  milestone: { habitId: string; milestone: number; unit: "days" | "weeks"; runStart: LocalDate },
): Promise<boolean> {
  const values = [milestone.habitId, milestone.milestone, milestone.unit, milestone.runStart];
  return (await count(db, RECORD_MILESTONE, values, transaction)) > 0;
}

const OF_HABITS = sql(`SELECT ${COLUMNS} FROM checkins WHERE habit_id = ANY($1::uuid[]) ORDER BY habit_id, date`);
/** Every check-in of these habits, by habit and date (for the account's export). */
export function checkinsOfHabits(db: Sequelize, habitIds: string[]): Promise<CheckinRecord[]> {
  return run<CheckinRecord>(db, OF_HABITS, [habitIds]);
}

const INSERT_IMPORTED = sql(`INSERT INTO checkins (habit_id, date, status, value, note)
  SELECT habit_id, date, status, value, note
    FROM jsonb_to_recordset($1::jsonb) AS i(habit_id uuid, date date, status text, value double precision, note text)`);
/** Stores imported check-ins (checked whole before, lib/export-document.ts) in one statement. */
export async function insertImportedCheckins(
  db: Sequelize,
  transaction: Transaction,
  rows: Array<Pick<CheckinRecord, "habitId" | "date" | "status" | "value" | "note">>,
): Promise<void> {
  if (rows.length === 0) return;
  const input = rows.map((row) => ({ habit_id: row.habitId, date: row.date, status: row.status, value: row.value, note: row.note }));
  await run(db, INSERT_IMPORTED, [JSON.stringify(input)], transaction);
}
