/**
 * `npm run bench` (add `-- --quick` for a short run while developing): the performance suite of
 * docs/contract.md, "Performance targets". It makes a database of its own on the local Postgres
 * (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres) and a key prefix of
 * its own in the local Redis (BENCH_REDIS_URL), seeds it (bench/seed.ts), starts habit-tracker in
 * cluster mode — one node with every service — and the bare baseline (bench/baseline.ts) on a
 * copy of that database, warms both caches, and runs each scenario after a warm-up, alternating
 * the two servers round by round; then the login storm, milestone check-ins at a fixed rate, and
 * the check-in scenario again with the gateway and the domain services on two nodes. It prints
 * one table (medians of the rounds), writes it as JSON to bench/results/, and fails when a
 * request got an answer other than 2xx or an error.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { Client } from "pg";
import Redis from "ioredis";
import { addDays, daysBetween } from "../lib/dates";
import { computeProgress, type HabitHistory } from "../lib/progress";
import type { CheckinFacts, Schedule } from "../lib/habit-rules";
import { migrate } from "../src/migrate";
import { loadConfig } from "../src/config";
import { Passwords } from "../src/passwords";
import { AccessTokens } from "../src/tokens";
import { createThrowawayDatabase } from "../src/throwaway-database";
import { BENCH_PASSWORD, seed, type SeededUser } from "./seed";
import { runLoad, runPaced, type BenchRequest, type LoadResult } from "./load";
import { answers200, cpuSeconds, freePort, peakRss, reportsReady, startProcess, type Running } from "./processes";
import { InspectorProfiler } from "./profiler";
import { summarizeProfile } from "./profile-summary";

const quick = process.argv.includes("--quick");
/** `--only=W1,R2`: these scenarios alone (S1 W1 R1 R2 L1 E1 C1). */
const only = process.argv
  .find((arg) => arg.startsWith("--only="))
  ?.slice("--only=".length)
  .split(",");
const wanted = (scenario: string) => !only || only.includes(scenario);
/** `--profile`: a CPU profile of each node for each scenario's first round, in bench/results/profiles/, summarised. */
const profiling = process.argv.includes("--profile");
/** `--node-flags=--trace-deopt,--trace-opt`: V8 flags for the nodes (their output goes to the node's log). */
const nodeFlags =
  process.argv
    .find((arg) => arg.startsWith("--node-flags="))
    ?.slice("--node-flags=".length)
    .split(",") ?? [];
/** `--node-env=METRICS_PORT=off,LOG_LEVEL=warn`: settings for the nodes, to measure what one costs. */
const nodeSettings = Object.fromEntries(
  (
    process.argv
      .find((arg) => arg.startsWith("--node-env="))
      ?.slice("--node-env=".length)
      .split(",") ?? []
  )
    .filter(Boolean)
    .map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
);
/** `--hold`: set up and warm up, write the servers and users to the log folder, and wait for Ctrl-C (for profiling by hand). */
const hold = process.argv.includes("--hold");
/** What a results file is named after: only a full run of every scenario is "full" (and committed). */
const runKind = quick ? "quick" : only ? "partial" : "full";
const PLAN = quick
  ? { rounds: 1, seconds: 3, warmup: 1, users: 200, connections: 64, e1Seconds: 2 }
  : { rounds: 3, seconds: 8, warmup: 3, users: 1000, connections: 64, e1Seconds: 8 };
const HABITS_PER_USER = 8;
const E1_RATE = 500;
const ROOT = path.resolve(__dirname, "../..");
const DIST = path.join(ROOT, "dist");

/** Processes whose CPU time each run accounts for, besides the servers and this one. */
const CPU_USERS = ["postgres", "redis-server"];
const say = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)];

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  rounds: LoadResult[];
}

function summarizeRounds(rounds: LoadResult[]): Measured {
  return {
    rps: median(rounds.map((round) => round.rps)),
    p50: median(rounds.map((round) => round.p50)),
    p99: median(rounds.map((round) => round.p99)),
    errors: rounds.reduce((sum, round) => sum + round.errors + round.non2xx, 0),
    rounds,
  };
}

const failures: string[] = [];
function check(scenario: string, server: string, result: LoadResult): LoadResult {
  if (result.errors + result.non2xx > 0) {
    failures.push(`${scenario} on ${server}: ${result.non2xx} non-2xx, ${result.errors} errors; e.g. ${result.failures.join(" | ")}`);
  }
  return result;
}

// ----------------------------------------------------------------------------- requests

function checkinRequest(user: SeededUser): BenchRequest {
  const habit = pick(user.habits);
  // 90 % for today, the rest somewhere in the year behind.
  const back = Math.random() < 0.9 ? 0 : 1 + Math.floor(Math.random() * Math.max(1, daysBetween(habit.startDate, habit.today)));
  const status = Math.random() < 0.9 ? "done" : "skipped";
  const body = status === "done" && habit.numeric ? { status, value: Math.round(Math.random() * 80) / 10 } : { status };
  return { method: "PUT", path: `/api/v1/habits/${habit.id}/checkins/${addDays(habit.today, -back)}`, token: user.token, body };
}

const SCENARIOS = {
  W1: (users: SeededUser[]) => () => checkinRequest(pick(users)),
  R1: (users: SeededUser[]) => () => ({ method: "GET", path: "/api/v1/today", token: pick(users).token }) as BenchRequest,
  R2: (users: SeededUser[]) => () => {
    const user = pick(users);
    return { method: "GET", path: `/api/v1/habits/${pick(user.habits).id}/streak`, token: user.token } as BenchRequest;
  },
};
type ScenarioName = keyof typeof SCENARIOS;

/** Every user's /today once: the servers' caches hold every habit and streak afterwards. */
async function prewarm(url: string, users: SeededUser[]): Promise<void> {
  let next = 0;
  const result = await runLoad({
    url,
    connections: 16,
    amount: users.length,
    next: () => ({ method: "GET", path: "/api/v1/today", token: users[next++ % users.length].token }),
  });
  check("prewarm", url, result);
}

/** Warm-up of each, then rounds alternating which server goes first. */
async function compare(
  scenario: ScenarioName,
  users: SeededUser[],
  servers: { system: string; baseline: string },
  watched: Running[],
): Promise<{
  system: Measured;
  baseline: Measured;
  rssMb: Record<string, number>;
  cpu: Record<"system" | "baseline", Array<Record<string, number>>>;
}> {
  const next = SCENARIOS[scenario](users);
  const run = (url: string, seconds: number) => runLoad({ url, connections: PLAN.connections, durationSeconds: seconds, next });
  await run(servers.system, PLAN.warmup);
  await run(servers.baseline, PLAN.warmup);
  const results: { system: LoadResult[]; baseline: LoadResult[] } = { system: [], baseline: [] };
  const cpu: { system: Array<Record<string, number>>; baseline: Array<Record<string, number>> } = { system: [], baseline: [] };
  const pids = Object.fromEntries(watched.map((running) => [running.name, running.pid]));
  const { peaks } = await peakRss(watched, async () => {
    for (let round = 0; round < PLAN.rounds; round++) {
      const order: Array<"system" | "baseline"> = round % 2 === 0 ? ["system", "baseline"] : ["baseline", "system"];
      for (const server of order) {
        await settle(watched);
        const profiled = server === "system" && round === 0 ? watched.filter((running) => running.name !== "baseline") : [];
        const before = cpuSeconds(pids, CPU_USERS);
        const result = check(scenario, server, await profile(scenario, profiled, () => run(servers[server], PLAN.seconds)));
        const after = cpuSeconds(pids, CPU_USERS);
        results[server].push(result);
        cpu[server].push(
          Object.fromEntries(Object.keys(after).map((name) => [name, ((after[name] - (before[name] ?? 0)) / PLAN.seconds) * 100])),
        );
        const busy = Object.entries(cpu[server][round])
          .filter(([, percent]) => percent >= 1)
          .map(([name, percent]) => `${name} ${percent.toFixed(0)}%`)
          .join(", ");
        say(`${scenario} round ${round + 1} ${server}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99} ms; CPU ${busy}`);
      }
    }
  });
  return { system: summarizeRounds(results.system), baseline: summarizeRounds(results.baseline), rssMb: peaks, cpu };
}

/**
 * Waits until the servers are idle: work a run leaves behind (the relay, notifications,
 * deliveries) is done before the next run starts, so no run pays for the one before it.
 */
async function settle(processes: Running[]): Promise<void> {
  const pids = Object.fromEntries(processes.map((running) => [running.name, running.pid]));
  const busy = () => {
    const used = cpuSeconds(pids, CPU_USERS);
    return processes.reduce((sum, running) => sum + used[running.name], 0) + (used.postgres ?? 0);
  };
  const deadline = Date.now() + 30_000;
  let before = busy();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = busy();
    if (now - before < 0.01) return;
    before = now;
  }
  say("the servers did not settle within 30 s");
}

/** With `--profile`: `during` with each node's CPU profiled, the profiles written and summarised. */
async function profile<T>(scenario: string, nodes: Running[], during: () => Promise<T>): Promise<T> {
  const targets = profiling ? nodes.filter((running) => running.inspectPort !== null) : [];
  if (targets.length === 0) return during();
  const profilers = await Promise.all(targets.map((running) => InspectorProfiler.connect(running.inspectPort as number)));
  await Promise.all(profilers.map((profiler) => profiler.start()));
  const result = await during();
  const dir = path.join(ROOT, "bench/results/profiles");
  fs.mkdirSync(dir, { recursive: true });
  for (const [i, profiler] of profilers.entries()) {
    const cpuProfile = await profiler.stop();
    profiler.close();
    const file = path.join(dir, `${scenario}-${targets[i].name}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(cpuProfile));
    say(
      `${scenario} on ${targets[i].name}: ${path.relative(ROOT, file)}\n${summarizeProfile(cpuProfile as Parameters<typeof summarizeProfile>[0])}`,
    );
  }
  return result;
}

// ----------------------------------------------------------------------------- S1, L1, E1

/** S1: streak and score from 10 years of daily history, per schedule; the slowest mean per call. */
function streakEngine(): number {
  const today = "2026-11-21";
  const start = addDays(today, -3650);
  const checkins: CheckinFacts[] = [];
  for (let i = 0; i <= 3650; i++)
    if (i % 11 !== 5) checkins.push({ date: addDays(start, i), status: i % 13 === 0 ? "skipped" : "done", value: null });
  const schedules: Schedule[] = [
    { type: "daily" },
    { type: "weekdays", days: [1, 2, 3, 4, 5] },
    { type: "every_n_days", n: 3 },
    { type: "times_per_week", times: 4 },
  ];
  return Math.max(
    ...schedules.map((schedule) => {
      const history: HabitHistory = { schedule, target: { type: "boolean" }, startDate: start, today, checkins };
      for (let i = 0; i < 50; i++) computeProgress(history);
      const begin = process.hrtime.bigint();
      for (let i = 0; i < 300; i++) computeProgress(history);
      return Number(process.hrtime.bigint() - begin) / 1e6 / 300;
    }),
  );
}

/** L1: logins as fast as they come, and /health/live probed meanwhile. */
async function loginStorm(system: string, users: SeededUser[]): Promise<{ logins: LoadResult; live: LoadResult }> {
  const [logins, live] = await Promise.all([
    runLoad({
      url: system,
      connections: 16,
      durationSeconds: PLAN.seconds,
      next: () => ({ method: "POST", path: "/api/v1/auth/login", body: { email: pick(users).email, password: BENCH_PASSWORD } }),
    }),
    runLoad({
      url: system,
      connections: 1,
      overallRate: 50,
      durationSeconds: PLAN.seconds,
      next: () => ({ method: "GET", path: "/health/live" }),
    }),
  ]);
  return { logins: check("L1 logins", "system", logins), live: check("L1 /health/live", "system", live) };
}

/** E1: today's check-in of each prepared habit (each crosses 7 days) at a fixed rate; answer → inbox. */
async function milestoneStorm(system: string, databaseUrl: string, users: SeededUser[]) {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    // Instrumentation of the benchmark's own database: when each milestone notification was stored.
    await db.query(`CREATE TABLE bench_inbox_arrivals (habit_id text, arrived_at timestamptz);
      CREATE FUNCTION bench_note_arrival() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN INSERT INTO bench_inbox_arrivals VALUES (NEW.data->>'habitId', clock_timestamp()); RETURN NEW; END $$;
      CREATE TRIGGER bench_note_arrival AFTER INSERT ON notifications FOR EACH ROW WHEN (NEW.type = 'milestone')
        EXECUTE FUNCTION bench_note_arrival();`);
    const habits = users.flatMap((user) => user.habits.map((habit) => ({ user, habit })));
    const answered = new Map<string, number>();
    let next = 0;
    const load = check(
      "E1",
      "system",
      await runPaced({
        url: system,
        rate: E1_RATE,
        count: habits.length,
        next: () => {
          const { user, habit } = habits[next++ % habits.length];
          const body = habit.numeric ? { status: "done", value: 10 } : { status: "done" };
          return {
            method: "PUT",
            path: `/api/v1/habits/${habit.id}/checkins/${habit.today}`,
            token: user.token,
            body,
            onAnswer: (status, at) => status < 300 && answered.set(habit.id, at),
          };
        },
      }),
    );
    // Every milestone reaches the inbox, or the wait ends.
    const deadline = Date.now() + 30_000;
    let arrivals: Array<{ habitId: string; at: number }> = [];
    while (Date.now() < deadline) {
      const { rows } = await db.query<{ habit_id: string; at: number }>(
        "SELECT habit_id, extract(epoch FROM arrived_at) * 1000 AS at FROM bench_inbox_arrivals",
      );
      arrivals = rows.map((row) => ({ habitId: row.habit_id, at: Number(row.at) }));
      if (arrivals.length >= answered.size) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const latencies = arrivals.flatMap(({ habitId, at }) =>
      answered.has(habitId) ? [Math.max(0, at - (answered.get(habitId) as number))] : [],
    );
    latencies.sort((a, b) => a - b);
    return {
      rps: load.rps,
      checkins: answered.size,
      delivered: latencies.length,
      lost: answered.size - latencies.length,
      p50: latencies[Math.floor(latencies.length * 0.5)] ?? 0,
      p99: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? 0,
    };
  } finally {
    await db.end();
  }
}

// ----------------------------------------------------------------------------- the run

async function main() {
  const started = Date.now();
  const adminUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "habit-bench-"));
  const tag = randomBytes(4).toString("hex");
  const namespaces = { system: `bench-${tag}`, baseline: `bench-${tag}-base` };
  const jwtSecret = randomBytes(32).toString("hex");
  const config = loadConfig({});
  const database = await createThrowawayDatabase(adminUrl, "habit_tracker_bench");
  const baselineName = `${new URL(database.url).pathname.slice(1)}_base`;
  const baselineUrl = Object.assign(new URL(database.url), { pathname: `/${baselineName}` }).toString();
  const running: Running[] = [];
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    say(`seeding ${PLAN.users} users × ${HABITS_PER_USER} habits × 365 days (logs in ${logDir})`);
    await migrate({ connectionString: database.url });
    const db = new Client({ connectionString: database.url });
    await db.connect();
    const passwordHash = await new Passwords(config.passwordHash).hash(BENCH_PASSWORD);
    const tokens = new AccessTokens(jwtSecret, config.accessTokenTtlSeconds);
    const milestoneUsers = Math.ceil((E1_RATE * PLAN.e1Seconds) / HABITS_PER_USER);
    const seeded = await seed(db, { users: PLAN.users, habitsPerUser: HABITS_PER_USER, days: 365, milestoneUsers }, passwordHash, tokens);
    await db.end();
    // The baseline works on a copy, so that neither server's writes (and the relay's work) touch the other's data.
    await admin.query(`CREATE DATABASE ${baselineName} TEMPLATE ${new URL(database.url).pathname.slice(1)}`);
    say(`seeded ${seeded.checkins} check-ins in ${((Date.now() - started) / 1000).toFixed(0)} s`);

    const nodeEnv = (port: number, extra: Record<string, string> = {}) => ({
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      NAMESPACE: namespaces.system,
      JWT_SECRET: jwtSecret,
      PORT: String(port),
      RATE_LIMIT_LOGIN: "1000000",
      ...extra,
    });
    const startNode = async (name: string, extra: Record<string, string>, gateway: boolean) => {
      const port = await freePort();
      const metrics = await freePort();
      const inspectPort = profiling ? await freePort() : null;
      const node = await startProcess({
        name,
        script: path.join(DIST, "bin/server.js"),
        port,
        env: nodeEnv(port, { NODE_ID: name, METRICS_PORT: String(metrics), ...extra, ...nodeSettings }),
        logDir,
        nodeArgs: [...nodeFlags, ...(inspectPort === null ? [] : [`--inspect=127.0.0.1:${inspectPort}`])],
        inspectPort,
        ready: () => (gateway ? reportsReady(`http://127.0.0.1:${port}`) : Promise.resolve(true)),
      });
      running.push(node);
      return node;
    };
    const node = await startNode("node", {}, true);
    const basePort = await freePort();
    const baseline = await startProcess({
      name: "baseline",
      script: path.join(DIST, "bench/baseline.js"),
      port: basePort,
      env: {
        DATABASE_URL: baselineUrl,
        REDIS_URL: redisUrl,
        NAMESPACE: namespaces.baseline,
        JWT_SECRET: jwtSecret,
        PORT: String(basePort),
      },
      logDir,
      ready: () => answers200(`http://127.0.0.1:${basePort}/health/live`),
    });
    running.push(baseline);
    const servers = { system: `http://127.0.0.1:${node.port}`, baseline: `http://127.0.0.1:${basePort}` };

    const table = new Table();
    if (wanted("S1")) {
      const s1 = streakEngine();
      table.add(
        { scenario: "S1 streak + score, 3,650 days", measured: `${s1.toFixed(3)} ms a call`, target: "≤ 1 ms", met: s1 <= 1 },
        { s1 },
      );
    }
    await prewarm(servers.system, [...seeded.users, ...seeded.milestoneUsers]);
    await prewarm(servers.baseline, seeded.users);
    if (hold) {
      fs.writeFileSync(path.join(logDir, "state.json"), JSON.stringify({ servers, databaseUrl: database.url, users: seeded.users }));
      say(`holding: ${JSON.stringify(servers)}; users in ${path.join(logDir, "state.json")}; Ctrl-C ends`);
      await new Promise((resolve) => ["SIGINT", "SIGTERM"].forEach((signal) => process.once(signal, resolve)));
      return;
    }

    let w1OneNode: number | null = null;
    for (const scenario of ["W1", "R1", "R2"] as const) {
      if (!wanted(scenario)) continue;
      const result = await compare(scenario, seeded.users, servers, [node, baseline]);
      table.compared(scenario, result);
      if (scenario === "W1") w1OneNode = result.system.rps;
    }

    if (wanted("L1")) {
      const hashRate = Number(
        execFileSync(process.execPath, [path.join(DIST, "bench/hash-rate.js"), String(PLAN.seconds)], { encoding: "utf8" }),
      );
      const { result: l1, peaks } = await peakRss([node], () => profile("L1", [node], () => loginStorm(servers.system, seeded.users)));
      const ratio = l1.logins.rps / hashRate;
      table.add(
        {
          scenario: "L1 login storm",
          measured: `${l1.logins.rps.toFixed(1)} logins/s; /health/live p99 ${l1.live.p99} ms`,
          baseline: `${hashRate.toFixed(1)} raw hashes/s`,
          ratio: ratio.toFixed(2),
          target: "≥ 0.9; live p99 ≤ 10 ms",
          met: ratio >= 0.9 && l1.live.p99 <= 10,
        },
        { l1, hashRate },
        peaks,
      );
    }
    if (wanted("E1")) {
      const storm = () => milestoneStorm(servers.system, database.url, seeded.milestoneUsers);
      const { result: e1, peaks } = await peakRss([node], () => profile("E1", [node], storm));
      table.add(
        {
          scenario: `E1 milestone check-ins at ${E1_RATE}/s`,
          measured: `${e1.checkins} at ${e1.rps.toFixed(0)}/s; inbox p50 ${e1.p50.toFixed(1)} ms, p99 ${e1.p99.toFixed(1)} ms; lost ${e1.lost}`,
          target: "p99 ≤ 100 ms, none lost",
          met: e1.p99 <= 100 && e1.lost === 0,
        },
        { e1 },
        peaks,
      );
    }

    if (wanted("C1")) {
      // The same check-ins with the gateway on one node and the domain services on another.
      await node.stop();
      running.splice(running.indexOf(node), 1);
      const domain = await startNode("domain", { SERVICES: "auth,habits,tracking,notifications,reminders" }, false);
      const gateway = await startNode("gateway", { SERVICES: "api" }, true);
      const url = `http://127.0.0.1:${gateway.port}`;
      const next = SCENARIOS.W1(seeded.users);
      await runLoad({ url, connections: PLAN.connections, durationSeconds: PLAN.warmup, next });
      const { result: rounds, peaks } = await peakRss([gateway, domain], async () => {
        const done: LoadResult[] = [];
        for (let round = 0; round < PLAN.rounds; round++) {
          const load = () => runLoad({ url, connections: PLAN.connections, durationSeconds: PLAN.seconds, next });
          done.push(check("C1", "system", await profile("C1", round === 0 ? [gateway, domain] : [], load)));
          say(`C1 round ${round + 1}: ${done[round].rps.toFixed(0)} req/s`);
        }
        return done;
      });
      const c1 = summarizeRounds(rounds);
      const ratio = w1OneNode === null ? null : c1.rps / w1OneNode;
      table.add(
        {
          scenario: "C1 W1, gateway and domain on two nodes",
          measured: fmt(c1),
          baseline: w1OneNode === null ? "(W1 not run)" : `W1 on one node: ${w1OneNode.toFixed(0)} req/s`,
          ratio: ratio === null ? "" : ratio.toFixed(2),
          target: "≥ 0.6 of one node",
          met: ratio !== null && ratio >= 0.6,
        },
        { c1 },
        peaks,
      );
    }

    const report = table.report((Date.now() - started) / 1000, seeded.checkins);
    printReport(report);
    fs.mkdirSync(path.join(ROOT, "bench/results"), { recursive: true });
    const file = path.join(ROOT, "bench/results", `${runKind}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    say(`written to ${path.relative(ROOT, file)}`);
  } finally {
    for (const child of running.reverse()) await child.stop().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${baselineName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await database.drop().catch(() => undefined);
    await dropKeys(redisUrl, Object.values(namespaces));
  }
  if (failures.length > 0) {
    for (const failure of failures) say(`FAILED ${failure}`);
    process.exitCode = 1;
  }
}

async function dropKeys(redisUrl: string, namespaces: string[]): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    for (const namespace of namespaces) {
      let cursor = "0";
      do {
        const [nextCursor, keys] = await redis.scan(cursor, "MATCH", `habit-tracker:${namespace}:*`, "COUNT", 1000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = nextCursor;
      } while (cursor !== "0");
    }
  } finally {
    redis.disconnect();
  }
}

// ----------------------------------------------------------------------------- the table

interface Row {
  scenario: string;
  measured: string;
  baseline?: string;
  ratio?: string;
  target: string;
  met: boolean;
}

interface Report {
  machine: string;
  node: string;
  mode: string;
  seconds: number;
  rows: Row[];
  rssMb: Record<string, number>;
  raw: Record<string, unknown>;
}

const fmt = (m: { rps: number; p50: number; p99: number }) => `${m.rps.toFixed(0)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms`;

/** The rows as scenarios finish, the peak memory of each node over all of them, and the raw numbers. */
class Table {
  private readonly rows: Row[] = [];
  private readonly rssMb: Record<string, number> = {};
  private readonly raw: Record<string, unknown> = {};

  add(row: Row, raw: Record<string, unknown>, peaks: Record<string, number> = {}): void {
    this.rows.push(row);
    Object.assign(this.raw, raw);
    for (const [name, mb] of Object.entries(peaks)) this.rssMb[name] = Math.max(this.rssMb[name] ?? 0, mb);
  }

  compared(scenario: ScenarioName, result: Awaited<ReturnType<typeof compare>>): void {
    const ratio = result.system.rps / result.baseline.rps;
    const p99Ratio = result.system.p99 / Math.max(result.baseline.p99, 1);
    const spec = {
      W1: { label: "W1 check-in, 90 % today", target: "≥ 0.7, p99 ≤ 1.5×", met: ratio >= 0.7 && p99Ratio <= 1.5 },
      R1: { label: "R1 /today, 8 habits", target: "≥ 0.6", met: ratio >= 0.6 },
      R2: { label: "R2 streak", target: "≥ 0.6", met: ratio >= 0.6 },
    }[scenario];
    this.add(
      {
        scenario: spec.label,
        measured: fmt(result.system),
        baseline: fmt(result.baseline),
        ratio: scenario === "W1" ? `${ratio.toFixed(2)}, p99 ×${p99Ratio.toFixed(2)}` : ratio.toFixed(2),
        target: spec.target,
        met: spec.met,
      },
      { [scenario]: result },
      result.rssMb,
    );
  }

  report(seconds: number, checkins: number): Report {
    const nodes = Object.entries(this.rssMb).filter(([name]) => name !== "baseline");
    const rows = [
      ...this.rows,
      {
        scenario: "memory under load (peak RSS)",
        measured: nodes.map(([name, mb]) => `${name} ${mb} MB`).join(", "),
        baseline: this.rssMb.baseline === undefined ? "" : `baseline ${this.rssMb.baseline} MB`,
        target: "≤ 200 MB a node",
        met: nodes.every(([, mb]) => mb <= 200),
      },
    ];
    return {
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GB, ${os.platform()} ${os.release()}`,
      node: process.version,
      mode: `${quick ? "quick" : "full"}: ${PLAN.rounds} round(s) of ${PLAN.seconds} s, ${PLAN.connections} connections, ${PLAN.users} users, ${checkins} check-ins`,
      seconds: Math.round(seconds),
      rows,
      rssMb: this.rssMb,
      raw: this.raw,
    };
  }
}

function printReport(report: Report): void {
  const header = ["scenario", "habit-tracker", "baseline", "ratio", "target", "met"];
  const lines = report.rows.map((row) => [
    row.scenario,
    row.measured,
    row.baseline ?? "",
    row.ratio ?? "",
    row.target,
    row.met ? "yes" : "NO",
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i].length)));
  const format = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(" | ")} |`;
  process.stdout.write(`\n${report.machine}; node ${report.node}; ${report.mode}; ${report.seconds} s\n\n`);
  process.stdout.write(`${format(header)}\n| ${widths.map((width) => "-".repeat(width)).join(" | ")} |\n`);
  for (const line of lines) process.stdout.write(`${format(line)}\n`);
}

main().catch((err: unknown) => {
  say(`failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
