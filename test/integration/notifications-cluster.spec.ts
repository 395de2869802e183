/**
 * Durable notifications and exactly-once reminders across separate node processes on real
 * Redis and Postgres (issue check 3). Runs in the cluster pass of scripts/test.sh.
 */
import { Client } from "pg";
import { DateTime } from "luxon";
import { describeCluster, freshDatabase, baseEnv, TEST_JWT_SECRET, type Env } from "../helpers/env";
import { NodeProcess, freePort, reportsReady, waitFor } from "../helpers/processes";
import { Api } from "../helpers/http";
import { addDays, todayIn } from "../../lib/dates";

jest.setTimeout(180_000);

describeCluster("notifications and reminders across node processes (real Redis and Postgres)", () => {
  const nodes: NodeProcess[] = [];
  let env: Env;
  let db: Client;
  let drop: () => Promise<void>;
  let api: Api;
  let counter = 0;

  const start = (name: string, services: string, extra: Env = {}) => {
    const node = NodeProcess.start(name, { ...env, SERVICES: services, ...extra });
    nodes.push(node);
    return node;
  };

  const newUser = async (timezone = "UTC") => {
    const reply = await api.post("/auth/register", {
      email: `c${Date.now()}-${counter++}@example.com`,
      password: "correct horse battery",
      timezone,
    });
    expect(reply.status).toBe(201);
    return { token: reply.body.accessToken as string, id: reply.body.user.id as string };
  };

  const count = async (sql: string, params: unknown[] = []) => Number((await db.query<{ n: string }>(sql, params)).rows[0].n);

  /**
   * Waits until the notifications consumer has handled every published event and holds no lease:
   * from then on nothing hands those events over again, so what they made is final.
   */
  const consumerCaughtUp = () =>
    waitFor(
      "the notifications consumer at the newest event, its lease given up",
      async () => {
        const { rows } = await db.query<{ position: string; top: string | null; leased: boolean }>(
          `SELECT c.position, (SELECT max(published_seq) FROM outbox) AS top, c.lease_holder IS NOT NULL AS leased
           FROM outbox_cursors c WHERE c.consumer = 'notifications'`,
        );
        const unpublished = await count("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL");
        return rows[0] && !rows[0].leased && unpublished === 0 && String(rows[0].position) === String(rows[0].top) ? true : undefined;
      },
      60_000,
    );

  beforeAll(async () => {
    const fresh = await freshDatabase();
    drop = fresh.drop;
    env = baseEnv({
      DATABASE_URL: fresh.url,
      REDIS_URL: process.env.TEST_REDIS_URL,
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: "warn",
    });
    const port = await freePort();
    start("core-1", "auth,habits,tracking");
    start("gateway-1", "api", { PORT: String(port) });
    api = new Api(`http://127.0.0.1:${port}/api/v1`);
    await waitFor("gateway ready", async () => ((await reportsReady(`http://127.0.0.1:${port}`)) ? true : undefined));
    db = new Client({ connectionString: fresh.url });
    await db.connect();
  });

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await db?.end();
    await drop?.();
  });

  it("with every notifications node down, 50 check-ins crossing milestones; a returning node catches up: each notification once, in order", async () => {
    const today = todayIn("UTC", new Date());
    const a = await newUser();
    const b = await newUser();
    // A: 35 days in a row (milestones 7 and 30); B: 15 days (milestone 7). 50 check-ins.
    for (const [user, days] of [
      [a, 35],
      [b, 15],
    ] as const) {
      const habit = await api.post("/habits", { name: `Habit of ${days}`, startDate: addDays(today, 1 - days) }, user.token);
      expect(habit.status).toBe(201);
      for (let i = 1 - days; i <= 0; i++) {
        const put = await api.request("PUT", `/habits/${habit.body.id}/checkins/${addDays(today, i)}`, { body: {}, token: user.token });
        expect(put.status).toBe(201);
      }
    }
    await waitFor("events published", async () =>
      (await count("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")) === 0 ? true : undefined,
    );
    expect(await count("SELECT count(*) AS n FROM outbox WHERE event = 'streak.milestone'")).toBe(3);
    expect(await count("SELECT count(*) AS n FROM notifications")).toBe(0);

    // Two notifications nodes come back at once: they must not both hand out the backlog.
    const logged = { LOG_LEVEL: "info" };
    const notifiers = [start("notifications-1", "notifications", logged), start("notifications-2", "notifications", logged)];
    await waitFor(
      "5 notifications",
      async () => ((await count("SELECT count(*) AS n FROM notifications")) >= 5 ? true : undefined),
      60_000,
    );
    await waitFor("5 log deliveries", async () =>
      (await count("SELECT count(*) AS n FROM deliveries WHERE state = 'sent'")) >= 5 ? true : undefined,
    );
    await consumerCaughtUp();
    expect(await count("SELECT count(*) AS n FROM notifications")).toBe(5);

    // The gateway routes to the notifications nodes once it has discovered them.
    await waitFor("the inbox through the gateway", async () =>
      (await api.get("/notifications", a.token)).status === 200 ? true : undefined,
    );
    const inboxA = (await api.get("/notifications", a.token)).body as Array<{ id: string; type: string; title: string; createdAt: string }>;
    const inboxB = (await api.get("/notifications", b.token)).body as Array<{ id: string; type: string; title: string }>;
    // Newest first, in the order the events happened.
    expect(inboxA.map((n) => n.type)).toEqual(["milestone", "milestone", "welcome"]);
    expect(inboxA[0].title).toMatch(/30/);
    expect(inboxA[1].title).toMatch(/7/);
    expect(inboxB.map((n) => n.type)).toEqual(["milestone", "welcome"]);
    // Each was printed by the log channel exactly once, by one of the two nodes.
    const logs = notifiers.map((node) => node.log).join("\n");
    for (const notification of [...inboxA, ...inboxB]) {
      expect(logs.split(`Notification ${notification.type} ${notification.id}`).length - 1).toBe(1);
    }
    expect(await count("SELECT count(*) AS n FROM deliveries WHERE attempts <> 1")).toBe(0);
  });

  it("reminders on three nodes: each due reminder fires exactly once; done, archived and deleted habits stay silent", async () => {
    // A zone where it is mid-day now, so the last two minutes are on today's date there.
    const zone = ["UTC", "Asia/Tokyo", "America/New_York"].find((candidate) => {
      const hour = DateTime.now().setZone(candidate).hour;
      return hour >= 2 && hour <= 21;
    })!;
    const local = DateTime.now().setZone(zone);
    const times = [local.minus({ minutes: 1 }).toFormat("HH:mm"), local.toFormat("HH:mm")].sort();
    const today = local.toISODate()!;
    const user = await newUser(zone);
    const due: string[] = [];
    for (let i = 0; i < 6; i++) {
      const habit = await api.post("/habits", { name: `Remind ${i}`, startDate: addDays(today, -2), reminders: times }, user.token);
      due.push(habit.body.id);
    }
    const done = (await api.post("/habits", { name: "Done", reminders: times }, user.token)).body.id;
    expect((await api.request("PUT", `/habits/${done}/checkins/${today}`, { body: {}, token: user.token })).status).toBe(201);
    const archived = (await api.post("/habits", { name: "Archived", reminders: times }, user.token)).body.id;
    await api.patch(`/habits/${archived}`, { archived: true }, user.token);
    const deleted = (await api.post("/habits", { name: "Deleted", reminders: times }, user.token)).body.id;
    await api.request("DELETE", `/habits/${deleted}`, { token: user.token });

    const fast = { REMINDER_TICK_MS: "100" };
    start("reminders-1", "reminders", fast);
    start("reminders-2", "reminders", fast);
    start("reminders-3", "reminders", fast);
    const expected = due.length * times.length;
    const reminderEvents = "SELECT count(*) AS n FROM outbox WHERE event = 'reminder.due' AND user_id = $1";
    await waitFor(`${expected} reminders`, async () => ((await count(reminderEvents, [user.id])) >= expected ? true : undefined), 60_000);
    // A habit made now, with a reminder a minute ago: the scan that fires it has also gone over
    // every earlier occurrence again, and fired none of them twice.
    const later = (await api.post("/habits", { name: "Later", startDate: addDays(today, -2), reminders: [times[0]] }, user.token)).body.id;
    await waitFor(
      "the later habit's reminder",
      async () => ((await count(`${reminderEvents} AND payload->>'habitId' = $2`, [user.id, later])) === 1 ? true : undefined),
      60_000,
    );
    expect(await count(reminderEvents, [user.id])).toBe(expected + 1);
    const { rows } = await db.query<{ habit_id: string; date: string; time: string }>(
      `SELECT payload->>'habitId' AS habit_id, payload->>'date' AS date, payload->>'time' AS time FROM outbox
        WHERE event = 'reminder.due' AND user_id = $1`,
      [user.id],
    );
    expect(new Set(rows.map((row) => `${row.habit_id} ${row.date} ${row.time}`)).size).toBe(expected + 1);
    expect(new Set(rows.map((row) => row.habit_id))).toEqual(new Set([...due, later]));
    expect(rows.every((row) => row.date === today && times.includes(row.time))).toBe(true);
    // The notifications nodes turn each into one reminder in the inbox.
    await waitFor("reminder notifications", async () => {
      const inbox = (await api.get("/notifications?limit=100", user.token)).body as Array<{ type: string }>;
      return inbox.filter((n) => n.type === "reminder").length >= expected + 1 ? inbox : undefined;
    });
    await consumerCaughtUp();
    const inbox = (await api.get("/notifications?limit=100", user.token)).body as Array<{ type: string }>;
    expect(inbox.filter((n) => n.type === "reminder")).toHaveLength(expected + 1);
  });
});
