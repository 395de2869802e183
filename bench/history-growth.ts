/**
 * What a check-in costs as a habit's history grows (issue 8, finding 12): the latency of
 * backfilling a past date and of checking in today, on a habit with a short history (the
 * baseline) and with a long one, in the same run. Run: npm run bench:history
 * Uses the embedded database unless DATABASE_URL is set (then a fresh database on that server,
 * dropped afterwards). Prints p50/p95 per case and the ratio long ÷ short.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startNode, type HabitNode } from "../src/node";
import { addDays } from "../lib/dates";
import { createThrowawayDatabase } from "../src/throwaway-database";

const LONG = Number(process.env.BENCH_HISTORY ?? 10_000);
const SHORT = 10;
const WRITES = Number(process.env.BENCH_WRITES ?? 60);

/** A JSON answer: status and the fields this benchmark reads. */
type Reply = { status: number; body: Record<string, string> };

async function json(url: string, method: string, token: string | null, body?: unknown): Promise<Reply> {
  const res = await fetch(url, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(label: string, write: (i: number) => Promise<number>): Promise<number> {
  for (let i = 0; i < 5; i++) await write(i); // warm up
  const times: number[] = [];
  for (let i = 5; i < WRITES + 5; i++) {
    const begin = process.hrtime.bigint();
    const status = await write(i);
    times.push(Number(process.hrtime.bigint() - begin) / 1e6);
    if (status >= 300) throw new Error(`${label}: HTTP ${status}`);
  }
  times.sort((a, b) => a - b);
  const p50 = percentile(times, 50);
  console.log(`${label.padEnd(34)} p50 ${p50.toFixed(2).padStart(7)} ms   p95 ${percentile(times, 95).toFixed(2).padStart(7)} ms`);
  return p50;
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ht-bench-"));
  const database = process.env.DATABASE_URL ? await createThrowawayDatabase(process.env.DATABASE_URL, "ht_bench") : null;
  let node: HabitNode | null = null;
  try {
    node = await startNode({
      PORT: "0",
      METRICS_PORT: "off",
      LOG_LEVEL: "error",
      DATA_DIR: dataDir,
      DATABASE_URL: database?.url,
      RATE_LIMIT_REGISTER: "1000",
    });
    const api = `http://127.0.0.1:${node.port}/api/v1`;
    const registered = await json(`${api}/auth/register`, "POST", null, {
      email: `bench-${Date.now()}@example.com`,
      password: "correct horse battery",
    });
    const token = registered.body.accessToken as string;
    const today = (await json(`${api}/today`, "GET", token)).body.date as string;
    const tracking = node.broker.getLocalService("tracking") as unknown as { sequelize(): import("sequelize").Sequelize };
    const habitWith = async (checkins: number): Promise<string> => {
      // History up to yesterday, plus WRITES + 5 free past dates before it to backfill.
      const start = addDays(today, -(checkins + WRITES + 10));
      const habit = await json(`${api}/habits`, "POST", token, { name: `h${checkins}`, startDate: start });
      await tracking.sequelize().query(
        `INSERT INTO checkins (habit_id, date, status)
         SELECT $1, d::date, 'done' FROM generate_series($2::date, $3::date, '1 day') AS d`,
        { bind: [habit.body.id, addDays(today, -checkins), addDays(today, -1)] },
      );
      return habit.body.id as string;
    };
    const results: Record<string, number> = {};
    for (const [label, size] of [
      ["short", SHORT],
      ["long", LONG],
    ] as const) {
      const id = await habitWith(size);
      const start = addDays(today, -(size + WRITES + 10));
      results[`${label} backfill`] = await measure(
        `backfill, ${size} check-ins`,
        async (i) => (await json(`${api}/habits/${id}/checkins/${addDays(start, i)}`, "PUT", token, { status: "done" })).status,
      );
      results[`${label} today`] = await measure(
        `today, ${size} check-ins`,
        async (i) =>
          (await json(`${api}/habits/${id}/checkins/${today}`, "PUT", token, { status: i % 2 === 0 ? "done" : "skipped" })).status,
      );
    }
    console.log(
      `ratio ${LONG} ÷ ${SHORT} check-ins: backfill ${(results["long backfill"] / results["short backfill"]).toFixed(2)}×, today ${(results["long today"] / results["short today"]).toFixed(2)}×`,
    );
  } finally {
    await node?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    await database?.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
