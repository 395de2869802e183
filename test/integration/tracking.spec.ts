/**
 * Check-ins, streaks, stats and /today over HTTP (issue 3, checks 3–5 in the current mode),
 * with the clock pinned. Values are compared with the reference of docs/contract.md ("Domain rules") used by the
 * property tests, so the HTTP layer, the SQL and the cache are checked against the same rules.
 */
import { Client as PgClient } from "pg";
import type { HabitNode } from "../../src/node";
import type { Api } from "../helpers/http";
import { MODE, clusterMode, flushSuiteKeys } from "../helpers/env";
import { nodeSuite } from "../helpers/node-suite";
import { nextDate, referenceRound4, referenceScore, referenceStats, referenceStreak, type ReferenceHabit } from "../unit/lib/reference";

jest.setTimeout(90_000);

// 2026-11-21 15:00 UTC: a Saturday afternoon in Berlin.
const NOW = new Date("2026-11-21T15:00:00Z");
const TODAY = "2026-11-21";
const START = nextDate(TODAY, -40);

const suite = nodeSuite();
let node: HabitNode;
let api: Api;
const newUser = (timezone = "Europe/Berlin") => suite.newUser(timezone);

beforeAll(() => {
  suite.setClock(() => NOW);
  node = suite.node;
  api = suite.api;
});

function query<T extends object>(sql: string, params: unknown[]): Promise<T[]> {
  return suite.query<T>(sql, params);
}

const put = (token: string, habitId: string, date: string, body: object) =>
  api.request("PUT", `/habits/${habitId}/checkins/${date}`, { body, token });

/** The text of every statement this process sends while `during` runs (the services' and the tests' alike go through pg's Client). */
async function statementsDuring(during: () => Promise<unknown>): Promise<string[]> {
  const texts: string[] = [];
  const original = PgClient.prototype.query;
  PgClient.prototype.query = function (this: PgClient, config: unknown, ...rest: unknown[]) {
    const text = typeof config === "string" ? config : (config as { text?: string }).text;
    if (text) texts.push(text);
    return (original as (...args: unknown[]) => unknown).call(this, config, ...rest);
  } as typeof original;
  try {
    await during();
  } finally {
    PgClient.prototype.query = original;
  }
  return texts;
}

describe(`check-ins, streaks and stats over HTTP (${MODE} mode)`, () => {
  const kinds: Array<Pick<ReferenceHabit, "schedule" | "target">> = [
    { schedule: { type: "daily" }, target: { type: "boolean" } },
    { schedule: { type: "weekdays", days: [1, 3, 5] }, target: { type: "at_least", value: 8 } },
    { schedule: { type: "every_n_days", n: 3 }, target: { type: "at_most", value: 2 } },
    { schedule: { type: "times_per_week", times: 3 }, target: { type: "boolean" } },
  ];

  it.each(kinds.map((kind) => [kind.schedule.type, kind]))(
    "%s: check in, backfill, skip, delete; values match the reference",
    async (_type, kind) => {
      const token = await newUser();
      const created = await api.post("/habits", { name: "h", startDate: START, ...kind }, token);
      expect(created.status).toBe(201);
      const id = created.body.id;
      const numeric = kind.target.type !== "boolean";
      const checkins = new Map<string, ReferenceHabit["checkins"][number]>();
      // A fixed but irregular history: done most days, some skips, a value that misses, a deletion.
      for (let offset = 0; offset <= 40; offset++) {
        const date = nextDate(START, offset);
        if (offset % 7 === 3) continue;
        const status = offset % 9 === 4 ? "skipped" : "done";
        const value = numeric ? (offset % 5 === 0 ? 9 : 1) : null;
        const reply = await put(token, id, date, numeric ? { status, value } : { status });
        expect(reply.status).toBe(201);
        expect(reply.body).toMatchObject({ habitId: id, date, status, value, note: null });
        checkins.set(date, { date, status, value });
      }
      const replaced = await put(token, id, TODAY, numeric ? { value: 1, note: "again" } : { note: "again" });
      expect(replaced.status).toBe(200);
      expect(replaced.body.note).toBe("again");
      checkins.set(TODAY, { date: TODAY, status: "done", value: numeric ? 1 : null });
      const removedDate = nextDate(START, 20);
      expect((await api.request("DELETE", `/habits/${id}/checkins/${removedDate}`, { token })).status).toBe(204);
      expect((await api.request("DELETE", `/habits/${id}/checkins/${removedDate}`, { token })).status).toBe(404);
      checkins.delete(removedDate);

      const reference: ReferenceHabit = { ...kind, startDate: START, today: TODAY, checkins: [...checkins.values()] } as ReferenceHabit;
      const streak = await api.get(`/habits/${id}/streak`, token);
      expect(streak.status).toBe(200);
      expect(streak.body).toEqual({
        ...referenceStreak(reference),
        unit: kind.schedule.type === "times_per_week" ? "weeks" : "days",
        completedToday: expect.any(Boolean),
        lastCompletedDate: expect.any(String),
        score: referenceRound4(referenceScore(reference)),
      });
      const stats = await api.get(`/habits/${id}/stats?from=${nextDate(TODAY, -60)}&to=${TODAY}`, token);
      expect(stats.body).toEqual(referenceStats(reference, START, TODAY));
      const defaultStats = await api.get(`/habits/${id}/stats`, token);
      expect(defaultStats.body).toEqual(referenceStats(reference, nextDate(TODAY, -29), TODAY));
      const list = await api.get(`/habits/${id}/checkins?from=${START}&to=${TODAY}`, token);
      expect(list.body.map((c: { date: string }) => c.date)).toEqual([...checkins.keys()].sort());
      const today = await api.get("/today", token);
      expect(today.body.date).toBe(TODAY);
      expect(today.body.habits[0]).toMatchObject({
        habit: { id },
        streak: { current: streak.body.current, longest: streak.body.longest },
        score: streak.body.score,
      });
    },
  );

  it("POST defaults the date to today in the user's zone", async () => {
    // 23:30 UTC is already tomorrow in Berlin: the check-in belongs to the user's date.
    suite.setClock(() => new Date("2026-11-21T23:30:00Z"));
    try {
      const token = await newUser("Europe/Berlin");
      const habit = (await api.post("/habits", {}, token)).body; // 422: name required
      expect(habit.type).toBe("VALIDATION_ERROR");
      const id = (await api.post("/habits", { name: "late" }, token)).body.id;
      const reply = await api.post(`/habits/${id}/checkins`, {}, token);
      expect(reply.status).toBe(201);
      expect(reply.body.date).toBe("2026-11-22");
      // Changing the zone never rewrites stored dates.
      await api.patch("/me", { timezone: "Pacific/Pago_Pago" }, token);
      const list = await api.get(`/habits/${id}/checkins?from=2026-11-20&to=2026-11-21`, token);
      expect(list.body).toEqual([]);
      expect(
        (await query<{ d: string }>("SELECT to_char(date, 'YYYY-MM-DD') AS d FROM checkins WHERE habit_id = $1", [id])).map((r) => r.d),
      ).toEqual(["2026-11-22"]);
    } finally {
      suite.setClock(() => NOW);
    }
  });

  // Issue 3, check 2 through the API: at 23:59 and 00:01 local, "today" and the stored date are
  // the user's own, and yesterday's completion still carries the streak.
  it.each([
    ["Pacific/Kiritimati", "2026-11-21T09:59:00Z", "2026-11-21", "2026-11-21T10:01:00Z", "2026-11-22"],
    ["Pacific/Pago_Pago", "2026-11-22T10:59:00Z", "2026-11-21", "2026-11-22T11:01:00Z", "2026-11-22"],
    ["America/New_York", "2026-03-09T03:59:00Z", "2026-03-08", "2026-03-09T04:01:00Z", "2026-03-09"],
    ["America/New_York", "2026-11-02T04:59:00Z", "2026-11-01", "2026-11-02T05:01:00Z", "2026-11-02"],
    ["Europe/Berlin", "2026-03-29T21:59:00Z", "2026-03-29", "2026-03-29T22:01:00Z", "2026-03-30"],
    ["Europe/Berlin", "2026-10-25T22:59:00Z", "2026-10-25", "2026-10-25T23:01:00Z", "2026-10-26"],
    ["Australia/Lord_Howe", "2026-06-15T13:29:00Z", "2026-06-15", "2026-06-15T13:31:00Z", "2026-06-16"],
    ["America/Sao_Paulo", "2018-11-04T02:59:00Z", "2018-11-03", "2018-11-04T03:01:00Z", "2018-11-04"],
  ])("in %s: 23:59 local is %s's date, 00:01 the next", async (zone, before, beforeDate, after, afterDate) => {
    try {
      suite.setClock(() => new Date(before));
      const token = await newUser(zone);
      const id = (await api.post("/habits", { name: "zoned", startDate: nextDate(beforeDate, -1) }, token)).body.id;
      await put(token, id, nextDate(beforeDate, -1), {});
      const late = await api.post(`/habits/${id}/checkins`, {}, token);
      expect(late.body.date).toBe(beforeDate);
      expect((await api.get("/today", token)).body.date).toBe(beforeDate);
      expect((await api.get(`/habits/${id}/streak`, token)).body).toMatchObject({ current: 2, completedToday: true });
      suite.setClock(() => new Date(after));
      expect((await api.get("/today", token)).body).toMatchObject({ date: afterDate, habits: [{ due: true, status: "pending" }] });
      // A new day, not yet checked in: the streak holds (today is pending) but is not completed today.
      expect((await api.get(`/habits/${id}/streak`, token)).body).toMatchObject({
        current: 2,
        completedToday: false,
        lastCompletedDate: beforeDate,
      });
      const early = await api.post(`/habits/${id}/checkins`, {}, token);
      expect(early.body.date).toBe(afterDate);
      expect((await api.get(`/habits/${id}/streak`, token)).body).toMatchObject({ current: 3, completedToday: true });
    } finally {
      suite.setClock(() => NOW);
    }
  });

  it.each([
    ["a future date", nextDate(TODAY, 1), {}, "date"],
    ["a date before startDate", nextDate(START, -1), {}, "date"],
    ["a value on a boolean habit", TODAY, { value: 3 }, "value"],
    ["an unknown status", TODAY, { status: "maybe" }, "status"],
    ["a long note", TODAY, { note: "n".repeat(501) }, "note"],
    ["an unknown field", TODAY, { mood: "good" }, "mood"],
  ])("rejects %s with 422 and stores nothing", async (_label, date, body, field) => {
    const token = await newUser();
    const id = (await api.post("/habits", { name: "h", startDate: START }, token)).body.id;
    const reply = await put(token, id, date, body);
    expect(reply.status).toBe(422);
    expect(reply.body.data.map((entry: { field: string }) => entry.field)).toContain(field);
    expect((await api.get(`/habits/${id}/checkins?from=${START}`, token)).body).toEqual([]);
  });

  it("rejects a non-date, a missing value on a numeric habit, and bad ranges", async () => {
    const token = await newUser();
    const id = (await api.post("/habits", { name: "h", startDate: START, target: { type: "at_least", value: 2 } }, token)).body.id;
    expect((await put(token, id, "yesterday", {})).status).toBe(422);
    expect((await put(token, id, "2026-02-30", {})).status).toBe(422);
    const missing = await put(token, id, TODAY, { status: "done" });
    expect([missing.status, missing.body.data[0].field]).toEqual([422, "value"]);
    expect((await put(token, id, TODAY, { status: "skipped" })).status).toBe(201);
    expect((await api.get(`/habits/${id}/stats?from=${TODAY}&to=${START}`, token)).status).toBe(422);
    expect((await api.get(`/habits/${id}/stats?from=2025-01-01&to=${TODAY}`, token)).status).toBe(422);
    expect((await api.get(`/habits/${id}/stats?from=2026-13-01`, token)).status).toBe(422);
    const empty = await api.get(`/habits/${id}/stats?from=2026-12-01&to=2026-12-10`, token);
    expect(empty.body).toMatchObject({ days: [], scheduled: 0, completed: 0, completionRate: 0 });
  });

  it("answers 404 for another user's habit and check-ins on every route", async () => {
    const owner = await newUser();
    const intruder = await newUser();
    const id = (await api.post("/habits", { name: "mine", startDate: START }, owner)).body.id;
    await put(owner, id, TODAY, {});
    const routes: Array<[string, string, object?]> = [
      ["PUT", `/habits/${id}/checkins/${TODAY}`, {}],
      ["POST", `/habits/${id}/checkins`, {}],
      ["DELETE", `/habits/${id}/checkins/${TODAY}`],
      ["GET", `/habits/${id}/checkins`],
      ["GET", `/habits/${id}/streak`],
      ["GET", `/habits/${id}/stats`],
    ];
    for (const [method, path, body] of routes) {
      expect([method, path, (await api.request(method, path, { body, token: intruder })).status]).toEqual([method, path, 404]);
    }
    expect((await api.get("/today", intruder)).body.habits).toEqual([]);
    expect((await api.get(`/habits/${id}/checkins`, owner)).body).toHaveLength(1);
  });

  it("answers tracking.streak to an operator acting on behalf of the owner (the REPL's call), and to no one without a user", async () => {
    const token = await newUser();
    const ownerId = (await api.get("/me", token)).body.id;
    const id = (await api.post("/habits", { name: "h", startDate: TODAY }, token)).body.id;
    await put(token, id, TODAY, {});
    const streak = await node.broker.call("tracking.streak", { id }, { meta: { user: { id: ownerId } } });
    expect(streak).toEqual((await api.get(`/habits/${id}/streak`, token)).body);
    await expect(node.broker.call("tracking.streak", { id })).rejects.toMatchObject({ code: 401, type: "USER_REQUIRED" });
    // On behalf of someone else, the habit is not found; a stranger through the gateway neither.
    const stranger = await newUser();
    const strangerId = (await api.get("/me", stranger)).body.id;
    await expect(node.broker.call("tracking.streak", { id }, { meta: { user: { id: strangerId } } })).rejects.toMatchObject({ code: 404 });
    expect((await api.get(`/habits/${id}/streak`, stranger)).status).toBe(404);
  });

  it("updates a warm streak for today's check-in without reading the history", async () => {
    const token = await newUser();
    const id = (await api.post("/habits", { name: "h", startDate: nextDate(TODAY, -30) }, token)).body.id;
    for (let offset = 30; offset >= 1; offset--) await put(token, id, nextDate(TODAY, -offset), {});
    expect((await api.get(`/habits/${id}/streak`, token)).body).toMatchObject({ current: 30, completedToday: false });
    const historyReads: string[] = [];
    const watching = async (during: () => Promise<unknown>) =>
      historyReads.push(...(await statementsDuring(during)).filter((text) => text.includes("FROM checkins WHERE habit_id")));
    await watching(async () => {
      expect((await put(token, id, TODAY, {})).status).toBe(201);
      expect((await put(token, id, TODAY, { status: "skipped" })).status).toBe(200);
      expect((await put(token, id, TODAY, {})).status).toBe(200);
    });
    expect(historyReads).toEqual([]);
    expect((await api.get(`/habits/${id}/streak`, token)).body).toMatchObject({
      current: 31,
      longest: 31,
      completedToday: true,
      lastCompletedDate: TODAY,
    });
    // A backfill is not "today": it recomputes from the history (which the watcher does see).
    await watching(() => put(token, id, nextDate(TODAY, -10), { status: "skipped" }));
    expect(historyReads.length).toBeGreaterThan(0);
    expect((await api.get(`/habits/${id}/streak`, token)).body).toMatchObject({ current: 30, longest: 30 });
  });

  it("20 concurrent PUTs for one habit and date leave one check-in and a correct streak", async () => {
    const token = await newUser();
    const id = (await api.post("/habits", { name: "h", startDate: nextDate(TODAY, -1) }, token)).body.id;
    await put(token, id, nextDate(TODAY, -1), {});
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => put(token, id, TODAY, { note: `n${i}` })));
    expect(replies.filter((reply) => reply.status === 201)).toHaveLength(1);
    expect(replies.filter((reply) => reply.status === 200)).toHaveLength(19);
    expect(await query("SELECT 1 FROM checkins WHERE habit_id = $1 AND date = $2", [id, TODAY])).toHaveLength(1);
    expect((await api.get(`/habits/${id}/streak`, token)).body).toMatchObject({ current: 2, longest: 2, completedToday: true });
  });

  it("every check-in write stores exactly one event with it; a failed write stores neither", async () => {
    const token = await newUser();
    const id = (await api.post("/habits", { name: "h", startDate: START }, token)).body.id;
    await put(token, id, TODAY, {});
    await put(token, id, TODAY, { note: "edit" });
    await api.request("DELETE", `/habits/${id}/checkins/${TODAY}`, { token });
    await put(token, id, nextDate(TODAY, 1), {}); // rejected: nothing stored
    const events = await query<{ event: string }>(
      "SELECT event FROM outbox WHERE payload->>'habitId' = $1 AND event LIKE 'checkin.%' ORDER BY id",
      [id],
    );
    expect(events.map((row) => row.event)).toEqual(["checkin.recorded", "checkin.recorded", "checkin.removed"]);
  });

  it("publishes each check-in event once, although every service on the node runs a relay", async () => {
    const seen: string[] = [];
    const probe = await node.broker.createService({
      name: `checkin-probe-${Date.now()}`,
      events: {
        "checkin.*"(ctx: { params: { eventId: string } }) {
          seen.push(ctx.params.eventId);
        },
      },
    });
    const token = await newUser();
    const id = (await api.post("/habits", { name: "h", startDate: nextDate(TODAY, -9) }, token)).body.id;
    await Promise.all(Array.from({ length: 10 }, (_, i) => put(token, id, nextDate(TODAY, -i), {})));
    const stored = await query<{ event_id: string }>(
      "SELECT event_id FROM outbox WHERE payload->>'habitId' = $1 AND event LIKE 'checkin.%'",
      [id],
    );
    expect(stored).toHaveLength(10);
    const deadline = Date.now() + 15_000;
    const mine = () => seen.filter((eventId) => stored.some((row) => row.event_id === eventId));
    while (mine().length < 10 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    // A check-in after them all: once its event is seen, the relays have moved past the ten.
    const later = (await api.post("/habits", { name: "later", startDate: TODAY }, token)).body.id;
    await put(token, later, TODAY, {});
    const [{ event_id: sentinel }] = await query<{ event_id: string }>(
      "SELECT event_id FROM outbox WHERE payload->>'habitId' = $1 AND event = 'checkin.recorded'",
      [later],
    );
    while (!seen.includes(sentinel) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toContain(sentinel);
    await node.broker.destroyService(probe);
    expect(mine().sort()).toEqual(stored.map((row) => row.event_id).sort());
    const unpublished = await query("SELECT 1 FROM outbox WHERE payload->>'habitId' = $1 AND published_at IS NULL", [id]);
    expect(unpublished).toEqual([]);
  });

  it("a check-in whose event cannot be stored is not stored either (one transaction)", async () => {
    const token = await newUser();
    const id = (await api.post("/habits", { name: "h", startDate: TODAY }, token)).body.id;
    // Take the outbox away: the event insert fails after the check-in upsert ran.
    await query("ALTER TABLE outbox RENAME TO outbox_away", []);
    // The gateway logs the 500 once, with its stack: kept here instead of printed.
    const gatewayLogger = node.broker.getLocalService("api")!.logger as unknown as { error: (message: string) => void };
    const logError = gatewayLogger.error;
    const errors: string[] = [];
    gatewayLogger.error = (message: string) => void errors.push(message);
    let status: number;
    try {
      status = (await put(token, id, TODAY, {})).status;
    } finally {
      gatewayLogger.error = logError;
      await query("ALTER TABLE outbox_away RENAME TO outbox", []);
    }
    expect(status).toBe(500); // a server fault, not the client's
    expect(errors).toEqual([expect.stringMatching(/^Request failed: PUT \/habits\/.*recordEvent/s)]);
    api.statuses.length = 0;
    expect(await query("SELECT 1 FROM checkins WHERE habit_id = $1", [id])).toEqual([]);
    expect((await api.get(`/habits/${id}/streak`, token)).body).toMatchObject({ current: 0, completedToday: false });
    expect((await put(token, id, TODAY, {})).status).toBe(201);
  });

  it("fires streak.milestone once per habit, milestone and run", async () => {
    const token = await newUser();
    const id = (await api.post("/habits", { name: "walk", startDate: nextDate(TODAY, -8) }, token)).body.id;
    for (let offset = 8; offset >= 1; offset--) await put(token, id, nextDate(TODAY, -offset), {});
    await put(token, id, nextDate(TODAY, -1), { note: "again" }); // re-PUT: no second milestone
    const milestones = await query<{ payload: { milestone: number; runStart: string } }>(
      "SELECT payload FROM outbox WHERE payload->>'habitId' = $1 AND event = 'streak.milestone'",
      [id],
    );
    expect(milestones.map((row) => [row.payload.milestone, row.payload.runStart])).toEqual([[7, nextDate(TODAY, -8)]]);
  });

  it("records a milestone that today's check-in reaches in its one statement, once per run", async () => {
    const token = await newUser();
    const name = "stretch";
    const id = (await api.post("/habits", { name, startDate: nextDate(TODAY, -6) }, token)).body.id;
    for (let offset = 6; offset >= 1; offset--) await put(token, id, nextDate(TODAY, -offset), {});
    expect((await api.get(`/habits/${id}/streak`, token)).body).toMatchObject({ current: 6 });
    const statements = await statementsDuring(async () => {
      expect((await put(token, id, TODAY, {})).status).toBe(201);
      expect((await put(token, id, TODAY, { note: "again" })).status).toBe(200); // no second milestone
    });
    // Not the general path, which takes the progress row first (the relay's own transactions may run meanwhile).
    expect(statements.filter((text) => text.includes("INSERT INTO habit_progress"))).toEqual([]);
    expect(statements.filter((text) => text.includes("INSERT INTO milestones"))).toHaveLength(2);
    const milestones = await query<{ payload: object }>(
      "SELECT payload FROM outbox WHERE payload->>'habitId' = $1 AND event = 'streak.milestone'",
      [id],
    );
    expect(milestones.map((row) => row.payload)).toEqual([
      { habitId: id, habitName: name, milestone: 7, unit: "days", runStart: nextDate(TODAY, -6), date: TODAY },
    ]);
    expect(await query("SELECT milestone FROM milestones WHERE habit_id = $1", [id])).toEqual([{ milestone: 7 }]);
  });

  it("serves a correct streak after the cache is flushed", async () => {
    const token = await newUser();
    const id = (await api.post("/habits", { name: "h", startDate: nextDate(TODAY, -2) }, token)).body.id;
    for (const offset of [2, 1, 0]) await put(token, id, nextDate(TODAY, -offset), {});
    const before = (await api.get(`/habits/${id}/streak`, token)).body;
    if (clusterMode) {
      expect(await flushSuiteKeys(node.config.namespace)).toBeGreaterThan(0);
    } else {
      await suite.node.runtime.store.delete([`streak:${id}`]);
    }
    expect((await api.get(`/habits/${id}/streak`, token)).body).toEqual(before);
    expect(before).toMatchObject({ current: 3, completedToday: true });
    // Editing the habit's rules recomputes instead of serving the cached value.
    await api.patch(`/habits/${id}`, { target: { type: "at_least", value: 5 } }, token);
    expect((await api.get(`/habits/${id}/streak`, token)).body).toMatchObject({ current: 0, completedToday: false });
  });
});
