/**
 * The transactional outbox (DESIGN.md §6). `this.recordEvent(transaction, event, userId, payload)`
 * stores a domain event in the same transaction as the change it describes; a relay on every
 * node running the service publishes unpublished rows as broker events, oldest first, and marks
 * each published only after the send succeeded. Rows are claimed with FOR UPDATE SKIP LOCKED,
 * so any number of nodes relay without sending a row twice; a crash between send and mark
 * re-sends it, and the event's `eventId` lets consumers drop the duplicate.
 * Requires the db mixin (`this.sequelize()`).
 */
import { randomUUID } from "node:crypto";
import type { ServiceSchema, ServiceSettingSchema } from "moleculer";
import { QueryTypes, type Transaction } from "sequelize";
import type { DbMethods } from "./db.mixin";

export interface OutboxMixinOptions {
  /** How often the relay looks for rows it was not told about (another node's, or after a failure). */
  pollIntervalMs?: number;
  batchSize?: number;
}

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
  created_at: Date;
}

interface OutboxLocals {
  outboxTimer: NodeJS.Timeout | null;
  outboxRunning: Promise<number> | null;
  outboxStopped: boolean;
}

export function OutboxMixin(options: OutboxMixinOptions = {}): Partial<ServiceSchema> {
  const settings: Required<OutboxMixinOptions> = { pollIntervalMs: 1000, batchSize: 100, ...options };
  const schema: Partial<ServiceSchema<ServiceSettingSchema, OutboxMethods & DbMethods, OutboxLocals>> = {
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
        setImmediate(() => void this.relayOutbox().catch((err: Error) => this.logger.warn(`Outbox relay failed: ${err.message}`)));
      },

      /** Publishes one batch; concurrent calls on one node share the run in progress. */
      relayOutbox(): Promise<number> {
        if (this.outboxStopped) return Promise.resolve(0);
        if (this.outboxRunning) return this.outboxRunning;
        this.outboxRunning = this.sequelize()
          .transaction(async (transaction) => {
            const rows = await this.sequelize().query<OutboxRow>(
              `SELECT id, event_id, event, user_id, payload, created_at FROM outbox
                WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
              { bind: [settings.batchSize], type: QueryTypes.SELECT, transaction },
            );
            const published: string[] = [];
            for (const row of rows) {
              const envelope: EventEnvelope = {
                eventId: row.event_id,
                userId: row.user_id,
                occurredAt: row.created_at.toISOString(),
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
              await this.sequelize().query("UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", {
                bind: [published],
                transaction,
              });
            }
            return published.length;
          })
          .finally(() => {
            this.outboxRunning = null;
          });
        return this.outboxRunning;
      },
    },

    started() {
      this.outboxStopped = false;
      this.outboxRunning = null;
      const tick = () => {
        this.relayOutbox()
          .catch((err: Error) => this.logger.warn(`Outbox relay failed: ${err.message}`))
          .finally(() => {
            if (!this.outboxStopped) this.outboxTimer = setTimeout(tick, settings.pollIntervalMs);
          });
      };
      this.outboxTimer = setTimeout(tick, settings.pollIntervalMs);
    },

    async stopped() {
      this.outboxStopped = true;
      if (this.outboxTimer) clearTimeout(this.outboxTimer);
      await this.outboxRunning?.catch(() => undefined);
    },
  };
  return schema as Partial<ServiceSchema>;
}
