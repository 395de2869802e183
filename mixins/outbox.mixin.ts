/**
 * The transactional outbox (DESIGN.md §6). `this.recordEvent(transaction, event, userId, payload)`
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
import { QueryTypes, type Transaction } from "sequelize";
import type { DbMethods } from "./db.mixin";
import { Poller } from "../src/poller";

/** pg advisory lock key held by the one relay publishing at a time ("outbox" in ASCII). */
const RELAY_LOCK = 0x6f7574626f78;

export interface OutboxMixinOptions {
  /** How often the relay looks for rows it was not told about (another node's, or after a failure). */
  pollIntervalMs?: number;
  batchSize?: number;
}

/** `occurredAt` as ISO-8601 UTC with microseconds: events of one transaction stay ordered. */
export const OCCURRED_AT_SQL = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_at`;

/** Every published domain event carries these next to its own fields. */
export interface EventEnvelope {
  eventId: string;
  userId: string | null;
  occurredAt: string;
}

export interface OutboxMethods {
  recordEvent(transaction: Transaction, event: string, userId: string | null, payload: object): Promise<string>;
  relayOutbox(): Promise<number>;
  /** Relays soon (after the caller's transaction has committed). */
  kickRelay(): void;
}

interface OutboxRow {
  id: string;
  event_id: string;
  event: string;
  user_id: string | null;
  payload: Record<string, unknown>;
  occurred_at: string;
}

interface OutboxLocals {
  outboxRelay: Poller;
}

interface RelayMethods extends OutboxMethods {
  relayBatch(): Promise<number>;
}

export function OutboxMixin(options: OutboxMixinOptions = {}): Partial<ServiceSchema> {
  const settings: Required<OutboxMixinOptions> = { pollIntervalMs: 1000, batchSize: 100, ...options };
  const schema: Partial<ServiceSchema<ServiceSettingSchema, RelayMethods & DbMethods, OutboxLocals>> = {
    methods: {
      async recordEvent(transaction, event, userId, payload) {
        const eventId = randomUUID();
        await this.sequelize().query(
          "INSERT INTO outbox (event_id, event, user_id, payload) VALUES ($1, $2, $3, $4::jsonb)",
          { bind: [eventId, event, userId, JSON.stringify(payload)], transaction },
        );
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
        return this.sequelize().transaction(async (transaction) => {
          const [{ locked }] = await this.sequelize().query<{ locked: boolean }>(
            "SELECT pg_try_advisory_xact_lock($1) AS locked",
            { bind: [RELAY_LOCK], type: QueryTypes.SELECT, transaction },
          );
          // Another node is relaying; it (or this node's next tick) publishes what is left.
          if (!locked) return 0;
          const rows = await this.sequelize().query<OutboxRow>(
            `SELECT id, event_id, event, user_id, payload, ${OCCURRED_AT_SQL} FROM outbox
              WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
            { bind: [settings.batchSize], type: QueryTypes.SELECT, transaction },
          );
          const published: string[] = [];
          for (const row of rows) {
            const envelope: EventEnvelope = {
              eventId: row.event_id,
              userId: row.user_id,
              occurredAt: row.occurred_at,
            };
            try {
              await this.broker.emit(row.event, { ...row.payload, ...envelope });
              published.push(row.id);
            } catch (err) {
              // Keep order per stream: stop at the first failure, retry on the next run.
              this.logger.warn(`Could not publish ${row.event} ${row.event_id}: ${(err as Error).message}`);
              break;
            }
          }
          if (published.length > 0) {
            // Stamped in publish order under the lock, so stamps follow commit order: reserve
            // a block of the sequence, then number the rows within it.
            await this.sequelize().query(
              `WITH block AS (SELECT nextval('outbox_published_seq') AS first),
                    reserved AS (SELECT setval('outbox_published_seq', first + $2 - 1) FROM block)
               UPDATE outbox SET published_at = now(), published_seq = block.first + sent.n - 1
                 FROM unnest($1::bigint[]) WITH ORDINALITY AS sent(id, n), block, reserved
                WHERE outbox.id = sent.id`,
              { bind: [published, published.length], transaction },
            );
          }
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
