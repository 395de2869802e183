/**
 * The outbox relay and a consumer cursor together, on real Postgres (cluster pass): the cursor
 * follows commit order, so an event whose transaction commits after a later-numbered one is
 * still handed over; unwanted events are passed over; two consuming nodes hand each event over
 * once. No broker event reaches the consumer here: the cursor alone must do it.
 */
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { Client } from "pg";
import { randomUUID } from "node:crypto";
import { DbMixin } from "../../../mixins/db.mixin";
import { OutboxMixin } from "../../../mixins/outbox.mixin";
import { OutboxConsumerMixin, type OutboxEvent } from "../../../mixins/outbox-consumer.mixin";
import { loadConfig } from "../../../src/config";
import { openDatabase, type Database } from "../../../src/database";
import { migrate } from "../../../src/migrate";
import { describeCluster, freshDatabase } from "../../helpers/env";
import { waitFor } from "../../helpers/processes";

jest.setTimeout(30_000);

let database: Database;
const db = () => DbMixin({ table: "outbox", database: () => database, poolMax: 2 });

function consumerSchema(name: string, seen: string[]): ServiceSchema {
  return {
    name,
    mixins: [db(), OutboxConsumerMixin({ consumer: "test", events: ["thing.happened"], pollIntervalMs: 50, batchSize: 3 })],
    methods: {
      async handleOutboxEvents(events: OutboxEvent[]) {
        seen.push(...events.map((event) => String(event.payload.n)));
      },
    },
  } as ServiceSchema;
}

describeCluster("OutboxConsumerMixin with the outbox relay (real Postgres)", () => {
  let drop: () => Promise<void>;
  let client: Client;
  const brokers: ServiceBroker[] = [];
  const seen: string[] = [];

  const record = (db: Client, event: string, n: string) =>
    db.query("INSERT INTO outbox (event_id, event, user_id, payload) VALUES ($1, $2, NULL, $3) RETURNING id", [
      randomUUID(),
      event,
      JSON.stringify({ n }),
    ]);

  beforeAll(async () => {
    const fresh = await freshDatabase();
    drop = fresh.drop;
    const config = loadConfig({ DATABASE_URL: fresh.url });
    database = await openDatabase(config);
    await migrate(database.connection);
    // One node relays; two nodes consume with the same cursor.
    const relay = new ServiceBroker({ logger: false, nodeID: "relay" });
    relay.createService({ name: "producer", mixins: [db(), OutboxMixin({ pollIntervalMs: 50 })] } as ServiceSchema);
    const first = new ServiceBroker({ logger: false, nodeID: "c1" });
    first.createService(consumerSchema("consumer", seen));
    const second = new ServiceBroker({ logger: false, nodeID: "c2" });
    second.createService(consumerSchema("consumer", seen));
    brokers.push(relay, first, second);
    await Promise.all(brokers.map((broker) => broker.start()));
    client = new Client(database.connection);
    await client.connect();
  });

  afterAll(async () => {
    await Promise.all(brokers.map((broker) => broker.stop()));
    await client?.end();
    await database?.close();
    await drop?.();
  });

  it("hands over an event committed after a later-numbered one, each event once, in commit order", async () => {
    const late = new Client(database.connection);
    await late.connect();
    await late.query("BEGIN");
    const lateId = Number((await record(late, "thing.happened", "late")).rows[0].id);
    const earlyId = Number((await record(client, "thing.happened", "early")).rows[0].id);
    // Numbered before, committed after: a cursor over ids would pass it by for good.
    expect(lateId).toBeLessThan(earlyId);
    await waitFor("the early event", async () => (seen.includes("early") ? true : undefined));
    await late.query("COMMIT");
    await late.end();
    await waitFor("the late event", async () => (seen.includes("late") ? true : undefined));
    // An event recorded after both: once it is seen, everything before it has been handed over.
    await record(client, "thing.happened", "after");
    await waitFor("the event after", async () => (seen.includes("after") ? true : undefined));
    expect(seen).toEqual(["early", "late", "after"]);
  });

  it("passes over unwanted events, and hands a backlog over in batches, in order, once", async () => {
    seen.length = 0;
    for (let i = 0; i < 10; i++) {
      await record(client, i % 2 === 0 ? "thing.happened" : "other.happened", String(i));
    }
    await waitFor("five events", async () => (seen.length >= 5 ? true : undefined));
    await record(client, "thing.happened", "after");
    await waitFor("the event after", async () => (seen.includes("after") ? true : undefined));
    expect(seen).toEqual(["0", "2", "4", "6", "8", "after"]);
    // An unwanted tail is passed over too: the cursor moves to the newest stamp.
    await record(client, "other.happened", "tail");
    const cursorAtTop = async () => {
      const { rows } = await client.query<{ position: string; top: string | null }>(
        "SELECT position, (SELECT max(published_seq) FROM outbox) AS top FROM outbox_cursors WHERE consumer = 'test'",
      );
      const tailStamped =
        (await client.query("SELECT 1 FROM outbox WHERE payload->>'n' = 'tail' AND published_seq IS NOT NULL")).rows.length > 0;
      return tailStamped && rows[0].position === rows[0].top ? true : undefined;
    };
    await waitFor("the cursor past the unwanted tail", cursorAtTop);
    expect(seen).not.toContain("tail");
  });
});
