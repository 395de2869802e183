/**
 * src/kafka.ts, the one module that uses kafkajs, against the in-memory kafkajs test double
 * (test/helpers/kafkajs-double.ts): producer settings, batching, and the consumer's commit and
 * retry rules. The real-broker counterpart is test/integration/kafka-real.spec.ts.
 */
// jest.mock is hoisted above the imports, so the double is loaded with require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
jest.mock("kafkajs", () => require("../helpers/kafkajs-double"));

import { connectKafka, type IncomingMessage, type KafkaLink } from "../../src/kafka";
import { kafkaDouble } from "../helpers/kafkajs-double";
import { waitFor } from "../helpers/processes";

interface Logged {
  level: "info" | "warn" | "error";
  message: string;
}

let logged: Logged[];
let links: KafkaLink[];

const logger = {
  info: (message: string) => logged.push({ level: "info", message }),
  warn: (message: string) => logged.push({ level: "warn", message }),
  error: (message: string) => logged.push({ level: "error", message }),
};

async function connect(retry = { initialMs: 5, maxMs: 40 }, publishTimeoutMs?: number): Promise<KafkaLink> {
  const link = await connectKafka({ brokers: ["kafka-double:9092"], clientId: "habit-tracker-test", logger, retry, publishTimeoutMs });
  links.push(link);
  return link;
}

beforeEach(() => {
  kafkaDouble.reset();
  logged = [];
  links = [];
});

afterEach(async () => {
  await Promise.all(links.map((link) => link.close()));
});

describe("producer (kafkajs test double)", () => {
  it("is idempotent with one request in flight, and sends with acks from all replicas (kafkajs test double)", async () => {
    const link = await connect();
    expect(kafkaDouble.clients).toHaveLength(1);
    expect(kafkaDouble.clients[0]).toMatchObject({ clientId: "habit-tracker-test", brokers: ["kafka-double:9092"] });
    expect(kafkaDouble.producers).toHaveLength(1);
    expect(kafkaDouble.producers[0].config).toMatchObject({ idempotent: true, maxInFlightRequests: 1 });
    expect(kafkaDouble.producers[0].connected).toBe(true);

    await link.publish([{ topic: "t.one", key: "u1", value: "{}" }]);
    expect(kafkaDouble.sends).toHaveLength(1);
    expect(kafkaDouble.sends[0].acks).toBe(-1);
  });

  it("groups one publish call's messages by topic into one sendBatch, keeping their order (kafkajs test double)", async () => {
    const link = await connect();
    await link.publish([
      { topic: "t.a", key: "user-1", value: '{"n":1}', headers: { event: "a", "event-id": "e1" } },
      { topic: "t.b", key: null, value: '{"n":2}' },
      { topic: "t.a", key: "user-1", value: '{"n":3}', headers: { event: "a", "event-id": "e3" } },
    ]);
    expect(kafkaDouble.sends).toHaveLength(1);
    const [send] = kafkaDouble.sends;
    expect(send.topics.map((entry) => entry.topic)).toEqual(["t.a", "t.b"]);
    expect(send.topics[0].messages.map((m) => [m.key, m.value, m.headers])).toEqual([
      ["user-1", '{"n":1}', { event: "a", "event-id": "e1" }],
      ["user-1", '{"n":3}', { event: "a", "event-id": "e3" }],
    ]);
    expect(send.topics[1].messages.map((m) => [m.key, m.value])).toEqual([[null, '{"n":2}']]);
    // One key, one partition: a user's events stay in order.
    expect(send.topics[0].messages[0].partition).toBe(send.topics[0].messages[1].partition);
    expect(kafkaDouble.messages("t.a").map((m) => m.value)).toEqual(['{"n":1}', '{"n":3}']);
  });

  it("publishes nothing for an empty list (kafkajs test double)", async () => {
    const link = await connect();
    await link.publish([]);
    expect(kafkaDouble.sends).toHaveLength(0);
  });

  it("rejects when the send fails, and when it has not succeeded within the timeout (kafkajs test double)", async () => {
    const link = await connect(undefined, 50);
    kafkaDouble.failNextSends(1);
    await expect(link.publish([{ topic: "t", key: null, value: "x" }])).rejects.toThrow(/ECONNREFUSED/);
    kafkaDouble.stallNextSends(1);
    await expect(link.publish([{ topic: "t", key: null, value: "x" }])).rejects.toThrow(/timed out after 50 ms/);
    await link.publish([{ topic: "t", key: null, value: "y" }]);
    expect(kafkaDouble.messages("t").map((m) => m.value)).toEqual(["y"]);
  });
});

describe("consumer (kafkajs test double)", () => {
  it("runs with autoCommit off and reads a new group's topics from the beginning (kafkajs test double)", async () => {
    kafkaDouble.deliver("t.in", { key: "k", value: "before" });
    const link = await connect();
    const seen: IncomingMessage[] = [];
    await link.subscribe("group-1", ["t.in"], async (message) => {
      seen.push(message);
    });
    const [consumer] = kafkaDouble.consumers;
    expect(consumer.config.groupId).toBe("group-1");
    expect(consumer.runConfig).toMatchObject({ autoCommit: false });
    expect(consumer.fromBeginning).toBe(true);
    expect(consumer.subscriptions).toEqual(["t.in"]);
    await kafkaDouble.settle();
    expect(seen.map((m) => [m.topic, m.key, m.value])).toEqual([["t.in", "k", "before"]]);
  });

  it("commits the next offset only after the handler resolved (kafkajs test double)", async () => {
    const link = await connect();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];
    // What had been committed when the handler (held at the gate until released) went on.
    let committedWhileHandling: unknown[] | null = null;
    await link.subscribe("group-2", ["t.in"], async (message) => {
      await gate;
      committedWhileHandling = [...kafkaDouble.commits];
      handled.push(message.offset);
    });
    const { partition, offset } = kafkaDouble.deliver("t.in", { key: "k", value: "v", headers: { h: "1" } });
    await waitFor("the delivery", async () => (kafkaDouble.deliveries.length === 1 ? true : undefined), 5_000);
    release();
    await kafkaDouble.settle();
    expect(committedWhileHandling).toEqual([]);
    expect(handled).toEqual([offset]);
    expect(kafkaDouble.commits).toEqual([{ groupId: "group-2", topic: "t.in", partition, offset: String(Number(offset) + 1) }]);
    expect(kafkaDouble.committedOffset("group-2", "t.in", partition)).toBe("1");
  });

  it("hands the message to the handler with its key, value and headers as text (kafkajs test double)", async () => {
    const link = await connect();
    const seen: IncomingMessage[] = [];
    await link.subscribe("group-3", ["t.in"], async (message) => {
      seen.push(message);
    });
    kafkaDouble.deliver("t.in", {
      key: Buffer.from("key-1"),
      value: Buffer.from('{"a":1}'),
      headers: { event: Buffer.from("x"), multi: ["1", "2"] },
      partition: 0,
    });
    kafkaDouble.deliver("t.in", { key: null, value: null, partition: 0 });
    await kafkaDouble.settle();
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ topic: "t.in", key: "key-1", value: '{"a":1}', headers: { event: "x", multi: "2" }, offset: "0" });
    expect(seen[1]).toMatchObject({ key: null, value: null, headers: {} });
  });

  it("does not commit when the handler throws, hands the same message over again, and keeps the partition's order (kafkajs test double)", async () => {
    const link = await connect();
    const attempts: string[] = [];
    /** Commits made before each attempt: none until "first" succeeded. */
    const commitsBefore: number[] = [];
    let failuresLeft = 3;
    await link.subscribe("group-4", ["t.in"], async (message) => {
      attempts.push(message.value as string);
      commitsBefore.push(kafkaDouble.commits.length);
      if (message.value === "first" && failuresLeft-- > 0) throw new Error("downstream unavailable");
    });
    kafkaDouble.deliver("t.in", { key: "k", value: "first", partition: 0 });
    kafkaDouble.deliver("t.in", { key: "k", value: "second", partition: 0 });
    await kafkaDouble.settle();
    expect(commitsBefore).toEqual([0, 0, 0, 0, 1]);
    // Never skipped: three failures, then the success, then the next message.
    expect(attempts).toEqual(["first", "first", "first", "first", "second"]);
    expect(kafkaDouble.commits.map((c) => c.offset)).toEqual(["1", "2"]);
    const warnings = logged.filter((l) => l.level === "warn" && l.message.includes("failed"));
    expect(warnings).toHaveLength(3);
    expect(warnings[0].message).toMatch(/group-4: message t\.in\[0\]@0 failed \(downstream unavailable\); retrying in \d+ ms/);
  });

  it("backs off longer after each failure in a row (kafkajs test double)", async () => {
    const link = await connect({ initialMs: 20, maxMs: 80 });
    const times: number[] = [];
    await link.subscribe("group-5", ["t.in"], async () => {
      times.push(Date.now());
      if (times.length < 4) throw new Error("not yet");
    });
    kafkaDouble.deliver("t.in", { key: "k", value: "v" });
    await kafkaDouble.settle();
    const gaps = times.slice(1).map((time, i) => time - times[i]);
    // 20, 40, 80 ms (±20 % jitter).
    expect(gaps[0]).toBeGreaterThanOrEqual(14);
    expect(gaps[1]).toBeGreaterThanOrEqual(30);
    expect(gaps[2]).toBeGreaterThanOrEqual(60);
  });

  it("keeps consuming other partitions while one waits to retry (kafkajs test double)", async () => {
    const link = await connect({ initialMs: 30, maxMs: 30 });
    let broken = true;
    const handled: string[] = [];
    await link.subscribe("group-6", ["t.in"], async (message) => {
      if (message.value === "stuck" && broken) throw new Error("poison until fixed");
      handled.push(message.value as string);
    });
    kafkaDouble.deliver("t.in", { value: "stuck", partition: 0 });
    kafkaDouble.deliver("t.in", { value: "other", partition: 1 });
    await waitFor("the other partition", async () => (handled.includes("other") ? true : undefined), 5_000);
    expect(kafkaDouble.committedOffset("group-6", "t.in", 1)).toBe("1");
    expect(kafkaDouble.committedOffset("group-6", "t.in", 0)).toBeNull();
    broken = false;
    await kafkaDouble.settle();
    expect(handled).toEqual(["other", "stuck"]);
    expect(kafkaDouble.committedOffset("group-6", "t.in", 0)).toBe("1");
  });

  it("a redelivered message is handed over and committed again (kafkajs test double)", async () => {
    const link = await connect();
    const handled: string[] = [];
    await link.subscribe("group-7", ["t.in"], async (message) => {
      handled.push(message.offset);
    });
    const { partition, offset } = kafkaDouble.deliver("t.in", { key: "k", value: "v" });
    await kafkaDouble.settle();
    for (let i = 0; i < 3; i++) {
      kafkaDouble.redeliver("group-7", "t.in", partition, offset);
      await kafkaDouble.settle();
    }
    expect(handled).toEqual(["0", "0", "0", "0"]);
    expect(kafkaDouble.commits.filter((c) => c.groupId === "group-7").map((c) => c.offset)).toEqual(["1", "1", "1", "1"]);
  });

  it("starts a consumer again after a crash kafkajs does not restart by itself (kafkajs test double)", async () => {
    const link = await connect({ initialMs: 5, maxMs: 20 });
    const handled: string[] = [];
    await link.subscribe("group-8", ["t.in"], async (message) => {
      handled.push(message.value as string);
    });
    kafkaDouble.crash("group-8", Object.assign(new Error("not authorized"), { name: "KafkaJSProtocolError" }), false);
    kafkaDouble.deliver("t.in", { value: "after the crash" });
    await waitFor(
      "a new consumer",
      async () => (kafkaDouble.consumers.length === 2 && kafkaDouble.consumers[1].isRunning() ? true : undefined),
      5_000,
    );
    await kafkaDouble.settle();
    expect(handled).toEqual(["after the crash"]);
    expect(logged.some((l) => l.level === "error" && l.message.includes("group-8 crashed (not authorized)"))).toBe(true);
  });

  it("close disconnects the consumers and the producer (kafkajs test double)", async () => {
    const link = await connect();
    await link.subscribe("group-9", ["t.in"], async () => {
      throw new Error("always");
    });
    kafkaDouble.deliver("t.in", { value: "v" });
    await waitFor("a failed attempt", async () => (kafkaDouble.deliveries.length > 0 ? true : undefined), 5_000);
    await link.close();
    links = [];
    expect(kafkaDouble.consumers[0].isRunning()).toBe(false);
    expect(kafkaDouble.consumers[0].connected).toBe(false);
    expect(kafkaDouble.producers[0].connected).toBe(false);
    await expect(link.subscribe("group-10", ["t.in"], async () => undefined)).rejects.toThrow(/closed/);
  });
});

describe("topics and logs (kafkajs test double)", () => {
  it("ensureTopics creates only the missing topics (kafkajs test double)", async () => {
    kafkaDouble.createTopic("t.exists");
    const link = await connect();
    await link.ensureTopics(["t.exists", "t.new", "t.new"]);
    expect(kafkaDouble.createdTopics).toEqual(["t.exists", "t.new"]);
    expect(kafkaDouble.admins.every((admin) => !admin.connected)).toBe(true);
  });

  it("routes kafkajs's own logs to the logger, without message contents (kafkajs test double)", async () => {
    const link = await connect();
    // The double, like kafkajs, warns when an idempotent producer's retries are bounded.
    expect(logged).toContainEqual({
      level: "warn",
      message: "kafkajs Producer: Limiting retries for the idempotent producer may invalidate EoS guarantees",
    });
    await link.subscribe("group-11", ["t.in"], async () => {
      throw new Error("handler failed");
    });
    expect(logged.some((l) => l.level === "info" && l.message.startsWith("kafkajs Consumer: Starting (groupId=group-11)"))).toBe(true);
    kafkaDouble.deliver("t.in", { key: "secret-key", value: "secret-value" });
    await waitFor("two attempts", async () => (kafkaDouble.deliveries.length >= 2 ? true : undefined), 5_000);
    expect(logged.map((l) => l.message).join("\n")).not.toMatch(/secret-value/);
  });
});
