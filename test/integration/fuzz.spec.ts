/**
 * The hostile-input suite (issue 8): seeded fast-check runs of random and hostile requests at
 * every route of src/routes.ts (and at routes and methods that do not exist) — wrong types,
 * null, huge and deep values, broken Unicode, control characters, prototype keys, duplicated
 * and misplaced query parameters, undecodable paths, bad bodies, encodings and content types,
 * and valid requests with one part broken. Every answer must be a documented 2xx or 4xx with the
 * error shape, and a rejected request must change nothing: a fingerprint of every table a
 * request can write (taken in the database itself) is compared before and after each one.
 *
 * FUZZ_RUNS (default 10,000) and FUZZ_SEED replay a run; the seed is printed first.
 */
import http from "node:http";
import { Client } from "pg";
import fc from "fast-check";
import { addDays } from "../../lib/dates";
import { takesBody, type HttpMethod, type RouteSpec } from "../../src/routes";
import { MODE, clusterMode } from "../helpers/env";
import { nodeSuite } from "../helpers/node-suite";
import { ROUTES, newHabit, registerAccount, sampleFor, uniqueEmail, type Account, type Sample } from "../helpers/route-samples";

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
jest.setTimeout(15 * 60_000);

const suite = nodeSuite({ RATE_LIMIT_LOGIN: "1000000", RATE_LIMIT_REGISTER: "1000000", MAX_HABITS_PER_USER: "60" });

/** Every status the contract documents (408 and 431: Node's parser, for requests too slow or too large). */
const DOCUMENTED = new Set([200, 201, 202, 204, 400, 401, 403, 404, 408, 409, 413, 415, 422, 429, 431]);

// ---------------------------------------------------------------- what a request is made of

const FIELD_NAMES = [
  "email",
  "password",
  "displayName",
  "timezone",
  "webhookUrl",
  "refreshToken",
  "name",
  "description",
  "color",
  "schedule",
  "target",
  "reminders",
  "startDate",
  "archived",
  "position",
  "status",
  "value",
  "note",
  "date",
  "from",
  "to",
  "limit",
  "before",
  "id",
  "type",
  "days",
  "n",
  "times",
  "unit",
];
const PROTOTYPE_KEYS = ["__proto__", "constructor", "prototype"];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));
const control = fc
  .integer({ min: 0, max: 0x9f })
  .filter((code) => code < 0x20 || code >= 0x7f)
  .map((code) => String.fromCharCode(code));
const hostileText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) },
  {
    weight: 2,
    arbitrary: fc.string({ unit: fc.oneof(fc.constantFrom("a", "é", "🍵", "\t", "\n"), loneSurrogate, control), maxLength: 8 }),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "",
      " ",
      "null",
      "true",
      "0",
      "-1",
      "1e309",
      "NaN",
      "2026-02-30",
      "2026-13-01",
      "0000-01-01",
      "1899-12-31",
      "9999-12-31",
      "2026-12-01T00:00Z",
      "2026-02-30T10:00Z",
      "2026-12-01T00:00-23:59",
      "00000000-0000-0000-0000-000000000000",
      "not-a-uuid",
      "a@b.co",
      "UPPER@EXAMPLE.COM",
      "Europe/Berlin",
      "Mars/Olympus",
      "#ffffff",
      "http://127.0.0.1/",
      "https://example.com/hook",
      "file:///etc/passwd",
      "javascript:alert(1)",
      "08:00",
      "24:00",
      "done",
      "skipped",
      "../../etc/passwd",
      "%00",
      "' OR 1=1 --",
      "${jndi:ldap://x}",
      "<script>alert(1)</script>",
      "\u0000",
      "\ud800",
      "\u202e",
      "\ufeff",
      "𝄞".repeat(60),
      "x".repeat(1001),
      "y".repeat(5000),
    ),
  },
);
const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.constantFrom(0, -0, -1, 0.5, 1e9, 1e9 + 1, 1e21, Number.MAX_SAFE_INTEGER + 2, Number.MIN_VALUE, 365, 366, 500, 1_000_000),
);
const hostileScalar = fc.oneof(hostileText, hostileNumber, fc.boolean(), fc.constant(null));
const hostileKey = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...FIELD_NAMES) },
  { weight: 2, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
  { weight: 2, arbitrary: hostileText },
);

/** A JSON value, nested a few levels, its keys drawn mostly from real field names. */
const { value: hostileValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    hostileScalar,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.array(fc.tuple(hostileKey, tie("value")), { maxLength: 5 }).map(objectOf),
  ),
}));

/** An object with these entries as own keys (`__proto__` included, as JSON.parse would make it). */
function objectOf(entries: Array<[string, unknown]>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of entries) Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
  return result;
}

type BodyPlan =
  | { kind: "none" }
  | { kind: "json"; value: unknown }
  | { kind: "mutated"; change: "replace" | "remove" | "add" | "proto"; index: number; key: string; value: unknown }
  | { kind: "sample" }
  | { kind: "text"; text: string }
  | { kind: "bytes"; bytes: Uint8Array }
  | { kind: "deep"; levels: number }
  | { kind: "huge" };

/** What replaces a valid field: null and wrong types most often, then anything. */
const replacement = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 4, arbitrary: hostileScalar },
  { weight: 2, arbitrary: hostileValue },
);

const bodyPlan: fc.Arbitrary<BodyPlan> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<BodyPlan>({ kind: "none" }) },
  { weight: 3, arbitrary: hostileValue.map<BodyPlan>((value) => ({ kind: "json", value })) },
  {
    weight: 12,
    arbitrary: fc
      .record({
        change: fc.oneof(
          { weight: 4, arbitrary: fc.constant("replace" as const) },
          { weight: 1, arbitrary: fc.constantFrom("remove" as const, "add" as const, "proto" as const) },
        ),
        index: fc.nat(),
        key: hostileKey,
        value: replacement,
      })
      .map<BodyPlan>((plan) => ({ kind: "mutated", ...plan })),
  },
  { weight: 3, arbitrary: fc.constant<BodyPlan>({ kind: "sample" }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }).map<BodyPlan>((text) => ({ kind: "text", text })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map<BodyPlan>((bytes) => ({ kind: "bytes", bytes })) },
  { weight: 1, arbitrary: fc.integer({ min: 20, max: 20_000 }).map<BodyPlan>((levels) => ({ kind: "deep", levels })) },
  { weight: 1, arbitrary: fc.constant<BodyPlan>({ kind: "huge" }) },
);

type QueryPlan = { kind: "none" } | { kind: "sample" } | { kind: "pairs"; pairs: Array<[string, string]>; withSample: boolean };
const queryPlan: fc.Arbitrary<QueryPlan> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<QueryPlan>({ kind: "sample" }) },
  { weight: 1, arbitrary: fc.constant<QueryPlan>({ kind: "none" }) },
  {
    weight: 2,
    arbitrary: fc
      .record({
        pairs: fc.array(
          fc.tuple(fc.oneof(hostileKey, fc.constantFrom("a[b]", "x[]", "archived[]", "limit[0]", "from[__proto__]")), hostileText),
          { minLength: 1, maxLength: 4 },
        ),
        withSample: fc.boolean(),
      })
      .map<QueryPlan>(({ pairs, withSample }) => ({ kind: "pairs", pairs, withSample })),
  },
);

type PathPlan =
  | { kind: "own" }
  | { kind: "other" }
  | { kind: "uuid"; uuid: string }
  | { kind: "text"; text: string }
  | { kind: "raw"; raw: string }
  | { kind: "offset"; days: number };
const pathPlan: fc.Arbitrary<PathPlan> = fc.oneof(
  { weight: 5, arbitrary: fc.constant<PathPlan>({ kind: "own" }) },
  { weight: 2, arbitrary: fc.constant<PathPlan>({ kind: "other" }) },
  { weight: 1, arbitrary: fc.uuid().map<PathPlan>((uuid) => ({ kind: "uuid", uuid })) },
  { weight: 2, arbitrary: hostileText.map<PathPlan>((text) => ({ kind: "text", text })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom("%", "%E0%A4%A", "%zz", "%00", "%2F", "..", "%2e%2e", "%C0%AF", "a%20b", "%FF%FE")
      .map<PathPlan>((raw) => ({ kind: "raw", raw })),
  },
  { weight: 2, arbitrary: fc.integer({ min: -40, max: 3 }).map<PathPlan>((days) => ({ kind: "offset", days })) },
);

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=utf-16",
  "application/json; charset=latin1",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/vnd.api+json",
  "",
  "application/jsonx",
  "*/*",
  "application/json, text/plain",
];
const ENCODINGS = ["gzip", "deflate", "br", "identity", "gzip, br", "x-garbage"];
const METHODS: Array<HttpMethod | "HEAD" | "OPTIONS"> = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

interface RequestPlan {
  route: RouteSpec;
  /** Another method than the route's, or another path: requests no route takes. */
  misroute: { kind: "none" } | { kind: "method"; method: (typeof METHODS)[number] } | { kind: "path"; suffix: string };
  params: Record<string, PathPlan>;
  query: QueryPlan;
  body: BodyPlan;
  contentType: string;
  encoding: string | null;
  token: "owner" | "none" | "garbage" | "other";
}

const requestPlan: fc.Arbitrary<RequestPlan> = fc.record({
  route: fc.constantFrom(...ROUTES),
  misroute: fc.oneof(
    { weight: 12, arbitrary: fc.constant({ kind: "none" as const }) },
    { weight: 1, arbitrary: fc.constantFrom(...METHODS).map((method) => ({ kind: "method" as const, method })) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom("/x", "/", "//", "/../me", "/%2e%2e", "/extra/segments")
        .map((suffix) => ({ kind: "path" as const, suffix })),
    },
  ),
  params: fc.record({ id: pathPlan, date: pathPlan }),
  query: queryPlan,
  body: bodyPlan,
  contentType: fc.oneof(
    { weight: 10, arbitrary: fc.constant("application/json") },
    { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
  ),
  encoding: fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(...ENCODINGS) }),
  token: fc.oneof(
    { weight: 12, arbitrary: fc.constant("owner" as const) },
    { weight: 1, arbitrary: fc.constantFrom("none" as const, "garbage" as const, "other" as const) },
  ),
});

// ---------------------------------------------------------------- turning a plan into bytes

/** Percent-encodes every byte outside the unreserved set (lone surrogates become U+FFFD's bytes). */
function encodeComponent(text: string): string {
  return [...Buffer.from(text, "utf8")]
    .map((byte) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`,
    )
    .join("");
}

interface Fixture {
  owner: Account;
  other: Account;
  ownHabits: string[];
  otherHabit: string;
  ownNotification: string;
  today: string;
}

function pathValue(plan: PathPlan, name: string, route: RouteSpec, fixture: Fixture, pick: number): string {
  const notifications = route.path.startsWith("/notifications");
  const admin = route.access === "admin";
  switch (plan.kind) {
    case "own":
      if (name === "date") return fixture.today;
      if (admin) return String(1 + (pick % 3));
      return notifications ? fixture.ownNotification : fixture.ownHabits[pick % fixture.ownHabits.length];
    case "other":
      return name === "date" ? addDays(fixture.today, 1) : fixture.otherHabit;
    case "uuid":
      return plan.uuid;
    case "text":
      return encodeComponent(plan.text) || "%20";
    case "raw":
      return plan.raw;
    case "offset":
      return name === "date" ? addDays(fixture.today, plan.days) : String(plan.days);
  }
}

/** The sample's body with one change; the sample itself when the change has nothing to act on. */
function mutated(sample: Record<string, unknown> | undefined, plan: Extract<BodyPlan, { kind: "mutated" }>): unknown {
  const base = { ...(sample ?? {}) };
  const keys = Object.keys(base);
  const existing = keys.length > 0 ? keys[plan.index % keys.length] : plan.key;
  switch (plan.change) {
    case "replace":
      return objectOf(Object.entries({ ...base, [existing]: plan.value }));
    case "remove":
      delete base[existing];
      return base;
    case "add":
      return objectOf([...Object.entries(base), [plan.key, plan.value]]);
    case "proto":
      return objectOf([...Object.entries(base), [PROTOTYPE_KEYS[plan.index % 3], { [existing]: plan.value }]]);
  }
}

function bodyBytes(plan: BodyPlan, sample: Sample): Buffer | null {
  switch (plan.kind) {
    case "none":
      return null;
    case "json":
      return Buffer.from(JSON.stringify(plan.value) ?? "null");
    case "mutated":
      return Buffer.from(JSON.stringify(mutated(sample.body, plan)));
    case "sample":
      return sample.body === undefined ? null : Buffer.from(JSON.stringify(sample.body));
    case "text":
      return Buffer.from(plan.text);
    case "bytes":
      return Buffer.from(plan.bytes);
    case "deep":
      return Buffer.from(
        `{"${Object.keys(sample.body ?? { name: 1 })[0] ?? "name"}":${"[".repeat(plan.levels)}${"]".repeat(plan.levels)}}`,
      );
    case "huge":
      return Buffer.from(JSON.stringify({ ...(sample.body ?? {}), note: "z".repeat(70_000) }));
  }
}

function queryString(plan: QueryPlan, samplePath: string): string {
  const sampleQuery = samplePath.includes("?") ? samplePath.slice(samplePath.indexOf("?") + 1) : "";
  if (plan.kind === "none") return "";
  if (plan.kind === "sample") return sampleQuery;
  const pairs = plan.pairs.map(([key, value]) => `${encodeComponent(key)}=${encodeComponent(value)}`).join("&");
  return plan.withSample && sampleQuery ? `${sampleQuery}&${pairs}` : pairs;
}

/** The sample's query string with one change (a value replaced by text, a parameter removed or added). */
function mutatedQuery(samplePath: string, plan: Extract<BodyPlan, { kind: "mutated" }>): string {
  const params = new URLSearchParams(samplePath.includes("?") ? samplePath.slice(samplePath.indexOf("?") + 1) : "");
  const fields = Object.fromEntries(params);
  const text = typeof plan.value === "string" ? plan.value : (JSON.stringify(plan.value) ?? "");
  return Object.entries(mutated(fields, { ...plan, value: text }) as Record<string, unknown>)
    .map(([key, value]) => `${encodeComponent(key)}=${encodeComponent(typeof value === "string" ? value : JSON.stringify(value))}`)
    .join("&");
}

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

function buildRequest(plan: RequestPlan, sample: Sample, fixture: Fixture, pick: number): Sent {
  let path = plan.route.path.replace(/:(\w+)/g, (_match, name: string) =>
    pathValue(plan.params[name as "id" | "date"], name, plan.route, fixture, pick),
  );
  if (plan.misroute.kind === "path") path += plan.misroute.suffix;
  const method = plan.misroute.kind === "method" ? plan.misroute.method : plan.route.method;
  // A route without a body gets its fields from the query string: a body mutation acts on that instead.
  const queryRoute = !takesBody(plan.route) && (plan.body.kind === "mutated" || plan.body.kind === "sample");
  const query = queryRoute && plan.body.kind === "mutated" ? mutatedQuery(sample.path, plan.body) : queryString(plan.query, sample.path);
  const body = queryRoute ? null : bodyBytes(plan.body, sample);
  const headers: Record<string, string> = {};
  if (body !== null) {
    headers["content-length"] = String(body.length);
    if (plan.contentType) headers["content-type"] = plan.contentType;
  }
  if (plan.encoding) headers["content-encoding"] = plan.encoding;
  const token = { owner: fixture.owner.token, other: fixture.other.token, garbage: "eyJhbGciOiJIUzI1NiJ9.e30.garbage", none: null }[
    plan.token
  ];
  if (token) headers.authorization = `Bearer ${token}`;
  return { method, path: `/api/v1${path}${query ? `?${query}` : ""}`, headers, body };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function send(port: number, request: Sent): Promise<{ status: number; contentType: string; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      { host: "127.0.0.1", port, agent, method: request.method, path: request.path, headers: request.headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            contentType: String(response.headers["content-type"] ?? ""),
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        response.on("error", reject);
      },
    );
    outgoing.on("error", reject);
    outgoing.end(request.body ?? undefined);
  });
}

// ---------------------------------------------------------------- the state a request may change

/**
 * One value summing up every row a request handler writes: accounts, sessions and refresh
 * tokens, habits, check-ins, milestones, the read marks of the inbox as it was when the run
 * began, and the number of domain events recorded. Background work (deliveries, the relay's
 * marks, reminders, notifications made after the start) is left out: no request writes it.
 */
const FINGERPRINT_SQL = `SELECT md5(concat_ws('#',
  (SELECT string_agg(u::text, '|' ORDER BY u.id) FROM users u),
  (SELECT string_agg(s.id::text || ':' || coalesce(s.revoked_at::text, '-'), '|' ORDER BY s.id) FROM sessions s),
  (SELECT string_agg(t.id::text || ':' || coalesce(t.used_at::text, '-'), '|' ORDER BY t.id) FROM refresh_tokens t),
  (SELECT string_agg(h::text, '|' ORDER BY h.id) FROM habits h),
  (SELECT string_agg(c::text, '|' ORDER BY c.habit_id, c.date) FROM checkins c),
  (SELECT string_agg(m::text, '|' ORDER BY m.habit_id, m.unit, m.milestone, m.run_start) FROM milestones m),
  (SELECT string_agg(n.id::text || ':' || coalesce(n.read_at::text, '-'), '|' ORDER BY n.id) FROM notifications n WHERE n.created_at <= $1::timestamptz),
  (SELECT count(*)::text FROM outbox WHERE event <> 'reminder.due')
)) AS fingerprint`;

/** Reads back what an accepted write stored, for the text fields it was sent: it must be what was sent. */
async function expectStoredAsSent(route: RouteSpec, request: Sent, replyText: string): Promise<void> {
  let sent: Record<string, unknown>;
  try {
    sent = JSON.parse(request.body?.toString("utf8") ?? "");
  } catch {
    return;
  }
  if (typeof sent !== "object" || sent === null) return;
  const token = fixture.owner.token;
  const reply = replyText ? JSON.parse(replyText) : null;
  const texts = (fields: string[], trimmed: string[] = []) =>
    Object.fromEntries(
      fields
        .filter((field) => typeof sent[field] === "string")
        .map((field) => [field, trimmed.includes(field) ? (sent[field] as string).trim() : sent[field]]),
    );
  let stored: Record<string, unknown> | undefined;
  let expected: Record<string, unknown> = {};
  if (route.action === "habits.create" || route.action === "habits.update") {
    const habit = (await suite.api.get(`/habits/${reply.id}`, token)).body;
    stored = { name: habit.name, description: habit.description, unit: habit.target?.unit };
    expected = texts(["name", "description"], ["name"]);
    const unit = (sent.target as { unit?: unknown } | undefined)?.unit;
    if (typeof unit === "string") expected.unit = unit;
  } else if (route.action === "auth.updateProfile") {
    stored = (await suite.api.get("/me", token)).body;
    expected = texts(["displayName"], ["displayName"]);
  } else if (route.action === "tracking.put" || route.action === "tracking.post") {
    stored = (await suite.api.get(`/habits/${reply.habitId}/checkins?from=${reply.date}&to=${reply.date}`, token)).body[0];
    expected = texts(["note"]);
  }
  if (stored && Object.keys(expected).length > 0)
    expect({ route: route.action, stored: pick(stored, Object.keys(expected)) }).toEqual({ route: route.action, stored: expected });
}

function sentNewPassword(request: Sent): string | undefined {
  try {
    const sent = JSON.parse(request.body?.toString("utf8") ?? "");
    return typeof sent?.newPassword === "string" ? sent.newPassword : undefined;
  } catch {
    return undefined;
  }
}

function pick(record: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, record[key]]));
}

// ---------------------------------------------------------------- the suite

let fixture: Fixture;
let fingerprint: () => Promise<string>;
let cluster: Client | null = null;

async function topUpHabits(): Promise<void> {
  const context = { api: suite.api, owner: fixture.owner, today: fixture.today };
  while (fixture.ownHabits.length < 3) {
    fixture.ownHabits.push(
      await newHabit(context, fixture.ownHabits.length % 2 === 0 ? {} : { target: { type: "at_least", value: 2, unit: "km" } }),
    );
  }
}

async function freshOwnerToken(): Promise<void> {
  const reply = await suite.api.post("/auth/login", { email: fixture.owner.email, password: fixture.owner.password });
  expect(reply.status).toBe(200);
  fixture.owner.token = reply.body.accessToken;
}

beforeAll(async () => {
  const owner = await registerAccount(suite.api, uniqueEmail("fuzz-owner"));
  const other = await registerAccount(suite.api, uniqueEmail("fuzz-other"));
  const today = (await suite.api.get("/today", owner.token)).body.date as string;
  fixture = { owner, other, today, ownHabits: [], otherHabit: "", ownNotification: "" };
  await topUpHabits();
  fixture.otherHabit = await newHabit({ api: suite.api, owner: other, today });
  for (const offset of [1, 2, 3])
    await suite.api.request("PUT", `/habits/${fixture.ownHabits[0]}/checkins/${addDays(today, -offset)}`, { body: {}, token: owner.token });
  const deadline = Date.now() + 15_000;
  while (!fixture.ownNotification && Date.now() < deadline) {
    fixture.ownNotification = (await suite.api.get("/notifications", owner.token)).body[0]?.id ?? "";
    if (!fixture.ownNotification) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const startedAt = new Date().toISOString();
  if (clusterMode) {
    cluster = new Client({ connectionString: suite.node.config.databaseUrl as string });
    // The suite drops its database when it ends, possibly before this client has closed.
    cluster.on("error", () => undefined);
    await cluster.connect();
    fingerprint = async () => (await cluster!.query<{ fingerprint: string }>(FINGERPRINT_SQL, [startedAt])).rows[0].fingerprint;
  } else {
    fingerprint = async () => (await suite.query<{ fingerprint: string }>(FINGERPRINT_SQL, [startedAt]))[0].fingerprint;
  }
});

afterAll(async () => {
  agent.destroy();
  await cluster?.end();
});

describe(`hostile input at every route (${MODE} mode)`, () => {
  it(`${RUNS} seeded requests: never a 5xx, always a documented status, and a rejected request changes nothing`, async () => {
    process.stdout.write(`fuzz seed ${SEED} (${MODE} mode, ${RUNS} requests): replay with FUZZ_SEED=${SEED}\n`);
    const port = suite.node.port as number;
    // One sample per route, made before the first fingerprint (making one writes); a plan takes
    // its body and query from it, and everything else from the plan.
    const samples = new Map<RouteSpec, Sample>();
    for (const route of ROUTES) samples.set(route, await sampleFor(route)({ api: suite.api, owner: fixture.owner, today: fixture.today }));
    let before = await fingerprint();
    const counts = { total: 0, accepted: 0, rejected: 0 };
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requestPlan, fc.nat(), async (plan, pick) => {
        const request = buildRequest(plan, samples.get(plan.route) as Sample, fixture, pick);
        const reply = await send(port, request);
        counts.total++;
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        const context = `${request.method} ${request.path} ${JSON.stringify(request.headers)} body=${request.body?.toString("utf8").slice(0, 300)}`;
        expect({ context, status: reply.status, documented: DOCUMENTED.has(reply.status) }).toEqual({
          context,
          status: reply.status,
          documented: true,
        });
        if (reply.status >= 400 && request.method !== "HEAD") {
          expect(reply.contentType).toContain("application/json");
          expect(JSON.parse(reply.text)).toMatchObject({
            name: expect.any(String),
            message: expect.any(String),
            code: reply.status,
            type: expect.any(String),
          });
        }
        const after = await fingerprint();
        if (reply.status >= 400) {
          counts.rejected++;
          expect({ context, changed: after !== before }).toEqual({ context, changed: false });
          return;
        }
        counts.accepted++;
        // An accepted request may change things: follow along, and keep the fixture usable.
        // (A misrouted plan may still reach its route: a trailing slash, or the route's own method.)
        if (plan.token === "owner") {
          if (plan.misroute.kind === "none") await expectStoredAsSent(plan.route, request, reply.text);
          if (plan.route.action === "auth.logout" || plan.route.action === "auth.logoutAll") await freshOwnerToken();
          // A mutated body may have set a password other than the sample's: the owner has it now.
          if (plan.route.action === "auth.changePassword") fixture.owner.password = sentNewPassword(request) ?? fixture.owner.password;
          if (plan.route.action === "habits.remove") {
            fixture.ownHabits = (await suite.api.get("/habits", fixture.owner.token)).body.map((habit: { id: string }) => habit.id);
            const archived = (await suite.api.get("/habits?archived=true", fixture.owner.token)).body.map(
              (habit: { id: string }) => habit.id,
            );
            fixture.ownHabits.push(...archived);
            await topUpHabits();
          }
        }
        before = await fingerprint();
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    process.stdout.write(
      `fuzz ${MODE}: ${counts.total} requests, ${counts.accepted} accepted, ${counts.rejected} rejected; by status: ${[...statuses]
        .sort(([a], [b]) => a - b)
        .map(([status, n]) => `${status}×${n}`)
        .join(" ")}\n`,
    );
    expect(counts.total).toBe(RUNS);
    // The plans reach past validation too: a good share is accepted.
    expect(counts.accepted).toBeGreaterThan(RUNS / 50);
  });
});
