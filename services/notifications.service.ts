/**
 * Notifications (DESIGN.md §3, §6): turns `user.registered`, `streak.milestone` and
 * `reminder.due` into notifications from templates/, keeps them in the in-app inbox and sends
 * them on the other channels — the log, e-mail (SMTP_URL) and the user's webhook.
 *
 * Exactly once, visibly: every event reaches `consumeEvent` at least once — from the broker event
 * (fast), from this service's outbox cursor (durable: catches up on whatever was published while
 * no notifications node ran, in order), or, with Kafka, from the bridge's consumer group — and
 * the unique (event id, type) key makes every repeat a no-op.
 *
 * Each (notification, channel) is a `deliveries` row. Any node's worker claims due rows (FOR
 * UPDATE SKIP LOCKED, the claim pushing `next_attempt_at` forward as a lease), sends, and marks
 * the row sent; a failure is retried with exponential backoff and jitter, and after the last
 * attempt the row is dead-lettered for an admin to list and retry.
 */
import type { Context, ServiceSchema, ServiceSettingSchema } from "moleculer";
import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
import { DbMixin, type DbMethods } from "../mixins/db.mixin";
import { OutboxConsumerMixin, type OutboxEvent } from "../mixins/outbox-consumer.mixin";
import type { EventEnvelope } from "../mixins/outbox.mixin";
import { NOTIFYING_EVENTS } from "../src/events";
import { getRuntime } from "../src/runtime";
import { now } from "../src/clock";
import { Poller } from "../src/poller";
import { ForbiddenError, NotFoundError, validationError } from "../src/errors";
import { checkedRule, UUID_PATTERN } from "../src/params";
import { isLastAttempt, retryDelayMs } from "../lib/backoff";
import { parseInstant } from "../lib/dates";
import { TEMPLATES } from "../templates";
import type { NotificationType, RenderedNotification } from "../templates/types";
import type { Channel, ChannelName, DeliveryJob } from "../src/channels/types";
import { logChannel } from "../src/channels/log";
import { emailChannel } from "../src/channels/email";
import { webhookChannel } from "../src/channels/webhook";
import type { AuthMeta } from "./auth.service";
import type { MilestoneEvent } from "./tracking.service";
import type { ReminderDueEvent } from "./reminders.service";

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

export interface ConsumeParams {
  event: string;
  payload: Record<string, unknown>;
}

interface ListParams {
  limit?: number;
  before?: string;
}

interface Recipient {
  id: string;
  email: string;
  display_name: string;
  webhook_url: string | null;
}

interface ClaimedDelivery {
  id: string;
  channel: ChannelName;
  target: string;
  attempts: number;
  notification_id: string;
  type: NotificationType;
  title: string;
  body: string;
  html: string;
  data: Record<string, unknown>;
  created_at: Date;
  user_id: string;
  webhook_secret: string | null;
}

const TYPE_OF_EVENT: Record<(typeof NOTIFYING_EVENTS)[number], NotificationType> = {
  "user.registered": "welcome",
  "streak.milestone": "milestone",
  "reminder.due": "reminder",
};

const DELIVERY_BATCH = 20;
const MIN_UUID = "00000000-0000-0000-0000-000000000000";
const MAX_UUID = "ffffffff-ffff-ffff-ffff-ffffffffffff";
/** A page ends before a notification: its id, or an ISO-8601 instant (passed on in UTC). */
const beforeRule = checkedRule(
  "before",
  { type: "string", max: 40 },
  (value: string) => (UUID_PATTERN.test(value) || parseInstant(value) !== null ? null : "must be a notification id or an ISO-8601 instant"),
  (value: string) => (UUID_PATTERN.test(value) ? value : parseInstant(value)),
);

interface NotificationsLocals {
  channels: Partial<Record<ChannelName, Channel>>;
  deliveries: Poller;
}

interface NotificationsMethods extends DbMethods {
  consumeEvent(event: string, payload: Record<string, unknown>, transaction?: Transaction): Promise<number>;
  renderFor(type: NotificationType, payload: Record<string, unknown>, recipient: Recipient): RenderedNotification;
  kickDeliveries(): void;
  deliverDue(): Promise<number>;
  deliverOne(row: ClaimedDelivery): Promise<void>;
  requireAdmin(ctx: Context<unknown, AuthMeta>): void;
  kafkaDrivesMe(): boolean;
}

type NotificationsThis = NotificationsMethods & NotificationsLocals & import("moleculer").Service;

function toNotification(row: {
  id: string;
  type: NotificationType;
  title: string;
  body: string;
  created_at: Date;
  read_at: Date | null;
}): Notification {
  return {
    id: row.id,
    type: row.type,
    title: row.title,
    body: row.body,
    createdAt: row.created_at.toISOString(),
    readAt: row.read_at ? row.read_at.toISOString() : null,
  };
}

/**
 * The event's time (microseconds included) when it is a valid instant: a caught-up notification
 * keeps its place in the inbox, and events recorded together keep their order.
 */
function occurredAt(payload: Record<string, unknown>): string {
  const value = payload.occurredAt;
  return (typeof value === "string" && value.length <= 40 && parseInstant(value)) || now().toISOString();
}

const NotificationsService: ServiceSchema<ServiceSettingSchema, NotificationsMethods, NotificationsLocals> = {
  name: "notifications",

  mixins: [
    DbMixin({ model: { name: "notification", define: {}, options: { tableName: "notifications", timestamps: false } } }),
    OutboxConsumerMixin({ consumer: "notifications", events: NOTIFYING_EVENTS }),
  ],

  actions: {
    list: {
      rest: "GET /notifications",
      params: {
        $$strict: true,
        limit: { type: "number", integer: true, min: 1, max: 100, convert: true, optional: true },
        // The id (or the createdAt instant) of the last notification of the previous page.
        before: { ...beforeRule, optional: true },
      },
      async handler(ctx: Context<ListParams, AuthMeta>): Promise<Notification[]> {
        const userId = ctx.meta.user?.id ?? "";
        const limit = ctx.params.limit ?? 20;
        // The page ends before (createdAt, id) of the notification named, or before an instant.
        let bound: [string | Date, string] = ["infinity", MAX_UUID];
        if (ctx.params.before && UUID_PATTERN.test(ctx.params.before)) {
          const [anchor] = await this.sequelize().query<{ created_at: Date }>(
            "SELECT created_at FROM notifications WHERE id = $1 AND user_id = $2",
            { bind: [ctx.params.before, userId], type: QueryTypes.SELECT },
          );
          if (!anchor) throw validationError([{ field: "before", type: "notFound", message: "No such notification." }]);
          bound = [anchor.created_at, ctx.params.before];
        } else if (ctx.params.before) {
          bound = [ctx.params.before, MIN_UUID];
        }
        const rows = await this.sequelize().query<Parameters<typeof toNotification>[0]>(
          `SELECT id, type, title, body, created_at, read_at FROM notifications
            WHERE user_id = $1 AND (created_at, id) < ($2::timestamptz, $3::uuid)
            ORDER BY created_at DESC, id DESC LIMIT $4`,
          { bind: [userId, ...bound, limit], type: QueryTypes.SELECT },
        );
        return rows.map(toNotification);
      },
    },

    read: {
      rest: "POST /notifications/:id/read",
      params: { $$strict: true, id: { type: "uuid" } },
      async handler(ctx: Context<{ id: string }, AuthMeta>): Promise<null> {
        const [rows] = (await this.sequelize().query(
          // The first read counts; reading again changes nothing.
          `UPDATE notifications SET read_at = coalesce(read_at, now())
            WHERE id = $1 AND user_id = $2 RETURNING id`,
          { bind: [ctx.params.id, ctx.meta.user?.id ?? null] },
        )) as [unknown[], unknown];
        if (rows.length === 0) throw new NotFoundError("Notification");
        ctx.meta.$statusCode = 204;
        return null;
      },
    },

    /** One event, from any source (the Kafka bridge calls this); a repeat creates nothing. */
    consume: {
      visibility: "public",
      params: {
        $$strict: true,
        event: { type: "enum", values: [...NOTIFYING_EVENTS] },
        payload: { type: "object" },
      },
      async handler(ctx: Context<ConsumeParams>): Promise<{ created: number }> {
        return { created: await this.consumeEvent(ctx.params.event, ctx.params.payload) };
      },
    },

    deadLetters: {
      rest: "GET /admin/dead-letters",
      params: {
        $$strict: true,
        limit: { type: "number", integer: true, min: 1, max: 500, convert: true, optional: true },
      },
      async handler(ctx: Context<{ limit?: number }, AuthMeta>): Promise<DeadLetter[]> {
        this.requireAdmin(ctx);
        const rows = await this.sequelize().query<{
          id: string;
          notification_id: string;
          user_id: string;
          type: NotificationType;
          channel: ChannelName;
          target: string;
          attempts: number;
          last_error: string | null;
          updated_at: Date;
        }>(
          `SELECT d.id, d.notification_id, n.user_id, n.type, d.channel, d.target, d.attempts, d.last_error, d.updated_at
             FROM deliveries d JOIN notifications n ON n.id = d.notification_id
            WHERE d.state = 'dead' ORDER BY d.updated_at DESC, d.id DESC LIMIT $1`,
          { bind: [ctx.params.limit ?? 100], type: QueryTypes.SELECT },
        );
        return rows.map((row) => ({
          id: String(row.id),
          notificationId: row.notification_id,
          userId: row.user_id,
          type: row.type,
          channel: row.channel,
          target: row.target,
          attempts: row.attempts,
          lastError: row.last_error,
          failedAt: row.updated_at.toISOString(),
        }));
      },
    },

    retryDeadLetter: {
      rest: "POST /admin/dead-letters/:id/retry",
      // A number from the REPL (`--id 42`), a numeric string from the REST path.
      params: { $$strict: true, id: { type: "number", integer: true, positive: true, max: Number.MAX_SAFE_INTEGER, convert: true } },
      async handler(ctx: Context<{ id: number }, AuthMeta>): Promise<{ retried: number }> {
        this.requireAdmin(ctx);
        const [rows] = (await this.sequelize().query(
          `UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = now(), updated_at = now()
            WHERE id = $1 AND state = 'dead' RETURNING id`,
          { bind: [ctx.params.id] },
        )) as [unknown[], unknown];
        if (rows.length === 0) throw new NotFoundError("Dead letter");
        this.kickDeliveries();
        return { retried: 1 };
      },
    },

    retryDeadLetters: {
      rest: "POST /admin/dead-letters/retry",
      params: { $$strict: true },
      async handler(ctx: Context<unknown, AuthMeta>): Promise<{ retried: number }> {
        this.requireAdmin(ctx);
        const [rows] = (await this.sequelize().query(
          `UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = now(), updated_at = now()
            WHERE state = 'dead' RETURNING id`,
        )) as [unknown[], unknown];
        this.kickDeliveries();
        return { retried: rows.length };
      },
    },
  },

  events: Object.fromEntries(
    NOTIFYING_EVENTS.map((event) => [
      event,
      {
        handler(this: NotificationsThis, ctx: Context<Record<string, unknown>>) {
          // With Kafka, the bridge's consumer group drives this service instead.
          if (this.kafkaDrivesMe()) return;
          // Not awaited: the relay that emitted this may still hold its transaction (and, embedded,
          // the one database connection) until the emit returns.
          void this.consumeEvent(event, ctx.params).catch((err: Error) => {
            // The outbox cursor hands the event over again.
            this.logger.warn(`Could not consume ${event}: ${err.message}`);
          });
        },
      },
    ]),
  ),

  methods: {
    kafkaDrivesMe() {
      return getRuntime().config.kafkaBrokers.length > 0;
    },

    outboxConsumerEnabled(this: NotificationsThis) {
      return !this.kafkaDrivesMe();
    },

    async handleOutboxEvents(this: NotificationsThis, events: OutboxEvent[], transaction: Transaction) {
      for (const event of events) await this.consumeEvent(event.event, event.payload, transaction);
    },

    async consumeEvent(event, payload, outer) {
      const type = TYPE_OF_EVENT[event as keyof typeof TYPE_OF_EVENT];
      const { eventId, userId } = payload as Partial<EventEnvelope>;
      if (!type || typeof eventId !== "string" || !UUID_PATTERN.test(eventId) || typeof userId !== "string" || !UUID_PATTERN.test(userId)) {
        this.logger.warn(`Ignoring ${event}: not a notifying event with an event id and a user id`);
        return 0;
      }
      const { config } = getRuntime();
      const work = async (transaction: Transaction) => {
        const db: Sequelize = this.sequelize();
        const [recipient] = await db.query<Recipient>("SELECT id, email, display_name, webhook_url FROM users WHERE id = $1", {
          bind: [userId],
          type: QueryTypes.SELECT,
          transaction,
        });
        // The account is gone (and its notifications with it).
        if (!recipient) return 0;
        const rendered = this.renderFor(type, payload, recipient);
        const data = type === "welcome" ? {} : { ...payload, eventId: undefined, userId: undefined, occurredAt: undefined };
        const [created] = (await db.query(
          `INSERT INTO notifications (id, user_id, type, event_id, title, body, html, data, created_at)
           VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7::jsonb, $8)
           ON CONFLICT (event_id, type) DO NOTHING RETURNING id`,
          {
            bind: [userId, type, eventId, rendered.title, rendered.text, rendered.html, JSON.stringify(data), occurredAt(payload)],
            transaction,
          },
        )) as [Array<{ id: string }>, unknown];
        if (created.length === 0) return 0;
        const targets: Array<[ChannelName, string]> = [];
        if (config.notifications.logChannel) targets.push(["log", "log"]);
        if (this.channels.email) targets.push(["email", recipient.email]);
        if (recipient.webhook_url) targets.push(["webhook", recipient.webhook_url]);
        for (const [channel, target] of targets) {
          await db.query("INSERT INTO deliveries (notification_id, channel, target) VALUES ($1, $2, $3)", {
            bind: [created[0].id, channel, target],
            transaction,
          });
        }
        if (targets.length > 0) transaction.afterCommit(() => this.kickDeliveries());
        return 1;
      };
      return outer ? work(outer) : this.sequelize().transaction(work);
    },

    renderFor(type, payload, recipient) {
      const displayName = recipient.display_name;
      if (type === "welcome") return TEMPLATES.welcome({ displayName, email: recipient.email });
      if (type === "milestone") {
        const event = payload as unknown as MilestoneEvent;
        return TEMPLATES.milestone({ displayName, habitName: event.habitName, milestone: event.milestone, unit: event.unit, date: event.date });
      }
      const event = payload as unknown as ReminderDueEvent;
      return TEMPLATES.reminder({
        displayName,
        habitName: event.habitName,
        date: event.date,
        time: event.time,
        streak: event.streak,
        unit: event.unit,
      });
    },

    requireAdmin(ctx) {
      // Calls from inside the cluster (the REPL, other services) carry no user: operators.
      if (ctx.meta.user && ctx.meta.user.role !== "admin") throw new ForbiddenError("Admins only");
    },

    kickDeliveries() {
      this.deliveries.kick();
    },

    /** Claims and sends one batch of due deliveries; resolves to how many were claimed. */
    async deliverDue(): Promise<number> {
      const { config } = getRuntime();
      const leaseMs = config.notifications.sendTimeoutMs + 5_000;
      const rows = await this.sequelize().query<ClaimedDelivery>(
        `WITH claimed AS (
           UPDATE deliveries SET attempts = attempts + 1, updated_at = now(),
                  next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
            WHERE id IN (SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= now()
                          ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
            RETURNING id, notification_id, channel, target, attempts)
         SELECT c.id, c.channel, c.target, c.attempts, c.notification_id, n.type, n.title, n.body, n.html,
                n.data, n.created_at, n.user_id, u.webhook_secret
           FROM claimed c JOIN notifications n ON n.id = c.notification_id JOIN users u ON u.id = n.user_id
          ORDER BY n.created_at, c.id`,
        { bind: [DELIVERY_BATCH, leaseMs], type: QueryTypes.SELECT },
      );
      await Promise.all(rows.map((row) => this.deliverOne(row)));
      return rows.length;
    },

    async deliverOne(row: ClaimedDelivery) {
      const { config } = getRuntime();
      const job: DeliveryJob = {
        deliveryId: String(row.id),
        channel: row.channel,
        target: row.target,
        attempt: row.attempts,
        notification: {
          id: row.notification_id,
          type: row.type,
          title: row.title,
          text: row.body,
          html: row.html,
          createdAt: row.created_at.toISOString(),
          data: row.data,
        },
        user: { id: row.user_id, webhookSecret: row.webhook_secret },
      };
      const channel = this.channels[row.channel];
      try {
        if (!channel) throw new Error(`channel ${row.channel} is not configured on this node`);
        await channel.send(job);
      } catch (err) {
        const message = ((err as Error).message || "send failed").slice(0, 1000);
        const dead = isLastAttempt(row.attempts, config.notifications.retry);
        const delayMs = retryDelayMs(row.attempts, config.notifications.retry);
        this.logger.warn(
          `Delivery ${row.id} (${row.channel}) attempt ${row.attempts} failed${dead ? ", dead-lettered" : ""}: ${message}`,
        );
        // `attempts` guards against a slow sender whose lease another node has since taken over.
        await this.sequelize().query(
          `UPDATE deliveries SET last_error = $3, updated_at = now(),
                  state = CASE WHEN $4 THEN 'dead' ELSE 'pending' END,
                  next_attempt_at = now() + make_interval(secs => $5::double precision / 1000)
            WHERE id = $1 AND attempts = $2 AND state = 'pending'`,
          { bind: [row.id, row.attempts, message, dead, delayMs] },
        );
        return;
      }
      await this.sequelize().query(
        `UPDATE deliveries SET state = 'sent', sent_at = now(), updated_at = now(), last_error = NULL
          WHERE id = $1 AND state = 'pending'`,
        { bind: [row.id] },
      );
    },
  },

  created() {
    const { config } = getRuntime();
    const { notifications } = config;
    this.channels = {
      log: logChannel(this.logger),
      webhook: webhookChannel({ timeoutMs: notifications.sendTimeoutMs, allowPrivate: notifications.webhookAllowPrivate, now }),
      ...(config.smtpUrl ? { email: emailChannel(config.smtpUrl, notifications.mailFrom, notifications.sendTimeoutMs) } : {}),
    };
    this.deliveries = new Poller({
      run: () => this.deliverDue(),
      intervalMs: notifications.pollIntervalMs,
      firstDelayMs: 0,
      fullBatch: DELIVERY_BATCH,
      onError: (err) => this.logger.warn(`Delivery run failed: ${err.message}`),
    });
  },

  started() {
    this.deliveries.start();
  },

  async stopped() {
    await this.deliveries.stop();
    await Promise.all(Object.values(this.channels).map((channel) => channel.close?.()));
  },
};

export default NotificationsService;
