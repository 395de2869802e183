/**
 * `npm run repl` joining a live cluster (issue 11, check 4): a domain node, a notifications node
 * and a gateway as separate processes on real Redis and Postgres, and the REPL as a fourth node
 * (SERVICES=none) driven on stdin: `nodes` lists the three, `services` shows which runs what, and
 * a `call` on behalf of a user answers with that user's data. Runs in the cluster pass.
 */
import { describeCluster, freshDatabase, baseEnv, TEST_JWT_SECRET, type Env } from "../helpers/env";
import { NodeProcess, freePort, reportsReady, waitFor } from "../helpers/processes";
import { Api } from "../helpers/http";

jest.setTimeout(120_000);

describeCluster("REPL on a three-node cluster", () => {
  const nodes: NodeProcess[] = [];
  let env: Env;
  let drop: () => Promise<void>;
  let userId: string;

  beforeAll(async () => {
    const db = await freshDatabase();
    drop = db.drop;
    env = baseEnv({ DATABASE_URL: db.url, REDIS_URL: process.env.TEST_REDIS_URL, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: "warn" });
    const port = await freePort();
    nodes.push(NodeProcess.start("domain-1", { ...env, SERVICES: "auth,habits,tracking" }));
    nodes.push(NodeProcess.start("notifications-1", { ...env, SERVICES: "notifications" }));
    nodes.push(NodeProcess.start("gateway-1", { ...env, SERVICES: "api", PORT: String(port) }));
    const base = `http://127.0.0.1:${port}`;
    await waitFor("the cluster", async () => ((await reportsReady(base)) ? true : undefined), 60_000);
    const api = new Api(`${base}/api/v1`);
    const registered = await api.post("/auth/register", { email: "cluster-owner@example.com", password: "long enough pw" });
    userId = registered.body.user.id;
    expect((await api.post("/habits", { name: "Read ten pages" }, registered.body.accessToken)).status).toBe(201);
  });

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await drop?.();
  });

  it("lists the nodes and their services, and calls an action for a user on another node", async () => {
    const repl = NodeProcess.start("repl-1", { ...env, SERVICES: "none", DATA_DIR: "/tmp" }, ["--repl"]);
    // The REPL node must see the cluster before it is asked about it.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    for (const command of ["nodes", "services", `call habits.list --#user.id ${userId}`]) repl.write(`${command}\n`);
    repl.endInput();
    expect(await repl.exited).toBe(0);
    const out = repl.log;
    for (const name of ["domain-1", "notifications-1", "gateway-1", "repl-1"]) expect(out).toContain(name);
    // `services`: each service with the node that runs it.
    expect(out).toMatch(/tracking\b.*\n?.*domain-1|domain-1[\s\S]*tracking/);
    for (const service of ["auth", "habits", "tracking", "notifications", "api"]) expect(out).toMatch(new RegExp(`\\b${service}\\b`));
    // The call, made from the REPL node, answered by the domain node with that user's habit.
    expect(out).toContain(">> Response:");
    expect(out).toContain("name: 'Read ten pages'");
  });
});
