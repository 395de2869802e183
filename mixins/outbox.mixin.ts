/**
 * The transactional outbox (docs/contract.md, "Guarantees"). `this.recordEvent(transaction, event, userId, payload)`
 * stores a domain event in the same transaction as the change it describes; a relay on every
 * node running the service publishes unpublished rows as broker events, oldest first, and marks
 * each published only after the send succeeded. One relay runs at a time across the cluster
 * (a transaction-scoped advisory lock; the others skip their turn), and it stamps each row it
 * publishes with the next `published_seq` before committing, so stamps follow commit order and
 * outbox consumers (mixins/outbox-consumer.mixin.ts) can keep a simple cursor over them. A crash
 * between send and mark re-sends the row, and the event's `eventId` lets consumers drop the
 * duplicate.
 * Requires the db mixin (`this.sequelize()`).
 */
import { randomUUID } from "node:crypto";
import type { ServiceSchema, ServiceSettingSchema } from "moleculer";
import type { Transaction } from "sequelize";
import type { DbMethods } from "./db.mixin";
import { Poller } from "../src/poller";
import { currentRequestId } from "../src/request-context";
import { insertEvent, leaseUnpublished, markPublished, type OutboxRow } from "../src/data/outbox";

export interface OutboxMixinOptions {
  /** How often the relay looks for rows it was not told about (another node's, or after a failure). */
  pollIntervalMs?: number;
  batchSize?: number;
  /** How long the relay waits after being told of a new event, for more to publish with it. */
  coalesceMs?: number;
}

/** Every published domain event carries these next to its own fields. */
export interface EventEnvelope {
  eventId: string;
  userId: string | null;
  occurredAt: string;
}

/** The envelope of a stored event, as every relayed or consumed event carries it. */
export function envelopeOf(row: Pick<OutboxRow, "eventId" | "userId" | "occurredAt">): EventEnvelope {
  return { eventId: row.eventId, userId: row.userId, occurredAt: row.occurredAt };
}

export interface OutboxMethods {
  recordEvent(transaction: Transaction, event: string, userId: string | null, payload: object): Promise<string>;
  relayOutbox(): Promise<number>;
  /** Relays soon (after the caller's transaction has committed). */
  kickRelay(): void;
}

interface OutboxLocals {
  outboxRelay: Poller;
}

interface RelayMethods extends OutboxMethods {
  relayBatch(): Promise<number>;
}

export function OutboxMixin(options: OutboxMixinOptions = {}): Partial<ServiceSchema> {
  const settings: Required<OutboxMixinOptions> = { pollIntervalMs: 1000, batchSize: 100, coalesceMs: 10, ...options };
  const schema: Partial<ServiceSchema<ServiceSettingSchema, RelayMethods & DbMethods, OutboxLocals>> = {
    methods: {
      async recordEvent(transaction, event, userId, payload) {
        const eventId = randomUUID();
        await insertEvent(this.sequelize(), transaction, { eventId, event, userId, payload, requestId: currentRequestId() });
        transaction.afterCommit(() => this.kickRelay());
        return eventId;
      },

      kickRelay() {
        this.outboxRelay.kick();
      },

      /** Publishes one batch; concurrent calls on one node share the run in progress. */
      relayOutbox(): Promise<number> {
        return this.outboxRelay.runNow();
      },

      relayBatch(): Promise<number> {
        const db = this.sequelize();
        return db.transaction(async (transaction) => {
          const rows = await leaseUnpublished(db, transaction, settings.batchSize);
          const published: string[] = [];
          for (const row of rows) {
            const envelope = envelopeOf(row);
            try {
              // In the request the change was made in: its handlers, on any node, log with its id.
              await this.broker.emit(row.event, { ...row.payload, ...envelope }, { requestID: row.requestId ?? undefined });
              published.push(row.id);
            } catch (err) {
              // Keep order per stream: stop at the first failure, retry on the next run.
              this.logger.warn(`Could not publish ${row.event} ${row.eventId}: ${(err as Error).message}`);
              break;
            }
          }
          if (published.length > 0) await markPublished(db, transaction, published);
          return published.length;
        });
      },
    },

    created() {
      this.outboxRelay = new Poller({
        run: () => this.relayBatch(),
        intervalMs: settings.pollIntervalMs,
        // A full batch means a backlog: go on at once instead of waiting a poll interval.
        fullBatch: settings.batchSize,
        coalesceMs: settings.coalesceMs,
        onError: (err) => this.logger.warn(`Outbox relay failed: ${err.message}`),
      });
    },

    started() {
      this.outboxRelay.start();
    },

    async stopped() {
      await this.outboxRelay.stop();
    },
  };
  return schema as Partial<ServiceSchema>;
}
