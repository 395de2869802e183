/**
 * The guarantees a warm cache must keep (issue 10, check 2), on a node whose caches are warm:
 * another user's habit is still 404; a revoked token is still 401, also after Redis restarts
 * empty (its own redis-server); and an edit of a habit's schedule, target or start date shows in
 * the very next read, as the rules compute it. (A streak read through a second gateway right
 * after a check-in is fresh: cluster.spec.ts, "both gateways see a check-in made through the
 * other at once".) Cluster pass: the node keeps its store on a Redis of its own, on real Postgres.
 */
import { nodeSuite } from "../helpers/node-suite";
import { describeCluster } from "../helpers/env";
import { waitFor } from "../helpers/processes";
import { OwnRedis } from "../helpers/redis-server";
import { addDays, todayIn } from "../../lib/dates";
import { computeProgress, streakView } from "../../lib/progress";
import type { CheckinFacts, Schedule, Target } from "../../lib/habit-rules";

jest.setTimeout(90_000);

let redis: OwnRedis;
const suite = nodeSuite(
  async () => {
    redis = await OwnRedis.start();
    // The store (denylist, sessions, caches) on the Redis that restarts; the transporter on the shared one
    // (Moleculer's Redis transporter leaves a client reconnecting forever after its Redis went away once).
    return { REDIS_URL: redis.url, TRANSPORTER: process.env.TEST_REDIS_URL };
  },
  () => redis.stop(),
);

const TODAY = todayIn("UTC", new Date());
const day = (offset: number) => addDays(TODAY, offset);

async function habitOf(token: string, body: object): Promise<string> {
  const created = await suite.api.post("/habits", body, token);
  expect(created.status).toBe(201);
  return created.body.id;
}

/** Reads the habit twice, so the second read (and what follows) is served warm. */
async function warm(token: string, id: string) {
  for (let i = 0; i < 2; i++) expect((await suite.api.get(`/habits/${id}/streak`, token)).status).toBe(200);
  expect((await suite.api.get("/today", token)).status).toBe(200);
}

describeCluster("guarantees on a warm cache (cluster pass, a Redis of its own)", () => {
  it("another user's habit is 404 on every route while the owner's reads are warm", async () => {
    const owner = await suite.newUser();
    const stranger = await suite.newUser();
    const id = await habitOf(owner, { name: "private", startDate: day(-3) });
    expect((await suite.api.request("PUT", `/habits/${id}/checkins/${TODAY}`, { body: {}, token: owner })).status).toBe(201);
    await warm(owner, id);
    await warm(stranger, await habitOf(stranger, { name: "own" }));
    for (const [method, path] of [
      ["GET", `/habits/${id}`],
      ["GET", `/habits/${id}/streak`],
      ["GET", `/habits/${id}/stats`],
      ["GET", `/habits/${id}/checkins`],
      ["PUT", `/habits/${id}/checkins/${TODAY}`],
      ["DELETE", `/habits/${id}/checkins/${TODAY}`],
      ["PATCH", `/habits/${id}`],
    ] as const) {
      const reply = await suite.api.request(method, path, {
        body: method === "PUT" ? { note: "x" } : method === "PATCH" ? { name: "taken" } : undefined,
        token: stranger,
      });
      expect({ method, path, status: reply.status }).toEqual({ method, path, status: 404 });
    }
    expect((await suite.api.get("/today", stranger)).body.habits.map((habit: { id: string }) => habit.id)).not.toContain(id);
    expect(await suite.query("SELECT note FROM checkins WHERE habit_id = $1", [id])).toEqual([{ note: null }]);
  });

  it("a revoked token is 401 on a warm cache, and still after Redis restarts empty", async () => {
    const email = `revoked${Date.now()}@example.com`;
    const password = "correct horse battery";
    expect((await suite.api.post("/auth/register", { email, password })).status).toBe(201);
    const kept = (await suite.api.post("/auth/login", { email, password })).body.accessToken as string;
    const revoked = (await suite.api.post("/auth/login", { email, password })).body.accessToken as string;
    const id = await habitOf(kept, { name: "walk" });
    await warm(kept, id);
    await warm(revoked, id);
    expect((await suite.api.post("/auth/logout", {}, revoked)).status).toBe(204);
    const reads = ["/me", `/habits/${id}/streak`, "/today"];
    for (const path of reads) expect((await suite.api.get(path, revoked)).status).toBe(401);

    await redis.restart();
    // Once the node is back on the new Redis, the revoked token stays revoked and the other works.
    await waitFor("the node on the restarted Redis", async () => ((await suite.api.get("/me", kept)).status === 200 ? true : undefined));
    suite.api.statuses.length = 0; // 503s while Redis was away are expected
    for (const path of reads) {
      expect({ path, status: (await suite.api.get(path, revoked)).status }).toEqual({ path, status: 401 });
      expect({ path, status: (await suite.api.get(path, kept)).status }).toEqual({ path, status: 200 });
    }
  });

  it("an edit of schedule, target or start date shows in the next read, as the rules compute it", async () => {
    const token = await suite.newUser();
    const startDate = day(-20);
    const id = await habitOf(token, { name: "read", startDate, target: { type: "at_least", value: 4, unit: "pages" } });
    const checkins: CheckinFacts[] = [];
    for (let offset = -20; offset <= 0; offset++) {
      if (offset % 4 === -1) continue; // a gap every fourth day
      const value = 2 + (-offset % 4);
      expect([200, 201]).toContain(
        (await suite.api.request("PUT", `/habits/${id}/checkins/${day(offset)}`, { body: { value }, token })).status,
      );
      checkins.push({ date: day(offset), status: "done", value });
    }
    let rules: { schedule: Schedule; target: Target; startDate: string } = {
      schedule: { type: "daily" },
      target: { type: "at_least", value: 4, unit: "pages" },
      startDate,
    };
    const expected = () =>
      streakView(computeProgress({ ...rules, today: TODAY, checkins: checkins.filter((checkin) => checkin.date >= rules.startDate) }));
    await warm(token, id);
    expect((await suite.api.get(`/habits/${id}/streak`, token)).body).toEqual(expected());
    const edits: Array<Partial<typeof rules>> = [
      { schedule: { type: "weekdays", days: [1, 3, 5] } },
      { target: { type: "at_least", value: 5, unit: "pages" } },
      { schedule: { type: "times_per_week", times: 2 } },
      { target: { type: "at_most", value: 4, unit: "pages" } },
      { startDate: day(-30) }, // earlier (moving it past a check-in is 422)
      { schedule: { type: "every_n_days", n: 2 }, target: { type: "boolean" } },
    ];
    for (const edit of edits) {
      expect((await suite.api.patch(`/habits/${id}`, edit, token)).status).toBe(200);
      rules = { ...rules, ...edit };
      expect({ edit, streak: (await suite.api.get(`/habits/${id}/streak`, token)).body }).toEqual({ edit, streak: expected() });
      const listed = (await suite.api.get("/today", token)).body.habits.find((entry: { habit: { id: string } }) => entry.habit.id === id);
      const { current, longest, unit, score } = expected();
      expect({ edit, today: { streak: listed.streak, score: listed.score } }).toEqual({
        edit,
        today: { streak: { current, longest, unit }, score },
      });
    }
  });
});
