/**
 * A cluster in one jest process (issue 9, check 2): a gateway broker, a domain broker (auth,
 * habits, tracking) and a notifications broker, each made by `startNode` with a runtime of its
 * own, talking over Moleculer's in-memory Fake transporter and sharing one database and one
 * store (as a real cluster shares Postgres and Redis). Runs with nothing configured; in the
 * cluster pass the database and store are the real Postgres and Redis.
 */
import fs from "node:fs";
import { startNode, type HabitNode } from "../../src/node";
import { loadConfig } from "../../src/config";
import { openDatabase, type Database } from "../../src/database";
import { migrate } from "../../src/migrate";
import { MemoryStore, RedisStore, type SharedStore } from "../../src/store";
import { addDays } from "../../lib/dates";
import { Api } from "../helpers/http";
import { MODE, baseEnv, clusterMode, freshDatabase, tempDataDir, type Env } from "../helpers/env";
import { waitFor } from "../helpers/processes";

jest.setTimeout(90_000);

const nodes: HabitNode[] = [];
let database: Database;
let store: SharedStore;
let dropDatabase: (() => Promise<void>) | null = null;
let dataDir: string;
let api: Api;

beforeAll(async () => {
  dataDir = tempDataDir();
  const shared: Env = baseEnv({ DATA_DIR: dataDir, NOTIFY_LOG: "false", DELIVERY_POLL_MS: "100" });
  if (clusterMode) {
    const fresh = await freshDatabase();
    dropDatabase = fresh.drop;
    shared.DATABASE_URL = fresh.url;
  }
  database = await openDatabase(loadConfig(shared));
  await migrate(database.connection);
  store = clusterMode
    ? await RedisStore.connect(process.env.TEST_REDIS_URL as string, `habit-tracker:${shared.NAMESPACE}:`)
    : new MemoryStore();
  const parts = { transporter: "Fake", database, store };
  for (const [name, services] of [
    ["domain", "auth,habits,tracking"],
    ["notifications", "notifications"],
    ["gateway", "api"],
  ]) {
    nodes.push(await startNode({ ...shared, NODE_ID: name, SERVICES: services }, parts));
  }
  // Every node has discovered the others (a broker event to a node not discovered yet is caught
  // up later from the outbox, which this test does not wait for).
  for (const node of nodes) await node.broker.waitForServices(["api", "auth", "habits", "tracking", "notifications"], 10_000);
  api = new Api(`http://127.0.0.1:${nodes[2].port}/api/v1`);
});

afterAll(async () => {
  for (const node of nodes.reverse()) await node.stop();
  await store?.close();
  await database?.close();
  await dropDatabase?.();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe(`three brokers in one process on the Fake transporter (${MODE} mode)`, () => {
  it("each node runs only its own services, and sees the others'", () => {
    const local = (node: HabitNode) =>
      node.broker.services
        .map((service) => service.name)
        .filter((name) => !name.startsWith("$"))
        .sort();
    expect(nodes.map(local)).toEqual([["auth", "habits", "tracking"], ["notifications"], ["api"]]);
    const remote = nodes[2].broker.registry
      .getServiceList({ onlyAvailable: true, skipInternal: true })
      .map((service) => `${service.name}@${service.nodeID}`);
    expect(remote).toEqual(expect.arrayContaining(["auth@domain", "habits@domain", "tracking@domain", "notifications@notifications"]));
  });

  it("register, a habit, a 7-day backfill through the gateway: the milestone lands in the inbox", async () => {
    const registered = await api.post("/auth/register", {
      email: `cluster-${Date.now()}@example.com`,
      password: "correct horse battery",
      timezone: "Europe/Berlin",
    });
    expect(registered.status).toBe(201);
    const token = registered.body.accessToken as string;
    const today = (await api.get("/today", token)).body.date as string;
    const habit = await api.post("/habits", { name: "Walk", startDate: addDays(today, -6) }, token);
    expect(habit.status).toBe(201);
    for (let offset = 6; offset >= 0; offset--) {
      const reply = await api.request("PUT", `/habits/${habit.body.id}/checkins/${addDays(today, -offset)}`, { body: {}, token });
      expect(reply.status).toBe(201);
    }
    expect((await api.get(`/habits/${habit.body.id}/streak`, token)).body).toMatchObject({ current: 7, completedToday: true });
    const inbox = await waitFor("the milestone in the inbox", async () => {
      const reply = await api.get("/notifications", token);
      return reply.body.some((notification: { type: string }) => notification.type === "milestone") ? reply.body : undefined;
    });
    expect(inbox.map((notification: { type: string }) => notification.type)).toEqual(["milestone", "welcome"]);
    expect(inbox[0].title).toContain("Walk");
    expect(inbox[0].title).toContain("7");
  });
});
