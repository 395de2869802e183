/**
 * The embedded mode as `npm start` runs it, in a real process (issue check 1): ready with
 * nothing but DATA_DIR, and a stop/start keeps accounts, the signing key and revocations.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { baseEnv, tempDataDir, type Env } from "../helpers/env";
import { NodeProcess, freePort, waitFor } from "../helpers/processes";
import { Api } from "../helpers/http";

jest.setTimeout(120_000);

describe("embedded node process (PGlite in DATA_DIR, nothing else)", () => {
  let dataDir: string;
  let env: Env;
  let node: NodeProcess | null = null;
  let api: Api;
  let base: string;

  const boot = async () => {
    node = NodeProcess.start("embedded", env);
    const ready = await waitFor(
      "GET /health/ready → 200",
      async () => {
        const res = await fetch(`${base}/health/ready`);
        return res.status === 200 ? res.json() : undefined;
      },
      30_000,
    );
    expect(ready).toMatchObject({ status: "ok", checks: { database: "ok", store: "ok", "service:auth": "ok" } });
  };

  beforeAll(async () => {
    dataDir = tempDataDir();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    api = new Api(`${base}/api/v1`);
    // Only what a user might set; no DATABASE_URL, REDIS_URL or JWT_SECRET.
    env = baseEnv({ DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "info", METRICS_PORT: "0" });
  });

  afterAll(async () => {
    await node?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps users, tokens and revocations across a stop and start", async () => {
    await boot();
    const email = "persist@example.com";
    const password = "correct horse battery";
    const registered = await api.post("/auth/register", { email, password });
    expect(registered.status).toBe(201);
    const kept = await api.post("/auth/login", { email, password });
    const revoked = await api.post("/auth/login", { email, password });
    expect((await api.post("/auth/logout", {}, revoked.body.accessToken)).status).toBe(204);
    // The generated signing key is kept private in DATA_DIR.
    const secretFile = path.join(dataDir, "jwt-secret");
    expect(fs.statSync(secretFile).mode & 0o777).toBe(0o600);

    await node!.stop();
    expect(node!.log).not.toContain(password);
    expect(node!.log).not.toContain(kept.body.accessToken);
    await boot();

    expect((await api.post("/auth/login", { email, password })).status).toBe(200);
    // Same key after the restart: the earlier access token is still valid...
    expect((await api.get("/me", kept.body.accessToken)).status).toBe(200);
    // ...and the revoked one still is not, though the in-memory hot copy started empty.
    expect((await api.get("/me", revoked.body.accessToken)).status).toBe(401);
  });

  it("serves Prometheus metrics on the gateway's port", async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toMatch(/^moleculer_request_total\{/m);
    expect(text).toContain('action="auth.login"');
    // Nothing about the host (issue 8, finding 6): its name, user, home, addresses, the process's paths.
    expect(text).not.toMatch(/^(os_hostname|os_user_\w+|os_network_\w+|process_arguments|process_pid)\b/m);
    for (const revealing of [os.hostname(), os.homedir(), path.resolve(__dirname, "../.."), dataDir]) {
      expect(text).not.toContain(revealing);
    }
  });

  it("refuses a second process on the same DATA_DIR, naming the variable", async () => {
    const second = NodeProcess.start("second", { ...env, PORT: "0" });
    const code = await second.exited;
    expect(code).toBe(1);
    expect(second.log).toMatch(/DATA_DIR .* is in use by process \d+/);
  });

  it("fails fast with a message naming a bad variable", async () => {
    const bad = NodeProcess.start("bad", { ...env, PORT: "not-a-port" });
    expect(await bad.exited).toBe(1);
    expect(bad.log).toContain("PORT must be a whole number");
  });
});
