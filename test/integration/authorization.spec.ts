/**
 * The authorization matrix (issue 8): every route of src/routes.ts × every kind of credential
 * → the status the contract gives. Each cell gets fresh data of its own (the route samples of
 * test/helpers/route-samples.ts) and fresh tokens, so destructive routes cannot spoil others.
 */
import jwt from "jsonwebtoken";
import { randomUUID } from "node:crypto";
import { resolveJwtSecret } from "../../src/secrets";
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from "../../src/tokens";
import type { RouteSpec } from "../../src/routes";
import { MODE } from "../helpers/env";
import { nodeSuite } from "../helpers/node-suite";
import {
  PASSWORD,
  ROUTES,
  registerAccount,
  routeKey,
  sampleBody,
  sampleFor,
  uniqueEmail,
  type Account,
  type SampleContext,
} from "../helpers/route-samples";

jest.setTimeout(180_000);

const ADMIN = uniqueEmail("admin");
const suite = nodeSuite({ ADMIN_EMAILS: ADMIN });

type Credential = "none" | "malformed" | "expired" | "forged" | "another user's" | "revoked" | "non-admin" | "admin";
const CREDENTIALS: Credential[] = ["none", "malformed", "expired", "forged", "another user's", "revoked", "non-admin", "admin"];

const MALFORMED = ["Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "bearer a.b.c", "Bearer a.b", "Token x.y.z", "Bearer a.b.c extra"];

let owner: Account;
let other: Account;
let today: string;

async function login(account: Pick<Account, "email">): Promise<string> {
  const reply = await suite.api.post("/auth/login", { email: account.email, password: PASSWORD });
  expect(reply.status).toBe(200);
  return reply.body.accessToken as string;
}

function sign(claims: Record<string, unknown>, options: jwt.SignOptions, secret = resolveJwtSecret(suite.node.config)): string {
  return jwt.sign(claims, secret, { algorithm: "HS256", issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE, jwtid: randomUUID(), ...options });
}

/** The Authorization header a credential kind sends (undefined: none), minted fresh. */
async function headerFor(credential: Credential, cell: number): Promise<string | undefined> {
  switch (credential) {
    case "none":
      return undefined;
    case "malformed":
      return MALFORMED[cell % MALFORMED.length];
    case "expired": {
      const { sub, sid } = jwt.decode(await login(owner)) as { sub: string; sid: string };
      const now = Math.floor(Date.now() / 1000);
      return `Bearer ${sign({ role: "user", sid, iat: now - 900, exp: now - 60 }, { subject: sub })}`;
    }
    case "forged": {
      const genuine = await login(owner);
      const { sub, sid } = jwt.decode(genuine) as { sub: string; sid: string };
      const [header, , signature] = genuine.split(".");
      const forgeries = [
        // Our claims, another key, an admin's role.
        sign({ role: "admin", sid }, { subject: sub, expiresIn: 60 }, "another-key-that-is-at-least-32-bytes-long"),
        // The genuine signature on claims changed to another user.
        `${header}.${Buffer.from(JSON.stringify({ ...(jwt.decode(genuine) as object), sub: other.userId })).toString("base64url")}.${signature}`,
        // Unsigned.
        `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${genuine.split(".")[1]}.`,
      ];
      return `Bearer ${forgeries[cell % forgeries.length]}`;
    }
    case "another user's":
      return `Bearer ${await login(other)}`;
    case "revoked": {
      const token = await login(owner);
      expect((await suite.api.post("/auth/logout", {}, token)).status).toBe(204);
      return `Bearer ${token}`;
    }
    case "non-admin":
      return `Bearer ${await login(owner)}`;
    case "admin":
      return `Bearer ${await login({ email: ADMIN })}`;
  }
}

/** The status the contract gives a route called with a credential; `ok` is the sample's success. */
function expected(route: RouteSpec, credential: Credential, ok: number[]): number[] {
  if (route.access === "public") return ok; // credentials are not read on public routes
  if (["none", "malformed", "expired", "forged", "revoked"].includes(credential)) return [401];
  if (route.access === "admin") return credential === "admin" ? ok : [403];
  // Another user's resources are 404 to everyone else, admins included: the role opens admin routes only.
  if (credential === "another user's" || credential === "admin") return route.path.includes(":id") ? [404] : ok;
  return ok;
}

beforeAll(async () => {
  owner = await registerAccount(suite.api, uniqueEmail("owner"));
  other = await registerAccount(suite.api, uniqueEmail("other"));
  const admin = await registerAccount(suite.api, ADMIN);
  // Each has a webhook (rotate-secret needs one); the owner's inbox has its welcome in it.
  for (const account of [owner, other, admin]) await suite.api.patch("/me", { webhookUrl: "https://hooks.example.com/x" }, account.token);
  today = (await suite.api.get("/today", owner.token)).body.date;
  const deadline = Date.now() + 15_000;
  while ((await suite.api.get("/notifications", owner.token)).body.length === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

describe(`authorization matrix (${MODE} mode)`, () => {
  it("has a sample request for every route", () => {
    for (const route of ROUTES) expect(() => sampleFor(route)).not.toThrow();
  });

  const cells = ROUTES.flatMap((route) => CREDENTIALS.map((credential) => [routeKey(route), credential, route] as const));

  it.each(cells)("%s with %s credentials", async (_key, credential, route) => {
    const cell = cells.findIndex(([, c, r]) => c === credential && r === route);
    // A token of the owner's own for preparing the data: an earlier cell may have logged out all of them.
    const context: SampleContext = { api: suite.api, owner: { ...owner, token: await login(owner) }, today };
    const sample = await sampleFor(route)(context);
    const authorization = await headerFor(credential, cell);
    const { headers, ...body } = sampleBody(sample);
    const reply = await suite.api.request(route.method, sample.path, {
      ...body,
      headers: { ...headers, ...(authorization === undefined ? {} : { authorization }) },
    });
    const allowed = expected(route, credential, sample.ok);
    expect({ status: reply.status, allowed: allowed.includes(reply.status) }).toEqual({ status: reply.status, allowed: true });
    if (reply.status === 401) expect(reply.body).toMatchObject({ name: "UnauthorizedError", code: 401 });
    if (reply.status === 403) expect(reply.body).toMatchObject({ code: 403, type: "FORBIDDEN" });
  });
});
