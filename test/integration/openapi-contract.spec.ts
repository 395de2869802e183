/**
 * The API description holds for the live server (in the current mode): every operation of GET
 * /api/openapi.json is called with its valid sample (test/helpers/route-samples.ts) and with
 * requests each documented error kind answers (no token, a stranger's id, an unknown field,
 * malformed JSON, a body that is not JSON, one over the limit, a non-admin on an admin route,
 * a rate limit), and every answer must be documented for its operation and match the schema
 * documented for its status (test/helpers/openapi-validator.ts: Ajv, JSON Schema 2020-12).
 */
import { randomUUID } from "node:crypto";
import { startNode, type HabitNode } from "../../src/node";
import { takesBody, type RouteSpec } from "../../src/routes";
import { openApiPath } from "../../src/openapi";
import { MODE, suiteEnv, type SuiteEnv } from "../helpers/env";
import { Api, type Reply } from "../helpers/http";
import { nodeSuite } from "../helpers/node-suite";
import { OpenApiValidator } from "../helpers/openapi-validator";
import {
  PASSWORD,
  ROUTES,
  registerAccount,
  routeKey,
  sampleBody,
  sampleFor,
  uniqueEmail,
  type Account,
  type Sample,
} from "../helpers/route-samples";

jest.setTimeout(180_000);

const ADMIN = uniqueEmail("admin");
// Small body limits, so a probe can go over them: JSON bodies, and the import routes' own.
const BODY_LIMIT = 4096;
const IMPORT_LIMIT = 65536;
const suite = nodeSuite({
  ADMIN_EMAILS: ADMIN,
  BODY_LIMIT_BYTES: String(BODY_LIMIT),
  IMPORT_LIMIT_BYTES: String(IMPORT_LIMIT),
  RATE_LIMIT_PASSWORD_RESET: "1000",
});

let validator: OpenApiValidator;
let admin: Account;

async function login(account: Pick<Account, "email">): Promise<string> {
  const reply = await suite.api.post("/auth/login", { email: account.email, password: PASSWORD });
  expect(reply.status).toBe(200);
  return reply.body.accessToken as string;
}

/** The account a route's sample acts as: a fresh one (samples may log out or delete it), or the admin. */
async function ownerFor(route: RouteSpec): Promise<Account> {
  if (route.access === "admin") return { ...admin, token: await login(admin) };
  return registerAccount(suite.api);
}

async function prepared(route: RouteSpec): Promise<{ owner: Account; sample: Sample }> {
  const owner = await ownerFor(route);
  const today = (await suite.api.get("/today", owner.token)).body.date as string;
  return { owner, sample: await sampleFor(route)({ api: suite.api, owner, today }) };
}

function send(
  route: RouteSpec,
  path: string,
  options: { body?: unknown; raw?: string | Uint8Array; token?: string; headers?: Record<string, string> },
) {
  return suite.api.request(route.method, path, options);
}

/** Asserts the answer is documented for the route's operation and matches it. */
function expectDocumented(route: RouteSpec, reply: Reply): void {
  const verdict = validator.check(route.method, openApiPath(route.path), reply);
  expect({ route: routeKey(route), status: reply.status, problems: verdict.problems }).toEqual({
    route: routeKey(route),
    status: reply.status,
    problems: [],
  });
}

/** The sample's path with its first path parameter replaced by an id that names nothing of the caller's. */
function strangersPath(route: RouteSpec, sample: Sample): string {
  const [path, query] = sample.path.split("?");
  const segments = path.split("/");
  const index = route.path.split("/").findIndex((segment) => segment.startsWith(":"));
  segments[index] = /^\d+$/.test(segments[index]) ? "987654321" : randomUUID();
  return segments.join("/") + (query ? `?${query}` : "");
}

beforeAll(async () => {
  const reply = await fetch(`http://127.0.0.1:${suite.node.port}/api/openapi.json`);
  expect(reply.status).toBe(200);
  validator = new OpenApiValidator((await reply.json()) as Record<string, unknown>);
  admin = await registerAccount(suite.api, ADMIN);
});

describe(`the API description against the live server (${MODE} mode)`, () => {
  it("documents exactly the served routes", () => {
    const documented = Object.entries(validator.document.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(ROUTES.map((route) => `${route.method} ${openApiPath(route.path)}`).sort());
  });

  const routes = ROUTES.map((route) => [routeKey(route), route] as const);

  it.each(routes)("%s: the sample's answer is documented and matches", async (_key, route) => {
    const { owner, sample } = await prepared(route);
    const reply = await send(route, sample.path, { ...sampleBody(sample), token: owner.token });
    expect({ status: reply.status, ok: sample.ok.includes(reply.status) }).toEqual({ status: reply.status, ok: true });
    expectDocumented(route, reply);
  });

  it.each(routes)("%s: its error answers are documented and match the Error schema", async (_key, route) => {
    const { owner, sample } = await prepared(route);
    const token = owner.token;
    const replies: Reply[] = [];
    const body = sampleBody(sample);
    // A route whose body is a file (its `requestBody`) is refused otherwise than a JSON one.
    const file = route.requestBody && !route.requestBody.contentType.includes("json") ? route.requestBody.contentType : null;
    const limit = route.requestBody ? IMPORT_LIMIT : BODY_LIMIT;
    if (route.access !== "public") replies.push(await send(route, sample.path, body));
    if (route.access === "admin")
      replies.push(await send(route, sample.path, { ...body, token: (await registerAccount(suite.api)).token }));
    if (route.path.includes(":")) replies.push(await send(route, strangersPath(route, sample), { ...body, token }));
    if (file) {
      const as = { "content-type": file };
      replies.push(await send(route, sample.path, { raw: Buffer.from("not what this route reads"), headers: as, token }));
      replies.push(await send(route, sample.path, { raw: Buffer.alloc(limit + 1024), headers: as, token }));
      replies.push(await send(route, sample.path, { raw: "plain text", headers: { "content-type": "text/plain" }, token }));
    } else if (takesBody(route)) {
      replies.push(await send(route, sample.path, { body: { ...sample.body, unexpectedField: 1 }, token }));
      replies.push(await send(route, sample.path, { raw: '{"unterminated": ', token }));
      replies.push(await send(route, sample.path, { raw: "plain text", headers: { "content-type": "text/plain" }, token }));
      replies.push(await send(route, sample.path, { body: { ...sample.body, padding: "x".repeat(limit + 1024) }, token }));
    } else {
      replies.push(await send(route, `${sample.path}${sample.path.includes("?") ? "&" : "?"}unexpectedField=1`, { token }));
    }
    const statuses = replies.map((reply) => reply.status);
    // Each probe was refused (no probe may pass for a success), and each refusal is documented.
    expect(statuses.filter((status) => status < 400)).toEqual([]);
    for (const reply of replies) expectDocumented(route, reply);
    expect(statuses).toContain(422);
    if (route.access !== "public") expect(statuses).toContain(401);
    if (takesBody(route)) expect(statuses).toEqual(expect.arrayContaining(file ? [413, 415] : [400, 413, 415]));
  });

  it("the handlers' own refusals are documented: a taken e-mail (409), wrong credentials (401)", async () => {
    const register = ROUTES.find((route) => route.action === "auth.register") as RouteSpec;
    const loginRoute = ROUTES.find((route) => route.action === "auth.login") as RouteSpec;
    const account = await registerAccount(suite.api);
    const taken = await suite.api.post("/auth/register", { email: account.email, password: PASSWORD });
    expect(taken.status).toBe(409);
    expectDocumented(register, taken);
    const wrong = await suite.api.post("/auth/login", { email: account.email, password: "not the password" });
    expect(wrong.status).toBe(401);
    expectDocumented(loginRoute, wrong);
  });
});

describe(`rate limits as documented (${MODE} mode)`, () => {
  let env: SuiteEnv;
  let node: HabitNode;
  let api: Api;

  beforeAll(async () => {
    env = await suiteEnv({ RATE_LIMIT_LOGIN: "1", RATE_LIMIT_REGISTER: "1", RATE_LIMIT_PASSWORD_RESET: "1" });
    node = await startNode(env.env);
    api = new Api(`http://127.0.0.1:${node.port}/api/v1`);
  });

  afterAll(async () => {
    await node?.stop();
    await env?.cleanup();
  });

  const limited = ROUTES.filter((route) => route.access === "public");

  it.each(limited.map((route) => [routeKey(route), route] as const))("%s: a 429, when it is documented, matches", async (_key, route) => {
    const body = { email: uniqueEmail("limited"), password: PASSWORD };
    const replies: Reply[] = [];
    for (let i = 0; i < 3; i++) replies.push(await api.request(route.method, route.path, { body }));
    const documents429 = "429" in validator.operation(route.method, openApiPath(route.path)).responses;
    const limitedReplies = replies.filter((reply) => reply.status === 429);
    // Documented exactly when the gateway limits the route.
    expect({ route: routeKey(route), limited: limitedReplies.length > 0 }).toEqual({ route: routeKey(route), limited: documents429 });
    for (const reply of limitedReplies) {
      expect(reply.headers.get("retry-after")).toMatch(/^\d+$/);
      expectDocumented(route, reply);
    }
  });
});
