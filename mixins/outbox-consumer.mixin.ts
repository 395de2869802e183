/**
 * A durable reader of the outbox (DESIGN.md §6): `OutboxConsumerMixin({ consumer, events })`
 * hands the host's `handleOutboxEvents(events, transaction)` every published outbox event, in
 * publish order, at least once — also events published while no node of the host was running,
 * which it catches up on at start. The position is a per-consumer cursor over the relay's
 * `published_seq` stamps (which follow commit order, see outbox.mixin.ts), kept in
 * `outbox_cursors`; the cursor row is locked while a batch is handled, so one node consumes at a
 * time and a batch's effects commit together with the cursor's move. The host may also call
 * `kickOutboxConsumer()` when it hears of new events, for low latency.
 * Requires the db mixin (`this.sequelize()`).
 */
import type { ServiceSchema, ServiceSettingSchema } from "moleculer";
import { QueryTypes, type Transaction } from "sequelize";
import type { DbMethods } from "./db.mixin";
import { Poller } from "../src/poller";
import { OCCURRED_AT_SQL, type EventEnvelope } from "./outbox.mixin";

export interface OutboxConsumerOptions {
  /** The cursor's name: each consumer sees every event once, whatever the others do. */
  consumer: string;
  /** Events this consumer wants; the others are skipped without being handed over. */
  events: readonly string[];
  batchSize?: number;
  /** How often to look for events nobody announced (missed broker events, another node's relay). */
  pollIntervalMs?: number;
}

export interface OutboxEvent extends EventEnvelope {
  event: string;
  /** The relay's stamp: the position in the stream. */
  seq: string;
  /** The event's own fields, as published on the broker (envelope included). */
  payload: Record<string, unknown> & EventEnvelope;
}

export interface OutboxConsumerMethods {
  /** Handles the next batch, if no other node is; resolves to the number of events handed over. */
  consumeOutbox(): Promise<number>;
  kickOutboxConsumer(): void;
}

/** What the host service provides. */
export interface OutboxConsumerHost {
  handleOutboxEvents(events: OutboxEvent[], transaction: Transaction): Promise<void>;
  /** Optional: false turns the consumer off on this node (e.g. when Kafka drives the host). */
  outboxConsumerEnabled?(): boolean;
}

interface ConsumerLocals {
  outboxConsumer: Poller;
  cursorCreated: boolean;
}

interface BatchRow {
  top: string | null;
  seq: string | null;
  event_id: string;
  event: string;
  user_id: string | null;
  payload: Record<string, unknown>;
  occurred_at: string;
}

export function OutboxConsumerMixin(options: OutboxConsumerOptions): Partial<ServiceSchema> {
  const settings = { batchSize: 100, pollIntervalMs: 1000, ...options };
  type Methods = OutboxConsumerMethods & OutboxConsumerHost & DbMethods & { consumeBatch(): Promise<number> };
  type This = Methods & ConsumerLocals;

  const schema: Partial<ServiceSchema<ServiceSettingSchema, Methods, ConsumerLocals>> = {
    methods: {
      kickOutboxConsumer(this: This) {
        // A run in progress may have read before the new event was visible: it runs once more after.
        this.outboxConsumer.kick();
      },

      consumeOutbox(this: This): Promise<number> {
        return this.outboxConsumer.runNow();
      },

      consumeBatch(this: This): Promise<number> {
        if (this.outboxConsumerEnabled?.() === false) return Promise.resolve(0);
        return this.sequelize().transaction(async (transaction) => {
          const db = this.sequelize();
          if (!this.cursorCreated) {
            await db.query("INSERT INTO outbox_cursors (consumer) VALUES ($1) ON CONFLICT (consumer) DO NOTHING", {
              bind: [settings.consumer],
              transaction,
            });
            transaction.afterCommit(() => {
              this.cursorCreated = true;
            });
          }
          const cursor = await db.query<{ position: string }>(
            "SELECT position FROM outbox_cursors WHERE consumer = $1 FOR UPDATE SKIP LOCKED",
            { bind: [settings.consumer], type: QueryTypes.SELECT, transaction },
          );
          // Another node holds the cursor and is consuming.
          if (cursor.length === 0) return 0;
          // One statement, one snapshot: `top` is the newest stamp this read could see.
          const rows = await db.query<BatchRow>(
            `SELECT hw.top, o.seq, o.event_id, o.event, o.user_id, o.payload, o.occurred_at
               FROM (SELECT (SELECT published_seq FROM outbox WHERE published_seq IS NOT NULL
                              ORDER BY published_seq DESC LIMIT 1) AS top) hw
               LEFT JOIN LATERAL (
                 SELECT published_seq AS seq, event_id, event, user_id, payload, ${OCCURRED_AT_SQL} FROM outbox
                  WHERE published_seq > $1 AND event = ANY($2::text[])
                  ORDER BY published_seq LIMIT $3) o ON true`,
            { bind: [cursor[0].position, settings.events, settings.batchSize], type: QueryTypes.SELECT, transaction },
          );
          const events: OutboxEvent[] = rows
            .filter((row) => row.seq !== null)
            .map((row) => {
              const envelope: EventEnvelope = {
                eventId: row.event_id,
                userId: row.user_id,
                occurredAt: row.occurred_at,
              };
              return { ...envelope, event: row.event, seq: String(row.seq), payload: { ...row.payload, ...envelope } };
            });
          const top = rows[0]?.top ?? null;
          if (top === null) return 0;
          if (events.length > 0) await this.handleOutboxEvents(events, transaction);
          // A short batch saw every wanted event up to `top`; a full one stops at its last.
          const position = events.length < settings.batchSize ? top : events[events.length - 1].seq;
          if (position !== cursor[0].position) {
            await db.query("UPDATE outbox_cursors SET position = $2, updated_at = now() WHERE consumer = $1", {
              bind: [settings.consumer, position],
              transaction,
            });
          }
          return events.length;
        });
      },
    },

    created() {
      this.outboxConsumer = new Poller({
        run: () => this.consumeBatch(),
        intervalMs: settings.pollIntervalMs,
        // Catch up at once: events may have waited while no node of this service ran.
        firstDelayMs: 0,
        fullBatch: settings.batchSize,
        onError: (err) => this.logger.warn(`Outbox consumer ${settings.consumer} failed, retrying: ${err.message}`),
      });
    },

    started(this: This) {
      this.cursorCreated = false;
      this.outboxConsumer.start();
    },

    async stopped(this: This) {
      await this.outboxConsumer.stop();
    },
  };
  return schema as Partial<ServiceSchema>;
}
