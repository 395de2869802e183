/**
 * Notifications (docs/contract.md, "Notifications", "Guarantees"): turns `user.registered`,
 * `streak.milestone` and `reminder.due` into notifications from templates/, keeps them in the
 * in-app inbox and sends them on the other channels — the log, e-mail (SMTP_URL) and the user's
 * webhook. Owns `notifications` and `deliveries` (src/data/notifications.ts); where to reach a
 * user comes from `auth.recipients`.
 *
 * Exactly once, visibly: every event reaches `consumeEvents` at least once — from the broker event
 * (fast), from this service's outbox cursor (durable: catches up on whatever was published while
 * no notifications node ran, in order), or, with Kafka, from the bridge's consumer group — and
 * the unique (event id, type) key makes every repeat a no-op.
 *
 * Users choose which types are made and which channels send them (`notification_settings`); each
 * notification made is also emitted as `notification.created` for the gateways' sockets.
 * Password-reset e-mails are sent at once by `sendPasswordReset` and kept nowhere.
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
import {
  NOTIFICATION_CREATED,
  NOTIFYING_EVENTS,
  type MilestoneEvent,
  type NotificationCreatedEvent,
  type PasswordResetMail,
  type ReminderDueEvent,
} from "../src/events";
import { METRICS, registerMetrics } from "../src/node-metrics";
import { withRequestId } from "../src/request-context";
import { requireDatabase, type Runtime } from "../src/runtime";
import { Poller } from "../src/poller";
import { Batcher } from "../src/batcher";
import { ForbiddenError, NotFoundError, validationError } from "../src/errors";
import { checkedRule, UUID_PATTERN } from "../src/params";
import { requireUserId, type CallMeta } from "../src/caller";
import { isLastAttempt, retryDelayMs } from "../lib/backoff";
import { parseInstant } from "../lib/dates";
import { TEMPLATES } from "../templates";
import type { OptionalNotificationType, RenderedNotification } from "../templates/types";
import type { Channel, ChannelName, DeliveryJob } from "../src/channels/types";
import { logChannel } from "../src/channels/log";
import { emailChannel } from "../src/channels/email";
import { webhookChannel } from "../src/channels/webhook";
import type { Recipient } from "../src/data/accounts";
import * as notifications from "../src/data/notifications";
import { SCHEMAS } from "../src/api-schemas";
import type { ClaimedDelivery, DeadLetter, MadeNotification, Notification, NotificationSettings, PageEnd } from "../src/data/notifications";
import { randomUUID } from "node:crypto";

export interface ConsumeParams {
  event: string;
  payload: Record<string, unknown>;
}

interface ListParams {
  limit?: number;
  before?: string;
  unread?: boolean;
}

export interface SettingsChanges {
  channels?: Partial<NotificationSettings["channels"]>;
  types?: Partial<NotificationSettings["types"]>;
}

const TYPE_OF_EVENT: Record<(typeof NOTIFYING_EVENTS)[number], OptionalNotificationType> = {
  "user.registered": "welcome",
  "streak.milestone": "milestone",
  "reminder.due": "reminder",
};

const DELIVERY_BATCH = 20;
/** The most notifications an export carries (the newest). */
const EXPORT_LIMIT = 10_000;
const optionalBoolean = { type: "boolean", optional: true } as const;
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
  /** Broker events of one turn of the event loop, consumed together. */
  incoming: Batcher<ConsumeParams>;
}

interface NotificationsMethods extends DbMethods {
  /** Makes the notifications of events (from any source) in one statement; how many were new. */
  consumeEvents(events: ConsumeParams[]): Promise<number>;
  recipientsOf(userIds: string[]): Promise<Map<string, Recipient>>;
  renderFor(type: OptionalNotificationType, payload: Record<string, unknown>, recipient: Recipient): RenderedNotification;
  /** Tells the gateways (their sockets) about notifications just made. */
  announce(created: MadeNotification[]): void;
  kickDeliveries(): void;
  deliverDue(): Promise<number>;
  deliverOne(row: ClaimedDelivery, recipient: Recipient | undefined): Promise<boolean>;
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
        response: { status: 200, schema: SCHEMAS.notifications },
        params: {
          $$strict: true,
          limit: { type: "number", integer: true, min: 1, max: 100, convert: true, optional: true },
          // The id (or the createdAt instant) of the last notification of the previous page.
          before: { ...beforeRule, optional: true },
          unread: { type: "boolean", convert: true, optional: true },
        },
        async handler(ctx: Context<ListParams, CallMeta>): Promise<Notification[]> {
          const { before } = ctx.params;
          const end: PageEnd = !before
            ? { kind: "start" }
            : UUID_PATTERN.test(before)
              ? { kind: "notification", id: before }
              : { kind: "instant", at: before };
          const page = await notifications.listNotifications(
            this.sequelize(),
            requireUserId(ctx),
            end,
            ctx.params.limit ?? 20,
            ctx.params.unread === true,
          );
          if (!page) throw validationError([{ field: "before", type: "notFound", message: "No such notification." }]);
          return page;
        },
      },

      read: {
        rest: "POST /notifications/:id/read",
        auth: "user",
        response: { status: 204 },
        params: { $$strict: true, id: { type: "uuid" } },
        async handler(ctx: Context<{ id: string }, CallMeta>): Promise<null> {
          if (!(await notifications.markRead(this.sequelize(), ctx.params.id, requireUserId(ctx)))) throw new NotFoundError("Notification");
          ctx.meta.$statusCode = 204;
          return null;
        },
      },

      unreadCount: {
        rest: "GET /notifications/unread-count",
        auth: "user",
        response: { status: 200, schema: SCHEMAS.unreadCount },
        params: { $$strict: true },
        async handler(ctx: Context<unknown, CallMeta>): Promise<{ count: number }> {
          return { count: await notifications.unreadCount(this.sequelize(), requireUserId(ctx)) };
        },
      },

      readAll: {
        rest: "POST /notifications/read-all",
        auth: "user",
        response: { status: 204 },
        params: { $$strict: true },
        async handler(ctx: Context<unknown, CallMeta>): Promise<null> {
          await notifications.markAllRead(this.sequelize(), requireUserId(ctx));
          ctx.meta.$statusCode = 204;
          return null;
        },
      },

      settings: {
        rest: "GET /me/notification-settings",
        auth: "user",
        response: { status: 200, schema: SCHEMAS.notificationSettings },
        params: { $$strict: true },
        async handler(ctx: Context<unknown, CallMeta>): Promise<NotificationSettings> {
          const userId = requireUserId(ctx);
          return (await notifications.settingsOf(this.sequelize(), [userId])).get(userId) as NotificationSettings;
        },
      },

      updateSettings: {
        rest: "PATCH /me/notification-settings",
        auth: "user",
        response: { status: 200, schema: SCHEMAS.notificationSettings },
        params: {
          $$strict: true,
          channels: { type: "object", strict: true, optional: true, props: { email: optionalBoolean, webhook: optionalBoolean } },
          types: {
            type: "object",
            strict: true,
            optional: true,
            props: { welcome: optionalBoolean, milestone: optionalBoolean, reminder: optionalBoolean },
          },
        },
        handler(ctx: Context<SettingsChanges, CallMeta>): Promise<NotificationSettings> {
          return notifications.saveSettings(this.sequelize(), requireUserId(ctx), ctx.params);
        },
      },

      /**
       * A password-reset e-mail, sent now and kept nowhere (auth calls this; the link holds the
       * token, so it goes in no table, event or log line).
       */
      sendPasswordReset: {
        visibility: "public",
        params: {
          $$strict: true,
          email: { type: "email", max: 254 },
          displayName: { type: "string", max: 200 },
          link: { type: "string", max: 2048 },
          validMinutes: { type: "number", integer: true, positive: true },
        },
        async handler(ctx: Context<PasswordResetMail>): Promise<{ sent: boolean }> {
          const email = this.channels.email;
          if (!email) {
            this.logger.warn("A password reset was asked for, but SMTP_URL is not set: no e-mail can be sent (use auth.setPassword).");
            return { sent: false };
          }
          const { title, text, html } = TEMPLATES.password_reset(ctx.params);
          const id = randomUUID();
          await email.send({
            deliveryId: id,
            channel: "email",
            target: ctx.params.email,
            attempt: 1,
            notification: { id, type: "password_reset", title, text, html, createdAt: runtime.clock.now().toISOString(), data: {} },
            user: { id, webhookSecret: null },
          });
          return { sent: true };
        },
      },

      /** Every notification of a user, newest first (for the account's export). */
      ofUser: {
        visibility: "public",
        params: { $$strict: true, userId: { type: "uuid" } },
        async handler(ctx: Context<{ userId: string }>): Promise<Notification[]> {
          return (await notifications.listNotifications(this.sequelize(), ctx.params.userId, { kind: "start" }, EXPORT_LIMIT)) ?? [];
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
          return { created: await this.consumeEvents([ctx.params]) };
        },
      },

      deadLetters: {
        rest: "GET /admin/dead-letters",
        auth: "admin",
        response: { status: 200, schema: SCHEMAS.deadLetters },
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
        response: { status: 200, schema: SCHEMAS.retried },
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
        response: { status: 200, schema: SCHEMAS.retried },
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
            // Consumed with the others of this turn, not awaited: the relay that emitted this may still
            // hold its transaction (and, embedded, the one database connection) until the emit returns.
            this.incoming.add({ event, payload: ctx.params });
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
        // Each in the request that made it, so the line names the client's request id.
        for (const { event, eventId, requestId } of events)
          withRequestId(requestId, () => this.logger.debug(`${event} ${eventId} consumed`));
        await this.consumeEvents(events.map(({ event, payload }) => ({ event, payload })));
      },

      async consumeEvents(events: ConsumeParams[]) {
        const valid = events.flatMap(({ event, payload }) => {
          const type = TYPE_OF_EVENT[event as keyof typeof TYPE_OF_EVENT];
          const { eventId, userId } = payload as Partial<EventEnvelope>;
          if (type && typeof eventId === "string" && UUID_PATTERN.test(eventId) && typeof userId === "string" && UUID_PATTERN.test(userId))
            return [{ type, payload, eventId, userId }];
          this.logger.warn(`Ignoring ${event}: not a notifying event with an event id and a user id`);
          return [];
        });
        if (valid.length === 0) return 0;
        const userIds = [...new Set(valid.map((one) => one.userId))];
        // Asked before writing, which must not wait on another service.
        const [recipients, settings] = await Promise.all([this.recipientsOf(userIds), notifications.settingsOf(this.sequelize(), userIds)]);
        const made = valid.flatMap(({ type, payload, eventId, userId }): notifications.NewNotification[] => {
          const recipient = recipients.get(userId);
          const chosen = settings.get(userId) ?? notifications.DEFAULT_SETTINGS;
          // The account is gone (and its notifications with it), or the user turned the type off.
          if (!recipient || !chosen.types[type]) return [];
          const rendered = this.renderFor(type, payload, recipient);
          const deliveries: notifications.NewNotification["deliveries"] = [];
          if (config.notifications.logChannel) deliveries.push({ channel: "log", target: "log" });
          if (this.channels.email && chosen.channels.email) deliveries.push({ channel: "email", target: recipient.email });
          if (recipient.webhookUrl && chosen.channels.webhook) deliveries.push({ channel: "webhook", target: recipient.webhookUrl });
          return [
            {
              userId,
              type,
              eventId,
              title: rendered.title,
              text: rendered.text,
              html: rendered.html,
              data: type === "welcome" ? {} : { ...payload, eventId: undefined, userId: undefined, occurredAt: undefined },
              createdAt: occurredAt(payload, runtime.clock.now()),
              deliveries,
            },
          ];
        });
        const { made: created, queued } = await notifications.insertNotifications(this.sequelize(), made);
        if (queued > 0) this.kickDeliveries();
        this.announce(created);
        return created.length;
      },

      announce(created: MadeNotification[]) {
        for (const { userId, ...notification } of created)
          void this.broker.emit(NOTIFICATION_CREATED, { userId, notification } satisfies NotificationCreatedEvent);
      },

      async recipientsOf(userIds: string[]) {
        const found = await this.broker.call<Recipient[], { userIds: string[] }>("auth.recipients", { userIds });
        return new Map(found.map((recipient) => [recipient.id, recipient]));
      },

      renderFor(type: OptionalNotificationType, payload: Record<string, unknown>, recipient: Recipient) {
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
        // A delivery claimed as its account was deleted: nothing more goes to that user.
        const sent = await Promise.all(rows.map((row) => recipients.has(row.userId) && this.deliverOne(row, recipients.get(row.userId))));
        await notifications.recordSent(
          this.sequelize(),
          rows.filter((_, index) => sent[index]).map((row) => row.id),
        );
        return rows.length;
      },

      /** Sends one delivery; whether it went (a failure is recorded here, a success by the caller with the batch's). */
      async deliverOne(row: ClaimedDelivery, recipient: Recipient | undefined): Promise<boolean> {
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
          this.broker.metrics.increment(METRICS.deliveryAttempts, { channel: row.channel, outcome: dead ? "dead" : "retry" });
          if (dead) this.broker.metrics.increment(METRICS.deadLetters, { channel: row.channel });
          return false;
        }
        this.broker.metrics.increment(METRICS.deliveryAttempts, { channel: row.channel, outcome: "sent" });
        return true;
      },
    },

    created() {
      registerMetrics(this.broker, [METRICS.deliveryAttempts, METRICS.deadLetters]);
      const settings = config.notifications;
      const now = () => runtime.clock.now();
      this.channels = {
        log: logChannel(this.logger),
        webhook: webhookChannel({ timeoutMs: settings.sendTimeoutMs, allowPrivate: settings.webhookAllowPrivate, now }),
        ...(config.smtpUrl ? { email: emailChannel(config.smtpUrl, settings.mailFrom, settings.sendTimeoutMs) } : {}),
      };
      this.incoming = new Batcher((events) =>
        this.consumeEvents(events).then(
          () => undefined,
          // The outbox cursor hands the events over again.
          (err: Error) => this.logger.warn(`Could not consume ${events.length} event(s): ${err.message}`),
        ),
      );
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
      await this.incoming.drain();
      await this.deliveries.stop();
      await Promise.all(Object.values(this.channels).map((channel) => channel.close?.()));
    },
  };
}
