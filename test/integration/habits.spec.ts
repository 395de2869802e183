/**
 * The habits contract over HTTP (docs/contract.md, "Habits"), in the current mode: create with
 * defaults and every schedule/target type, list by position and archive state, reorder
 * without gaps, delete, validation, ownership (404 for another user's habit), and one
 * outbox event per change, published once.
 */
import type { Context } from "moleculer";
import type { Api } from "../helpers/http";
import { MODE } from "../helpers/env";
import { nodeSuite } from "../helpers/node-suite";

jest.setTimeout(60_000);

const suite = nodeSuite();
let api: Api;
const newUser = (timezone?: string) => suite.newUser(timezone);
const published: Array<{ event: string; eventId: string; habitId: string }> = [];

beforeAll(async () => {
  api = suite.api;
  await suite.node.broker.createService({
    name: "probe",
    events: {
      "habit.*"(ctx: Context<{ eventId: string; habit: { id: string } }>) {
        published.push({ event: ctx.eventName ?? "", eventId: ctx.params.eventId, habitId: ctx.params.habit.id });
      },
    },
  });
});

function outboxRows(habitId: string) {
  return suite.query<{ event: string; event_id: string; published_at: Date | null }>(
    "SELECT event, event_id, published_at FROM outbox WHERE payload->'habit'->>'id' = $1 ORDER BY id",
    [habitId],
  );
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe(`habits (${MODE} mode)`, () => {
  it("creates a habit with the documented defaults; startDate is today in the user's zone", async () => {
    // 2026-11-21 23:30 in UTC is already 2026-11-22 in Kiritimati (UTC+14).
    suite.setClock(() => new Date("2026-11-21T23:30:00Z"));
    const token = await newUser("Pacific/Kiritimati");
    const reply = await api.post("/habits", { name: "  Read  " }, token);
    suite.setClock(null);
    expect(reply.status).toBe(201);
    expect(reply.headers.get("location")).toBe(`/api/v1/habits/${reply.body.id}`);
    expect(reply.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: "Read",
      description: "",
      color: null,
      schedule: { type: "daily" },
      target: { type: "boolean" },
      reminders: [],
      startDate: "2026-11-22",
      archived: false,
      position: 0,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect((await api.get(`/habits/${reply.body.id}`, token)).body).toEqual(reply.body);
  });

  it("stores every schedule and target type", async () => {
    const token = await newUser();
    const variants = [
      { schedule: { type: "weekdays", days: [5, 1, 3] }, target: { type: "at_least", value: 8, unit: "glasses" } },
      { schedule: { type: "every_n_days", n: 3 }, target: { type: "at_most", value: 2, unit: "coffees" } },
      { schedule: { type: "times_per_week", times: 3 }, target: { type: "boolean" } },
    ];
    for (const variant of variants) {
      const reply = await api.post(
        "/habits",
        { name: "x", color: "#A0b1C2", reminders: ["21:00", "07:30"], startDate: "2026-01-01", ...variant },
        token,
      );
      expect(reply.status).toBe(201);
      expect(reply.body.target).toEqual(variant.target);
      expect(reply.body.reminders).toEqual(["07:30", "21:00"]);
    }
    const listed = await api.get("/habits", token);
    expect(listed.body.map((habit: { schedule: unknown }) => habit.schedule)).toEqual([
      { type: "weekdays", days: [1, 3, 5] },
      { type: "every_n_days", n: 3 },
      { type: "times_per_week", times: 3 },
    ]);
  });

  it("keeps positions 0..n-1 through reorders, archiving and deletes", async () => {
    const token = await newUser();
    const ids: string[] = [];
    for (const name of ["a", "b", "c", "d"]) ids.push((await api.post("/habits", { name }, token)).body.id);
    const names = async (archived = false) =>
      (await api.get(`/habits?archived=${archived}`, token)).body.map(
        (habit: { name: string; position: number }) => `${habit.position}${habit.name}`,
      );
    expect(await names()).toEqual(["0a", "1b", "2c", "3d"]);

    expect((await api.patch(`/habits/${ids[3]}`, { position: 0 }, token)).body.position).toBe(0);
    expect(await names()).toEqual(["0d", "1a", "2b", "3c"]);
    // Clamped to n-1.
    expect((await api.patch(`/habits/${ids[3]}`, { position: 99 }, token)).body.position).toBe(3);
    expect(await names()).toEqual(["0a", "1b", "2c", "3d"]);

    const archived = await api.patch(`/habits/${ids[1]}`, { archived: true }, token);
    expect(archived.body).toMatchObject({ archived: true, position: 1 });
    expect(await names()).toEqual(["0a", "2c", "3d"]);
    expect(await names(true)).toEqual(["1b"]);

    expect((await api.request("DELETE", `/habits/${ids[0]}`, { token })).status).toBe(204);
    expect(await names()).toEqual(["1c", "2d"]);
    expect(await names(true)).toEqual(["0b"]);
    expect((await api.get(`/habits/${ids[0]}`, token)).status).toBe(404);
  });

  it("answers 404 for another user's habit on every route, and changes nothing", async () => {
    const owner = await newUser();
    const intruder = await newUser();
    const habit = (await api.post("/habits", { name: "private" }, owner)).body;
    expect((await api.get(`/habits/${habit.id}`, intruder)).status).toBe(404);
    expect((await api.patch(`/habits/${habit.id}`, { name: "mine now" }, intruder)).status).toBe(404);
    expect((await api.request("DELETE", `/habits/${habit.id}`, { token: intruder })).status).toBe(404);
    expect((await api.get("/habits", intruder)).body).toEqual([]);
    expect((await api.get(`/habits/${habit.id}`, owner)).body).toEqual(habit);
    expect((await api.get("/habits/00000000-0000-4000-8000-000000000000", owner)).status).toBe(404);
    expect((await api.get("/habits")).status).toBe(401);
  });

  it.each([
    ["missing name", {}, ["name"]],
    ["empty name", { name: "  " }, ["name"]],
    ["long name", { name: "x".repeat(101) }, ["name"]],
    ["long description", { name: "x", description: "d".repeat(1001) }, ["description"]],
    ["bad color", { name: "x", color: "red" }, ["color"]],
    ["unknown field", { name: "x", emoji: "🙂" }, ["emoji"]],
    ["unknown schedule type", { name: "x", schedule: { type: "hourly" } }, ["schedule"]],
    ["weekday out of range", { name: "x", schedule: { type: "weekdays", days: [0, 8] } }, ["schedule"]],
    ["extra schedule field", { name: "x", schedule: { type: "daily", n: 2 } }, ["schedule"]],
    ["n of zero", { name: "x", schedule: { type: "every_n_days", n: 0 } }, ["schedule"]],
    ["8 times a week", { name: "x", schedule: { type: "times_per_week", times: 8 } }, ["schedule"]],
    ["target without value", { name: "x", target: { type: "at_least" } }, ["target"]],
    ["six reminders", { name: "x", reminders: ["01:00", "02:00", "03:00", "04:00", "05:00", "06:00"] }, ["reminders"]],
    ["bad reminder time", { name: "x", reminders: ["24:00"] }, ["reminders[0]"]],
    ["bad start date", { name: "x", startDate: "2026-02-30" }, ["startDate"]],
  ])("rejects %s with 422 naming the fields", async (_label, body, fields) => {
    const token = await newUser();
    const reply = await api.post("/habits", body, token);
    expect(reply.status).toBe(422);
    expect(reply.body.data.map((entry: { field: string }) => entry.field).sort()).toEqual(fields);
    expect((await api.get("/habits", token)).body).toEqual([]);
  });

  it("rejects bad updates without changing the habit", async () => {
    const token = await newUser();
    const habit = (await api.post("/habits", { name: "x" }, token)).body;
    for (const body of [{ position: -1 }, { archived: "yes" }, { id: "other" }, { name: "" }, { schedule: null }]) {
      expect([body, (await api.patch(`/habits/${habit.id}`, body, token)).status]).toEqual([body, 422]);
    }
    expect((await api.get(`/habits/${habit.id}`, token)).body).toEqual(habit);
    expect((await api.get("/habits/not-a-uuid", token)).status).toBe(422);
  });

  it("writes one outbox event per change, published once as a broker event", async () => {
    const token = await newUser();
    const habit = (await api.post("/habits", { name: "x" }, token)).body;
    await api.patch(`/habits/${habit.id}`, { name: "y" }, token);
    await api.patch(`/habits/${habit.id}`, { archived: true }, token);
    await api.request("DELETE", `/habits/${habit.id}`, { token });
    const rows = await until(async () => {
      const found = await outboxRows(habit.id);
      return found.length === 4 && found.every((row) => row.published_at) ? found : undefined;
    });
    expect(rows.map((row) => row.event)).toEqual(["habit.created", "habit.updated", "habit.archived", "habit.deleted"]);
    const seen = await until(() => {
      const mine = published.filter((entry) => entry.habitId === habit.id);
      return mine.length >= 4 ? mine : undefined;
    });
    expect(seen.map((entry) => entry.event)).toEqual(rows.map((row) => row.event));
    expect(seen.map((entry) => entry.eventId)).toEqual(rows.map((row) => row.event_id));
  });
});
