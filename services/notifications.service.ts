/**
 * Notifications (docs/contract.md, "Notifications", "Guarantees"): turns `user.registered`,
 * `streak.milestone` and `reminder.due` into notifications from templates/, keeps them in the
 * in-app inbox and sends them on the other channels — the log, e-mail (SMTP_URL) and the user's
 * webhook. Owns `notifications` and `deliveries` (src/data/notifications.ts); where to reach a
 * user comes from `auth.recipients`.
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
import { DbMixin, type DbMethods } from "../mixins/db.mixin";
import { OutboxConsumerMixin, type OutboxEvent } from "../mixins/outbox-consumer.mixin";
import type { EventEnvelope } from "../mixins/outbox.mixin";
import { NOTIFYING_EVENTS, type MilestoneEvent, type ReminderDueEvent } from "../src/events";
import { requireDatabase, type Runtime } from "../src/runtime";
import { Poller } from "../src/poller";
import { ForbiddenError, NotFoundError, validationError } from "../src/errors";
import { checkedRule, UUID_PATTERN } from "../src/params";
import { requireUserId, type CallMeta } from "../src/caller";
import { isLastAttempt, retryDelayMs } from "../lib/backoff";
import { parseInstant } from "../lib/dates";
import { TEMPLATES } from "../templates";
import type { NotificationType, RenderedNotification } from "../templates/types";
import type { Channel, ChannelName, DeliveryJob } from "../src/channels/types";
import { logChannel } from "../src/channels/log";
import { emailChannel } from "../src/channels/email";
import { webhookChannel } from "../src/channels/webhook";
import type { Recipient } from "../src/data/accounts";
import * as notifications from "../src/data/notifications";
import type { ClaimedDelivery, DeadLetter, Notification, PageEnd } from "../src/data/notifications";

export interface ConsumeParams {
  event: string;
  payload: Record<string, unknown>;
}

interface ListParams {
  limit?: number;
  before?: string;
}

const TYPE_OF_EVENT: Record<(typeof NOTIFYING_EVENTS)[number], NotificationType> = {
  "user.registered": "welcome",
  "streak.milestone": "milestone",
  "reminder.due": "reminder",
};

const DELIVERY_BATCH = 20;
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
  consumeEvent(event: string, payload: Record<string, unknown>): Promise<number>;
  recipientsOf(userIds: string[]): Promise<Map<string, Recipient>>;
  renderFor(type: NotificationType, payload: Record<string, unknown>, recipient: Recipient): RenderedNotification;
  kickDeliveries(): void;
  deliverDue(): Promise<number>;
  deliverOne(row: ClaimedDelivery, recipient: Recipient | undefined): Promise<void>;
  requireAdmin(ctx: Context<unknown, CallMeta>): void;
  kafkaDrivesMe(): boolean;
}

type NotificationsThis = NotificationsMethods & NotificationsLocals & import("moleculer").Service;

/**
 * The event's time (microseconds included) when it is a valid instant: a caught-up notification
 * keeps its place in the inbox, and events recorded together keep their order.
 */
function occurredAt(payload: Record<string, unknown>, now: Date): string {
  const value = payload.occurredAt;
  return (typeof value === "string" && value.length <= 40 && parseInstant(value)) || now.toISOString();
}

export default function NotificationsService(
  runtime: Runtime,
): ServiceSchema<ServiceSettingSchema, NotificationsMethods, NotificationsLocals> {
  const { config } = runtime;

  return {
    name: "notifications",

    mixins: [
      DbMixin({ table: "notifications", database: () => requireDatabase(runtime) }),
      OutboxConsumerMixin({ consumer: "notifications", events: NOTIFYING_EVENTS }),
    ],

    actions: {
      list: {
        rest: "GET /notifications",
        auth: "user",
        params: {
          $$strict: true,
          limit: { type: "number", integer: true, min: 1, max: 100, convert: true, optional: true },
          // The id (or the createdAt instant) of the last notification of the previous page.
          before: { ...beforeRule, optional: true },
        },
        async handler(ctx: Context<ListParams, CallMeta>): Promise<Notification[]> {
          const { before } = ctx.params;
          const end: PageEnd = !before
            ? { kind: "start" }
            : UUID_PATTERN.test(before)
              ? { kind: "notification", id: before }
              : { kind: "instant", at: before };
          const page = await notifications.listNotifications(this.sequelize(), requireUserId(ctx), end, ctx.params.limit ?? 20);
          if (!page) throw validationError([{ field: "before", type: "notFound", message: "No such notification." }]);
          return page;
        },
      },

      read: {
        rest: "POST /notifications/:id/read",
        auth: "user",
        params: { $$strict: true, id: { type: "uuid" } },
        async handler(ctx: Context<{ id: string }, CallMeta>): Promise<null> {
          if (!(await notifications.markRead(this.sequelize(), ctx.params.id, requireUserId(ctx)))) throw new NotFoundError("Notification");
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
        auth: "admin",
        params: {
          $$strict: true,
          limit: { type: "number", integer: true, min: 1, max: 500, convert: true, optional: true },
        },
        handler(ctx: Context<{ limit?: number }, CallMeta>): Promise<DeadLetter[]> {
          this.requireAdmin(ctx);
          return notifications.deadLetters(this.sequelize(), ctx.params.limit ?? 100);
        },
      },

      retryDeadLetter: {
        rest: "POST /admin/dead-letters/:id/retry",
        auth: "admin",
        // A number from the REPL (`--id 42`), a numeric string from the REST path.
        params: { $$strict: true, id: { type: "number", integer: true, positive: true, max: Number.MAX_SAFE_INTEGER, convert: true } },
        async handler(ctx: Context<{ id: number }, CallMeta>): Promise<{ retried: number }> {
          this.requireAdmin(ctx);
          if ((await notifications.retryDeadLetters(this.sequelize(), ctx.params.id)) === 0) throw new NotFoundError("Dead letter");
          this.kickDeliveries();
          return { retried: 1 };
        },
      },

      retryDeadLetters: {
        rest: "POST /admin/dead-letters/retry",
        auth: "admin",
        params: { $$strict: true },
        async handler(ctx: Context<unknown, CallMeta>): Promise<{ retried: number }> {
          this.requireAdmin(ctx);
          const retried = await notifications.retryDeadLetters(this.sequelize(), null);
          this.kickDeliveries();
          return { retried };
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
        return config.kafkaBrokers.length > 0;
      },

      outboxConsumerEnabled(this: NotificationsThis) {
        return !this.kafkaDrivesMe();
      },

      async handleOutboxEvents(this: NotificationsThis, events: OutboxEvent[]) {
        for (const event of events) await this.consumeEvent(event.event, event.payload);
      },

      async consumeEvent(event: string, payload: Record<string, unknown>) {
        const type = TYPE_OF_EVENT[event as keyof typeof TYPE_OF_EVENT];
        const { eventId, userId } = payload as Partial<EventEnvelope>;
        if (
          !type ||
          typeof eventId !== "string" ||
          !UUID_PATTERN.test(eventId) ||
          typeof userId !== "string" ||
          !UUID_PATTERN.test(userId)
        ) {
          this.logger.warn(`Ignoring ${event}: not a notifying event with an event id and a user id`);
          return 0;
        }
        // Asked before the transaction, which must not wait on another service.
        const recipient = (await this.recipientsOf([userId])).get(userId);
        // The account is gone (and its notifications with it).
        if (!recipient) return 0;
        const rendered = this.renderFor(type, payload, recipient);
        const data = type === "welcome" ? {} : { ...payload, eventId: undefined, userId: undefined, occurredAt: undefined };
        const targets: Array<[ChannelName, string]> = [];
        if (config.notifications.logChannel) targets.push(["log", "log"]);
        if (this.channels.email) targets.push(["email", recipient.email]);
        if (recipient.webhookUrl) targets.push(["webhook", recipient.webhookUrl]);
        const db = this.sequelize();
        return db.transaction(async (transaction) => {
          const id = await notifications.insertNotification(db, transaction, {
            userId,
            type,
            eventId,
            title: rendered.title,
            text: rendered.text,
            html: rendered.html,
            data,
            createdAt: occurredAt(payload, runtime.clock.now()),
          });
          if (id === null) return 0;
          for (const [channel, target] of targets) await notifications.insertDelivery(db, transaction, id, channel, target);
          if (targets.length > 0) transaction.afterCommit(() => this.kickDeliveries());
          return 1;
        });
      },

      async recipientsOf(userIds: string[]) {
        const found = await this.broker.call<Recipient[], { userIds: string[] }>("auth.recipients", { userIds });
        return new Map(found.map((recipient) => [recipient.id, recipient]));
      },

      renderFor(type: NotificationType, payload: Record<string, unknown>, recipient: Recipient) {
        const { displayName } = recipient;
        if (type === "welcome") return TEMPLATES.welcome({ displayName, email: recipient.email });
        if (type === "milestone") {
          const event = payload as unknown as MilestoneEvent;
          return TEMPLATES.milestone({
            displayName,
            habitName: event.habitName,
            milestone: event.milestone,
            unit: event.unit,
            date: event.date,
          });
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

      requireAdmin(ctx: Context<unknown, CallMeta>) {
        // Calls from inside the cluster (the REPL, other services) carry no user: operators.
        if (ctx.meta.user && ctx.meta.user.role !== "admin") throw new ForbiddenError("Admins only");
      },

      kickDeliveries() {
        this.deliveries.kick();
      },

      /** Claims and sends one batch of due deliveries; resolves to how many were claimed. */
      async deliverDue(): Promise<number> {
        const leaseMs = config.notifications.sendTimeoutMs + 5_000;
        const rows = await notifications.claimDueDeliveries(this.sequelize(), DELIVERY_BATCH, leaseMs);
        if (rows.length === 0) return 0;
        // The webhook secret as it is now (it may have been rotated since the notification was made).
        const recipients = await this.recipientsOf([...new Set(rows.map((row) => row.userId))]);
        await Promise.all(rows.map((row) => this.deliverOne(row, recipients.get(row.userId))));
        return rows.length;
      },

      async deliverOne(row: ClaimedDelivery, recipient: Recipient | undefined) {
        const job: DeliveryJob = {
          deliveryId: row.id,
          channel: row.channel,
          target: row.target,
          attempt: row.attempts,
          notification: {
            id: row.notificationId,
            type: row.type,
            title: row.title,
            text: row.body,
            html: row.html,
            createdAt: row.createdAt.toISOString(),
            data: row.data,
          },
          user: { id: row.userId, webhookSecret: recipient?.webhookSecret ?? null },
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
          await notifications.recordFailure(this.sequelize(), row, { message, dead, delayMs });
          return;
        }
        await notifications.recordSent(this.sequelize(), row.id);
      },
    },

    created() {
      const settings = config.notifications;
      const now = () => runtime.clock.now();
      this.channels = {
        log: logChannel(this.logger),
        webhook: webhookChannel({ timeoutMs: settings.sendTimeoutMs, allowPrivate: settings.webhookAllowPrivate, now }),
        ...(config.smtpUrl ? { email: emailChannel(config.smtpUrl, settings.mailFrom, settings.sendTimeoutMs) } : {}),
      };
      this.deliveries = new Poller({
        run: () => this.deliverDue(),
        intervalMs: settings.pollIntervalMs,
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
}
