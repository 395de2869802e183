/**
 * The `notifications` service's tables: `notifications` (the inbox) and `deliveries` (one row per
 * notification and channel, with its attempts; migrations/004). Every SQL statement on them is here.
 */
import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
import type { NotificationType } from "../../templates/types";
import type { ChannelName } from "../channels/types";

/** A notification as the inbox shows it. */
export interface Notification {
  id: string;
  type: NotificationType;
  title: string;
  body: string;
  createdAt: string;
  readAt: string | null;
}

/** A dead-lettered delivery, for admins. */
export interface DeadLetter {
  id: string;
  notificationId: string;
  userId: string;
  type: NotificationType;
  channel: ChannelName;
  target: string;
  attempts: number;
  lastError: string | null;
  failedAt: string;
}

/** A delivery claimed for sending, with what its notification says. */
export interface ClaimedDelivery {
  id: string;
  channel: ChannelName;
  target: string;
  attempts: number;
  notificationId: string;
  type: NotificationType;
  title: string;
  body: string;
  html: string;
  data: Record<string, unknown>;
  createdAt: Date;
  userId: string;
}

const MAX_UUID = "ffffffff-ffff-ffff-ffff-ffffffffffff";
const MIN_UUID = "00000000-0000-0000-0000-000000000000";

/** Where a page of the inbox ends: before a notification of the user's, or before an instant. */
export type PageEnd = { kind: "start" } | { kind: "notification"; id: string } | { kind: "instant"; at: string };

/** A page of the user's inbox, newest first; null when `before` names no notification of theirs. */
export async function listNotifications(db: Sequelize, userId: string, before: PageEnd, limit: number): Promise<Notification[] | null> {
  let bound: [string | Date, string] = ["infinity", MAX_UUID];
  if (before.kind === "notification") {
    const [anchor] = await db.query<{ createdAt: Date }>(
      `SELECT created_at AS "createdAt" FROM notifications WHERE id = $1 AND user_id = $2`,
      {
        bind: [before.id, userId],
        type: QueryTypes.SELECT,
      },
    );
    if (!anchor) return null;
    bound = [anchor.createdAt, before.id];
  } else if (before.kind === "instant") {
    bound = [before.at, MIN_UUID];
  }
  const rows = await db.query<{ id: string; type: NotificationType; title: string; body: string; createdAt: Date; readAt: Date | null }>(
    `SELECT id, type, title, body, created_at AS "createdAt", read_at AS "readAt" FROM notifications
      WHERE user_id = $1 AND (created_at, id) < ($2::timestamptz, $3::uuid)
      ORDER BY created_at DESC, id DESC LIMIT $4`,
    { bind: [userId, ...bound, limit], type: QueryTypes.SELECT },
  );
  return rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString(), readAt: row.readAt ? row.readAt.toISOString() : null }));
}

/** Marks the notification read (the first read counts); whether it is one of the user's. */
export async function markRead(db: Sequelize, id: string, userId: string): Promise<boolean> {
  const rows = await db.query("UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = $1 AND user_id = $2 RETURNING id", {
    bind: [id, userId],
    type: QueryTypes.SELECT,
  });
  return rows.length > 0;
}

/**
 * Stores a notification made from an event, unless one of its type was already made from that
 * event (the dedupe key); returns its id, or null for a repeat.
 */
export async function insertNotification(
  db: Sequelize,
  transaction: Transaction,
  notification: {
    userId: string;
    type: NotificationType;
    eventId: string;
    title: string;
    text: string;
    html: string;
    data: object;
    createdAt: string;
  },
): Promise<string | null> {
  const rows = await db.query<{ id: string }>(
    `INSERT INTO notifications (id, user_id, type, event_id, title, body, html, data, created_at)
     VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7::jsonb, $8)
     ON CONFLICT (event_id, type) DO NOTHING RETURNING id`,
    {
      bind: [
        notification.userId,
        notification.type,
        notification.eventId,
        notification.title,
        notification.text,
        notification.html,
        JSON.stringify(notification.data),
        notification.createdAt,
      ],
      type: QueryTypes.SELECT,
      transaction,
    },
  );
  return rows[0]?.id ?? null;
}

export async function insertDelivery(
  db: Sequelize,
  transaction: Transaction,
  notificationId: string,
  channel: ChannelName,
  target: string,
): Promise<void> {
  await db.query("INSERT INTO deliveries (notification_id, channel, target) VALUES ($1, $2, $3)", {
    bind: [notificationId, channel, target],
    transaction,
  });
}

export async function deadLetters(db: Sequelize, limit: number): Promise<DeadLetter[]> {
  const rows = await db.query<Omit<DeadLetter, "id" | "failedAt"> & { id: string | number; failedAt: Date }>(
    `SELECT d.id, d.notification_id AS "notificationId", n.user_id AS "userId", n.type, d.channel, d.target, d.attempts,
            d.last_error AS "lastError", d.updated_at AS "failedAt"
       FROM deliveries d JOIN notifications n ON n.id = d.notification_id
      WHERE d.state = 'dead' ORDER BY d.updated_at DESC, d.id DESC LIMIT $1`,
    { bind: [limit], type: QueryTypes.SELECT },
  );
  return rows.map((row) => ({ ...row, id: String(row.id), failedAt: row.failedAt.toISOString() }));
}

/** Puts dead deliveries back in the queue (one by id, or all); returns how many. */
export async function retryDeadLetters(db: Sequelize, id: number | null): Promise<number> {
  const rows = await db.query(
    `UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = now(), updated_at = now()
      WHERE state = 'dead' AND ($1::bigint IS NULL OR id = $1::bigint) RETURNING id`,
    { bind: [id], type: QueryTypes.SELECT },
  );
  return rows.length;
}

/**
 * Claims up to `batch` due deliveries for this node: counts the attempt and pushes the next
 * attempt `leaseMs` ahead (the lease: another node takes the row over once it runs out).
 */
export function claimDueDeliveries(db: Sequelize, batch: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  return db.query<ClaimedDelivery>(
    `WITH claimed AS (
       UPDATE deliveries SET attempts = attempts + 1, updated_at = now(),
              next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
        WHERE id IN (SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= now()
                      ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING id, notification_id, channel, target, attempts)
     SELECT c.id::text AS id, c.channel, c.target, c.attempts, c.notification_id AS "notificationId", n.type, n.title, n.body,
            n.html, n.data, n.created_at AS "createdAt", n.user_id AS "userId"
       FROM claimed c JOIN notifications n ON n.id = c.notification_id
      ORDER BY n.created_at, c.id`,
    { bind: [batch, leaseMs], type: QueryTypes.SELECT },
  );
}

/**
 * Records a failed attempt: pending again after `delayMs`, or dead. `attempts` guards against a
 * slow sender whose lease another node has since taken over.
 */
export async function recordFailure(
  db: Sequelize,
  delivery: { id: string; attempts: number },
  failure: { message: string; dead: boolean; delayMs: number },
): Promise<void> {
  await db.query(
    `UPDATE deliveries SET last_error = $3, updated_at = now(),
            state = CASE WHEN $4 THEN 'dead' ELSE 'pending' END,
            next_attempt_at = now() + make_interval(secs => $5::double precision / 1000)
      WHERE id = $1 AND attempts = $2 AND state = 'pending'`,
    { bind: [delivery.id, delivery.attempts, failure.message, failure.dead, failure.delayMs] },
  );
}

export async function recordSent(db: Sequelize, deliveryId: string): Promise<void> {
  await db.query(
    "UPDATE deliveries SET state = 'sent', sent_at = now(), updated_at = now(), last_error = NULL WHERE id = $1 AND state = 'pending'",
    {
      bind: [deliveryId],
    },
  );
}
