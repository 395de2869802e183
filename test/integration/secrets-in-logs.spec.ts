/**
 * No secret reaches a log line (issue 8, finding 2): a real node process at LOG_LEVEL=trace, the
 * most it ever prints, is taken through everything that handles a password, a token or a secret
 * — credentials in the query string among them — and its whole output is searched for them.
 */
import fs from "node:fs";
import path from "node:path";
import { MODE, suiteEnv, type SuiteEnv } from "../helpers/env";
import { NodeProcess, freePort, reportsReady, waitFor } from "../helpers/processes";
import { Api } from "../helpers/http";

jest.setTimeout(120_000);

let suite: SuiteEnv;
let node: NodeProcess;
let api: Api;

beforeAll(async () => {
  const port = await freePort();
  suite = await suiteEnv({ PORT: String(port), LOG_LEVEL: "trace" });
  node = NodeProcess.start("secrets", suite.env);
  api = new Api(`http://127.0.0.1:${port}/api/v1`);
  await waitFor("the gateway", async () => ((await reportsReady(`http://127.0.0.1:${port}`)) ? true : undefined));
});

afterAll(async () => {
  await node?.stop();
  await suite?.cleanup();
});

describe(`secrets and logs (${MODE} mode)`, () => {
  it("a trace-level log holds no password, token or secret, whatever the requests carried", async () => {
    const email = "secret-keeper@example.com";
    const password = "hunter2 hunter2 secret";
    const secrets: string[] = [password];
    const registered = await api.post("/auth/register", { email, password });
    expect(registered.status).toBe(201);
    secrets.push(registered.body.accessToken, registered.body.refreshToken);

    const inQuery = await api.post(`/auth/login?email=${encodeURIComponent(email)}&password=${encodeURIComponent(password)}`);
    expect(inQuery.status).toBe(422);
    const wrong = "not-the-password-either";
    secrets.push(wrong);
    expect((await api.post("/auth/login", { email, password: wrong })).status).toBe(401);
    expect((await api.request("POST", "/auth/login", { raw: `{"__proto__":{"email":"${email}"},"password":"${password}"}` })).status).toBe(
      422,
    );
    const login = await api.post("/auth/login", { email, password });
    expect(login.status).toBe(200);
    secrets.push(login.body.accessToken, login.body.refreshToken);

    const refreshed = await api.post("/auth/refresh", { refreshToken: login.body.refreshToken });
    expect(refreshed.status).toBe(200);
    secrets.push(refreshed.body.accessToken, refreshed.body.refreshToken);
    // A reused refresh token (logged as a reuse, never with the token).
    expect((await api.post("/auth/refresh", { refreshToken: login.body.refreshToken })).status).toBe(401);

    const token = registered.body.accessToken;
    expect((await api.patch("/me", { webhookUrl: "https://hooks.example.com/ht" }, token)).status).toBe(200);
    const webhook = await api.get("/me/webhook", token);
    secrets.push(webhook.body.secret);
    // Tokens where they do not belong: in the query string and in a body field.
    expect((await api.get(`/me?access_token=${token}`, token)).status).toBe(422);
    expect((await api.post("/auth/logout", { refreshToken: registered.body.refreshToken, token }, token)).status).toBe(422);
    expect((await api.post("/auth/logout", { refreshToken: registered.body.refreshToken }, token)).status).toBe(204);
    expect((await api.get("/me", token)).status).toBe(401);

    await node.stop();
    const jwtSecret = suite.env.JWT_SECRET ?? fs.readFileSync(path.join(suite.env.DATA_DIR as string, "jwt-secret"), "utf8").trim();
    secrets.push(jwtSecret);
    const log = node.log;
    // The log holds debug lines (Moleculer prints no trace lines), and it saw the requests (control for the search below).
    expect(log).toContain('"level":20');
    expect(log).toContain("auth.login");
    for (const secret of secrets) {
      expect(typeof secret).toBe("string");
      // Each whole secret, and the part of a refresh token after its id.
      for (const piece of [secret, secret.split(".").at(-1) as string]) expect(log.includes(piece) ? piece : null).toBeNull();
    }
    expect(log).not.toContain(encodeURIComponent(password));
  });
});
