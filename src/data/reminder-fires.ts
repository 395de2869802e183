/**
 * The `reminders` service's table, `reminder_fires` (migrations/004): one row per reminder that
 * fired, whose primary key is the claim. Every SQL statement on it is here, with the scan's lock.
 */
import type { Sequelize, Transaction } from "sequelize";
import { count, run, sql } from "../sql";
import type { LocalDate } from "../../lib/dates";

/** pg advisory lock key of the scanning lease ("remind" in ASCII). */
const SCAN_LOCK = 0x72656d696e64;

const TRY_SCAN_LEASE = sql("SELECT pg_try_advisory_xact_lock($1) AS locked");
/** Takes the cluster-wide scanning lease until the transaction ends; false if another node has it. */
export async function tryScanLease(db: Sequelize, transaction: Transaction): Promise<boolean> {
  const [{ locked }] = await run<{ locked: boolean }>(db, TRY_SCAN_LEASE, [SCAN_LOCK], transaction);
  return locked;
}

/** One reminder occurrence of one habit, as `reminder_fires` keys it. */
export const fireKey = (habitId: string, date: LocalDate, time: string) => `${habitId} ${date} ${time}`;

const FIRED_SINCE = sql(`SELECT habit_id AS "habitId", to_char(local_date, 'YYYY-MM-DD') AS date, local_time AS time FROM reminder_fires
  WHERE habit_id = ANY($1::uuid[]) AND local_date >= $2::date`);
/** The occurrences of these habits that fired on or after `since`, as `fireKey`s. */
export async function firedSince(db: Sequelize, transaction: Transaction, habitIds: string[], since: LocalDate): Promise<Set<string>> {
  const rows = await run<{ habitId: string; date: string; time: string }>(db, FIRED_SINCE, [habitIds, since], transaction);
  return new Set(rows.map((row) => fireKey(row.habitId, row.date, row.time)));
}

const CLAIM_FIRE = sql("INSERT INTO reminder_fires (habit_id, local_date, local_time) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING");
/** Claims one occurrence; false when it fired already. */
export async function claimFire(db: Sequelize, transaction: Transaction, habitId: string, date: LocalDate, time: string): Promise<boolean> {
  return (await count(db, CLAIM_FIRE, [habitId, date, time], transaction)) > 0;
}
