/**
 * The one module that uses kafkajs (docs/architecture.md, "Pitfalls": kafkajs is unmaintained, so a later switch
 * touches this file only). No Moleculer here: the Kafka bridge service talks to a `KafkaLink`.
 *
 * - Producer: idempotent, one request in flight (so retries cannot reorder a partition), every
 *   send waits for all in-sync replicas (`acks: -1`), one `sendBatch` per `publish` call.
 * - Consumers: one consumer group per `subscribe`, new groups start at the beginning of their
 *   topics, offsets are committed by hand and only after the handler resolved (at-least-once).
 * - kafkajs's own logs go to the logger given, without message contents.
 */
import { retryDelayMs } from "../lib/backoff";
import { Kafka, Partitioners, logLevel, type Admin, type Consumer, type IHeaders, type LogEntry, type Producer } from "kafkajs";

export interface OutgoingMessage {
  topic: string;
  key: string | null;
  /** null: a tombstone (only a dead letter of a message that had no value). */
  value: string | null;
  headers?: Record<string, string>;
}

export interface IncomingMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

export interface KafkaLink {
  /** Sends the messages (in order per topic and key); resolves once every replica has them. */
  publish(messages: OutgoingMessage[]): Promise<void>;
  /**
   * Consumes `topics` in consumer group `groupId`. A message's offset is committed only after
   * `handle` resolved; when it rejects, the message is handed over again after a backoff.
   */
  subscribe(groupId: string, topics: string[], handle: (message: IncomingMessage) => Promise<void>): Promise<void>;
  /** Creates the topics that do not exist yet (broker defaults for partitions and replicas). */
  ensureTopics(topics: string[]): Promise<void>;
  close(): Promise<void>;
}

export interface KafkaLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  logger: KafkaLogger;
  /** Backoff before a failed message is handed over again: doubles from `initialMs` up to `maxMs`. */
  retry?: { initialMs?: number; maxMs?: number };
  /** A publish that has not succeeded by then rejects (default 10 s). */
  publishTimeoutMs?: number;
}

/** Fields of kafkajs's log entries worth keeping; anything else (payloads included) is dropped. */
const LOGGED_FIELDS = ["groupId", "memberId", "topic", "partition", "offset", "broker", "clientId", "retryCount", "retryTime", "error"];

function describeLog(entry: LogEntry): string {
  const extra: string[] = [];
  for (const field of LOGGED_FIELDS) {
    const value: unknown = entry.log[field];
    if (value === undefined || value === null) continue;
    const text = value instanceof Error ? value.message : typeof value === "object" ? null : String(value);
    if (text !== null) extra.push(`${field}=${text}`);
  }
  return `kafkajs ${entry.namespace}: ${entry.log.message}${extra.length > 0 ? ` (${extra.join(", ")})` : ""}`;
}

function headerText(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    // A repeated header arrives as an array: the last one wins.
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) result[name] = last.toString();
  }
  return result;
}

export async function connectKafka(options: KafkaOptions): Promise<KafkaLink> {
  const { logger } = options;
  const retryInitialMs = options.retry?.initialMs ?? 250;
  const retryMaxMs = options.retry?.maxMs ?? 15_000;
  const publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.INFO,
    logCreator: () => (entry) => {
      if (entry.level === logLevel.ERROR) logger.error(describeLog(entry));
      else if (entry.level === logLevel.WARN) logger.warn(describeLog(entry));
      else if (entry.level === logLevel.INFO) logger.info(describeLog(entry));
    },
  });

  const producer: Producer = kafka.producer({
    idempotent: true,
    // The idempotent producer keeps order with up to 5 in flight on Kafka ≥ 1.0, but kafkajs
    // documents ordering only for 1: keep one, a partition's order is the point of the key.
    maxInFlightRequests: 1,
    allowAutoTopicCreation: true,
    // kafkajs retries an idempotent producer's sends forever by default, so a publish would never
    // fail while Kafka is down, and the caller (the bridge, inside its outbox transaction) would
    // wait with it. A bounded retry makes it fail, and the caller retries the batch later;
    // kafkajs warns that this weakens exactly-once, which the bridge does not rely on
    // (consumers drop duplicates by event id).
    retry: { retries: 5 },
    // The Java client's murmur2 partitioning, so other clients agree on which partition a key goes to.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();

  const consumers: Consumer[] = [];
  const resumeTimers = new Set<NodeJS.Timeout>();
  let closed = false;

  async function startConsumer(groupId: string, topics: string[], handle: (message: IncomingMessage) => Promise<void>): Promise<void> {
    const consumer = kafka.consumer({ groupId });
    consumers.push(consumer);
    /** Failures in a row per partition: the backoff grows with them, a success resets it. */
    const failures = new Map<string, number>();

    // A crash kafkajs does not recover from by itself (a non-retriable error) would leave the
    // group without this member for good: start a fresh consumer instead, after a pause.
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart || closed) return;
      logger.error(`Kafka consumer ${groupId} crashed (${event.payload.error.message}); starting it again in ${retryMaxMs} ms`);
      const timer = setTimeout(() => {
        resumeTimers.delete(timer);
        const index = consumers.indexOf(consumer);
        if (index >= 0) consumers.splice(index, 1);
        void consumer
          .disconnect()
          .catch(() => undefined)
          .then(() => (closed ? undefined : startConsumer(groupId, topics, handle)))
          .catch((err: Error) => logger.error(`Kafka consumer ${groupId} could not start again: ${err.message}`));
      }, retryMaxMs);
      timer.unref();
      resumeTimers.add(timer);
    });

    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const slot = `${topic}/${partition}`;
        const incoming: IncomingMessage = {
          topic,
          partition,
          offset: message.offset,
          key: message.key ? message.key.toString() : null,
          value: message.value ? message.value.toString() : null,
          headers: headerText(message.headers),
        };
        try {
          await handle(incoming);
        } catch (err) {
          // Retry without skipping, and without throwing. In kafkajs 2.2 an error thrown from
          // eachMessage stops this consumer's whole fetch loop (every partition), which its
          // retrier restarts a few times with backoff and then "crashes" and rejoins the group
          // (a rebalance for every member); it would re-read from the failed offset too, but at
          // that cost. Instead: pause just this partition, seek it back to the failed offset and
          // resume it after a backoff. kafkajs applies a seek on the partition's next fetch (with
          // autoCommit off it only moves the in-memory position, nothing is committed), stops
          // handing over the rest of the current batch once a seek is pending, and leaves paused
          // partitions out of fetches, so the failed message is the next one handed over.
          const failed = (failures.get(slot) ?? 0) + 1;
          failures.set(slot, failed);
          const delay = retryDelayMs(failed, {
            baseMs: retryInitialMs,
            maxMs: retryMaxMs,
            jitter: 0.2,
            maxAttempts: Number.POSITIVE_INFINITY,
          });
          logger.warn(
            `Kafka ${groupId}: message ${topic}[${partition}]@${message.offset} failed (${(err as Error).message}); retrying in ${delay} ms`,
          );
          consumer.pause([{ topic, partitions: [partition] }]);
          consumer.seek({ topic, partition, offset: message.offset });
          // Closing: the message stays uncommitted, and the next consumer of the group reads it.
          if (closed) return;
          const timer = setTimeout(() => {
            resumeTimers.delete(timer);
            if (closed) return;
            try {
              consumer.resume([{ topic, partitions: [partition] }]);
            } catch (resumeError) {
              logger.warn(`Kafka ${groupId}: could not resume ${topic}[${partition}]: ${(resumeError as Error).message}`);
            }
          }, delay);
          timer.unref();
          resumeTimers.add(timer);
          return;
        }
        failures.delete(slot);
        try {
          // The committed offset is the next one to read.
          await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
        } catch (err) {
          // Handled but not committed: a later commit covers it, or after a restart or rebalance
          // it is handed over again (handlers are idempotent).
          logger.warn(`Kafka ${groupId}: commit of ${topic}[${partition}]@${message.offset} failed: ${(err as Error).message}`);
        }
      },
    });
  }

  return {
    async publish(messages) {
      if (messages.length === 0) return;
      const byTopic = new Map<string, OutgoingMessage[]>();
      for (const message of messages) byTopic.set(message.topic, [...(byTopic.get(message.topic) ?? []), message]);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Kafka publish timed out after ${publishTimeoutMs} ms`)), publishTimeoutMs);
      });
      try {
        await Promise.race([
          producer.sendBatch({
            acks: -1,
            topicMessages: [...byTopic].map(([topic, list]) => ({
              topic,
              messages: list.map(({ key, value, headers }) => ({ key, value, headers })),
            })),
          }),
          timeout,
        ]);
      } finally {
        clearTimeout(timer);
      }
    },

    subscribe(groupId, topics, handle) {
      if (closed) return Promise.reject(new Error("Kafka link is closed"));
      return startConsumer(groupId, topics, handle);
    },

    async ensureTopics(topics) {
      const admin: Admin = kafka.admin();
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        const missing = [...new Set(topics)].filter((topic) => !existing.has(topic));
        if (missing.length > 0) await admin.createTopics({ topics: missing.map((topic) => ({ topic })), waitForLeaders: true });
      } finally {
        await admin.disconnect();
      }
    },

    async close() {
      closed = true;
      for (const timer of resumeTimers) clearTimeout(timer);
      resumeTimers.clear();
      // disconnect() lets a handler in progress finish first.
      await Promise.allSettled(consumers.map((consumer) => consumer.disconnect()));
      consumers.length = 0;
      await producer.disconnect();
    },
  };
}
