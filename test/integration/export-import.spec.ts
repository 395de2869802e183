/**
 * Export and import (issue 12, check 3): an export imported into a fresh account gives the same
 * habits, check-ins, streaks, stats and scores (fast-check over random histories); an invalid
 * document stores nothing and names the bad part; a Loop Habit Tracker backup, made with Loop's
 * own schema (test/helpers/loop-backup-builder.ts), imports with the mapping and warnings of
 * docs/contract.md and the same streaks and scores as that history entered through the API.
 * Both modes.
 */
import fc from "fast-check";
import { nodeSuite } from "../helpers/node-suite";
import { addDays, todayIn } from "../../lib/dates";
import { buildLoopBackup, LOOP_ENTRY } from "../helpers/loop-backup-builder";

jest.setTimeout(240_000);

const suite = nodeSuite({ IMPORT_LIMIT_BYTES: String(256 * 1024) });
const today = () => todayIn("UTC", new Date());

interface HabitPlan {
  body: Record<string, unknown>;
  startBack: number;
  checkins: Array<{ back: number; status: "done" | "skipped"; value: number | null; note: string | null }>;
}

const scheduleArb = fc.oneof(
  fc.constant({ type: "daily" }),
  fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }).map((days) => ({ type: "weekdays", days })),
  fc.integer({ min: 1, max: 5 }).map((n) => ({ type: "every_n_days", n })),
  fc.integer({ min: 1, max: 6 }).map((times) => ({ type: "times_per_week", times })),
);
const targetArb = fc.oneof(
  fc.constant({ type: "boolean" }),
  fc.integer({ min: 1, max: 10 }).map((value) => ({ type: "at_least", value, unit: "glasses" })),
  fc.integer({ min: 1, max: 5 }).map((value) => ({ type: "at_most", value, unit: "coffees" })),
);
const habitArb: fc.Arbitrary<HabitPlan> = fc
  .record({
    name: fc.string({ minLength: 1, maxLength: 20 }).filter((name) => name.trim().length > 0),
    schedule: scheduleArb,
    target: targetArb,
    startBack: fc.integer({ min: 0, max: 40 }),
    archived: fc.boolean(),
    days: fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 25 }),
    statuses: fc.array(fc.constantFrom("done", "done", "done", "skipped"), { minLength: 25, maxLength: 25 }),
    values: fc.array(
      fc.integer({ min: 0, max: 24 }).map((half) => half / 2),
      { minLength: 25, maxLength: 25 },
    ),
    note: fc.option(fc.string({ maxLength: 30 }), { nil: null }),
  })
  .map(({ name, schedule, target, startBack, archived, days, statuses, values, note }) => ({
    body: { name, schedule, target, archived, reminders: ["07:30"] },
    startBack,
    checkins: days
      .filter((back) => back <= startBack)
      .map((back, i) => {
        const status = statuses[i] as "done" | "skipped";
        const value = target.type === "boolean" ? null : status === "done" || i % 2 === 0 ? values[i] : null;
        return { back, status, value, note: i === 0 ? note : null };
      }),
  }));

async function account(): Promise<string> {
  return suite.newUser();
}

async function plant(token: string, plans: HabitPlan[]): Promise<void> {
  for (const plan of plans) {
    const { archived, ...fields } = plan.body;
    const made = await suite.api.post("/habits", { ...fields, startDate: addDays(today(), -plan.startBack) }, token);
    expect(made.status).toBe(201);
    if (archived) expect((await suite.api.patch(`/habits/${made.body.id}`, { archived: true }, token)).status).toBe(200);
    for (const checkin of plan.checkins) {
      const put = await suite.api.request("PUT", `/habits/${made.body.id}/checkins/${addDays(today(), -checkin.back)}`, {
        body: { status: checkin.status, value: checkin.value, note: checkin.note },
        token,
      });
      expect(put.status).toBe(201);
    }
  }
}

/** Everything derived from an account's habits, without ids and instants (which an import makes anew). */
async function picture(token: string) {
  const active = (await suite.api.get("/habits?archived=false", token)).body as Array<Record<string, unknown>>;
  const archived = (await suite.api.get("/habits?archived=true", token)).body as Array<Record<string, unknown>>;
  const habits = [];
  for (const habit of [...active, ...archived]) {
    const id = habit.id as string;
    const from = addDays(today(), -60);
    const checkins = (await suite.api.get(`/habits/${id}/checkins?from=${from}`, token)).body as Array<Record<string, unknown>>;
    habits.push({
      habit: { ...habit, id: undefined, createdAt: undefined, updatedAt: undefined },
      checkins: checkins.map((checkin) => ({ ...checkin, habitId: undefined, createdAt: undefined, updatedAt: undefined })),
      streak: (await suite.api.get(`/habits/${id}/streak`, token)).body,
      stats: (await suite.api.get(`/habits/${id}/stats?from=${from}`, token)).body,
    });
  }
  const dashboard = (await suite.api.get("/today", token)).body as { habits: Array<Record<string, unknown>> };
  return { habits, today: dashboard.habits.map((entry) => ({ ...entry, habit: undefined })) };
}

describe("export → import", () => {
  it("gives identical habits, check-ins, streaks, stats and scores in a fresh account", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(habitArb, { minLength: 1, maxLength: 3 }), async (plans) => {
        const source = await account();
        await plant(source, plans);
        const exported = await suite.api.get("/me/export", source);
        expect(exported.status).toBe(200);
        expect(exported.headers.get("content-disposition")).toBe(`attachment; filename="habit-tracker-export-${today()}.json"`);
        expect(exported.body).toMatchObject({ format: "habit-tracker-export", version: 1 });

        const target = await account();
        const imported = await suite.api.post("/me/import", exported.body, target);
        expect(imported.status).toBe(200);
        expect(imported.body).toEqual({
          habits: plans.length,
          checkins: plans.reduce((sum, plan) => sum + plan.checkins.length, 0),
          warnings: [],
        });
        expect(await picture(target)).toEqual(await picture(source));
      }),
      { numRuns: 6 },
    );
  });

  it("adds the imported habits after the account's own", async () => {
    const token = await account();
    await plant(token, [{ body: { name: "Mine" }, startBack: 0, checkins: [] }]);
    const document = {
      format: "habit-tracker-export",
      version: 1,
      habits: [
        { name: "Second", startDate: today(), position: 1 },
        { name: "First", startDate: today(), position: 0 },
      ],
    };
    expect((await suite.api.post("/me/import", document, token)).status).toBe(200);
    const names = ((await suite.api.get("/habits", token)).body as Array<{ name: string; position: number }>).map((habit) => [
      habit.name,
      habit.position,
    ]);
    expect(names).toEqual([
      ["Mine", 0],
      ["First", 1],
      ["Second", 2],
    ]);
  });

  it("stores nothing from an invalid document and names the bad part's path", async () => {
    const token = await account();
    const good = { name: "Good", startDate: addDays(today(), -5), checkins: [{ date: addDays(today(), -1) }] };
    const cases: Array<[unknown, string]> = [
      [{ format: "other", version: 1, habits: [] }, "format"],
      [{ format: "habit-tracker-export", version: 2, habits: [] }, "version"],
      [
        { format: "habit-tracker-export", version: 1, habits: [good, { ...good, checkins: [{ date: "2026-02-30" }] }] },
        "habits[1].checkins[0].date",
      ],
      [
        { format: "habit-tracker-export", version: 1, habits: [good, { ...good, checkins: [{ date: addDays(today(), 1) }] }] },
        "habits[1].checkins[0].date",
      ],
      [
        { format: "habit-tracker-export", version: 1, habits: [good, { ...good, checkins: [{ date: addDays(today(), -9) }] }] },
        "habits[1].checkins[0].date",
      ],
      [
        {
          format: "habit-tracker-export",
          version: 1,
          habits: [{ ...good, target: { type: "at_least", value: 2 }, checkins: [{ date: today() }] }],
        },
        "habits[0].checkins[0].value",
      ],
      [
        { format: "habit-tracker-export", version: 1, habits: [good, { ...good, schedule: { type: "weekdays", days: [9] } }] },
        "habits[1].schedule",
      ],
      [
        { format: "habit-tracker-export", version: 1, habits: [good, { ...good, checkins: [good.checkins[0], good.checkins[0]] }] },
        "habits[1].checkins[1].date",
      ],
      [{ format: "habit-tracker-export", version: 1, habits: [{ ...good, secret: true }] }, "habits[0].secret"],
      [{ format: "habit-tracker-export", version: 1, habits: [{ ...good, name: "" }] }, "habits[0].name"],
    ];
    for (const [document, path] of cases) {
      const reply = await suite.api.post("/me/import", document, token);
      expect([path, reply.status]).toEqual([path, 422]);
      expect(reply.body.data).toEqual([expect.objectContaining({ field: path })]);
    }
    const unknownTop = await suite.api.post("/me/import", { format: "habit-tracker-export", version: 1, habits: [], extra: 1 }, token);
    expect(unknownTop.status).toBe(422);
    const tooBig = await suite.api.post(
      "/me/import",
      { format: "habit-tracker-export", version: 1, habits: [], pad: "x".repeat(300 * 1024) },
      token,
    );
    expect(tooBig.status).toBe(413);
    expect((await suite.api.get("/habits", token)).body).toEqual([]);
    expect((await suite.api.get("/habits?archived=true", token)).body).toEqual([]);
  });
});

describe("POST /me/import/loop", () => {
  const upload = (bytes: Buffer, token: string, contentType = "application/octet-stream") =>
    suite.api.request("POST", "/me/import/loop", { raw: bytes, token, headers: { "content-type": contentType } });

  it("imports a Loop backup with the mapping and warnings of the contract", async () => {
    const t = today();
    const token = await account();
    const backup = buildLoopBackup({
      habits: [
        {
          name: "Meditate",
          question: "Did you meditate today?",
          frequency: [1, 1],
          reminder: { hour: 7, minute: 5 },
          position: 1,
          repetitions: [
            { date: addDays(t, -3), value: LOOP_ENTRY.YES_MANUAL, notes: "calm" },
            { date: addDays(t, -2), value: LOOP_ENTRY.SKIP },
            { date: addDays(t, -1), value: LOOP_ENTRY.YES_AUTO },
            { date: t, value: LOOP_ENTRY.YES_MANUAL },
            { date: addDays(t, 2), value: LOOP_ENTRY.YES_MANUAL },
          ],
        },
        {
          name: "Water",
          description: "Glasses a day",
          frequency: [3, 7],
          numeric: { targetType: "at_least", targetValue: 8, unit: "glasses" },
          position: 0,
          repetitions: [
            { date: addDays(t, -1), value: 8500 },
            { date: t, value: 0 },
          ],
        },
        {
          name: "Coffee",
          frequency: [2, 3],
          numeric: { targetType: "at_most", targetValue: 2, unit: "cups" },
          archived: true,
          repetitions: [],
        },
        { name: "Run", frequency: [1, 3], repetitions: [{ date: addDays(t, -3) }] },
      ],
    });
    const reply = await upload(backup, token);
    expect([reply.status, reply.body.message]).toEqual([200, undefined]);
    expect(reply.body).toMatchObject({ habits: 4, checkins: 5 });
    const warnings = reply.body.warnings as string[];
    expect(warnings.some((w) => w.includes("Coffee") && w.includes("2/3"))).toBe(true);
    expect(warnings.some((w) => w.includes("Meditate") && /after today/.test(w))).toBe(true);

    const active = (await suite.api.get("/habits", token)).body as Array<Record<string, unknown>>;
    expect(active.map((habit) => habit.name)).toEqual(["Water", "Meditate", "Run"]);
    const [water, meditate, run] = active;
    expect(water).toMatchObject({
      description: "Glasses a day",
      schedule: { type: "times_per_week", times: 3 },
      target: { type: "at_least", value: 8, unit: "glasses" },
      startDate: addDays(t, -1),
      color: null,
    });
    expect(meditate).toMatchObject({
      description: "Did you meditate today?",
      schedule: { type: "daily" },
      reminders: ["07:05"],
      startDate: addDays(t, -3),
    });
    expect(run).toMatchObject({ schedule: { type: "every_n_days", n: 3 } });
    const [coffee] = (await suite.api.get("/habits?archived=true", token)).body as Array<Record<string, unknown>>;
    expect(coffee).toMatchObject({
      name: "Coffee",
      target: { type: "at_most", value: 2, unit: "cups" },
      schedule: { type: "times_per_week", times: 5 },
    });

    const meditations = (await suite.api.get(`/habits/${meditate.id}/checkins?from=${addDays(t, -3)}`, token)).body as Array<
      Record<string, unknown>
    >;
    expect(meditations.map(({ date, status, note }) => ({ date, status, note }))).toEqual([
      { date: addDays(t, -3), status: "done", note: "calm" },
      { date: addDays(t, -2), status: "skipped", note: null },
      { date: t, status: "done", note: null },
    ]);
    const waters = (await suite.api.get(`/habits/${water.id}/checkins?from=${addDays(t, -1)}`, token)).body as Array<
      Record<string, unknown>
    >;
    expect(waters.map(({ date, value, completed }) => ({ date, value, completed }))).toEqual([
      { date: addDays(t, -1), value: 8.5, completed: true },
    ]);

    // The same history entered through the API gives the same streaks and scores.
    const typed = await account();
    for (const [name, body, entries] of [
      ["Water", { name: "Water", schedule: water.schedule, target: water.target, startDate: addDays(t, -1) }, [[-1, { value: 8.5 }]]],
      [
        "Meditate",
        { name: "Meditate", startDate: addDays(t, -3) },
        [
          [-3, {}],
          [-2, { status: "skipped" }],
          [0, {}],
        ],
      ],
    ] as const) {
      const made = await suite.api.post("/habits", body, typed);
      for (const [back, checkin] of entries)
        await suite.api.request("PUT", `/habits/${made.body.id}/checkins/${addDays(t, back)}`, { body: checkin, token: typed });
      const original = active.find((habit) => habit.name === name) as Record<string, unknown>;
      const a = (await suite.api.get(`/habits/${original.id}/streak`, token)).body;
      const b = (await suite.api.get(`/habits/${made.body.id}/streak`, typed)).body;
      expect([name, a]).toEqual([name, b]);
    }
  });

  it("refuses what is not a Loop backup (422) or not sent as bytes (415), storing nothing", async () => {
    const token = await account();
    const notSqlite = await upload(Buffer.from("definitely not a database"), token);
    expect(notSqlite.status).toBe(422);
    expect(notSqlite.body.data).toEqual([expect.objectContaining({ field: "file" })]);
    const json = await suite.api.post("/me/import/loop", { file: "x" }, token);
    expect(json.status).toBe(415);
    expect(
      (
        await suite.api.request("POST", "/me/import/loop", {
          raw: Buffer.alloc(0),
          headers: { "content-type": "application/octet-stream" },
        })
      ).status,
    ).toBe(401);
    expect((await upload(Buffer.alloc(300 * 1024, 1), token)).status).toBe(413);
    expect((await suite.api.get("/habits", token)).body).toEqual([]);
  });
});
