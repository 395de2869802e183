/**
 * Regression tests for the findings of the outside probe (issue 8), one describe per finding,
 * over HTTP in the current mode. Findings 2 (secrets in logs) and 6 (metrics) start nodes of
 * their own: secrets-in-logs.spec.ts and metrics.spec.ts; finding 11 (webhook targets) is
 * checked on the address classifier itself: test/unit/public-address.spec.ts.
 */
import http from "node:http";
import net from "node:net";
import jwt from "jsonwebtoken";
import { randomUUID } from "node:crypto";
import { resolveJwtSecret } from "../../src/secrets";
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from "../../src/tokens";
import { addDays } from "../../lib/dates";
import type { Api } from "../helpers/http";
import { MODE } from "../helpers/env";
import { nodeSuite } from "../helpers/node-suite";

jest.setTimeout(90_000);

const suite = nodeSuite({
  // Per-account limits are the subject here: every request names its own client address.
  TRUST_PROXY: "true",
  RATE_LIMIT_LOGIN: "10",
  MAX_HABITS_PER_USER: "5",
  HTTP_REQUEST_TIMEOUT_MS: "1500",
  HTTP_HEADERS_TIMEOUT_MS: "1000",
});
let api: Api;
let base: string;
const password = "correct horse battery";
let counter = 0;
const uniqueEmail = () => `hardening-${Date.now()}-${counter++}@example.com`;
let address = 0;
/** A client address never used before in this suite (the gateway trusts X-Forwarded-For here). */
const freshAddress = () => ({ "x-forwarded-for": `198.51.100.${++address % 250}, 203.0.${Math.floor(address / 250)}.${address % 250}` });

beforeAll(() => {
  api = suite.api;
  base = `http://127.0.0.1:${suite.node.port}`;
});

async function register(email = uniqueEmail()) {
  const reply = await api.request("POST", "/auth/register", { body: { email, password }, headers: freshAddress() });
  expect(reply.status).toBe(201);
  return { email, token: reply.body.accessToken as string, userId: reply.body.user.id as string };
}

const login = (options: { body?: unknown; raw?: string; query?: string }) =>
  api.request("POST", `/auth/login${options.query ?? ""}`, { body: options.body, raw: options.raw, headers: freshAddress() });

const fieldsOf = (body: { data?: Array<{ field: string }> }) => (body.data ?? []).map((entry) => entry.field).sort();

/** A request fetch will not make (a GET with a body), over node:http. */
function sendRaw(method: string, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: "127.0.0.1",
        port: suite.node.port!,
        method,
        path,
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
      },
      (response) => {
        let text = "";
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

function query<T extends object>(sql: string, params: unknown[]): Promise<T[]> {
  return suite.query<T>(sql, params);
}

describe(`finding 1: the per-account login limit holds whatever carries the e-mail (${MODE} mode)`, () => {
  it("after 10 failures the account answers 429, through the query string and through __proto__ too", async () => {
    const victim = await register();
    for (let attempt = 0; attempt < 10; attempt++) {
      expect((await login({ body: { email: victim.email, password: "wrong password" } })).status).toBe(401);
    }
    expect((await login({ body: { email: victim.email, password } })).status).toBe(429);
    const viaQuery = await login({ query: `?email=${encodeURIComponent(victim.email)}`, body: { email: uniqueEmail(), password } });
    expect(viaQuery.status).toBe(429);
    expect(viaQuery.headers.get("retry-after")).toMatch(/^\d+$/);
    const viaProto = await login({ raw: JSON.stringify({ password }).replace("{", `{"__proto__":{"email":"${victim.email}"},`) });
    expect(viaProto.status).toBe(429);
  });

  it("30 guesses at one account from 30 addresses, through either route, meet 429 after 10", async () => {
    for (const route of ["query", "proto"] as const) {
      const victim = await register();
      const decoy = uniqueEmail();
      const statuses: number[] = [];
      for (let guess = 0; guess < 30; guess++) {
        const reply =
          route === "query"
            ? await login({ query: `?email=${encodeURIComponent(victim.email)}`, body: { email: decoy, password: `guess ${guess}` } })
            : await login({ raw: `{"__proto__":{"email":"${victim.email}"},"password":"guess ${guess}"}` });
        statuses.push(reply.status);
      }
      expect(statuses.slice(0, 10).every((status) => status !== 429)).toBe(true);
      expect(statuses.slice(10)).toEqual(Array(20).fill(429));
    }
  });

  it("neither shape logs anyone in, even with the right password: 422", async () => {
    const account = await register();
    const viaQuery = await login({ query: `?email=${encodeURIComponent(account.email)}`, body: { email: uniqueEmail(), password } });
    expect(viaQuery.status).toBe(422);
    expect(fieldsOf(viaQuery.body)).toEqual(["email"]);
    const viaProto = await login({ raw: `{"__proto__":{"email":"${account.email}"},"password":"${password}"}` });
    expect(viaProto.status).toBe(422);
    expect(viaProto.body.accessToken).toBeUndefined();
  });
});

describe(`finding 2: no field comes from the query string of a body route (${MODE} mode)`, () => {
  it("a login with credentials in the query string and no body is 422 naming both", async () => {
    const account = await register();
    const reply = await login({ query: `?email=${encodeURIComponent(account.email)}&password=${encodeURIComponent(password)}` });
    expect(reply.status).toBe(422);
    expect(fieldsOf(reply.body)).toEqual(["email", "password"]);
    expect(JSON.stringify(reply.body)).not.toContain(password);
  });

  it("a GET takes no body: its fields come from the query string only", async () => {
    const { token } = await register();
    const reply = await sendRaw(
      "GET",
      "/api/v1/habits",
      { authorization: `Bearer ${token}`, "content-type": "application/json" },
      '{"archived":true}',
    );
    expect(reply.status).toBe(422);
    const duplicated = await api.get("/habits?archived=true&archived=false", token);
    expect(duplicated.status).toBe(422);
    expect(fieldsOf(duplicated.body)).toEqual(["archived"]);
  });
});

describe(`finding 3: client input never causes a 500 (${MODE} mode)`, () => {
  const deep = (levels: number) => "[".repeat(levels) + "]".repeat(levels);

  it.each([
    ["register", "/auth/register", (value: string) => `{"email":"a@b.co","password":${value}}`],
    ["login", "/auth/login", (value: string) => `{"email":"a@b.co","password":${value}}`],
    ["refresh", "/auth/refresh", (value: string) => `{"refreshToken":${value}}`],
  ])("a 10,000-deep array in a scalar field before authentication (%s) is 422", async (_label, path, body) => {
    const reply = await api.request("POST", path, { raw: body(deep(10_000)), headers: freshAddress() });
    expect(reply.status).toBe(422);
  });

  it.each(["/api/v1/auth/login", "/api/v1/habits", "/health/live", "/health/ready", "/metrics", "/"])(
    "Content-Encoding: gzip with a body that is not gzip is 415 at %s",
    async (path) => {
      const reply = await fetch(base + path, {
        method: "POST",
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
        body: '{"email":"a@b.co","password":"x"}',
      });
      expect(reply.status).toBe(415);
      expect(reply.headers.get("x-content-type-options")).toBe("nosniff");
    },
  );

  it("null in an optional field that is not nullable is 422 naming it, and changes nothing", async () => {
    const { token } = await register();
    const habit = (await api.post("/habits", { name: "h", startDate: addDays((await api.get("/today", token)).body.date, -3) }, token))
      .body;
    const cases: Array<[string, string, object, string]> = [
      ["PATCH", "/me", { displayName: null }, "displayName"],
      ["PATCH", "/me", { timezone: null }, "timezone"],
      ["POST", "/habits", { name: "x", description: null }, "description"],
      ["POST", "/habits", { name: "x", startDate: null }, "startDate"],
      ["POST", "/habits", { name: "x", reminders: null }, "reminders"],
      ["PATCH", `/habits/${habit.id}`, { name: null }, "name"],
      ["PATCH", `/habits/${habit.id}`, { description: null }, "description"],
      ["PATCH", `/habits/${habit.id}`, { archived: null }, "archived"],
      ["PATCH", `/habits/${habit.id}`, { reminders: null }, "reminders"],
      ["PATCH", `/habits/${habit.id}`, { startDate: null }, "startDate"],
      ["PATCH", `/habits/${habit.id}`, { schedule: null }, "schedule"],
      ["POST", `/habits/${habit.id}/checkins`, { date: null }, "date"],
      ["POST", `/habits/${habit.id}/checkins`, { status: null }, "status"],
    ];
    for (const [method, path, body, field] of cases) {
      const reply = await api.request(method, path, { body, token });
      expect([path, reply.status]).toEqual([path, 422]);
      expect(fieldsOf(reply.body)).toEqual([field]);
    }
    expect((await api.get(`/habits/${habit.id}`, token)).body).toEqual(habit);
    expect((await api.get(`/habits`, token)).body).toHaveLength(1);
    expect((await api.get(`/habits/${habit.id}/checkins`, token)).body).toEqual([]);
  });

  it("nullable fields still take null", async () => {
    const { token } = await register();
    const habit = (await api.post("/habits", { name: "h", color: "#112233" }, token)).body;
    expect((await api.patch(`/habits/${habit.id}`, { color: null }, token)).body.color).toBeNull();
    const checkin = await api.request("PUT", `/habits/${habit.id}/checkins/${habit.startDate}`, {
      body: { note: null, value: null },
      token,
    });
    expect(checkin.status).toBe(201);
    expect((await api.patch("/me", { webhookUrl: null }, token)).status).toBe(200);
  });

  it.each([
    ["2026-02-30T10:00Z", 422],
    ["2026-04-31T00:00Z", 422],
    ["0000-01-01T00:00Z", 422],
    ["2026-13-01T00:00Z", 422],
    ["2026-12-01T24:00Z", 422],
    ["2026-12-01T00:00-23:59", 200],
    ["0001-01-01T00:00Z", 200],
    ["2026-12-01T08:30:00.123456+05:30", 200],
  ])("GET /notifications?before=%s answers %d", async (instant, status) => {
    const { token } = await register();
    const reply = await api.get(`/notifications?before=${encodeURIComponent(instant)}`, token);
    expect(reply.status).toBe(status);
  });

  it("a validly signed token whose subject is not a UUID is 401 on every kind of route", async () => {
    const secret = resolveJwtSecret(suite.node.config);
    const token = jwt.sign({ role: "user", sid: randomUUID() }, secret, {
      algorithm: "HS256",
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      subject: "not-a-uuid",
      expiresIn: 60,
      jwtid: randomUUID(),
    });
    for (const path of ["/me", "/today", "/habits", "/notifications", `/habits/${randomUUID()}/streak`]) {
      expect([path, (await api.get(path, token)).status]).toEqual([path, 401]);
    }
  });
});

describe(`finding 4: a milestone fires once per run, whatever order the history is filled in (${MODE} mode)`, () => {
  const milestoneEvents = (habitId: string) =>
    query<{ milestone: number }>(
      "SELECT (payload->>'milestone')::int AS milestone FROM outbox WHERE event = 'streak.milestone' AND payload->>'habitId' = $1",
      [habitId],
    );

  /** A seeded shuffle, so the random order is the same on every run. */
  function shuffled<T>(items: T[], seed: number): T[] {
    const result = [...items];
    let state = seed;
    for (let i = result.length - 1; i > 0; i--) {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      const j = state % (i + 1);
      [result[i], result[j]] = [result[j], result[i]];
    }
    return result;
  }

  it.each([
    ["newest first (today, today−1, … today−19)", (offsets: number[]) => offsets],
    ["oldest first", (offsets: number[]) => [...offsets].reverse()],
    ["in a shuffled order", (offsets: number[]) => shuffled(offsets, 8)],
    ["from the middle outwards", (offsets: number[]) => [...offsets.slice(10), ...offsets.slice(0, 10).reverse()]],
  ])("20 days %s make one 7-day milestone", async (_label, order) => {
    const { token } = await register();
    const today = (await api.get("/today", token)).body.date as string;
    const habit = (await api.post("/habits", { name: "walk", startDate: addDays(today, -19) }, token)).body;
    const offsets = Array.from({ length: 20 }, (_, i) => i);
    for (const offset of order(offsets)) {
      expect((await api.request("PUT", `/habits/${habit.id}/checkins/${addDays(today, -offset)}`, { body: {}, token })).status).toBe(201);
    }
    expect((await api.get(`/habits/${habit.id}/streak`, token)).body.current).toBe(20);
    expect((await milestoneEvents(habit.id)).map((row) => row.milestone)).toEqual([7]);
  });

  it("a new run after a break earns the milestone again; joining the two runs does not", async () => {
    const day = "2026-06-10";
    suite.setClock(() => new Date(`${day}T12:00:00Z`));
    try {
      const { token } = await register();
      const habit = (await api.post("/habits", { name: "read", startDate: addDays(day, -9) }, token)).body;
      const put = (date: string) => api.request("PUT", `/habits/${habit.id}/checkins/${date}`, { body: {}, token });
      for (let offset = 9; offset >= 0; offset--) await put(addDays(day, -offset));
      expect((await milestoneEvents(habit.id)).map((row) => row.milestone)).toEqual([7]);
      // A week later, after a missed day: a new run of 7 is current and earns its own milestone.
      suite.setClock(() => new Date(`${addDays(day, 8)}T12:00:00Z`));
      for (let offset = 2; offset <= 8; offset++) await put(addDays(day, offset));
      expect((await api.get(`/habits/${habit.id}/streak`, token)).body.current).toBe(7);
      expect((await milestoneEvents(habit.id)).map((row) => row.milestone)).toEqual([7, 7]);
      // Filling the missed day joins both into one run of 18: no third one.
      await put(addDays(day, 1));
      expect((await api.get(`/habits/${habit.id}/streak`, token)).body.current).toBe(18);
      expect(await milestoneEvents(habit.id)).toHaveLength(2);
    } finally {
      suite.setClock(null);
    }
  });
});

describe(`finding 5: security headers on every response (${MODE} mode)`, () => {
  const expectHeaders = (reply: Response) => {
    expect(reply.headers.get("x-content-type-options")).toBe("nosniff");
    expect(reply.headers.get("x-frame-options")).toBe("DENY");
    expect(reply.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(reply.headers.get("referrer-policy")).toBe("no-referrer");
    expect(reply.headers.get("cache-control")).toBe("no-store");
  };

  it.each<[string, () => Promise<Response>, number]>([
    [
      "malformed JSON",
      () => fetch(`${base}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"email":' }),
      400,
    ],
    ["an undecodable path", () => fetch(`${base}/api/v1/habits/%E0%A4%A`), 400],
    [
      "a body over the limit",
      () =>
        fetch(`${base}/api/v1/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email: "x".repeat(70_000) }),
        }),
      413,
    ],
    [
      "a compressed body",
      () =>
        fetch(`${base}/api/v1/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json", "content-encoding": "gzip" },
          body: "{}",
        }),
      415,
    ],
    // (/ is the web app, with its own CSP and caching: test/integration/web-app.spec.ts.)
    ["an unknown file outside the API", () => fetch(`${base}/nothing-here.txt`), 404],
    ["an unknown route", () => fetch(`${base}/api/v1/nothing-here`), 404],
    ["a successful read", () => fetch(`${base}/health/live`), 200],
  ])("on %s", async (_label, send, status) => {
    const reply = await send();
    expect(reply.status).toBe(status);
    expectHeaders(reply);
    if (status >= 400) expect(await reply.json()).toMatchObject({ code: status });
  });
});

describe(`findings 7 and 8: prototype keys and text that would not be stored as sent are 422 (${MODE} mode)`, () => {
  it("__proto__, constructor and prototype keys anywhere in a body are 422 and change nothing", async () => {
    const { token } = await register();
    const habit = (await api.post("/habits", { name: "h" }, token)).body;
    const bodies = [
      '{"__proto__":{"startDate":"1900-01-01"}}',
      '{"schedule":{"type":"daily","__proto__":{"n":3}}}',
      '{"constructor":{"prototype":{"name":"x"}}}',
      '{"target":{"type":"at_least","value":1,"prototype":1}}',
      '{"reminders":[{"__proto__":"08:00"}]}',
    ];
    for (const raw of bodies) {
      const reply = await api.request("PATCH", `/habits/${habit.id}`, { raw, token });
      expect([raw, reply.status]).toEqual([raw, 422]);
    }
    expect((await api.get(`/habits/${habit.id}`, token)).body).toEqual(habit);
  });

  it.each([
    ["NUL", "a\u0000b"],
    ["a lone high surrogate", "a\ud800b"],
    ["a lone low surrogate", "\udc00"],
    ["a control character", "bell\u0007"],
    ["a carriage return", "line\r"],
    ["a C1 control", "x\u0085"],
  ])("%s in a name, description or unit is 422, and nothing is stored", async (_label, text) => {
    const { token } = await register();
    for (const body of [
      { name: text },
      { name: "ok", description: text },
      { name: "ok", target: { type: "at_least", value: 1, unit: text } },
    ]) {
      const reply = await api.post("/habits", body, token);
      expect(reply.status).toBe(422);
    }
    const habit = (await api.post("/habits", { name: "n" }, token)).body;
    expect((await api.patch("/me", { displayName: text }, token)).status).toBe(422);
    expect((await api.request("PUT", `/habits/${habit.id}/checkins/${habit.startDate}`, { body: { note: text }, token })).status).toBe(422);
    expect((await api.get("/habits", token)).body).toHaveLength(1);
  });

  it("tabs, newlines and any well-formed Unicode come back exactly as sent", async () => {
    const { token } = await register();
    const name = "Tee 🍵 \t ünïcødé";
    const description = "line one\nline two\twith a tab — and 𝄞";
    const habit = await api.post("/habits", { name, description }, token);
    expect(habit.status).toBe(201);
    expect((await api.get(`/habits/${habit.body.id}`, token)).body).toMatchObject({ name, description });
  });
});

describe(`finding 9: declared limits are enforced (${MODE} mode)`, () => {
  it("a webhookUrl over 2,048 characters is 422 and not stored", async () => {
    const { token } = await register();
    const long = `https://example.com/${"a".repeat(60_000)}`;
    const reply = await api.request("PATCH", "/me", { body: { webhookUrl: long }, token });
    expect([413, 422]).toContain(reply.status);
    const justOver = `https://example.com/${"a".repeat(2_049 - "https://example.com/".length)}`;
    expect((await api.patch("/me", { webhookUrl: justOver }, token)).status).toBe(422);
    expect((await api.get("/me/webhook", token)).body.url).toBeNull();
    const atLimit = `https://example.com/${"a".repeat(2_048 - "https://example.com/".length)}`;
    expect((await api.patch("/me", { webhookUrl: atLimit }, token)).status).toBe(200);
  });

  it("a body that is not a JSON object is 422 on every body route", async () => {
    const { token } = await register();
    for (const raw of ["[]", '["displayName"]', "[1,2]"]) {
      expect((await api.request("PATCH", "/me", { raw, token })).status).toBe(422);
      expect((await api.request("POST", "/habits", { raw, token })).status).toBe(422);
    }
  });

  // Loopback literals only: private and link-local classes are checked on the classifier itself (test/unit/public-address.spec.ts).
  it("a webhook aimed at a local or private address literal is refused when it is set", async () => {
    const { token } = await register();
    for (const url of ["http://127.0.0.1/hook", "http://[::ffff:127.0.0.1]/", "http://[64:ff9b::7f00:1]/", "http://localhost:8080/"]) {
      expect([url, (await api.patch("/me", { webhookUrl: url }, token)).status]).toEqual([url, 422]);
    }
  });
});

describe(`finding 10: tokens are accepted only as we issue them (${MODE} mode)`, () => {
  const sign = (claims: object, options: jwt.SignOptions) =>
    jwt.sign(claims, resolveJwtSecret(suite.node.config), {
      algorithm: "HS256",
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      jwtid: randomUUID(),
      ...options,
    });

  it("a validly signed token with no expiry, or one expiring in 2500, is 401", async () => {
    const { token } = await register();
    const { sub, sid } = jwt.decode(token) as { sub: string; sid: string };
    expect((await api.get("/me", sign({ role: "user", sid }, { subject: sub, expiresIn: 60 }))).status).toBe(200);
    expect((await api.get("/me", sign({ role: "user", sid }, { subject: sub }))).status).toBe(401);
    expect((await api.get("/me", sign({ role: "user", sid, exp: 16_725_225_600 }, { subject: sub }))).status).toBe(401);
  });

  it("a validly signed token of a user or session that does not exist is 401, and changes nothing", async () => {
    const { token } = await register();
    const { sub, sid } = jwt.decode(token) as { sub: string; sid: string };
    const strangers = [
      sign({ role: "user", sid: randomUUID() }, { subject: randomUUID(), expiresIn: 60 }),
      sign({ role: "user", sid }, { subject: randomUUID(), expiresIn: 60 }),
      sign({ role: "user", sid: randomUUID() }, { subject: sub, expiresIn: 60 }),
    ];
    for (const stranger of strangers) {
      expect((await api.get("/habits", stranger)).status).toBe(401);
      expect((await api.post("/auth/logout", {}, stranger)).status).toBe(401);
      expect((await api.post("/habits", { name: "x" }, stranger)).status).toBe(401);
    }
    expect((await api.get("/habits", token)).body).toEqual([]);
  });
});

describe(`finding 12: costs are bounded (${MODE} mode)`, () => {
  it("an account holds at most MAX_HABITS_PER_USER habits (5 here), archived ones included", async () => {
    const { token } = await register();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api.post("/habits", { name: `h${i}` }, token)).body.id);
    await api.patch(`/habits/${ids[0]}`, { archived: true }, token);
    const sixth = await api.post("/habits", { name: "one too many" }, token);
    expect(sixth.status).toBe(422);
    expect(sixth.body.data).toEqual([expect.objectContaining({ field: "habits", type: "habitLimit" })]);
    expect((await api.request("DELETE", `/habits/${ids[1]}`, { token })).status).toBe(204);
    expect((await api.post("/habits", { name: "fits again" }, token)).status).toBe(201);
  });

  it("a start date before 1900-01-01 is 422 (every read and write walks the days from it)", async () => {
    const { token } = await register();
    expect((await api.post("/habits", { name: "old", startDate: "1899-12-31" }, token)).status).toBe(422);
    expect((await api.post("/habits", { name: "old", startDate: "0001-01-01" }, token)).status).toBe(422);
    expect((await api.post("/habits", { name: "old", startDate: "1900-01-01" }, token)).status).toBe(201);
  });

  it("a check-in on a habit with 10,000 check-ins gives the same streak as the rules", async () => {
    const { token } = await register();
    const today = (await api.get("/today", token)).body.date as string;
    const habit = (await api.post("/habits", { name: "long", startDate: addDays(today, -10_001) }, token)).body;
    await query(
      `INSERT INTO checkins (habit_id, date, status) SELECT $1, d::date, 'done'
         FROM generate_series($2::date, $3::date, '1 day') AS d`,
      [habit.id, addDays(today, -10_000), addDays(today, -1)],
    );
    expect((await api.request("PUT", `/habits/${habit.id}/checkins/${addDays(today, -10_001)}`, { body: {}, token })).status).toBe(201);
    expect((await api.request("PUT", `/habits/${habit.id}/checkins/${today}`, { body: {}, token })).status).toBe(201);
    expect((await api.get(`/habits/${habit.id}/streak`, token)).body).toMatchObject({
      current: 10_002,
      longest: 10_002,
      completedToday: true,
    });
  });
});

describe(`finding 13: slow clients are cut off (${MODE} mode)`, () => {
  /** Sends `head` and then one byte of `trickle` every 200 ms; resolves with what came back and when. */
  function slowClient(head: string, trickle: string): Promise<{ reply: string; afterMs: number }> {
    return new Promise((resolve) => {
      const started = Date.now();
      const socket = net.connect(suite.node.port!, "127.0.0.1");
      let reply = "";
      let sent = 0;
      const timer = setInterval(() => {
        if (sent < trickle.length && !socket.destroyed) socket.write(trickle[sent++]);
      }, 200);
      socket.on("data", (chunk) => (reply += chunk));
      socket.on("error", () => undefined);
      socket.on("close", () => {
        clearInterval(timer);
        resolve({ reply, afterMs: Date.now() - started });
      });
      socket.write(head);
    });
  }

  it("a body sent a byte at a time is answered 408 once HTTP_REQUEST_TIMEOUT_MS (1.5 s here) has passed", async () => {
    const body = JSON.stringify({ email: "slow@example.com", password: "x".repeat(200) });
    const head = `POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const { reply, afterMs } = await slowClient(head, body);
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(afterMs).toBeGreaterThanOrEqual(1400);
    expect(afterMs).toBeLessThan(5000);
  });

  it("headers sent a byte at a time are answered 408 once HTTP_HEADERS_TIMEOUT_MS (1 s here) has passed", async () => {
    const { reply, afterMs } = await slowClient("GET /health/live HTTP/1.1\r\nHost: localhost\r\n", "X-Slow: " + "a".repeat(100));
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(afterMs).toBeGreaterThanOrEqual(900);
    expect(afterMs).toBeLessThan(5000);
  });
});
