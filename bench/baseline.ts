/**
 * The benchmark's baseline (README, "Performance"): a bare `node:http` server that does, for each
 * benchmarked route, what the route cannot do without — the same I/O as habit-tracker (its
 * prepared statements, its transaction, its store reads and writes, JWT verification with a
 * KeyObject) through `pg` and `ioredis` directly, and the same pure domain code (lib/) — and
 * nothing else: no broker, no gateway, no validation library, no metrics, no logging. The
 * throughput of habit-tracker over this server's is what the stack and our code around the I/O
 * cost. Runs as its own process: PORT, DATABASE_URL, REDIS_URL, NAMESPACE, JWT_SECRET.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { Pool, type PoolClient } from "pg";
import Redis from "ioredis";
import { isValidDate, todayIn, type LocalDate } from "../lib/dates";
import { isCompleted, type CheckinFacts, type CheckinStatus } from "../lib/habit-rules";
import { streakView } from "../lib/progress";
import { assertCheckinFits, milestonesReached } from "../lib/checkin-rules";
import { RuleViolation } from "../lib/rule-violation";
import { AccessTokens } from "../src/tokens";
import { SessionCache } from "../src/session-cache";
import { DENYLIST_LOADED_KEY, denylistKey } from "../src/denylist";
import { timezoneKey } from "../src/user-timezones";
import { defineStoreScripts } from "../src/store";
import type { Statement } from "../src/sql";
import { isCurrent, summarize, withTodayCheckin, type CachedProgress, type HabitState, type StreakEntry } from "../src/streak-cache";
import { HABITS_OF_USER, publicHabit, toDefinition, type HabitDefinition, type HabitRecord } from "../src/data/habits";
import * as checkins from "../src/data/checkins";
import { INSERT_EVENT } from "../src/data/outbox";
import { LIVE_SESSION_TIMEZONE, RECENTLY_REVOKED } from "../src/data/accounts";

const env = process.env;
const prefix = `habit-tracker:${env.NAMESPACE ?? ""}:`;
const pool = new Pool({ connectionString: env.DATABASE_URL, max: 10 });
const redis = defineStoreScripts(new Redis(env.REDIS_URL as string, { enableAutoPipelining: true }));
const tokens = new AccessTokens(env.JWT_SECRET as string, 15 * 60);
const sessions = new SessionCache<string>(
  async (sessionId, userId) => (await query<{ timezone: string }>(LIVE_SESSION_TIMEZONE, [sessionId, userId]))[0]?.timezone ?? null,
  { ttlMs: 5 * 60_000, maxEntries: 20_000 },
);

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function query<T>(statement: Statement, values: unknown[], client?: PoolClient): Promise<T[]> {
  return (await (client ?? pool).query({ name: statement.name, text: statement.text, values })).rows as T[];
}

const putDocument = (key: string, document: { revision: number; pending?: true; value?: unknown }, ttlSeconds: number) =>
  redis.putIfNewer(prefix + key, JSON.stringify(document), document.revision, ttlSeconds);

interface Caller {
  userId: string;
  timezone: string;
}

/** The gateway's part: the token, then one MGET for revocation, the session and the zone. */
async function authenticate(req: IncomingMessage): Promise<Caller> {
  const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
  if (!match) throw new HttpError(401, "Missing access token");
  let claims;
  try {
    claims = tokens.verify(match[1]);
  } catch {
    throw new HttpError(401, "Invalid access token");
  }
  const [loaded, revoked, zone] = await redis.mget(
    prefix + DENYLIST_LOADED_KEY,
    prefix + denylistKey(claims.sessionId),
    prefix + timezoneKey(claims.userId),
  );
  if (revoked !== null) throw new HttpError(401, "Access token revoked");
  if (loaded === null) {
    const ids = await query<{ id: string }>(RECENTLY_REVOKED, [15 * 60 + 5, null]);
    if (ids.some((row) => row.id === claims.sessionId)) throw new HttpError(401, "Access token revoked");
    await redis.set(prefix + DENYLIST_LOADED_KEY, "1");
  }
  if (zone !== null && sessions.cached(claims.sessionId, claims.userId) !== undefined) return { userId: claims.userId, timezone: zone };
  const confirmed = await sessions.confirm(claims.sessionId, claims.userId);
  if (confirmed === null) throw new HttpError(401, "Invalid access token");
  await redis.set(prefix + timezoneKey(claims.userId), confirmed, "EX", 7 * 24 * 3600);
  return { userId: claims.userId, timezone: confirmed };
}

interface Stored<T> {
  revision: number;
  value?: T;
}
const found = <T>(raw: string | null): { revision: number; value: T } | null => {
  const document = raw === null ? null : (JSON.parse(raw) as Stored<T>);
  return document?.value !== undefined ? { revision: document.revision, value: document.value } : null;
};

async function habitsOf(userId: string, raw: string | null): Promise<HabitDefinition[]> {
  const published = found<HabitDefinition[]>(raw);
  if (published) return published.value;
  const rows = await query<{ listRevision: number } & HabitRecord>(HABITS_OF_USER, [userId]);
  const habits = rows.filter((row) => row.id !== null).map(toDefinition);
  await putDocument(`habits:user:${userId}`, { revision: rows[0].listRevision, value: habits }, 24 * 3600);
  return habits;
}

async function recompute(ids: string[], states: Map<string, HabitState>): Promise<Map<string, CachedProgress>> {
  const computed = new Map<string, CachedProgress>();
  if (ids.length === 0) return computed;
  const rows = await query<{ habitId: string; revision: number; history: string | null }>(checkins.SNAPSHOT, [ids]);
  await Promise.all(
    rows.map((row) => {
      const summary = summarize(states.get(row.habitId) as HabitState, checkins.unpackHistory(row.history));
      computed.set(row.habitId, summary);
      return putDocument(`streak:${row.habitId}`, { revision: row.revision, value: summary }, 24 * 3600);
    }),
  );
  return computed;
}

/** The caller's habit and its current streak entry: one MGET. */
async function load(caller: Caller, habitId: string) {
  const [list, entryRaw] = await redis.mget(prefix + `habits:user:${caller.userId}`, prefix + `streak:${habitId}`);
  const definition = (await habitsOf(caller.userId, list)).find((habit) => habit.id === habitId);
  if (!definition) throw new HttpError(404, "Habit not found");
  const state: HabitState = { rules: definition, today: todayIn(caller.timezone, new Date()) };
  const entry = found<CachedProgress>(entryRaw) as StreakEntry | null;
  return { definition, state, entry: isCurrent(entry, state) ? entry : null };
}

async function streak(caller: Caller, habitId: string) {
  const { definition, state, entry } = await load(caller, habitId);
  const progress = entry?.value ?? (await recompute([definition.id], new Map([[definition.id, state]]))).get(definition.id);
  return streakView((progress as CachedProgress).progress);
}

async function today(caller: Caller) {
  const [list] = await redis.mget(prefix + `habits:user:${caller.userId}`);
  const definitions = (await habitsOf(caller.userId, list)).filter((habit) => !habit.archived);
  const date = todayIn(caller.timezone, new Date());
  const states = new Map(definitions.map((definition) => [definition.id, { rules: definition, today: date } as HabitState]));
  const ids = [...states.keys()];
  const entries =
    ids.length > 0 ? (await redis.mget(ids.map((id) => prefix + `streak:${id}`))).map((raw) => found<CachedProgress>(raw)) : [];
  const recomputed = await recompute(
    ids.filter((id, i) => !isCurrent(entries[i] as StreakEntry | null, states.get(id) as HabitState)),
    states,
  );
  return {
    date,
    habits: definitions.map((definition, i) => {
      const summary = recomputed.get(definition.id) ?? (entries[i] as StreakEntry).value;
      const { current, longest, unit, score } = summary.progress;
      const habit = publicHabit(definition);
      return { habit, due: summary.due, status: summary.todayStatus, value: summary.todayValue, streak: { current, longest, unit }, score };
    }),
  };
}

function checkinBody(body: unknown): { status: CheckinStatus; value: number | null; note: string | null } {
  const { status = "done", value = null, note = null } = (body ?? {}) as Record<string, unknown>;
  if (status !== "done" && status !== "skipped") throw new HttpError(422, "status");
  if (value !== null && (typeof value !== "number" || value < 0)) throw new HttpError(422, "value");
  if (note !== null && (typeof note !== "string" || note.length > 500)) throw new HttpError(422, "note");
  return { status, value, note };
}

/** PUT /habits/:id/checkins/:date: one statement on a current entry for today, else the transaction. */
async function putCheckin(caller: Caller, habitId: string, date: LocalDate, body: unknown) {
  if (!isValidDate(date)) throw new HttpError(422, "date");
  const { definition, state, entry } = await load(caller, habitId);
  const write = { habitId, date, ...checkinBody(body) };
  assertCheckinFits(write, definition, state.today);
  if (entry !== null && entry.revision > 0 && date === state.today) {
    const next = withTodayCheckin(state, entry.value.base, write);
    const { unit, currentRunStart: runStart } = next.progress;
    const reached = milestonesReached(entry.value.progress.current, next.progress);
    await putDocument(`streak:${habitId}`, { revision: entry.revision + 1, pending: true }, 600);
    const [row] = await query<checkins.CheckinRecord & { created: boolean }>(checkins.RECORD_AT_REVISION, [
      habitId,
      entry.revision,
      date,
      write.status,
      write.value,
      write.note,
      randomUUID(),
      definition.userId,
      JSON.stringify({ habitId, date, streak: streakView(next.progress) }),
      JSON.stringify({ ...write, completed: isCompleted(write, definition.target) }),
      reached,
      reached.map(() => randomUUID()),
      unit,
      runStart,
      JSON.stringify({ habitId, habitName: definition.name, unit, date }),
    ]);
    if (row) {
      await putDocument(`streak:${habitId}`, { revision: entry.revision + 1, value: next }, 24 * 3600);
      return { created: row.created, checkin: checkins.toCheckin(row, definition.target) };
    }
  }
  const client = await pool.connect();
  try {
    await client.query("START TRANSACTION");
    const [{ revision }] = await query<{ revision: number }>(checkins.BUMP, [habitId], client);
    const warm = entry !== null && entry.revision === revision - 1 ? entry.value : null;
    const incremental = warm !== null && date === state.today;
    const history = incremental ? [] : await historyIn(client, habitId);
    const previous = warm ?? summarize(state, history);
    const [row] = await query<checkins.CheckinRecord & { created: boolean }>(
      checkins.UPSERT,
      [habitId, date, write.status, write.value, write.note],
      client,
    );
    const next = incremental
      ? withTodayCheckin(state, warm.base, write)
      : summarize(state, [...history.filter((c) => c.date !== date), row]);
    const checkin = checkins.toCheckin(row, definition.target);
    const event = { habitId, date, checkin, streak: streakView(next.progress) };
    await query(INSERT_EVENT, [randomUUID(), "checkin.recorded", definition.userId, JSON.stringify(event)], client);
    const { unit, currentRunStart: runStart } = next.progress;
    for (const milestone of milestonesReached(previous.progress.current, next.progress)) {
      if (runStart === null) continue;
      const recorded = await client.query({ ...checkins.RECORD_MILESTONE, values: [habitId, milestone, unit, runStart] });
      if (recorded.rowCount === 0) continue;
      const payload = { habitId, habitName: definition.name, milestone, unit, runStart, date };
      await query(INSERT_EVENT, [randomUUID(), "streak.milestone", definition.userId, JSON.stringify(payload)], client);
    }
    await putDocument(`streak:${habitId}`, { revision, pending: true }, 600);
    await client.query("COMMIT");
    await putDocument(`streak:${habitId}`, { revision, value: next }, 24 * 3600);
    return { created: row.created, checkin };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

async function historyIn(client: PoolClient, habitId: string): Promise<CheckinFacts[]> {
  const [row] = await query<{ history: string }>(checkins.HISTORIES, [[habitId]], client);
  return checkins.unpackHistory(row?.history ?? null);
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      try {
        resolve(chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new HttpError(400, "Invalid JSON"));
      }
    });
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(json) });
  res.end(json);
}

const STREAK = /^\/api\/v1\/habits\/([0-9a-f-]{36})\/streak$/;
const CHECKIN = /^\/api\/v1\/habits\/([0-9a-f-]{36})\/checkins\/(\d{4}-\d{2}-\d{2})$/;

async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? "/";
  if (req.method === "GET" && url === "/health/live") return send(res, 200, { status: "ok" });
  const caller = await authenticate(req);
  let match;
  if (req.method === "GET" && url === "/api/v1/today") return send(res, 200, await today(caller));
  if (req.method === "GET" && (match = STREAK.exec(url))) return send(res, 200, await streak(caller, match[1]));
  if (req.method === "PUT" && (match = CHECKIN.exec(url))) {
    const { created, checkin } = await putCheckin(caller, match[1], match[2], await readBody(req));
    return send(res, created ? 201 : 200, checkin);
  }
  throw new HttpError(404, "Not found");
}

const server = http.createServer((req, res) => {
  route(req, res).catch((err: Error) => {
    const status = err instanceof HttpError ? err.status : err instanceof RuleViolation ? 422 : 500;
    if (status === 500) process.stderr.write(`baseline: ${err.stack}\n`);
    send(res, status, { message: err.message });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(env.PORT ?? 0), "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`baseline listening on ${typeof address === "object" && address ? address.port : "?"}\n`);
});
