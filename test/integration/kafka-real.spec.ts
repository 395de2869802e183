/**
 * The Kafka bridge against a real Kafka broker: runs only where KAFKA_BROKERS is set (no broker
 * can run on the development machines, docs/architecture.md), and says so when it is skipped. The test
 * side reads and writes Kafka through src/kafka.ts too, so kafkajs stays in that one module.
 */
import { randomUUID } from "node:crypto";
import { connectKafka, type IncomingMessage, type KafkaLink } from "../../src/kafka";
import { MODE } from "../helpers/env";
import { nodeSuite } from "../helpers/node-suite";
import { waitFor } from "../helpers/processes";

const brokers = process.env.KAFKA_BROKERS?.trim() ?? "";
const describeWithKafka: jest.Describe = brokers ? describe : describe.skip;

if (!brokers) {
  const notice = "kafka-real.spec: skipped — set KAFKA_BROKERS=host:port to run against a real Kafka broker";
  console.warn(notice);
  // Jest drops the console output of a suite whose tests were all skipped: say it on stderr too.
  process.stderr.write(`${notice}\n`);
}

jest.setTimeout(120_000);

describeWithKafka(`Kafka bridge against a real broker at KAFKA_BROKERS (${MODE} mode)`, () => {
  const suite = nodeSuite({ KAFKA_BROKERS: brokers });
  const quiet = { info: () => undefined, warn: () => undefined, error: (message: string) => console.error(message) };
  let reader: KafkaLink;
  const seen: IncomingMessage[] = [];

  beforeAll(async () => {
    reader = await connectKafka({ brokers: brokers.split(","), clientId: `habit-tracker-test-${randomUUID()}`, logger: quiet });
    // A group of its own, read from the beginning: every message on these topics, old runs' too.
    await reader.subscribe(
      `habit-tracker-test-${randomUUID()}`,
      ["habit-tracker.user.registered", "habit-tracker.checkin.recorded", "habit-tracker.checkin.requested.dead-letter"],
      async (message) => {
        seen.push(message);
      },
    );
  });

  afterAll(async () => {
    await reader?.close();
  });

  it("publishes user.registered and checkin.recorded keyed by the user id, and ingests checkin.requested", async () => {
    const token = await suite.newUser("UTC");
    const userId = (await suite.api.get("/me", token)).body.id as string;
    const registered = await waitFor("user.registered on Kafka", async () =>
      seen.find((message) => message.topic === "habit-tracker.user.registered" && message.key === userId),
    );
    expect(JSON.parse(registered.value as string)).toMatchObject({ userId, eventId: registered.headers["event-id"], user: { id: userId } });

    const habit = await suite.api.post("/habits", { name: "kafka" }, token);
    expect(habit.status).toBe(201);
    const habitId = habit.body.id as string;

    // Another system asks for a check-in (today's: no date) and sends one invalid request.
    await reader.publish([
      { topic: "habit-tracker.checkin.requested", key: userId, value: JSON.stringify({ userId, habitId, note: "from kafka" }) },
      { topic: "habit-tracker.checkin.requested", key: userId, value: JSON.stringify({ userId, habitId, mood: "great" }) },
    ]);
    const checkins = await waitFor("the ingested check-in", async () => {
      const reply = await suite.api.get(`/habits/${habitId}/checkins`, token);
      return reply.status === 200 && reply.body.length > 0 ? reply.body : undefined;
    });
    expect(checkins).toEqual([expect.objectContaining({ habitId, status: "done", note: "from kafka" })]);

    const recorded = await waitFor("checkin.recorded on Kafka", async () =>
      seen.find((message) => message.topic === "habit-tracker.checkin.recorded" && message.key === userId),
    );
    expect(JSON.parse(recorded.value as string)).toMatchObject({ userId, habitId, checkin: { note: "from kafka" } });

    const deadLetter = await waitFor("the dead letter", async () =>
      seen.find((message) => message.topic === "habit-tracker.checkin.requested.dead-letter" && message.key === userId),
    );
    expect(deadLetter.headers.reason).toMatch(/mood/);
    expect(deadLetter.headers["source-topic"]).toBe("habit-tracker.checkin.requested");
  });
});
