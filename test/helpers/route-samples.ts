/**
 * A valid request for every route (read off the actions, src/routes.ts), made against a user's own fresh data: the
 * authorization matrix sends each with every kind of token, and the fuzz suite mutates them.
 * A route missing here fails `sampleFor`, so a new route cannot slip past either suite.
 */
import { randomUUID } from "node:crypto";
import type { RouteSpec } from "../../src/routes";
import { apiRoutes } from "../../src/node";
import { addDays } from "../../lib/dates";
import type { Api } from "./http";
import { waitFor } from "./processes";
import { buildLoopBackup } from "./loop-backup-builder";

export interface Account {
  email: string;
  password: string;
  token: string;
  userId: string;
}

/** What the samples build on: the API, and the account whose data they use. */
export interface SampleContext {
  api: Api;
  owner: Account;
  /** The owner's local date today. */
  today: string;
}

export interface Sample {
  /** The path under /api/v1, parameters filled in. */
  path: string;
  body?: Record<string, unknown>;
  /** A body that is not JSON (a file upload), instead of `body`. */
  upload?: { bytes: Buffer; contentType: string };
  /** The statuses a call by the owner may answer. */
  ok: number[];
}

type Prepare = (context: SampleContext) => Promise<Sample>;

export const PASSWORD = "correct horse battery";
let counter = 0;
export const uniqueEmail = (label = "user") => `${label}-${Date.now()}-${counter++}@example.com`;

export async function registerAccount(api: Api, email = uniqueEmail()): Promise<Account> {
  const reply = await api.post("/auth/register", { email, password: PASSWORD });
  if (reply.status !== 201) throw new Error(`register answered ${reply.status}`);
  return { email, password: PASSWORD, token: reply.body.accessToken, userId: reply.body.user.id };
}

/** A new habit of the owner's, started a week ago. */
export async function newHabit(context: SampleContext, body: Record<string, unknown> = {}): Promise<string> {
  const { api, owner, today } = context;
  const reply = await api.post("/habits", { name: "sample", startDate: addDays(today, -7), ...body }, owner.token);
  if (reply.status !== 201) throw new Error(`create habit answered ${reply.status}`);
  return reply.body.id as string;
}

/** The owner's welcome notification, once it has arrived (it is made from the outbox, after the registration returned). */
function ownNotification({ api, owner }: SampleContext): Promise<string> {
  return waitFor("the owner's welcome notification", async () => {
    const reply = await api.get("/notifications?limit=1", owner.token);
    return (reply.body?.[0]?.id as string | undefined) ?? undefined;
  });
}

const SAMPLES: Record<string, Prepare> = {
  "POST /auth/register": async () => ({ path: "/auth/register", body: { email: uniqueEmail("sample"), password: PASSWORD }, ok: [201] }),
  "POST /auth/login": async ({ owner }) => ({ path: "/auth/login", body: { email: owner.email, password: owner.password }, ok: [200] }),
  // A well-formed refresh token that is nobody's: a real one would rotate (or, reused, revoke) a session.
  "POST /auth/refresh": async () => ({ path: "/auth/refresh", body: { refreshToken: `${randomUUID()}.not-a-real-secret` }, ok: [401] }),
  "POST /auth/logout": async () => ({ path: "/auth/logout", body: {}, ok: [204] }),
  "POST /auth/logout-all": async () => ({ path: "/auth/logout-all", body: {}, ok: [204] }),
  "GET /me": async () => ({ path: "/me", ok: [200] }),
  "PATCH /me": async () => ({
    path: "/me",
    body: { displayName: "Sample", timezone: "Europe/Berlin", webhookUrl: "https://hooks.example.com/me" },
    ok: [200],
  }),
  "GET /me/webhook": async () => ({ path: "/me/webhook", ok: [200] }),
  // The same password again: the call succeeds (other sessions of the owner end) and the owner can go on.
  "POST /auth/password": async ({ owner }) => ({
    path: "/auth/password",
    body: { currentPassword: owner.password, newPassword: owner.password },
    ok: [204],
  }),
  "POST /auth/password-reset": async ({ owner }) => ({ path: "/auth/password-reset", body: { email: owner.email }, ok: [202] }),
  // A token nobody was sent: a real one would change the owner's password and end the owner's sessions.
  "POST /auth/password-reset/confirm": async () => ({
    path: "/auth/password-reset/confirm",
    body: { token: "not-a-real-reset-token", newPassword: PASSWORD },
    ok: [422],
  }),
  // A wrong password: the right one would delete the owner the other samples build on.
  "DELETE /me": async () => ({ path: "/me", body: { password: "not the owner's password" }, ok: [403] }),
  "GET /me/export": async (context) => {
    await newHabit(context);
    return { path: "/me/export", ok: [200] };
  },
  "POST /me/import": async ({ today }) => ({
    path: "/me/import",
    body: {
      format: "habit-tracker-export",
      version: 1,
      habits: [{ name: "Imported", startDate: addDays(today, -3), checkins: [{ date: addDays(today, -1), status: "done" }] }],
    },
    ok: [200],
  }),
  "POST /me/import/loop": async ({ today }) => ({
    path: "/me/import/loop",
    upload: {
      bytes: buildLoopBackup({
        habits: [{ name: "From Loop", repetitions: [{ date: addDays(today, -2) }, { date: addDays(today, -1) }] }],
      }),
      contentType: "application/octet-stream",
    },
    ok: [200],
  }),
  "GET /me/notification-settings": async () => ({ path: "/me/notification-settings", ok: [200] }),
  "PATCH /me/notification-settings": async () => ({
    path: "/me/notification-settings",
    body: { channels: { email: true, webhook: false }, types: { reminder: true } },
    ok: [200],
  }),
  "POST /me/webhook/rotate-secret": async ({ api, owner }) => {
    await api.patch("/me", { webhookUrl: "https://hooks.example.com/sample" }, owner.token);
    return { path: "/me/webhook/rotate-secret", body: {}, ok: [200] };
  },
  "POST /habits": async () => ({
    path: "/habits",
    body: {
      name: "Water",
      description: "",
      color: "#00aaff",
      schedule: { type: "weekdays", days: [1, 3] },
      target: { type: "at_least", value: 8, unit: "glasses" },
      reminders: ["08:00"],
      startDate: "2026-01-01",
    },
    ok: [201],
  }),
  "GET /habits": async () => ({ path: "/habits?archived=false", ok: [200] }),
  "GET /habits/:id": async (context) => ({ path: `/habits/${await newHabit(context)}`, ok: [200] }),
  "PATCH /habits/:id": async (context) => ({
    path: `/habits/${await newHabit(context)}`,
    body: {
      name: "Renamed",
      description: "now with a description",
      color: null,
      schedule: { type: "every_n_days", n: 2 },
      target: { type: "boolean" },
      reminders: ["07:30", "21:00"],
      startDate: addDays(context.today, -7),
      archived: false,
      position: 0,
    },
    ok: [200],
  }),
  "DELETE /habits/:id": async (context) => ({ path: `/habits/${await newHabit(context)}`, ok: [204] }),
  "PUT /habits/:id/checkins/:date": async (context) => ({
    path: `/habits/${await newHabit(context)}/checkins/${addDays(context.today, -1)}`,
    body: { status: "done", value: null, note: "sample" },
    ok: [201],
  }),
  "DELETE /habits/:id/checkins/:date": async (context) => {
    const id = await newHabit(context);
    await context.api.request("PUT", `/habits/${id}/checkins/${context.today}`, { body: {}, token: context.owner.token });
    return { path: `/habits/${id}/checkins/${context.today}`, ok: [204] };
  },
  "GET /habits/:id/checkins": async (context) => ({
    path: `/habits/${await newHabit(context)}/checkins?from=${addDays(context.today, -7)}&to=${context.today}`,
    ok: [200],
  }),
  "POST /habits/:id/checkins": async (context) => ({
    path: `/habits/${await newHabit(context)}/checkins`,
    body: { date: context.today, status: "skipped" },
    ok: [201],
  }),
  "GET /habits/:id/streak": async (context) => ({ path: `/habits/${await newHabit(context)}/streak`, ok: [200] }),
  "GET /habits/:id/stats": async (context) => ({
    path: `/habits/${await newHabit(context)}/stats?from=${addDays(context.today, -7)}`,
    ok: [200],
  }),
  "GET /today": async () => ({ path: "/today", ok: [200] }),
  "GET /notifications": async () => ({ path: "/notifications?limit=5&unread=true", ok: [200] }),
  "GET /notifications/unread-count": async () => ({ path: "/notifications/unread-count", ok: [200] }),
  "POST /notifications/read-all": async () => ({ path: "/notifications/read-all", body: {}, ok: [204] }),
  "POST /notifications/:id/read": async (context) => ({
    path: `/notifications/${await ownNotification(context)}/read`,
    body: {},
    ok: [204],
  }),
  "GET /admin/dead-letters": async () => ({ path: "/admin/dead-letters?limit=10", ok: [200] }),
  "POST /admin/dead-letters/retry": async () => ({ path: "/admin/dead-letters/retry", body: {}, ok: [200] }),
  "POST /admin/dead-letters/:id/retry": async () => ({ path: "/admin/dead-letters/999999999/retry", body: {}, ok: [404] }),
};

export const routeKey = (route: Pick<RouteSpec, "method" | "path">) => `${route.method} ${route.path}`;

export function sampleFor(route: RouteSpec): Prepare {
  const prepare = SAMPLES[routeKey(route)];
  if (!prepare) throw new Error(`no sample request for ${routeKey(route)}: add one to test/helpers/route-samples.ts`);
  return prepare;
}

/** The request options that send a sample's body (JSON or an upload). */
export function sampleBody(sample: Sample): { body?: unknown; raw?: Uint8Array; headers?: Record<string, string> } {
  return sample.upload ? { raw: sample.upload.bytes, headers: { "content-type": sample.upload.contentType } } : { body: sample.body };
}

/** Every route, for table-driven tests: the table the gateway builds from the action declarations. */
export const ROUTES = apiRoutes();
