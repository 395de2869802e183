/**
 * An in-memory TEST DOUBLE of the part of the kafkajs module that src/kafka.ts uses — not
 * kafkajs and not a Kafka broker. No Kafka broker can run on these machines (docs/architecture.md, "Pitfalls"), so
 * the bridge is tested against this double; test/integration/kafka-real.spec.ts runs against a
 * real broker when KAFKA_BROKERS is set.
 *
 * Use it in a spec with `jest.mock("kafkajs", () => require("../helpers/kafkajs-double"))` and
 * drive or inspect it through `kafkaDouble` (the same module instance in that spec's registry).
 *
 * What it models, after kafkajs 2.2's behaviour:
 * - topics as partition logs (3 partitions unless created otherwise); a keyed message goes to
 *   the partition of its key's hash, an unkeyed one round-robin;
 * - producers: the config is recorded, `send`/`sendBatch` append and record every call; an
 *   idempotent producer refuses any `acks` but -1, as kafkajs does;
 * - consumers in groups: each partition of a topic belongs to one running member of a group;
 *   a new member of a group with no committed offset starts at the beginning (`fromBeginning`)
 *   or at the end; `eachMessage` gets one message at a time per consumer;
 * - offsets: only `commitOffsets` commits (recorded in `kafkaDouble.commits`); after
 *   `eachMessage` resolved, the in-memory position moves past the message; a pending `seek`
 *   replaces the position before the next delivery of that partition; paused partitions are
 *   not delivered; when `eachMessage` throws, the position stays and the consumer tries again
 *   after `retryDelayMs` (kafkajs restarts its fetch loop and re-reads from the position);
 * - a rebalance (a member joins or leaves) resets positions to the committed offsets.
 */
import type { IncomingMessage } from "../../src/kafka";

type LogFn = (entry: {
  namespace: string;
  level: number;
  label: string;
  log: { timestamp: string; message: string; [key: string]: unknown };
}) => void;

export const logLevel = { NOTHING: 0, ERROR: 1, WARN: 2, INFO: 4, DEBUG: 5 } as const;

const LEVEL_LABELS: Record<number, string> = { 1: "ERROR", 2: "WARN", 4: "INFO", 5: "DEBUG" };

/** Partitioner factories as kafkajs exports them; the double picks partitions itself (by key hash). */
export const Partitioners = {
  DefaultPartitioner: () => () => 0,
  LegacyPartitioner: () => () => 0,
  JavaCompatiblePartitioner: () => () => 0,
};

export type DoubleHeaders = Record<string, string | Buffer | Array<string | Buffer> | undefined>;

interface StoredMessage {
  seq: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  timestamp: string;
}

/** A message as the tests read it back: text, not buffers, as src/kafka.ts hands it to handlers. */
export type DoubleMessage = IncomingMessage;

export interface DoubleSend {
  producer: number;
  acks: number | undefined;
  topics: Array<{ topic: string; messages: DoubleMessage[] }>;
}

export interface DoubleCommit {
  groupId: string;
  topic: string;
  partition: number;
  offset: string;
}

export interface DoubleDelivery {
  groupId: string;
  topic: string;
  partition: number;
  offset: string;
  outcome: "in-flight" | "resolved" | "threw";
  error?: string;
}

export interface DoubleInput {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: DoubleHeaders;
  partition?: number;
}

const tp = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const toBuffer = (value: string | Buffer | null | undefined): Buffer | null =>
  value === null || value === undefined ? null : Buffer.isBuffer(value) ? value : Buffer.from(value);

/** FNV-1a over the key's bytes: stable, so one key always lands on one partition. */
function hashKey(key: Buffer): number {
  let hash = 0x811c9dc5;
  for (const byte of key) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

function toHeaders(headers: DoubleHeaders | undefined): Record<string, Buffer> {
  const result: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    result[name] = toBuffer(last) as Buffer;
  }
  return result;
}

function decode(topic: string, partition: number, message: StoredMessage): DoubleMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? null,
    value: message.value?.toString() ?? null,
    headers: Object.fromEntries(Object.entries(message.headers).map(([name, value]) => [name, value.toString()])),
  };
}

/** The errors the double throws, named like kafkajs's. */
export class KafkaJSDoubleError extends Error {
  constructor(
    message: string,
    readonly retriable = true,
  ) {
    super(message);
    this.name = retriable ? "KafkaJSError" : "KafkaJSNonRetriableError";
  }
}

/** The double's "cluster": topics, groups and the record of everything done to them. */
export class KafkaDoubleState {
  partitionsPerTopic = 3;
  /** Pause after an `eachMessage` that threw before the consumer reads again. */
  retryDelayMs = 20;

  readonly topics = new Map<string, StoredMessage[][]>();
  readonly clients: Array<Record<string, unknown>> = [];
  readonly producers: ProducerDouble[] = [];
  readonly consumers: ConsumerDouble[] = [];
  readonly admins: AdminDouble[] = [];
  readonly sends: DoubleSend[] = [];
  readonly commits: DoubleCommit[] = [];
  readonly deliveries: DoubleDelivery[] = [];
  readonly createdTopics: string[] = [];
  /** Committed offsets per group, by topic and partition. */
  readonly committed = new Map<string, Map<string, bigint>>();

  private seq = 0;
  private roundRobin = new Map<string, number>();
  private failingSends: Error[] = [];
  private stalledSends = 0;

  /** Forgets everything; consumers still running are stopped. */
  reset(): void {
    for (const consumer of this.consumers) consumer.forceStop();
    this.topics.clear();
    this.clients.length = 0;
    this.producers.length = 0;
    this.consumers.length = 0;
    this.admins.length = 0;
    this.sends.length = 0;
    this.commits.length = 0;
    this.deliveries.length = 0;
    this.createdTopics.length = 0;
    this.committed.clear();
    this.roundRobin.clear();
    this.failingSends = [];
    this.stalledSends = 0;
    this.partitionsPerTopic = 3;
    this.retryDelayMs = 20;
  }

  createTopic(topic: string, partitions = this.partitionsPerTopic): boolean {
    if (this.topics.has(topic)) return false;
    this.topics.set(
      topic,
      Array.from({ length: partitions }, () => []),
    );
    this.createdTopics.push(topic);
    for (const consumer of this.consumers) consumer.wake();
    return true;
  }

  /** The next `count` producer sends reject (with `message`), as when the brokers are unreachable. */
  failNextSends(count: number, message = "Connection error: connect ECONNREFUSED (kafkajs double)"): void {
    for (let i = 0; i < count; i++) this.failingSends.push(new KafkaJSDoubleError(message));
  }

  /** Injected send faults not used up yet. */
  get pendingSendFaults(): number {
    return this.failingSends.length + this.stalledSends;
  }

  /** The next `count` producer sends never settle, as when a broker stops answering. */
  stallNextSends(count: number): void {
    this.stalledSends += count;
  }

  /** A message produced by another system (not through a producer of the module under test). */
  deliver(topic: string, message: DoubleInput): { partition: number; offset: string } {
    return this.append(topic, message, true);
  }

  /**
   * Hands `topic[partition]@offset` to group `groupId` again, as after a lost commit and a
   * restart: the owning member's position goes back to that offset (commits are untouched).
   */
  redeliver(groupId: string, topic: string, partition: number, offset: string): void {
    const owner = this.members(groupId).find((member) => member.owns(topic, partition));
    if (!owner) throw new Error(`kafkajs double: no running member of ${groupId} owns ${topic}[${partition}]`);
    owner.rewind(topic, partition, BigInt(offset));
  }

  /** Every message of a topic, in the order they were appended. */
  messages(topic: string): DoubleMessage[] {
    const partitions = this.topics.get(topic) ?? [];
    return partitions
      .flatMap((log, partition) => log.map((message) => ({ message, partition })))
      .sort((a, b) => a.message.seq - b.message.seq)
      .map(({ message, partition }) => decode(topic, partition, message));
  }

  committedOffset(groupId: string, topic: string, partition: number): string | null {
    const offset = this.committed.get(groupId)?.get(tp(topic, partition));
    return offset === undefined ? null : offset.toString();
  }

  /** Resolves once no running consumer has a message in flight or one it could be handed. */
  async settle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const busy = this.consumers.filter((consumer) => consumer.isBusy());
      if (busy.length === 0) {
        // Twice, a tick apart: a handler that just resolved may commit or produce next.
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (this.consumers.every((consumer) => !consumer.isBusy())) return;
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`kafkajs double: consumers still busy after ${timeoutMs} ms: ${busy.map((c) => c.describe()).join("; ")}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Makes a running member of `groupId` crash, as kafkajs reports it (CRASH event); it stops. */
  crash(groupId: string, error: Error, restart: boolean): void {
    const member = this.members(groupId)[0];
    if (!member) throw new Error(`kafkajs double: no running member of ${groupId}`);
    member.crash(error, restart);
  }

  // --- used by the doubles below ---

  members(groupId: string): ConsumerDouble[] {
    return this.consumers.filter((consumer) => consumer.groupId === groupId && consumer.isRunning());
  }

  rebalance(groupId: string): void {
    for (const member of this.members(groupId)) member.resetPositions();
  }

  commit(groupId: string, topic: string, partition: number, offset: bigint): void {
    let offsets = this.committed.get(groupId);
    if (!offsets) this.committed.set(groupId, (offsets = new Map()));
    offsets.set(tp(topic, partition), offset);
    this.commits.push({ groupId, topic, partition, offset: offset.toString() });
  }

  takeSendFault(): Error | "stall" | null {
    if (this.stalledSends > 0) {
      this.stalledSends--;
      return "stall";
    }
    return this.failingSends.shift() ?? null;
  }

  append(topic: string, input: DoubleInput, autoCreate: boolean): { partition: number; offset: string } {
    if (!this.topics.has(topic)) {
      if (!autoCreate) throw new KafkaJSDoubleError("This server does not host this topic-partition");
      this.createTopic(topic);
    }
    const partitions = this.topics.get(topic) as StoredMessage[][];
    const key = toBuffer(input.key);
    let partition: number;
    if (input.partition !== undefined) partition = input.partition;
    else if (key) partition = hashKey(key) % partitions.length;
    else {
      partition = (this.roundRobin.get(topic) ?? 0) % partitions.length;
      this.roundRobin.set(topic, partition + 1);
    }
    const log = partitions[partition];
    if (!log) throw new KafkaJSDoubleError(`kafkajs double: ${topic} has no partition ${partition}`, false);
    const offset = String(log.length);
    log.push({
      seq: this.seq++,
      offset,
      key,
      value: toBuffer(input.value),
      headers: toHeaders(input.headers),
      timestamp: String(Date.now()),
    });
    for (const consumer of this.consumers) consumer.wake();
    return { partition, offset };
  }
}

export const kafkaDouble = new KafkaDoubleState();

function logger(
  config: Record<string, unknown>,
): (level: number, namespace: string, message: string, extra?: Record<string, unknown>) => void {
  const creator = config.logCreator as ((level: number) => LogFn) | undefined;
  const threshold = (config.logLevel as number | undefined) ?? logLevel.INFO;
  const log = creator?.(threshold);
  return (level, namespace, message, extra = {}) => {
    if (!log || level > threshold) return;
    log({ namespace, level, label: LEVEL_LABELS[level] ?? "INFO", log: { timestamp: new Date().toISOString(), message, ...extra } });
  };
}

export class ProducerDouble {
  connected = false;
  readonly index: number;

  constructor(
    readonly config: Record<string, unknown>,
    log: ReturnType<typeof logger>,
  ) {
    this.index = kafkaDouble.producers.length;
    const retry = config.retry as { retries?: number } | undefined;
    if (config.idempotent && retry?.retries !== undefined && retry.retries < Number.MAX_SAFE_INTEGER) {
      log(logLevel.WARN, "Producer", "Limiting retries for the idempotent producer may invalidate EoS guarantees");
    }
  }

  async connect(): Promise<void> {
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    this.connected = false;
  }

  async send(record: { topic: string; messages: DoubleInput[]; acks?: number }) {
    return this.sendBatch({ topicMessages: [{ topic: record.topic, messages: record.messages }], acks: record.acks });
  }

  async sendBatch(batch: { topicMessages?: Array<{ topic: string; messages: DoubleInput[] }>; acks?: number; timeout?: number }) {
    if (!this.connected) throw new KafkaJSDoubleError("The producer is disconnected");
    if (this.config.idempotent && batch.acks !== -1) {
      throw new KafkaJSDoubleError("Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees", false);
    }
    const fault = kafkaDouble.takeSendFault();
    if (fault === "stall") return new Promise<never>(() => undefined);
    if (fault) throw fault;
    const autoCreate = this.config.allowAutoTopicCreation !== false;
    const record: DoubleSend = { producer: this.index, acks: batch.acks, topics: [] };
    const metadata: Array<{ topicName: string; partition: number; errorCode: number; baseOffset: string }> = [];
    for (const { topic, messages } of batch.topicMessages ?? []) {
      const appended: DoubleMessage[] = [];
      for (const message of messages) {
        const { partition, offset } = kafkaDouble.append(topic, message, autoCreate);
        const stored = (kafkaDouble.topics.get(topic) as StoredMessage[][])[partition][Number(offset)];
        appended.push(decode(topic, partition, stored));
        metadata.push({ topicName: topic, partition, errorCode: 0, baseOffset: offset });
      }
      record.topics.push({ topic, messages: appended });
    }
    kafkaDouble.sends.push(record);
    return metadata;
  }
}

type EachMessage = (payload: {
  topic: string;
  partition: number;
  message: {
    offset: string;
    key: Buffer | null;
    value: Buffer | null;
    headers: Record<string, Buffer>;
    timestamp: string;
    attributes: number;
  };
  heartbeat(): Promise<void>;
  pause(): () => void;
}) => Promise<void>;

export class ConsumerDouble {
  readonly events = { CRASH: "consumer.crash", GROUP_JOIN: "consumer.group_join", COMMIT_OFFSETS: "consumer.commit_offsets" } as const;
  connected = false;
  subscriptions: string[] = [];
  fromBeginning = false;
  runConfig: Record<string, unknown> | null = null;

  private running = false;
  private inFlight: string | null = null;
  private pumping = false;
  private wakeScheduled = false;
  private blockedUntil = 0;
  private blockTimer: NodeJS.Timeout | null = null;
  private readonly positions = new Map<string, bigint>();
  private readonly seeks = new Map<string, bigint>();
  private readonly pausedSlots = new Set<string>();
  private readonly listeners = new Map<string, Array<(event: unknown) => void>>();
  private cursor = 0;

  constructor(
    readonly config: Record<string, unknown> & { groupId: string },
    private readonly log: ReturnType<typeof logger>,
  ) {}

  get groupId(): string {
    return this.config.groupId;
  }

  isRunning(): boolean {
    return this.running;
  }

  async connect(): Promise<void> {
    this.connected = true;
  }

  async subscribe(subscription: { topics?: string[]; topic?: string; fromBeginning?: boolean }): Promise<void> {
    if (!this.connected) throw new KafkaJSDoubleError("kafkajs double: subscribe before connect");
    const topics = subscription.topics ?? (subscription.topic ? [subscription.topic] : []);
    for (const topic of topics) {
      if (typeof topic !== "string") throw new KafkaJSDoubleError("kafkajs double: only topic names are supported", false);
      if (!kafkaDouble.topics.has(topic)) kafkaDouble.createTopic(topic);
    }
    this.subscriptions.push(...topics);
    this.fromBeginning = Boolean(subscription.fromBeginning);
  }

  async run(config: Record<string, unknown> & { eachMessage?: EachMessage }): Promise<void> {
    if (this.runConfig) {
      this.log(logLevel.WARN, "Consumer", "consumer#run was called, but the consumer is already running");
      return;
    }
    if (!config.eachMessage) throw new KafkaJSDoubleError("kafkajs double: only eachMessage is supported", false);
    this.runConfig = config;
    this.running = true;
    this.log(logLevel.INFO, "Consumer", "Starting", { groupId: this.groupId });
    kafkaDouble.rebalance(this.groupId);
    this.emit(this.events.GROUP_JOIN, { groupId: this.groupId });
  }

  async commitOffsets(offsets: Array<{ topic: string; partition: number; offset: string }>): Promise<void> {
    if (!this.runConfig) throw new KafkaJSDoubleError("Consumer group was not initialized, consumer#run must be called first", false);
    for (const { topic, partition, offset } of offsets) {
      let value: bigint;
      try {
        value = BigInt(offset);
      } catch {
        throw new KafkaJSDoubleError(`Invalid offset, expected a long received ${offset}`, false);
      }
      if (value < 0n) throw new KafkaJSDoubleError("Offset must not be a negative number", false);
      // kafkajs drops commits of a consumer that is no longer running (with a debug log).
      if (!this.running) return;
      kafkaDouble.commit(this.groupId, topic, partition, value);
    }
    this.emit(this.events.COMMIT_OFFSETS, { groupId: this.groupId, topics: offsets });
  }

  seek({ topic, partition, offset }: { topic: string; partition: number; offset: string }): void {
    if (!this.runConfig) throw new KafkaJSDoubleError("Consumer group was not initialized, consumer#run must be called first", false);
    this.seeks.set(tp(topic, partition), BigInt(offset));
    this.wake();
  }

  pause(topics: Array<{ topic: string; partitions?: number[] }>): void {
    if (!this.runConfig) throw new KafkaJSDoubleError("Consumer group was not initialized, consumer#run must be called first", false);
    for (const { topic, partitions } of topics) {
      for (const partition of partitions ?? this.partitionsOf(topic)) this.pausedSlots.add(tp(topic, partition));
    }
  }

  resume(topics: Array<{ topic: string; partitions?: number[] }>): void {
    if (!this.runConfig) throw new KafkaJSDoubleError("Consumer group was not initialized, consumer#run must be called first", false);
    for (const { topic, partitions } of topics) {
      for (const partition of partitions ?? this.partitionsOf(topic)) this.pausedSlots.delete(tp(topic, partition));
    }
    this.wake();
  }

  paused(): Array<{ topic: string; partitions: number[] }> {
    const byTopic = new Map<string, number[]>();
    for (const slot of this.pausedSlots) {
      const [topic, partition] = slot.split("\u0000");
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), Number(partition)]);
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  }

  on(event: string, listener: (event: unknown) => void): () => void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return () =>
      this.listeners.set(
        event,
        (this.listeners.get(event) ?? []).filter((l) => l !== listener),
      );
  }

  async stop(): Promise<void> {
    // kafkajs lets the message in progress finish before it leaves the group.
    while (this.inFlight) await new Promise((resolve) => setTimeout(resolve, 2));
    this.leave();
  }

  async disconnect(): Promise<void> {
    await this.stop();
    this.connected = false;
  }

  // --- controlled by kafkaDouble ---

  forceStop(): void {
    this.leave();
    this.connected = false;
  }

  crash(error: Error, restart: boolean): void {
    this.log(logLevel.ERROR, "Consumer", `Crash: ${error.name}: ${error.message}`, { groupId: this.groupId });
    this.leave();
    this.emit(this.events.CRASH, { type: this.events.CRASH, payload: { error, groupId: this.groupId, restart } });
  }

  owns(topic: string, partition: number): boolean {
    if (!this.running || !this.subscriptions.includes(topic)) return false;
    const members = kafkaDouble.members(this.groupId);
    return members[partition % members.length] === this;
  }

  rewind(topic: string, partition: number, offset: bigint): void {
    this.positions.set(tp(topic, partition), offset);
    this.wake();
  }

  resetPositions(): void {
    this.positions.clear();
    this.wake();
  }

  isBusy(): boolean {
    if (!this.running) return false;
    if (this.inFlight) return true;
    // A paused partition with messages left is still work to do (it waits for a resume).
    return this.assigned().some(
      ({ topic, partition }) =>
        this.position(topic, partition) < BigInt(this.log_(topic, partition).length) || this.seeks.has(tp(topic, partition)),
    );
  }

  describe(): string {
    const pending = this.assigned()
      .filter(({ topic, partition }) => this.position(topic, partition) < BigInt(this.log_(topic, partition).length))
      .map(
        ({ topic, partition }) =>
          `${topic}[${partition}]@${this.position(topic, partition)}${this.pausedSlots.has(tp(topic, partition)) ? " (paused)" : ""}`,
      );
    return `${this.groupId}: ${this.inFlight ? `handling ${this.inFlight}; ` : ""}pending ${pending.join(", ") || "none"}`;
  }

  wake(): void {
    if (!this.running || this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      void this.pump();
    });
  }

  // --- internals ---

  private emit(event: string, payload: unknown): void {
    for (const listener of this.listeners.get(event) ?? []) listener(payload);
  }

  private leave(): void {
    if (!this.running) return;
    this.running = false;
    if (this.blockTimer) clearTimeout(this.blockTimer);
    kafkaDouble.rebalance(this.groupId);
  }

  private partitionsOf(topic: string): number[] {
    return (kafkaDouble.topics.get(topic) ?? []).map((_, partition) => partition);
  }

  private log_(topic: string, partition: number): StoredMessage[] {
    return kafkaDouble.topics.get(topic)?.[partition] ?? [];
  }

  private assigned(): Array<{ topic: string; partition: number }> {
    return this.subscriptions.flatMap((topic) =>
      this.partitionsOf(topic)
        .filter((partition) => this.owns(topic, partition))
        .map((partition) => ({ topic, partition })),
    );
  }

  /** Where this member reads next: its position, else the committed offset, else start or end. */
  private position(topic: string, partition: number): bigint {
    const slot = tp(topic, partition);
    let position = this.positions.get(slot);
    if (position === undefined) {
      const committed = kafkaDouble.committedOffset(this.groupId, topic, partition);
      position = committed !== null ? BigInt(committed) : this.fromBeginning ? 0n : BigInt(this.log_(topic, partition).length);
      this.positions.set(slot, position);
    }
    return position;
  }

  private next(): { topic: string; partition: number; message: StoredMessage } | null {
    const assigned = this.assigned();
    // Seeks take effect at the next "fetch", also for paused partitions.
    for (const { topic, partition } of assigned) {
      const slot = tp(topic, partition);
      const seek = this.seeks.get(slot);
      if (seek !== undefined) {
        this.seeks.delete(slot);
        this.positions.set(slot, seek);
      }
    }
    for (let i = 0; i < assigned.length; i++) {
      const { topic, partition } = assigned[(this.cursor + i) % assigned.length];
      if (this.pausedSlots.has(tp(topic, partition))) continue;
      const message = this.log_(topic, partition)[Number(this.position(topic, partition))];
      if (message) {
        this.cursor = (this.cursor + i + 1) % assigned.length;
        return { topic, partition, message };
      }
    }
    return null;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.running && Date.now() >= this.blockedUntil) {
        const next = this.next();
        if (!next) break;
        await this.handOver(next.topic, next.partition, next.message);
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.pumping = false;
    }
  }

  private async handOver(topic: string, partition: number, message: StoredMessage): Promise<void> {
    const eachMessage = this.runConfig?.eachMessage as EachMessage;
    const delivery: DoubleDelivery = { groupId: this.groupId, topic, partition, offset: message.offset, outcome: "in-flight" };
    kafkaDouble.deliveries.push(delivery);
    this.inFlight = `${topic}[${partition}]@${message.offset}`;
    try {
      await eachMessage({
        topic,
        partition,
        message: {
          offset: message.offset,
          key: message.key ? Buffer.from(message.key) : null,
          value: message.value ? Buffer.from(message.value) : null,
          headers: Object.fromEntries(Object.entries(message.headers).map(([name, value]) => [name, Buffer.from(value)])),
          timestamp: message.timestamp,
          attributes: 0,
        },
        heartbeat: async () => undefined,
        pause: () => {
          this.pause([{ topic, partitions: [partition] }]);
          return () => this.resume([{ topic, partitions: [partition] }]);
        },
      });
      delivery.outcome = "resolved";
      // kafkajs resolves the offset in memory (a pending seek replaces it before the next fetch).
      this.positions.set(tp(topic, partition), BigInt(message.offset) + 1n);
    } catch (err) {
      delivery.outcome = "threw";
      delivery.error = (err as Error).message;
      this.log(logLevel.ERROR, "Runner", "Error when calling eachMessage", { topic, partition, offset: message.offset, error: err });
      // kafkajs restarts the fetch loop (all partitions) with backoff and reads from the position again.
      this.blockedUntil = Date.now() + kafkaDouble.retryDelayMs;
      this.blockTimer = setTimeout(() => this.wake(), kafkaDouble.retryDelayMs);
    } finally {
      this.inFlight = null;
    }
  }
}

export class AdminDouble {
  connected = false;

  async connect(): Promise<void> {
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    this.connected = false;
  }

  async listTopics(): Promise<string[]> {
    return [...kafkaDouble.topics.keys()];
  }

  async createTopics({ topics }: { topics: Array<{ topic: string; numPartitions?: number }>; waitForLeaders?: boolean }): Promise<boolean> {
    let created = false;
    for (const { topic, numPartitions } of topics) {
      if (kafkaDouble.createTopic(topic, numPartitions && numPartitions > 0 ? numPartitions : undefined)) created = true;
    }
    return created;
  }
}

/** The double's `Kafka` client: records its config and hands out producer, consumer and admin doubles. */
export class Kafka {
  private readonly log: ReturnType<typeof logger>;

  constructor(readonly config: Record<string, unknown>) {
    kafkaDouble.clients.push(config);
    this.log = logger(config);
  }

  producer(config: Record<string, unknown> = {}): ProducerDouble {
    const producer = new ProducerDouble(config, this.log);
    kafkaDouble.producers.push(producer);
    return producer;
  }

  consumer(config: Record<string, unknown> & { groupId: string }): ConsumerDouble {
    if (!config?.groupId) throw new KafkaJSDoubleError("Consumer groupId must be a non-empty string.", false);
    const consumer = new ConsumerDouble(config, this.log);
    kafkaDouble.consumers.push(consumer);
    return consumer;
  }

  admin(): AdminDouble {
    const admin = new AdminDouble();
    kafkaDouble.admins.push(admin);
    return admin;
  }
}
