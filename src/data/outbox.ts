/**
 * The outbox's tables, `outbox` and `outbox_cursors` (migrations/002, 004), written by every
 * service that records domain events and read by every outbox consumer, through the outbox
 * mixins (mixins/outbox.mixin.ts, mixins/outbox-consumer.mixin.ts) only. Every SQL statement on
 * them is here.
 */
import type { Sequelize, Transaction } from "sequelize";
import { count, run, sql } from "../sql";
import type { Database } from "../database";

/** pg advisory lock key held by the one relay publishing at a time ("outbox" in ASCII). */
const RELAY_LOCK = 0x6f7574626f78;

/** `occurredAt` as ISO-8601 UTC with microseconds: events of one transaction stay ordered. */
const OCCURRED_AT = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "occurredAt"`;

/** An event as stored. */
export interface OutboxRow {
  id: string;
  eventId: string;
  event: string;
  userId: string | null;
  payload: Record<string, unknown>;
  occurredAt: string;
  /** The request the change was made in, when there was one. */
  requestId: string | null;
}

export const INSERT_EVENT = sql("INSERT INTO outbox (event_id, event, user_id, payload, request_id) VALUES ($1, $2, $3, $4::jsonb, $5)");
export async function insertEvent(
  db: Sequelize,
  transaction: Transaction,
  event: { eventId: string; event: string; userId: string | null; payload: object; requestId: string | null },
): Promise<void> {
  await run(db, INSERT_EVENT, [event.eventId, event.event, event.userId, JSON.stringify(event.payload), event.requestId], transaction);
}

/**
 * For a statement that records an event with the change it makes, in one round trip: an INSERT
 * of one event per row of `from` (a CTE of that statement), each part an SQL expression over it.
 */
export function insertEventsFrom(
  from: string,
  parts: { eventId: string; event: string; userId: string; payload: string; requestId: string },
): string {
  return `INSERT INTO outbox (event_id, event, user_id, payload, request_id) SELECT ${parts.eventId}, ${parts.event}, ${parts.userId}, ${parts.payload}, ${parts.requestId} FROM ${from}`;
}

const FORGET_USER_EVENTS = sql("DELETE FROM outbox WHERE user_id = $1");
/**
 * Drops the events of a user whose account is being deleted, published or not: nothing more of
 * theirs is sent, and their habit names and notes are not kept. (The `user.deleted` event is
 * recorded after this, in the same transaction.)
 */
export async function forgetUserEvents(db: Sequelize, transaction: Transaction, userId: string): Promise<void> {
  await run(db, FORGET_USER_EVENTS, [userId], transaction);
}

const LEASED_UNPUBLISHED = sql(`WITH lease AS (SELECT pg_try_advisory_xact_lock($1) AS held)
  SELECT id, event_id AS "eventId", event, user_id AS "userId", payload, ${OCCURRED_AT}, request_id AS "requestId" FROM outbox
   WHERE (SELECT held FROM lease) AND published_at IS NULL ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`);
/**
 * Takes the relay's lease until the transaction ends and reads the oldest unpublished events,
 * locked for this relay, in one statement; none while another node holds the lease (it, or this
 * node's next run, publishes them).
 */
export function leaseUnpublished(db: Sequelize, transaction: Transaction, limit: number): Promise<OutboxRow[]> {
  return run<OutboxRow>(db, LEASED_UNPUBLISHED, [RELAY_LOCK, limit], transaction);
}

const MARK_PUBLISHED = sql(`WITH block AS (SELECT nextval('outbox_published_seq') AS first),
    reserved AS (SELECT setval('outbox_published_seq', first + $2 - 1) FROM block)
  UPDATE outbox SET published_at = now(), published_seq = block.first + sent.n - 1
    FROM unnest($1::bigint[]) WITH ORDINALITY AS sent(id, n), block, reserved
   WHERE outbox.id = sent.id`);
/**
 * Marks rows published, stamped in the order given with the next `published_seq` values: under
 * the relay's lease, so stamps follow commit order. Reserves a block of the sequence, then
 * numbers the rows within it.
 */
export async function markPublished(db: Sequelize, transaction: Transaction, ids: string[]): Promise<void> {
  await run(db, MARK_PUBLISHED, [ids, ids.length], transaction);
}

const ENSURE_CURSOR = sql("INSERT INTO outbox_cursors (consumer) VALUES ($1) ON CONFLICT (consumer) DO NOTHING");
export async function ensureCursor(db: Sequelize, consumer: string): Promise<void> {
  await run(db, ENSURE_CURSOR, [consumer]);
}

const LEASE_CURSOR =
  sql(`UPDATE outbox_cursors SET lease_holder = $2, lease_until = now() + make_interval(secs => $3::double precision / 1000)
  WHERE consumer = $1 AND (lease_until IS NULL OR lease_until < now() OR lease_holder = $2) RETURNING position`);
/**
 * Takes (or renews) the consumer's lease for `leaseMs` and returns its position; null while
 * another holder's lease runs.
 */
export async function leaseCursor(db: Sequelize, consumer: string, holder: string, leaseMs: number): Promise<string | null> {
  const [row] = await run<{ position: string }>(db, LEASE_CURSOR, [consumer, holder, leaseMs]);
  return row ? String(row.position) : null;
}

const RELEASE_CURSOR = sql(`UPDATE outbox_cursors SET position = coalesce($3::bigint, position), lease_holder = NULL, lease_until = NULL,
    updated_at = now()
  WHERE consumer = $1 AND lease_holder = $2`);
/**
 * Moves the cursor (or leaves it, with `position` null) and gives the lease up; false when the
 * lease had run out and another holder took the cursor over (it handles the batch again).
 */
export async function releaseCursor(db: Sequelize, consumer: string, holder: string, position: string | null): Promise<boolean> {
  return (await count(db, RELEASE_CURSOR, [consumer, holder, position])) > 0;
}

export interface PublishedEvent extends Omit<OutboxRow, "id"> {
  seq: string;
}

// A row per event found, or one row of nulls but `top` when none was.
const PUBLISHED_AFTER = sql(`SELECT hw.top, o.seq, o."eventId", o.event, o."userId", o.payload, o."occurredAt", o."requestId"
  FROM (SELECT (SELECT published_seq FROM outbox WHERE published_seq IS NOT NULL ORDER BY published_seq DESC LIMIT 1) AS top) hw
  LEFT JOIN LATERAL (
    SELECT published_seq AS seq, event_id AS "eventId", event, user_id AS "userId", payload, ${OCCURRED_AT}, request_id AS "requestId" FROM outbox
     WHERE published_seq > $1 AND event = ANY($2::text[])
     ORDER BY published_seq LIMIT $3) o ON true`);
/**
 * In one statement (one snapshot): the newest stamp this read can see (`top`, null when nothing
 * was published yet), and up to `limit` of the wanted events stamped after `position`.
 */
export async function publishedAfter(
  db: Sequelize,
  position: string,
  events: readonly string[],
  limit: number,
): Promise<{ top: string | null; events: PublishedEvent[] }> {
  const rows = await run<{ top: string | null; seq: string | null } & Omit<PublishedEvent, "seq">>(db, PUBLISHED_AFTER, [
    position,
    [...events],
    limit,
  ]);
  const top = rows[0]?.top ?? null;
  return {
    top: top === null ? null : String(top),
    events: rows.flatMap(({ top: _top, seq, ...event }) => (seq === null ? [] : [{ ...event, seq: String(seq) }])),
  };
}

const OUTBOX_LAG = `SELECT count(*)::int AS unpublished, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float AS "oldestSeconds"
  FROM outbox WHERE published_at IS NULL`;
/**
 * Unpublished events and the age of the oldest, in seconds (0 when none): the relay's lag. Read
 * outside any service (the node's metrics), so through the database's own query.
 */
export async function outboxLag(query: Database["query"]): Promise<{ unpublished: number; oldestSeconds: number }> {
  const [row] = await query<{ unpublished: number; oldestSeconds: number }>(OUTBOX_LAG);
  return row;
}
