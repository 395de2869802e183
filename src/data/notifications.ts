/**
 * The `notifications` service's tables: `notifications` (the inbox), `deliveries` (one row per
 * notification and channel, with its attempts; migrations/004) and `notification_settings`
 * (migrations/009). Every SQL statement on them is here.
 */
import type { Sequelize } from "sequelize";
import { count, run, sql } from "../sql";
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

const PAGE_ANCHOR = sql(`SELECT created_at AS "createdAt" FROM notifications WHERE id = $1 AND user_id = $2`);
const PAGE = sql(`SELECT id, type, title, body, created_at AS "createdAt", read_at AS "readAt" FROM notifications
  WHERE user_id = $1 AND (created_at, id) < ($2::timestamptz, $3::uuid) AND (NOT $5 OR read_at IS NULL)
  ORDER BY created_at DESC, id DESC LIMIT $4`);
/**
 * A page of the user's inbox (only the unread ones when `unreadOnly`), newest first; null when
 * `before` names no notification of theirs.
 */
export async function listNotifications(
  db: Sequelize,
  userId: string,
  before: PageEnd,
  limit: number,
  unreadOnly = false,
): Promise<Notification[] | null> {
  let bound: [string | Date, string] = ["infinity", MAX_UUID];
  if (before.kind === "notification") {
    const [anchor] = await run<{ createdAt: Date }>(db, PAGE_ANCHOR, [before.id, userId]);
    if (!anchor) return null;
    bound = [anchor.createdAt, before.id];
  } else if (before.kind === "instant") {
    bound = [before.at, MIN_UUID];
  }
  const rows = await run<{ id: string; type: NotificationType; title: string; body: string; createdAt: Date; readAt: Date | null }>(
    db,
    PAGE,
    [userId, ...bound, limit, unreadOnly],
  );
  return rows.map(inboxShape);
}

function inboxShape(row: Omit<Notification, "createdAt" | "readAt"> & { createdAt: Date; readAt: Date | null }): Notification {
  return { ...row, createdAt: row.createdAt.toISOString(), readAt: row.readAt ? row.readAt.toISOString() : null };
}

const UNREAD_COUNT = sql("SELECT count(*)::int AS count FROM notifications WHERE user_id = $1 AND read_at IS NULL");
export async function unreadCount(db: Sequelize, userId: string): Promise<number> {
  const [row] = await run<{ count: number }>(db, UNREAD_COUNT, [userId]);
  return row.count;
}

const MARK_ALL_READ = sql("UPDATE notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL AND created_at <= now()");
/** Marks every notification of the user made up to now read; how many were unread. */
export function markAllRead(db: Sequelize, userId: string): Promise<number> {
  return count(db, MARK_ALL_READ, [userId]);
}

/** Which notification types are made and which channels send them (docs/contract.md, "Notifications"). */
export interface NotificationSettings {
  channels: { email: boolean; webhook: boolean };
  types: { welcome: boolean; milestone: boolean; reminder: boolean };
}

export const DEFAULT_SETTINGS: NotificationSettings = {
  channels: { email: true, webhook: true },
  types: { welcome: true, milestone: true, reminder: true },
};

interface SettingsRow {
  userId: string;
  email: boolean;
  webhook: boolean;
  welcome: boolean;
  milestone: boolean;
  reminder: boolean;
}

const settingsShape = (row: SettingsRow | undefined): NotificationSettings =>
  row
    ? {
        channels: { email: row.email, webhook: row.webhook },
        types: { welcome: row.welcome, milestone: row.milestone, reminder: row.reminder },
      }
    : DEFAULT_SETTINGS;

const SETTINGS = sql(`SELECT user_id AS "userId", email, webhook, welcome, milestone, reminder
  FROM notification_settings WHERE user_id = ANY($1::uuid[])`);
/** The settings of each user given (the defaults for those who never changed them). */
export async function settingsOf(db: Sequelize, userIds: string[]): Promise<Map<string, NotificationSettings>> {
  const rows = await run<SettingsRow>(db, SETTINGS, [userIds]);
  const byUser = new Map(rows.map((row) => [row.userId, row]));
  return new Map(userIds.map((id) => [id, settingsShape(byUser.get(id))]));
}

const SAVE_SETTINGS = sql(`INSERT INTO notification_settings AS s (user_id, email, webhook, welcome, milestone, reminder)
  VALUES ($1, coalesce($2, true), coalesce($3, true), coalesce($4, true), coalesce($5, true), coalesce($6, true))
  ON CONFLICT (user_id) DO UPDATE SET email = coalesce($2, s.email), webhook = coalesce($3, s.webhook),
    welcome = coalesce($4, s.welcome), milestone = coalesce($5, s.milestone), reminder = coalesce($6, s.reminder), updated_at = now()
  RETURNING user_id AS "userId", email, webhook, welcome, milestone, reminder`);
/** Changes the settings given (the others stay); the whole settings after. */
export async function saveSettings(
  db: Sequelize,
  userId: string,
  changes: { channels?: Partial<NotificationSettings["channels"]>; types?: Partial<NotificationSettings["types"]> },
): Promise<NotificationSettings> {
  const { channels = {}, types = {} } = changes;
  const [row] = await run<SettingsRow>(db, SAVE_SETTINGS, [
    userId,
    channels.email ?? null,
    channels.webhook ?? null,
    types.welcome ?? null,
    types.milestone ?? null,
    types.reminder ?? null,
  ]);
  return settingsShape(row);
}

const MARK_READ = sql("UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = $1 AND user_id = $2");
/** Marks the notification read (the first read counts); whether it is one of the user's. */
export async function markRead(db: Sequelize, id: string, userId: string): Promise<boolean> {
  return (await count(db, MARK_READ, [id, userId])) > 0;
}

const INSERT_NOTIFICATIONS = sql(`WITH input AS (
    SELECT DISTINCT ON (event_id, type) *
      FROM jsonb_to_recordset($1::jsonb) AS i(user_id uuid, type text, event_id uuid, title text, body text, html text,
                                              data jsonb, created_at timestamptz, channels text[], targets text[])
  ), made AS (
    INSERT INTO notifications (id, user_id, type, event_id, title, body, html, data, created_at)
    SELECT gen_random_uuid(), user_id, type, event_id, title, body, html, data, created_at FROM input
    ON CONFLICT (event_id, type) DO NOTHING RETURNING id, event_id, type
  ), queued AS (
    INSERT INTO deliveries (notification_id, channel, target)
    SELECT made.id, t.channel, t.target FROM made JOIN input USING (event_id, type), unnest(input.channels, input.targets) AS t(channel, target)
  )
  SELECT made.id, input.user_id AS "userId", input.type, input.title, input.body, input.created_at AS "createdAt",
         cardinality(input.channels) > 0 AS queued
    FROM made JOIN input USING (event_id, type)`);

export interface NewNotification {
  userId: string;
  type: NotificationType;
  eventId: string;
  title: string;
  text: string;
  html: string;
  data: object;
  createdAt: string;
  deliveries: Array<{ channel: ChannelName; target: string }>;
}

/** A notification just made, as the inbox shows it, with its user. */
export interface MadeNotification extends Notification {
  userId: string;
}

/**
 * Stores notifications made from events, each with a delivery to each of its targets, in one
 * statement; a notification of a type already made from its event (the dedupe key) is a repeat
 * and skipped, with nothing queued. Those made, and how many of them queued deliveries.
 */
export async function insertNotifications(db: Sequelize, made: NewNotification[]): Promise<{ made: MadeNotification[]; queued: number }> {
  if (made.length === 0) return { made: [], queued: 0 };
  const input = made.map((notification) => ({
    user_id: notification.userId,
    type: notification.type,
    event_id: notification.eventId,
    title: notification.title,
    body: notification.text,
    html: notification.html,
    data: notification.data,
    created_at: notification.createdAt,
    channels: notification.deliveries.map((delivery) => delivery.channel),
    targets: notification.deliveries.map((delivery) => delivery.target),
  }));
  const rows = await run<Omit<MadeNotification, "createdAt" | "readAt"> & { createdAt: Date; queued: boolean }>(db, INSERT_NOTIFICATIONS, [
    JSON.stringify(input),
  ]);
  return {
    made: rows.map((row) => ({
      id: row.id,
      userId: row.userId,
      type: row.type,
      title: row.title,
      body: row.body,
      createdAt: row.createdAt.toISOString(),
      readAt: null,
    })),
    queued: rows.filter((row) => row.queued).length,
  };
}

const DEAD_LETTERS =
  sql(`SELECT d.id, d.notification_id AS "notificationId", n.user_id AS "userId", n.type, d.channel, d.target, d.attempts,
    d.last_error AS "lastError", d.updated_at AS "failedAt"
  FROM deliveries d JOIN notifications n ON n.id = d.notification_id
  WHERE d.state = 'dead' ORDER BY d.updated_at DESC, d.id DESC LIMIT $1`);
export async function deadLetters(db: Sequelize, limit: number): Promise<DeadLetter[]> {
  const rows = await run<Omit<DeadLetter, "id" | "failedAt"> & { id: string | number; failedAt: Date }>(db, DEAD_LETTERS, [limit]);
  return rows.map((row) => ({ ...row, id: String(row.id), failedAt: row.failedAt.toISOString() }));
}

const RETRY_DEAD_LETTERS = sql(`UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = now(), updated_at = now()
  WHERE state = 'dead' AND ($1::bigint IS NULL OR id = $1::bigint)`);
/** Puts dead deliveries back in the queue (one by id, or all); returns how many. */
export async function retryDeadLetters(db: Sequelize, id: number | null): Promise<number> {
  return count(db, RETRY_DEAD_LETTERS, [id]);
}

const CLAIM_DUE = sql(`WITH claimed AS (
    UPDATE deliveries SET attempts = attempts + 1, updated_at = now(),
           next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
     WHERE id IN (SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= now()
                   ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING id, notification_id, channel, target, attempts)
  SELECT c.id::text AS id, c.channel, c.target, c.attempts, c.notification_id AS "notificationId", n.type, n.title, n.body,
         n.html, n.data, n.created_at AS "createdAt", n.user_id AS "userId"
    FROM claimed c JOIN notifications n ON n.id = c.notification_id
   ORDER BY n.created_at, c.id`);
/**
 * Claims up to `batch` due deliveries for this node: counts the attempt and pushes the next
 * attempt `leaseMs` ahead (the lease: another node takes the row over once it runs out).
 */
export function claimDueDeliveries(db: Sequelize, batch: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  return run<ClaimedDelivery>(db, CLAIM_DUE, [batch, leaseMs]);
}

const RECORD_FAILURE = sql(`UPDATE deliveries SET last_error = $3, updated_at = now(),
    state = CASE WHEN $4 THEN 'dead' ELSE 'pending' END,
    next_attempt_at = now() + make_interval(secs => $5::double precision / 1000)
  WHERE id = $1 AND attempts = $2 AND state = 'pending'`);
/**
 * Records a failed attempt: pending again after `delayMs`, or dead. `attempts` guards against a
 * slow sender whose lease another node has since taken over.
 */
export async function recordFailure(
  db: Sequelize,
  delivery: { id: string; attempts: number },
  failure: { message: string; dead: boolean; delayMs: number },
): Promise<void> {
  await run(db, RECORD_FAILURE, [delivery.id, delivery.attempts, failure.message, failure.dead, failure.delayMs]);
}

const RECORD_SENT = sql(
  "UPDATE deliveries SET state = 'sent', sent_at = now(), updated_at = now(), last_error = NULL WHERE id = ANY($1::bigint[]) AND state = 'pending'",
);
/** Marks the deliveries sent, in one statement. */
export async function recordSent(db: Sequelize, deliveryIds: string[]): Promise<void> {
  if (deliveryIds.length > 0) await run(db, RECORD_SENT, [deliveryIds]);
}
