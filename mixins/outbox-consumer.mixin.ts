/**
 * A durable reader of the outbox (docs/contract.md, "Guarantees"): `OutboxConsumerMixin({
 * consumer, events })` hands the host's `handleOutboxEvents(events)` every published outbox
 * event, in publish order, at least once — also events published while no node of the host was
 * running, which it catches up on at start. The position is a per-consumer cursor over the
 * relay's `published_seq` stamps (which follow commit order, see outbox.mixin.ts), kept in
 * `outbox_cursors`. A node holds the cursor by a lease (LEASE_MS) while it handles a batch, so
 * one node consumes at a time; the batch is handled outside any transaction (the host may call
 * other services), and the cursor moves when it is done. A node that dies mid-batch lets its lease
 * run out and the next node handles the batch again: hosts are idempotent. The host may also
 * call `kickOutboxConsumer()` when it hears of new events, for low latency.
 * Requires the db mixin (`this.sequelize()`).
 */
import { randomUUID } from "node:crypto";
import type { ServiceSchema, ServiceSettingSchema } from "moleculer";
import type { DbMethods } from "./db.mixin";
import { Poller } from "../src/poller";
import { ensureCursor, leaseCursor, publishedAfter, releaseCursor } from "../src/data/outbox";
import { envelopeOf, type EventEnvelope } from "./outbox.mixin";

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
  /** The request the change was made in, when there was one (src/request-context.ts). */
  requestId: string | null;
}

export interface OutboxConsumerMethods {
  /** Handles the next batch, if no other node is; resolves to the number of events handed over. */
  consumeOutbox(): Promise<number>;
  kickOutboxConsumer(): void;
}

/** What the host service provides. */
export interface OutboxConsumerHost {
  handleOutboxEvents(events: OutboxEvent[]): Promise<void>;
  /** Optional: false turns the consumer off on this node (e.g. when Kafka drives the host). */
  outboxConsumerEnabled?(): boolean;
}

interface ConsumerLocals {
  outboxConsumer: Poller;
  cursorCreated: boolean;
  /** Who holds the lease: this service instance. */
  leaseHolder: string;
}

/** How long a batch may take before another node may take the cursor over. */
export const LEASE_MS = 60_000;

export function OutboxConsumerMixin(options: OutboxConsumerOptions): Partial<ServiceSchema> {
  const settings = { batchSize: 100, pollIntervalMs: 1000, ...options };
  type Methods = OutboxConsumerMethods & OutboxConsumerHost & DbMethods & { consumeBatch(): Promise<number> };
  type This = Methods & ConsumerLocals & import("moleculer").Service;

  const schema: Partial<ServiceSchema<ServiceSettingSchema, Methods, ConsumerLocals>> = {
    methods: {
      kickOutboxConsumer(this: This) {
        // A run in progress may have read before the new event was visible: it runs once more after.
        this.outboxConsumer.kick();
      },

      consumeOutbox(this: This): Promise<number> {
        return this.outboxConsumer.runNow();
      },

      async consumeBatch(this: This): Promise<number> {
        if (this.outboxConsumerEnabled?.() === false) return 0;
        const db = this.sequelize();
        if (!this.cursorCreated) {
          await ensureCursor(db, settings.consumer);
          this.cursorCreated = true;
        }
        const position = await leaseCursor(db, settings.consumer, this.leaseHolder, LEASE_MS);
        // Another node holds the cursor and is consuming.
        if (position === null) return 0;
        let next: string | null = null;
        try {
          const { top, events: found } = await publishedAfter(db, position, settings.events, settings.batchSize);
          if (top === null) return 0;
          const events: OutboxEvent[] = found.map((row) => {
            const envelope = envelopeOf(row);
            return { ...envelope, event: row.event, seq: row.seq, payload: { ...row.payload, ...envelope }, requestId: row.requestId };
          });
          if (events.length > 0) await this.handleOutboxEvents(events);
          // A short batch saw every wanted event up to `top`; a full one stops at its last.
          next = events.length < settings.batchSize ? top : events[events.length - 1].seq;
          return events.length;
        } finally {
          // Moved only when the batch was handled; the lease is given up either way.
          if (!(await releaseCursor(db, settings.consumer, this.leaseHolder, next))) {
            this.logger.warn(`Outbox consumer ${settings.consumer}: the lease ran out during a batch; another node handles it again`);
          }
        }
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
      this.leaseHolder = `${this.broker.nodeID}/${randomUUID()}`;
      this.outboxConsumer.start();
    },

    async stopped(this: This) {
      await this.outboxConsumer.stop();
    },
  };
  return schema as Partial<ServiceSchema>;
}
