/**
 * Request ids end to end (issue 11, check 5): the client's X-Request-Id is answered, and the log
 * lines of every node the request reached — the gateway, the domain node that served it, the
 * notifications node that consumed its event from the outbox — carry it. Separate processes on
 * real Redis and Postgres; runs in the cluster pass of scripts/test.sh.
 */
import { randomUUID } from "node:crypto";
import { describeCluster, freshDatabase, baseEnv, TEST_JWT_SECRET } from "../helpers/env";
import { NodeProcess, freePort, reportsReady, waitFor } from "../helpers/processes";

jest.setTimeout(120_000);

/** The JSON log lines of `node` that carry `requestId`. */
function linesWith(node: NodeProcess, requestId: string): Array<{ msg: string; requestId: string }> {
  return node.log
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { msg: string; requestId?: string })
    .filter((line): line is { msg: string; requestId: string } => line.requestId === requestId);
}

describeCluster("request ids across the cluster", () => {
  const nodes: Record<string, NodeProcess> = {};
  let base: string;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await freshDatabase();
    drop = db.drop;
    const env = baseEnv({ DATABASE_URL: db.url, REDIS_URL: process.env.TEST_REDIS_URL, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: "debug" });
    const port = await freePort();
    nodes.domain = NodeProcess.start("domain", { ...env, SERVICES: "auth,habits,tracking" });
    nodes.notifications = NodeProcess.start("notifications", { ...env, SERVICES: "notifications" });
    nodes.gateway = NodeProcess.start("gateway", { ...env, SERVICES: "api", PORT: String(port) });
    base = `http://127.0.0.1:${port}`;
    await waitFor("the cluster", async () => ((await reportsReady(base)) ? true : undefined), 60_000);
  });

  afterAll(async () => {
    await Promise.all(Object.values(nodes).map((node) => node.stop()));
    await drop?.();
  });

  it("a client's X-Request-Id is answered and logged by the gateway, the domain node and the notifications node", async () => {
    const requestId = `client-${randomUUID()}`;
    const res = await fetch(`${base}/api/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": requestId },
      body: JSON.stringify({ email: `rid-${randomUUID()}@example.com`, password: "correct horse battery" }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-request-id")).toBe(requestId);
    // The welcome notification comes from the user.registered event, consumed from the outbox.
    const seen = await waitFor("every node to log the request id", async () => {
      const found = Object.fromEntries(
        Object.entries(nodes).map(([name, node]) => [name, linesWith(node, requestId).map((line) => line.msg)]),
      );
      return Object.values(found).every((lines) => lines.length > 0) ? found : undefined;
    });
    process.stdout.write(`request id ${requestId} in the logs: ${JSON.stringify(seen)}\n`);
    expect(seen.gateway).toEqual(expect.arrayContaining([expect.stringMatching(/^api\.rest served in/)]));
    expect(seen.domain).toEqual(expect.arrayContaining([expect.stringMatching(/^auth\.register served in/)]));
    // As a broker event, or from the outbox by the consumer's cursor when it catches up.
    expect(seen.notifications).toEqual(expect.arrayContaining([expect.stringMatching(/^user\.registered (handled in|\S+ consumed$)/)]));
    // Calls the notifications node makes for it (to auth) carry it on.
    expect(seen.notifications).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`Send 'auth\\.recipients' request with requestID '${requestId}'`))]),
    );
  });

  it("makes an id when the client sends none or one that is not a short printable token, also on errors", async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const none = await fetch(`${base}/api/v1/habits`);
    expect(none.status).toBe(401);
    expect(none.headers.get("x-request-id")).toMatch(uuid);
    for (const bad of ["a".repeat(129), "has spaces", "semi;colon<script>"]) {
      const res = await fetch(`${base}/api/v1/nowhere`, { headers: { "x-request-id": bad } });
      expect(res.status).toBe(404);
      expect(res.headers.get("x-request-id")).toMatch(uuid);
    }
  });
});
