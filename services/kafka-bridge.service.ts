/**
 * The Kafka bridge (docs/contract.md, "Guarantees"), running only when KAFKA_BROKERS is set. Topic names live here
 * and nowhere else; everything Kafka goes through src/kafka.ts.
 *
 * - Out: an outbox consumer (its own cursor, so events published while no bridge ran are sent
 *   when one starts) publishes every domain event to `habit-tracker.<event>`, keyed by the user
 *   id so one user's events stay ordered, the value the event's payload (envelope included).
 *   A failed publish throws: the cursor stays and the batch is sent again (at least once).
 * - In, in consumer groups, each message committed only after it was handled:
 *   `habit-tracker.notifications` feeds the notification service, `habit-tracker.streak-cache`
 *   refreshes a habit's cached streak, and `habit-tracker.checkin-ingest` turns
 *   `habit-tracker.checkin.requested` messages from other systems into check-ins, through the
 *   same actions, parameter validation and ownership check as the REST routes. A request those
 *   reject goes to `habit-tracker.checkin.requested.dead-letter` with the reason.
 * Every consumer is idempotent (notifications dedupe by event id, a streak refresh recomputes,
 * a check-in is an upsert per habit and date), so a redelivered message changes nothing.
 */
import type { Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import { DbMixin, type DbMethods } from "../mixins/db.mixin";
import { OutboxConsumerMixin, type OutboxConsumerMethods, type OutboxEvent } from "../mixins/outbox-consumer.mixin";
import { DOMAIN_EVENTS, NOTIFYING_EVENTS, type DomainEvent } from "../src/events";
import { connectKafka, type IncomingMessage, type KafkaLink } from "../src/kafka";
import { ConfigError } from "../src/config";
import { requireDatabase, type Runtime } from "../src/runtime";
import { UUID_PATTERN } from "../src/params";
import type { CallMeta } from "../src/caller";
import type { CheckinStatus } from "../lib/habit-rules";

const TOPIC_PREFIX = "habit-tracker.";
/** The topic a domain event is published to. */
export const topicOf = (event: DomainEvent): string => `${TOPIC_PREFIX}${event}`;
/** Check-ins requested by other systems, and where the rejected ones go. */
export const CHECKIN_REQUESTED_TOPIC = "habit-tracker.checkin.requested";
export const CHECKIN_DEAD_LETTER_TOPIC = "habit-tracker.checkin.requested.dead-letter";

export const CONSUMER_GROUPS = {
  notifications: "habit-tracker.notifications",
  streakCache: "habit-tracker.streak-cache",
  checkinIngest: "habit-tracker.checkin-ingest",
} as const;

/** The events after which a habit's cached streak is refreshed. */
const STREAK_EVENTS = ["checkin.recorded", "checkin.removed", "habit.updated"] as const satisfies readonly DomainEvent[];

/**
 * A `habit-tracker.checkin.requested` message: the habit's owner and habit, then exactly the
 * body of `PUT /habits/:id/checkins/:date` (with `date`) or `POST /habits/:id/checkins` (without).
 */
export interface CheckinRequest {
  userId: string;
  habitId: string;
  date?: string;
  status?: CheckinStatus;
  value?: number | null;
  note?: string | null;
}

/** Longest `reason` header kept on a dead letter. */
const MAX_REASON = 4000;

/** Not found, invalid, forbidden...: retrying cannot help. Moleculer's "service not found/available" are 404s too, but retryable. */
function isClientError(err: unknown): err is Error & { code: number; data?: unknown } {
  const { code, retryable } = err as { code?: unknown; retryable?: unknown };
  return typeof code === "number" && code >= 400 && code < 500 && retryable !== true;
}

function reasonOf(err: Error & { data?: unknown }): string {
  const reason = err.data === undefined || err.data === null ? err.message : `${err.message} ${JSON.stringify(err.data)}`;
  return reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason;
}

function parseObject(value: string | null): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(value ?? "");
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const where = (message: IncomingMessage) => `${message.topic}[${message.partition}]@${message.offset}`;

interface BridgeLocals {
  kafka: KafkaLink | null;
}

interface BridgeMethods extends DbMethods, OutboxConsumerMethods {
  handleOutboxEvents(events: OutboxEvent[]): Promise<void>;
  outboxConsumerEnabled(): boolean;
  toNotifications(message: IncomingMessage): Promise<void>;
  toStreakCache(message: IncomingMessage): Promise<void>;
  ingestCheckin(message: IncomingMessage): Promise<void>;
  deadLetter(message: IncomingMessage, reason: string): Promise<void>;
}

type BridgeThis = BridgeMethods & BridgeLocals & Service;

export default function KafkaBridgeService(runtime: Runtime): ServiceSchema<ServiceSettingSchema, BridgeMethods, BridgeLocals> {
  return {
    name: "kafka-bridge",

    mixins: [
      // The bridge keeps no table of its own: its only state is its outbox cursor.
      DbMixin({ table: "outbox_cursors", database: () => requireDatabase(runtime), poolMax: 2 }),
      OutboxConsumerMixin({ consumer: "kafka-bridge", events: DOMAIN_EVENTS }),
    ],

    // A relayed event means there is something to publish: look now rather than at the next poll.
    events: Object.fromEntries(
      DOMAIN_EVENTS.map((event) => [
        event,
        {
          handler(this: BridgeThis) {
            this.kickOutboxConsumer();
          },
        },
      ]),
    ),

    methods: {
      outboxConsumerEnabled(this: BridgeThis) {
        return this.kafka !== null;
      },

      /** One publish per batch; if it fails the outbox cursor stays and the batch comes again. */
      async handleOutboxEvents(this: BridgeThis, events: OutboxEvent[]) {
        if (!this.kafka) throw new Error("Kafka is not connected");
        await this.kafka.publish(
          events.map((event) => ({
            topic: topicOf(event.event as DomainEvent),
            key: event.userId,
            value: JSON.stringify(event.payload),
            headers: { event: event.event, "event-id": event.eventId },
          })),
        );
      },

      async toNotifications(this: BridgeThis, message: IncomingMessage) {
        const payload = parseObject(message.value);
        if (!payload) {
          // Not one of ours (the bridge publishes JSON objects): nothing to retry.
          this.logger.warn(`Skipping ${where(message)}: not a JSON object`);
          return;
        }
        try {
          await this.broker.call("notifications.consume", { event: message.topic.slice(TOPIC_PREFIX.length), payload });
        } catch (err) {
          if (!isClientError(err)) throw err;
          // Rejected as invalid: it would be rejected again forever and hold up the partition.
          this.logger.error(`Skipping ${where(message)}: notifications rejected it (${err.message})`);
        }
      },

      async toStreakCache(this: BridgeThis, message: IncomingMessage) {
        const payload = parseObject(message.value);
        const habit = payload?.habit as { id?: unknown } | undefined;
        const habitId = typeof payload?.habitId === "string" ? payload.habitId : habit?.id;
        if (typeof habitId !== "string") {
          this.logger.warn(`Skipping ${where(message)}: no habit id`);
          return;
        }
        try {
          await this.broker.call("tracking.refreshStreak", { habitId });
        } catch (err) {
          if (!isClientError(err)) throw err;
          // 404: the habit is gone since, so is its cache entry. Anything else cannot get better.
          if (err.code !== 404) this.logger.error(`Skipping ${where(message)}: tracking rejected it (${err.message})`);
        }
      },

      async ingestCheckin(this: BridgeThis, message: IncomingMessage) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(message.value ?? "");
        } catch (err) {
          return this.deadLetter(message, `Invalid JSON: ${(err as Error).message}`);
        }
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
          return this.deadLetter(message, "A check-in request must be a JSON object");
        }
        const { userId, habitId, ...body } = parsed as Record<string, unknown>;
        const problems: Array<{ type: string; field: string; message: string }> = [];
        for (const [field, value] of [
          ["userId", userId],
          ["habitId", habitId],
        ] as const) {
          if (value === undefined) problems.push({ type: "required", field, message: `The '${field}' field is required.` });
          else if (typeof value !== "string" || !UUID_PATTERN.test(value))
            problems.push({ type: "uuid", field, message: `The '${field}' field must be a valid UUID.` });
        }
        // `id` is how the actions name the habit: a request may not set it besides habitId.
        if ("id" in body) problems.push({ type: "objectStrict", field: "id", message: "The object has forbidden extra properties: id" });
        if (problems.length > 0) return this.deadLetter(message, `Parameters validation error! ${JSON.stringify(problems)}`);

        // Everything else goes to the action as sent: its strict params reject unknown fields.
        const action = "date" in body ? "tracking.put" : "tracking.post";
        // Acting for the habit's owner, as the REPL would: the user's zone is looked up on the way.
        const meta: CallMeta = { user: { id: userId as string, role: "user", sessionId: null } };
        try {
          await this.broker.call(action, { ...body, id: habitId }, { meta });
        } catch (err) {
          if (!isClientError(err)) throw err;
          return this.deadLetter(message, reasonOf(err));
        }
      },

      /** Parks a rejected request, then lets its offset be committed; a failed send is retried. */
      async deadLetter(this: BridgeThis, message: IncomingMessage, reason: string) {
        if (!this.kafka) throw new Error("Kafka is not connected");
        await this.kafka.publish([
          {
            topic: CHECKIN_DEAD_LETTER_TOPIC,
            key: message.key,
            value: message.value,
            headers: {
              reason,
              "source-topic": message.topic,
              "source-partition": String(message.partition),
              "source-offset": message.offset,
            },
          },
        ]);
        // The reason may quote the request; the log names the place only.
        this.logger.warn(`Check-in request ${where(message)} rejected and dead-lettered to ${CHECKIN_DEAD_LETTER_TOPIC}`);
      },
    },

    created(this: BridgeThis) {
      this.kafka = null;
    },

    async started(this: BridgeThis) {
      const { kafkaBrokers, nodeId } = runtime.config;
      if (kafkaBrokers.length === 0) throw new ConfigError("KAFKA_BROKERS", "is required by the kafka-bridge service");
      const link = await connectKafka({ brokers: kafkaBrokers, clientId: `habit-tracker-${nodeId}`, logger: this.logger });
      try {
        const topics = [...DOMAIN_EVENTS.map(topicOf), CHECKIN_REQUESTED_TOPIC, CHECKIN_DEAD_LETTER_TOPIC];
        try {
          await link.ensureTopics(topics);
        } catch (err) {
          // E.g. no permission to create topics: they may exist or be auto-created anyway.
          this.logger.warn(`Could not create the Kafka topics: ${(err as Error).message}`);
        }
        await Promise.all([
          link.subscribe(CONSUMER_GROUPS.notifications, NOTIFYING_EVENTS.map(topicOf), (message) => this.toNotifications(message)),
          link.subscribe(CONSUMER_GROUPS.streakCache, STREAK_EVENTS.map(topicOf), (message) => this.toStreakCache(message)),
          link.subscribe(CONSUMER_GROUPS.checkinIngest, [CHECKIN_REQUESTED_TOPIC], (message) => this.ingestCheckin(message)),
        ]);
      } catch (err) {
        await link.close().catch(() => undefined);
        throw err;
      }
      this.kafka = link;
      // Events may have waited while no bridge ran.
      this.kickOutboxConsumer();
    },

    async stopped(this: BridgeThis) {
      const link = this.kafka;
      // Stops the outbox consumer from publishing (a batch in progress fails and is sent again later).
      this.kafka = null;
      await link?.close();
    },
  };
}
