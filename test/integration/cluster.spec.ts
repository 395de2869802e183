/**
 * A real cluster: separate node processes (SERVICES=api / SERVICES=auth) on real Redis and
 * Postgres (issue checks 5, 6 and 8). Runs in the cluster pass of scripts/test.sh.
 */
import { Client } from "pg";
import { describeCluster, freshDatabase, baseEnv, TEST_JWT_SECRET, type Env } from "../helpers/env";
import { NodeProcess, freePort, reportsReady, waitFor } from "../helpers/processes";
import { Api } from "../helpers/http";
import { loadMigrations } from "../../src/migrate";

jest.setTimeout(180_000);

describeCluster("cluster of separate node processes (real Redis and Postgres)", () => {
  const nodes: NodeProcess[] = [];
  let env: Env;
  let dropDatabase: () => Promise<void>;
  let databaseUrl: string;
  let gateways: Api[];
  let gatewayBases: string[];

  const start = (name: string, services: string, extra: Env = {}) => {
    const node = NodeProcess.start(name, { ...env, SERVICES: services, ...extra });
    nodes.push(node);
    return node;
  };

  const authReady = (base: string) =>
    waitFor(`auth reachable through ${base}`, async () => ((await reportsReady(base)) ? true : undefined));

  beforeAll(async () => {
    const db = await freshDatabase();
    databaseUrl = db.url;
    dropDatabase = db.drop;
    env = baseEnv({
      DATABASE_URL: db.url,
      REDIS_URL: process.env.TEST_REDIS_URL,
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: "warn",
      RATE_LIMIT_LOGIN: "10",
      TRUST_PROXY: "true",
    });
    // Two auth nodes start at once against the empty database (check 8), with two gateways.
    const ports = [await freePort(), await freePort()];
    start("auth-1", "auth,habits,tracking");
    start("auth-2", "auth,habits,tracking");
    start("gateway-1", "api", { PORT: String(ports[0]) });
    start("gateway-2", "api", { PORT: String(ports[1]) });
    gatewayBases = ports.map((port) => `http://127.0.0.1:${port}`);
    gateways = gatewayBases.map((base) => new Api(`${base}/api/v1`));
    await Promise.all(gatewayBases.map(authReady));
  });

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await dropDatabase?.();
  });

  afterEach(() => {
    for (const api of gateways) expect(api.statuses.filter((status) => status === 500)).toEqual([]);
  });

  it("two nodes starting at once both come up, and each migration ran once", async () => {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    const { rows } = await client.query<{ name: string }>("SELECT name FROM schema_migrations ORDER BY name");
    await client.end();
    expect(rows.map((row) => row.name)).toEqual(loadMigrations().map((migration) => migration.name));
    expect(nodes.slice(0, 2).every((node) => node.child.exitCode === null)).toBe(true);
  });

  it("20 rapid failed logins for one account → 429 with Retry-After, counted across both gateways", async () => {
    const email = `victim${Date.now()}@example.com`;
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 20; i++) {
      const api = gateways[i % 2];
      const reply = await api.request("POST", "/auth/login", {
        body: { email, password: "wrong password" },
        // A different client address each time: only the per-account limit can trip.
        headers: { "x-forwarded-for": `198.51.100.${i + 1}` },
      });
      statuses.push(reply.status);
      if (reply.status === 429) retryAfter ??= reply.headers.get("retry-after");
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(10).fill(429));
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
  });

  it("logins from one address are limited per IP across both gateways", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const reply = await gateways[i % 2].request("POST", "/auth/login", {
        body: { email: `someone${i}-${Date.now()}@example.com`, password: "wrong password" },
        headers: { "x-forwarded-for": "203.0.113.99" },
      });
      statuses.push(reply.status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual([429, 429]);
  });

  it("both gateways see a check-in made through the other at once", async () => {
    const headers = { "x-forwarded-for": "192.0.2.20" };
    const email = `tracker${Date.now()}@example.com`;
    const registered = await gateways[0].request("POST", "/auth/register", { body: { email, password: "correct horse battery" }, headers });
    const token = registered.body.accessToken;
    const habit = await gateways[0].post("/habits", { name: "shared" }, token);
    expect(habit.status).toBe(201);
    // Warm both gateways' view (and the cache) first, so a stale value would show.
    for (const api of gateways) expect((await api.get(`/habits/${habit.body.id}/streak`, token)).body.current).toBe(0);
    for (const [writer, reader] of [
      [0, 1],
      [1, 0],
    ] as const) {
      const date = writer === 0 ? habit.body.startDate : habit.body.startDate;
      const body = writer === 0 ? { note: "first" } : { status: "skipped" };
      const put = await gateways[writer].request("PUT", `/habits/${habit.body.id}/checkins/${date}`, { body, token });
      expect([200, 201]).toContain(put.status);
      const streak = await gateways[reader].get(`/habits/${habit.body.id}/streak`, token);
      expect(streak.body).toMatchObject(writer === 0 ? { current: 1, completedToday: true } : { current: 0, completedToday: false });
      const today = await gateways[reader].get("/today", token);
      expect(today.body.habits[0].status).toBe(writer === 0 ? "done" : "skipped");
    }
  });

  it("serves the auth flow; survives the auth node being killed and replaced; 503 when none is left", async () => {
    // Down to one auth node, stopped cleanly.
    await nodes[1].stop();
    const [api] = gateways;
    const headers = { "x-forwarded-for": "192.0.2.10" };
    const email = `cluster${Date.now()}@example.com`;
    const password = "correct horse battery";
    const registered = await api.request("POST", "/auth/register", { body: { email, password }, headers });
    expect(registered.status).toBe(201);
    const login = await gateways[1].request("POST", "/auth/login", { body: { email, password }, headers });
    expect(login.status).toBe(200);
    expect((await api.get("/me", login.body.accessToken)).status).toBe(200);
    const refreshed = await api.post("/auth/refresh", { refreshToken: login.body.refreshToken });
    expect(refreshed.status).toBe(200);
    expect((await api.post("/auth/logout", {}, refreshed.body.accessToken)).status).toBe(204);
    expect((await gateways[1].get("/me", refreshed.body.accessToken)).status).toBe(401);

    // Kill the auth node without warning and start a replacement.
    const killedAt = Date.now();
    await nodes[0].kill();
    start("auth-3", "auth,habits,tracking");
    const recovered = await waitFor(
      "login through the replacement auth node",
      async () => {
        const reply = await api.request("POST", "/auth/login", { body: { email, password }, headers });
        return reply.status === 200 ? reply : undefined;
      },
      60_000,
    );
    const recoverySeconds = (Date.now() - killedAt) / 1000;
    process.stdout.write(`auth node replaced: requests succeed again ${recoverySeconds.toFixed(1)} s after the kill\n`);
    expect((await api.get("/me", recovered.body.accessToken)).status).toBe(200);

    // Kill the last auth node and start none: the gateway answers 503, it does not hang.
    await nodes[nodes.length - 1].kill();
    const began = Date.now();
    const orphan = await api.request("POST", "/auth/login", { body: { email, password }, headers });
    expect(orphan.status).toBe(503);
    expect(orphan.body).toMatchObject({ name: "ServiceUnavailableError", code: 503, type: "SERVICE_UNAVAILABLE" });
    process.stdout.write(`no auth node: 503 after ${((Date.now() - began) / 1000).toFixed(1)} s\n`);
    // Once the dead node is forgotten the answer is immediate, and readiness names the gap but
    // stays 200: the gateway answers 503 itself rather than leave its load balancer with no node.
    const ready = await waitFor("readiness to report the missing auth service", async () => {
      const res = await fetch(`${gatewayBases[0]}/health/ready`);
      const report = (await res.json()) as { status: string };
      return report.status === "degraded" ? { status: res.status, report } : undefined;
    });
    expect(ready).toEqual({
      status: 200,
      report: expect.objectContaining({ checks: expect.objectContaining({ "service:auth": "no available node runs it", store: "ok" }) }),
    });
    expect((await api.request("POST", "/auth/login", { body: { email, password }, headers })).status).toBe(503);
  });
});
