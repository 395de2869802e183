/**
 * The auth and profile contract end to end over HTTP (issue checks 2, 3 and 4), in the current
 * mode: embedded (PGlite, in-memory store) or cluster (real Postgres and Redis).
 */
import jwt from "jsonwebtoken";
import { startNode, type HabitNode } from "../../src/node";
import { Api } from "../helpers/http";
import { MODE, clusterMode, flushSuiteKeys, suiteEnv, type SuiteEnv } from "../helpers/env";
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from "../../src/tokens";

jest.setTimeout(60_000);

let suite: SuiteEnv;
let node: HabitNode;
let api: Api;

async function boot() {
  node = await startNode(suite.env);
  api = new Api(`http://127.0.0.1:${node.port}/api/v1`);
}

beforeAll(async () => {
  suite = await suiteEnv({ CORS_ORIGINS: "https://app.example.com" });
  await boot();
});

afterAll(async () => {
  await node?.stop();
  await suite?.cleanup();
});

afterEach(() => {
  // Nothing a client sends may ever produce a 500.
  expect(api.statuses.filter((status) => status >= 500 && status !== 503)).toEqual([]);
});

let counter = 0;
const uniqueEmail = () => `user${Date.now()}-${counter++}@example.com`;
const password = "correct horse battery";

async function register(email = uniqueEmail()) {
  const reply = await api.post("/auth/register", { email, password });
  expect(reply.status).toBe(201);
  return reply.body as { user: { id: string; email: string }; accessToken: string; refreshToken: string; expiresIn: number };
}

/** Loses the hot copy of the denylist: every key of this suite in the real Redis, or a restart of the embedded node. */
async function loseHotCopy() {
  if (clusterMode) {
    expect(await flushSuiteKeys(node.config.namespace)).toBeGreaterThan(0);
  } else {
    await node.stop();
    await boot();
  }
}

describe(`auth flow (${MODE} mode)`, () => {
  it("register → login → me → refresh → reuse → logout, with sessions kept apart", async () => {
    const email = uniqueEmail();
    const registered = await api.post("/auth/register", {
      email: email.toUpperCase(),
      password,
      displayName: "Ann",
      timezone: "europe/berlin",
    });
    expect(registered.status).toBe(201);
    expect(registered.body).toEqual({
      user: {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        email,
        displayName: "Ann",
        timezone: "Europe/Berlin",
        role: "user",
        createdAt: expect.any(String),
      },
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      expiresIn: 900,
    });

    const login = await api.post("/auth/login", { email: email.toUpperCase(), password });
    expect(login.status).toBe(200);
    expect(login.body.user).toEqual(registered.body.user);

    const me = await api.get("/me", login.body.accessToken);
    expect(me.status).toBe(200);
    expect(me.body).toEqual(registered.body.user);

    const refreshed = await api.post("/auth/refresh", { refreshToken: login.body.refreshToken });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refreshToken).not.toBe(login.body.refreshToken);
    expect((await api.get("/me", refreshed.body.accessToken)).status).toBe(200);

    // Reusing the spent token: 401, and the family (the new refresh and access tokens) dies.
    const reused = await api.post("/auth/refresh", { refreshToken: login.body.refreshToken });
    expect(reused.status).toBe(401);
    expect(reused.body.type).toBe("REFRESH_TOKEN_REUSED");
    expect((await api.post("/auth/refresh", { refreshToken: refreshed.body.refreshToken })).status).toBe(401);
    expect((await api.get("/me", refreshed.body.accessToken)).status).toBe(401);

    // The registration session is another family: untouched.
    expect((await api.get("/me", registered.body.accessToken)).status).toBe(200);

    const other = await api.post("/auth/login", { email, password });
    const logout = await api.post("/auth/logout", {}, registered.body.accessToken);
    expect(logout.status).toBe(204);
    const afterLogout = await api.get("/me", registered.body.accessToken);
    expect(afterLogout.status).toBe(401);
    expect(afterLogout.body.type).toBe("TOKEN_REVOKED");
    expect((await api.post("/auth/refresh", { refreshToken: registered.body.refreshToken })).status).toBe(401);

    // Losing the hot copy brings no revoked token back.
    await loseHotCopy();
    expect((await api.get("/me", registered.body.accessToken)).status).toBe(401);
    expect((await api.get("/me", refreshed.body.accessToken)).status).toBe(401);

    // Another session still works, until logout-all.
    expect((await api.get("/me", other.body.accessToken)).status).toBe(200);
    const third = await api.post("/auth/login", { email, password });
    expect((await api.post("/auth/logout-all", undefined, third.body.accessToken)).status).toBe(204);
    expect((await api.get("/me", other.body.accessToken)).status).toBe(401);
    expect((await api.get("/me", third.body.accessToken)).status).toBe(401);
    expect((await api.post("/auth/refresh", { refreshToken: other.body.refreshToken })).status).toBe(401);

    // Logging in again starts a fresh, working session.
    const again = await api.post("/auth/login", { email, password });
    expect((await api.get("/me", again.body.accessToken)).status).toBe(200);
  });

  it("logout with the session's refresh token also ends that refresh family", async () => {
    const session = await register();
    const second = await api.post("/auth/login", { email: session.user.email, password });
    // Naming a second session's refresh token ends that one too.
    const logout = await api.post("/auth/logout", { refreshToken: second.body.refreshToken }, session.accessToken);
    expect(logout.status).toBe(204);
    expect((await api.post("/auth/refresh", { refreshToken: second.body.refreshToken })).status).toBe(401);
    expect((await api.get("/me", second.body.accessToken)).status).toBe(401);
  });

  it("PATCH /me updates the profile and validates the time zone", async () => {
    const session = await register();
    const updated = await api.patch("/me", { displayName: "New Name", timezone: "Pacific/Kiritimati" }, session.accessToken);
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ displayName: "New Name", timezone: "Pacific/Kiritimati" });
    const bad = await api.patch("/me", { timezone: "Mars/Olympus_Mons", role: "admin" }, session.accessToken);
    expect(bad.status).toBe(422);
    expect(bad.body.data.map((entry: { field: string }) => entry.field).sort()).toEqual(["role", "timezone"]);
    // Nothing changed by the rejected request.
    expect((await api.get("/me", session.accessToken)).body).toMatchObject({ timezone: "Pacific/Kiritimati", role: "user" });
  });

  it("stores user.registered with the account and publishes it", async () => {
    const received: string[] = [];
    const probe = await node.broker.createService({
      name: `probe${Date.now()}`,
      events: {
        "user.registered"(ctx: { params: { user: { email: string } } }) {
          received.push(ctx.params.user.email);
        },
      },
    });
    const session = await register();
    const deadline = Date.now() + 10_000;
    while (!received.includes(session.user.email) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await node.broker.destroyService(probe);
    expect(received.filter((email) => email === session.user.email)).toHaveLength(1);
  });

  it("wrong password and unknown account both answer 401 INVALID_CREDENTIALS", async () => {
    const session = await register();
    const wrong = await api.post("/auth/login", { email: session.user.email, password: "not the password" });
    const unknown = await api.post("/auth/login", { email: uniqueEmail(), password });
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.type).toBe("INVALID_CREDENTIALS");
  });
});

describe(`token forgery (${MODE} mode)`, () => {
  let session: Awaited<ReturnType<typeof register>>;
  let claims: jwt.JwtPayload;

  beforeAll(async () => {
    session = await register();
    claims = jwt.decode(session.accessToken) as jwt.JwtPayload;
  });

  const resign = (payload: object, key: string, options: jwt.SignOptions = {}) =>
    jwt.sign(payload, key, { algorithm: "HS256", ...options });

  it("accepts the genuine token", async () => {
    expect((await api.get("/me", session.accessToken)).status).toBe(200);
  });

  it.each([
    [
      "alg none",
      () => {
        const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
        const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
        return `${header}.${body}.`;
      },
    ],
    ["another key", () => resign(claims, "another-secret-another-secret-1234")],
    ["another issuer", () => resign({ ...claims, iss: "someone-else" }, process.env.NEVER ?? "x".repeat(40))],
    ["expired", () => resign({ ...claims, iat: 1_000_000, exp: 1_000_900 }, "x".repeat(40))],
    ["garbage", () => "not-a-token"],
  ])("rejects a token signed with %s", async (_label, make) => {
    const reply = await api.get("/me", make());
    expect(reply.status).toBe(401);
    expect(reply.body.type).toBe("INVALID_TOKEN");
  });

  it("rejects tokens with our key but the wrong issuer, audience, expiry or claims", async () => {
    // The real key, read from the running node, so only the claim under test is wrong.
    const key = node.runtime.jwtSecret;
    const base = { role: "user", sid: claims.sid };
    const options = { subject: claims.sub, issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE, expiresIn: 60, jwtid: "j" };
    const good = resign(base, key, options);
    expect((await api.get("/me", good)).status).toBe(200);
    const forged = [
      resign(base, key, { ...options, issuer: "evil" }),
      resign(base, key, { ...options, audience: "other-api" }),
      resign({ ...base, exp: Math.floor(Date.now() / 1000) - 60 }, key, {
        subject: claims.sub,
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        jwtid: "j",
      }),
      resign({ role: "user" }, key, options),
      jwt.sign(base, key, { ...options, algorithm: "HS512" }),
    ];
    for (const token of forged) {
      const reply = await api.get("/me", token);
      expect(reply.status).toBe(401);
    }
  });

  it("rejects a missing or malformed Authorization header", async () => {
    expect((await api.get("/me")).body.type).toBe("NO_TOKEN");
    const basic = await api.request("GET", "/me", { headers: { authorization: "Basic abc" } });
    expect(basic.status).toBe(401);
  });
});

describe(`bad input (${MODE} mode)`, () => {
  const fieldsOf = (body: { data: Array<{ field: string }> }) => body.data.map((entry) => entry.field).sort();

  it("duplicate email in any case → 409 and no second account", async () => {
    const email = uniqueEmail();
    await register(email);
    const again = await api.post("/auth/register", { email: email.toUpperCase(), password });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ name: "ConflictError", code: 409, type: "EMAIL_TAKEN" });
    // The original password still works: nothing was overwritten.
    expect((await api.post("/auth/login", { email, password })).status).toBe(200);
  });

  it("concurrent registrations of one email create one account", async () => {
    const email = uniqueEmail();
    const replies = await Promise.all(Array.from({ length: 5 }, () => api.post("/auth/register", { email, password })));
    expect(replies.map((reply) => reply.status).sort()).toEqual([201, 409, 409, 409, 409]);
  });

  it.each([
    ["weak password", { password: "short" }, ["password"]],
    ["oversize password", { password: "x".repeat(129) }, ["password"]],
    ["bad email", { email: "not-an-email" }, ["email"]],
    ["unknown field", { isAdmin: true }, ["isAdmin"]],
    ["unknown time zone", { timezone: "Europe/Atlantis" }, ["timezone"]],
    ["several at once", { email: "x", password: "1", color: "red" }, ["color", "email", "password"]],
  ])("%s → 422 listing the fields", async (_label, change, fields) => {
    const email = uniqueEmail();
    const reply = await api.post("/auth/register", { email, password, ...change });
    expect(reply.status).toBe(422);
    expect(reply.body).toMatchObject({ name: "ValidationError", code: 422, type: "VALIDATION_ERROR" });
    expect(fieldsOf(reply.body)).toEqual(fields);
    // No account was created.
    expect((await api.post("/auth/login", { email, password })).status).toBe(401);
  });

  it("never echoes a rejected password back", async () => {
    const reply = await api.post("/auth/register", { email: uniqueEmail(), password: "secret7" });
    expect(JSON.stringify(reply.body)).not.toContain("secret7");
  });

  it("malformed JSON → 400, non-JSON → 415, 1 MB → 413", async () => {
    const malformed = await api.request("POST", "/auth/login", { raw: '{"email": "a@b.c", ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ code: 400, type: "INVALID_JSON" });

    const text = await api.request("POST", "/auth/login", { raw: "email=a", headers: { "content-type": "text/plain" } });
    expect(text.status).toBe(415);

    const big = await api.request("POST", "/auth/register", {
      raw: JSON.stringify({ email: uniqueEmail(), password, displayName: "x".repeat(1024 * 1024) }),
    });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ code: 413, type: "PAYLOAD_TOO_LARGE" });
  });

  it("wrong JSON types and shapes → 422, not 500", async () => {
    for (const body of [[], "string", 42, { email: 5, password: {} }, { email: null }]) {
      const reply = await api.request("POST", "/auth/login", { raw: JSON.stringify(body) });
      expect([400, 422]).toContain(reply.status);
    }
    const tokenShape = await api.post("/auth/refresh", { refreshToken: "a".repeat(201) });
    expect(tokenShape.status).toBe(422);
    const notOurs = await api.post("/auth/refresh", { refreshToken: "00000000-0000-0000-0000-000000000000.abc" });
    expect(notOurs.status).toBe(401);
  });

  it("unknown routes and internal actions are not reachable", async () => {
    expect((await api.get("/$node/list")).status).toBe(404);
    expect((await api.get("/auth/revokedSessions")).status).toBe(404);
    expect((await api.post("/api/addRoute", {})).status).toBe(404);
  });

  it("sends security headers", async () => {
    const reply = await api.get("/me");
    expect(reply.headers.get("x-content-type-options")).toBe("nosniff");
    expect(reply.headers.get("x-frame-options")).toBe("DENY");
    expect(reply.headers.get("referrer-policy")).toBe("no-referrer");
    expect(reply.headers.get("content-security-policy")).toContain("default-src 'none'");
  });
});

describe(`operations (${MODE} mode)`, () => {
  it("answers CORS preflights for configured origins only", async () => {
    const preflight = (origin: string) =>
      fetch(`http://127.0.0.1:${node.port}/api/v1/me`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "PATCH", "access-control-request-headers": "authorization" },
      });
    const allowed = await preflight("https://app.example.com");
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(allowed.headers.get("access-control-allow-methods")).toContain("PATCH");
    const denied = await preflight("https://evil.example.com");
    expect(denied.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("health endpoints answer", async () => {
    const base = `http://127.0.0.1:${node.port}`;
    const live = await fetch(`${base}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ok", checks: { store: "ok", "service:auth": "ok" } });
  });
});
