/**
 * The Kafka bridge in a running node (all services, current mode) against the in-memory kafkajs
 * test double (test/helpers/kafkajs-double.ts): what it publishes, how its consumer groups drive
 * notifications and the streak cache, that redelivered events change nothing, that a failing
 * handler's offset stays uncommitted until a retry succeeds, and how check-ins requested by other
 * systems are validated. The same against a real broker: test/integration/kafka-real.spec.ts.
 */
// jest.mock is hoisted above the imports, so the double is loaded with require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
jest.mock("kafkajs", () => require("../helpers/kafkajs-double"));

import type { Service } from "moleculer";
import NotificationsService from "../../services/notifications.service";
import { kafkaDouble, type DoubleMessage } from "../helpers/kafkajs-double";
import { MODE } from "../helpers/env";
import { nodeSuite } from "../helpers/node-suite";
import { waitFor } from "../helpers/processes";

jest.setTimeout(90_000);

// 2026-11-21 15:00 UTC; users live in UTC.
const NOW = new Date("2026-11-21T15:00:00Z");
const TODAY = "2026-11-21";
const START = "2026-11-10";

const NOTIFICATIONS_GROUP = "habit-tracker.notifications";
const STREAK_GROUP = "habit-tracker.streak-cache";
const INGEST_GROUP = "habit-tracker.checkin-ingest";
const REQUESTS = "habit-tracker.checkin.requested";
const DEAD_LETTERS = "habit-tracker.checkin.requested.dead-letter";

const suite = nodeSuite({ KAFKA_BROKERS: "kafka-double:9092" });

beforeAll(() => suite.setClock(() => NOW));

/** A fresh user: token and id. */
async function newUser(): Promise<{ token: string; id: string }> {
  const token = await suite.newUser("UTC");
  const me = await suite.api.get("/me", token);
  expect(me.status).toBe(200);
  return { token, id: me.body.id };
}

async function newHabit(token: string, body: object = {}): Promise<string> {
  const reply = await suite.api.post("/habits", { name: "read", startDate: START, ...body }, token);
  expect(reply.status).toBe(201);
  return reply.body.id;
}

/** The user's messages on a topic, once at least `count` are there. */
function published(topic: string, userId: string, count = 1): Promise<DoubleMessage[]> {
  return waitFor(`${count} message(s) on ${topic} for ${userId}`, async () => {
    const found = kafkaDouble.messages(topic).filter((message) => message.key === userId);
    return found.length >= count ? found : undefined;
  });
}

const parse = (message: DoubleMessage) => JSON.parse(message.value as string) as Record<string, any>;
const commitsOf = (groupId: string, message: Pick<DoubleMessage, "topic" | "partition" | "offset">) =>
  kafkaDouble.commits.filter(
    (commit) =>
      commit.groupId === groupId &&
      commit.topic === message.topic &&
      commit.partition === message.partition &&
      commit.offset === String(Number(message.offset) + 1),
  ).length;
const deliveriesOf = (groupId: string, message: Pick<DoubleMessage, "topic" | "partition" | "offset">) =>
  kafkaDouble.deliveries.filter(
    (delivery) =>
      delivery.groupId === groupId &&
      delivery.topic === message.topic &&
      delivery.partition === message.partition &&
      delivery.offset === message.offset,
  ).length;

async function notificationsOf(token: string): Promise<Array<{ type: string; title: string }>> {
  const reply = await suite.api.get("/notifications", token);
  expect(reply.status).toBe(200);
  return reply.body;
}

describe(`Kafka bridge: publishing (${MODE} mode)`, () => {
  it("starts one idempotent, acks-all producer and the three consumer groups (kafkajs test double)", () => {
    expect(kafkaDouble.clients[0]).toMatchObject({ clientId: `habit-tracker-${suite.node.config.nodeId}`, brokers: ["kafka-double:9092"] });
    expect(kafkaDouble.producers.map((producer) => producer.config)).toEqual([
      expect.objectContaining({ idempotent: true, maxInFlightRequests: 1 }),
    ]);
    const groups = Object.fromEntries(kafkaDouble.consumers.map((consumer) => [consumer.groupId, consumer]));
    expect(Object.keys(groups).sort()).toEqual([INGEST_GROUP, NOTIFICATIONS_GROUP, STREAK_GROUP]);
    expect(groups[NOTIFICATIONS_GROUP].subscriptions.sort()).toEqual([
      "habit-tracker.reminder.due",
      "habit-tracker.streak.milestone",
      "habit-tracker.user.registered",
    ]);
    expect(groups[STREAK_GROUP].subscriptions.sort()).toEqual([
      "habit-tracker.checkin.recorded",
      "habit-tracker.checkin.removed",
      "habit-tracker.habit.updated",
    ]);
    expect(groups[INGEST_GROUP].subscriptions).toEqual([REQUESTS]);
    for (const consumer of kafkaDouble.consumers) expect(consumer.runConfig).toMatchObject({ autoCommit: false });
    // Every topic exists up front, the dead-letter topic included.
    expect(kafkaDouble.createdTopics).toEqual(
      expect.arrayContaining(["habit-tracker.user.registered", "habit-tracker.habit.deleted", REQUESTS, DEAD_LETTERS]),
    );
  });

  it("publishes user.registered and checkin.recorded to habit-tracker.<event>, keyed by the user id, with the event payload (kafkajs test double)", async () => {
    const user = await newUser();
    const [registered] = await published("habit-tracker.user.registered", user.id);
    expect(parse(registered)).toMatchObject({
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      userId: user.id,
      occurredAt: expect.any(String),
      user: { id: user.id, timezone: "UTC" },
    });
    expect(registered.headers).toEqual({ event: "user.registered", "event-id": parse(registered).eventId });

    const habitId = await newHabit(user.token);
    const [created] = await published("habit-tracker.habit.created", user.id);
    expect(parse(created)).toMatchObject({ userId: user.id, habit: { id: habitId, name: "read" } });

    expect((await suite.api.request("PUT", `/habits/${habitId}/checkins/${TODAY}`, { body: {}, token: user.token })).status).toBe(201);
    const [recorded] = await published("habit-tracker.checkin.recorded", user.id);
    const payload = parse(recorded);
    expect(payload).toMatchObject({
      eventId: expect.any(String),
      userId: user.id,
      habitId,
      date: TODAY,
      checkin: { habitId, date: TODAY, status: "done", completed: true },
      streak: { current: 1 },
    });
    expect(recorded.headers).toEqual({ event: "checkin.recorded", "event-id": payload.eventId });
    // Sent with acks from all replicas, every time.
    expect(kafkaDouble.sends.every((send) => send.acks === -1)).toBe(true);

    // The streak-cache group handled and committed it.
    await kafkaDouble.settle();
    expect(commitsOf(STREAK_GROUP, recorded)).toBe(1);
  });

  it("keeps publishing after failed sends: the batch is sent again, once, in order (kafkajs test double)", async () => {
    const user = await newUser();
    await published("habit-tracker.user.registered", user.id);
    kafkaDouble.failNextSends(3);
    const habitId = await newHabit(user.token);
    await suite.api.request("PUT", `/habits/${habitId}/checkins/${TODAY}`, { body: { note: "first" }, token: user.token });
    await suite.api.request("PUT", `/habits/${habitId}/checkins/${TODAY}`, { body: { note: "second" }, token: user.token });
    const recorded = await published("habit-tracker.checkin.recorded", user.id, 2);
    expect(recorded.map((message) => parse(message).checkin.note)).toEqual(["first", "second"]);
    expect(await published("habit-tracker.habit.created", user.id)).toHaveLength(1);
    expect(kafkaDouble.pendingSendFaults).toBe(0);
  });
});

describe(`Kafka bridge: notifications and the streak cache through consumer groups (${MODE} mode)`, () => {
  it("delivering the same user.registered message 10 times creates one notification; every delivery is committed (kafkajs test double)", async () => {
    const user = await newUser();
    const [registered] = await published("habit-tracker.user.registered", user.id);
    await kafkaDouble.settle();
    expect(commitsOf(NOTIFICATIONS_GROUP, registered)).toBe(1);
    expect((await notificationsOf(user.token)).map((n) => n.type)).toEqual(["welcome"]);

    // The same message, handed to the group again (as after a lost commit) ...
    for (let i = 0; i < 10; i++) {
      kafkaDouble.redeliver(NOTIFICATIONS_GROUP, registered.topic, registered.partition, registered.offset);
      await kafkaDouble.settle();
    }
    // ... and 10 copies of it produced again (as by a producer retrying).
    for (let i = 0; i < 10; i++)
      kafkaDouble.deliver(registered.topic, { key: registered.key, value: registered.value, headers: registered.headers });
    await kafkaDouble.settle();

    expect(deliveriesOf(NOTIFICATIONS_GROUP, registered)).toBe(11);
    expect(commitsOf(NOTIFICATIONS_GROUP, registered)).toBe(11);
    const copies = kafkaDouble.messages(registered.topic).filter((message) => message.key === user.id);
    expect(copies).toHaveLength(11);
    for (const copy of copies.slice(1)) expect(commitsOf(NOTIFICATIONS_GROUP, copy)).toBe(1);
    expect((await notificationsOf(user.token)).map((n) => n.type)).toEqual(["welcome"]);
  });

  it("a 7-day streak's milestone arrives through Kafka once, however often it is redelivered (kafkajs test double)", async () => {
    const user = await newUser();
    const habitId = await newHabit(user.token);
    for (const date of ["2026-11-15", "2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20", TODAY]) {
      expect((await suite.api.request("PUT", `/habits/${habitId}/checkins/${date}`, { body: {}, token: user.token })).status).toBe(201);
    }
    const [milestone] = await published("habit-tracker.streak.milestone", user.id);
    expect(parse(milestone)).toMatchObject({ userId: user.id, habitId, milestone: 7, unit: "days" });
    await kafkaDouble.settle();
    for (let i = 0; i < 10; i++) {
      kafkaDouble.redeliver(NOTIFICATIONS_GROUP, milestone.topic, milestone.partition, milestone.offset);
      await kafkaDouble.settle();
    }
    expect(commitsOf(NOTIFICATIONS_GROUP, milestone)).toBe(11);
    const types = (await notificationsOf(user.token)).map((n) => n.type).sort();
    expect(types).toEqual(["milestone", "welcome"]);
  });

  it("the streak-cache group commits a check-in event whose habit was deleted since (kafkajs test double)", async () => {
    const user = await newUser();
    const habitId = await newHabit(user.token);
    await suite.api.request("PUT", `/habits/${habitId}/checkins/${TODAY}`, { body: {}, token: user.token });
    const [recorded] = await published("habit-tracker.checkin.recorded", user.id);
    await kafkaDouble.settle();
    expect((await suite.api.request("DELETE", `/habits/${habitId}`, { token: user.token })).status).toBe(204);
    kafkaDouble.redeliver(STREAK_GROUP, recorded.topic, recorded.partition, recorded.offset);
    await kafkaDouble.settle();
    expect(commitsOf(STREAK_GROUP, recorded)).toBe(2);
  });

  it("skips and commits a message that is not JSON: it cannot come from the bridge (kafkajs test double)", async () => {
    const garbage = kafkaDouble.deliver("habit-tracker.user.registered", { key: "x", value: "{not json" });
    await kafkaDouble.settle();
    expect(commitsOf(NOTIFICATIONS_GROUP, { topic: "habit-tracker.user.registered", ...garbage })).toBe(1);
  });
});

describe(`Kafka bridge: check-ins requested by other systems (${MODE} mode)`, () => {
  const request = (value: unknown, key: string | null = null) =>
    kafkaDouble.deliver(REQUESTS, { key, value: typeof value === "string" ? value : JSON.stringify(value) });

  async function checkins(
    token: string,
    habitId: string,
  ): Promise<Array<{ date: string; status: string; value: number | null; note: string | null }>> {
    const reply = await suite.api.get(`/habits/${habitId}/checkins?from=${START}&to=${TODAY}`, token);
    expect(reply.status).toBe(200);
    return reply.body;
  }

  it("a valid request with a date records that check-in, one without records today's (kafkajs test double)", async () => {
    const user = await newUser();
    const habitId = await newHabit(user.token);
    const numericId = await newHabit(user.token, { name: "water", target: { type: "at_least", value: 8, unit: "glasses" } });
    const sent = [
      request({ userId: user.id, habitId, date: "2026-11-19", status: "skipped", note: "travel" }, user.id),
      request({ userId: user.id, habitId }, user.id),
      request({ userId: user.id, habitId: numericId, value: 9 }, user.id),
    ];
    await kafkaDouble.settle();
    expect(await checkins(user.token, habitId)).toEqual([
      expect.objectContaining({ date: "2026-11-19", status: "skipped", value: null, note: "travel" }),
      expect.objectContaining({ date: TODAY, status: "done", value: null, note: null }),
    ]);
    expect(await checkins(user.token, numericId)).toEqual([
      expect.objectContaining({ date: TODAY, status: "done", value: 9, completed: true }),
    ]);
    for (const message of sent) expect(commitsOf(INGEST_GROUP, { topic: REQUESTS, ...message })).toBe(1);
    expect(kafkaDouble.messages(DEAD_LETTERS).filter((m) => m.key === user.id)).toEqual([]);
    // Recorded like any check-in: its event goes out.
    await published("habit-tracker.checkin.recorded", user.id, 3);

    // Redelivered, it changes nothing.
    for (let i = 0; i < 10; i++) {
      kafkaDouble.redeliver(INGEST_GROUP, REQUESTS, sent[0].partition, sent[0].offset);
      await kafkaDouble.settle();
    }
    expect((await checkins(user.token, habitId)).filter((c) => c.date === "2026-11-19")).toEqual([
      expect.objectContaining({ status: "skipped", note: "travel" }),
    ]);
  });

  it("invalid requests go to the dead-letter topic with the reason, create nothing, and are committed (kafkajs test double)", async () => {
    const user = await newUser();
    const other = await newUser();
    const habitId = await newHabit(user.token);
    const othersHabit = await newHabit(other.token);
    const cases: Array<[string, unknown, RegExp]> = [
      ["bad date", { userId: user.id, habitId, date: "2026-02-30" }, /date/],
      ["future date", { userId: user.id, habitId, date: "2026-11-22" }, /dateOutOfRange/],
      ["value on a boolean habit", { userId: user.id, habitId, value: 3 }, /valueNotAllowed/],
      ["unknown field", { userId: user.id, habitId, date: TODAY, mood: "great" }, /mood/],
      ["habit id given twice", { userId: user.id, habitId, id: othersHabit }, /forbidden extra properties: id/],
      ["another user's habit", { userId: user.id, habitId: othersHabit, date: TODAY }, /Habit not found/],
      ["unknown user", { userId: "00000000-0000-4000-8000-000000000000", habitId, date: TODAY }, /No such account/],
      ["garbage JSON", "{userId:", /Invalid JSON/],
      ["not an object", [user.id, habitId], /JSON object/],
      ["missing userId", { habitId, date: TODAY }, /userId.*required/],
      ["habitId not a UUID", { userId: user.id, habitId: "42" }, /habitId.*UUID/],
    ];
    const sent = cases.map(([name, value]) => ({
      name,
      value: typeof value === "string" ? value : JSON.stringify(value),
      ...request(value, `bad-${user.id}`),
    }));
    await kafkaDouble.settle();

    const deadLetters = kafkaDouble.messages(DEAD_LETTERS).filter((message) => message.key === `bad-${user.id}`);
    expect(deadLetters).toHaveLength(cases.length);
    for (const [i, message] of sent.entries()) {
      const dead = deadLetters.find(
        (letter) => letter.headers["source-offset"] === message.offset && letter.headers["source-partition"] === String(message.partition),
      );
      expect({ case: message.name, found: Boolean(dead) }).toEqual({ case: message.name, found: true });
      expect(dead?.value).toBe(message.value);
      expect(dead?.headers["source-topic"]).toBe(REQUESTS);
      expect({ case: message.name, reason: dead?.headers.reason }).toEqual({
        case: message.name,
        reason: expect.stringMatching(cases[i][2]),
      });
      expect(commitsOf(INGEST_GROUP, { topic: REQUESTS, ...message })).toBe(1);
    }
    expect(await checkins(user.token, habitId)).toEqual([]);
    expect(await checkins(other.token, othersHabit)).toEqual([]);
  });
});

// Last: takes the notification service away and brings it back.
describe(`Kafka bridge: a failing handler (${MODE} mode)`, () => {
  it("leaves the offset uncommitted and retries the message until it succeeds (kafkajs test double)", async () => {
    const { broker } = suite.node;
    await broker.destroyService(broker.getLocalService("notifications") as Service);
    let user!: { token: string; id: string };
    let registered!: DoubleMessage;
    try {
      user = await newUser();
      [registered] = await published("habit-tracker.user.registered", user.id);
      // notifications.consume fails (no such service: retryable), again and again.
      await waitFor("retries", async () => (deliveriesOf(NOTIFICATIONS_GROUP, registered) >= 3 ? true : undefined));
      expect(commitsOf(NOTIFICATIONS_GROUP, registered)).toBe(0);
      expect(kafkaDouble.committedOffset(NOTIFICATIONS_GROUP, registered.topic, registered.partition)).not.toBe(
        String(Number(registered.offset) + 1),
      );
    } finally {
      broker.createService(NotificationsService(suite.node.runtime) as unknown as import("moleculer").ServiceSchema);
    }
    await broker.waitForServices(["notifications"]);
    await kafkaDouble.settle(30_000);
    expect(commitsOf(NOTIFICATIONS_GROUP, registered)).toBe(1);
    expect(kafkaDouble.committedOffset(NOTIFICATIONS_GROUP, registered.topic, registered.partition)).toBe(
      String(Number(registered.offset) + 1),
    );
    expect((await notificationsOf(user.token)).map((n) => n.type)).toEqual(["welcome"]);
  });
});
