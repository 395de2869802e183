/**
 * `npm run bench:scaling` (`-- --strategies=RoundRobin,CpuUsage,Latency --cpu=0.1 --phase=40
 * --warm=15 --connections=64 --workload=stats|streak|year`): does adding domain nodes add
 * throughput (README, "Scaling")? A gateway (no quota) and one domain node held to a share of one
 * CPU by a cgroup quota serve reads under steady load (30-day stats by default: their work is on
 * the domain node); a second, third and fourth domain node join while the load runs. Each domain
 * node first serves unlimited for `--warm` seconds (V8 compiling its hot paths: under a small
 * quota that takes tens of seconds, and RoundRobin would run the whole cluster at the cold node's pace),
 * then is held to its share; a phase is measured from 3 s after that. Per phase it prints
 * throughput against one node's (target ≥ 0.8·k), the calls each node served (its own metrics)
 * and every failed request, for each load-balancing strategy. Writes
 * bench/results/scaling-<time>.json. A benchmark, not a test: where the machine cannot give quotas
 * it says so, and the ratios then measure nothing.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { DateTime } from "luxon";
import { Client } from "pg";
import { migrate } from "../src/migrate";
import { loadConfig, BALANCE_STRATEGIES, type BalanceStrategy } from "../src/config";
import { Passwords } from "../src/passwords";
import { AccessTokens } from "../src/tokens";
import { createThrowawayDatabase } from "../src/throwaway-database";
import { cpuQuotaUnavailable } from "../src/cpu-quota";
import { BENCH_PASSWORD, seed } from "./seed";
import { runLoad } from "./load";
import { servedCalls, startClusterNode, type ClusterNode } from "./cluster-nodes";
import { reportsReady } from "./processes";

const say = (message: string) => process.stderr.write(`[scaling] ${message}\n`);
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

const STRATEGIES = (arg("strategies") ?? "RoundRobin,CpuUsage,Latency").split(",") as BalanceStrategy[];
const CPU = Number(arg("cpu") ?? 0.1);
const PHASE_SECONDS = Number(arg("phase") ?? 40);
const YEAR_AGO = DateTime.utc().minus({ days: 364 }).toISODate();
/** What is read: the domain action serving it, and the route. */
const WORKLOADS = {
  stats: { action: "tracking.stats", path: (id: string) => `/api/v1/habits/${id}/stats` },
  streak: { action: "tracking.streak", path: (id: string) => `/api/v1/habits/${id}/streak` },
  // The web app's habit page: a year of days for its heatmap.
  year: { action: "tracking.stats", path: (id: string) => `/api/v1/habits/${id}/stats?from=${YEAR_AGO}` },
} as const;
const WORKLOAD_NAME = (arg("workload") ?? "stats") as keyof typeof WORKLOADS;
const WORKLOAD = WORKLOADS[WORKLOAD_NAME];
/** Seconds a new domain node serves unlimited before it is held to its share: V8 compiles its hot paths. */
const WARM_SECONDS = Number(arg("warm") ?? 15);
/** Seconds after a node is held to its share left out of its phase's throughput: the cluster settles. */
const SETTLE_SECONDS = 3;
const MAX_DOMAIN_NODES = 4;
const CONNECTIONS = Number(arg("connections") ?? 64);

interface Phase {
  domainNodes: number;
  rps: number;
  ratio: number;
  met: boolean;
  /** Calls of the workload's action each domain node served during the phase. */
  calls: Record<string, number>;
}

async function runStrategy(
  strategy: BalanceStrategy,
  env: Record<string, string>,
  next: () => { method: "GET"; path: string; token: string },
  logDir: string,
) {
  const quotas = cpuQuotaUnavailable() === null ? CPU : null;
  const nodes: ClusterNode[] = [];
  const start = async (name: string, services: string, cpu: number | null) => {
    const node = await startClusterNode({
      name: `${strategy}-${name}`,
      services,
      env: { ...env, BALANCE_STRATEGY: strategy },
      logDir,
      cpu,
      holdAtSpawn: false,
    });
    nodes.push(node);
    return node;
  };
  try {
    const gateway = await start("gateway", "api", null);
    const domain = [await start("domain-1", "auth,habits,tracking", quotas)];
    // The gateway knows the domain node's services before any request is sent.
    while (!(await reportsReady(gateway.ops))) await new Promise((resolve) => setTimeout(resolve, 100));
    // Warm (JIT, caches) unlimited, then held to the share before the first phase counts.
    await runLoad({ url: gateway.api as string, connections: CONNECTIONS, durationSeconds: WARM_SECONDS, next });
    domain[0].hold();
    const perSecond: number[] = [];
    const began = Date.now();
    const load = runLoad({
      url: gateway.api as string,
      connections: CONNECTIONS,
      durationSeconds: PHASE_SECONDS * MAX_DOMAIN_NODES,
      next: () => ({
        ...next(),
        onAnswer: (status, at) => {
          if (status < 200 || status >= 300) return;
          const second = Math.floor((at - began) / 1000);
          while (perSecond.length <= second) perSecond.push(0);
          perSecond[second]++;
        },
      }),
    });
    const phases: Phase[] = [];
    let before: Record<string, number> = {};
    const countCalls = async () =>
      Object.fromEntries(await Promise.all(domain.map(async (node) => [node.name, await servedCalls(node, WORKLOAD.action)] as const)));
    let joinedAt = began;
    for (let k = 1; k <= MAX_DOMAIN_NODES; k++) {
      const phaseStart = (k - 1) * PHASE_SECONDS;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, began + (phaseStart + PHASE_SECONDS) * 1000 - Date.now() - 200)));
      const now = await countCalls();
      const calls = Object.fromEntries(Object.entries(now).map(([name, count]) => [name, count - (before[name] ?? 0)]));
      before = now;
      // From when the phase's new node was held to its share.
      const from = Math.max(phaseStart, Math.ceil((joinedAt - began) / 1000)) + SETTLE_SECONDS;
      const window = perSecond.slice(from, phaseStart + PHASE_SECONDS);
      const rps = window.reduce((sum, count) => sum + count, 0) / Math.max(window.length, 1);
      const ratio = rps / (phases[0]?.rps ?? rps);
      phases.push({ domainNodes: k, rps, ratio, met: ratio >= 0.8 * k, calls });
      say(`${strategy}: ${k} domain node(s) ${rps.toFixed(0)} req/s (×${ratio.toFixed(2)}); calls per node ${JSON.stringify(calls)}`);
      // The next node joins under load, warms unlimited, then is held to its share; all of that
      // is left out of the next phase's throughput.
      if (k < MAX_DOMAIN_NODES) {
        const joined = await start(`domain-${k + 1}`, "auth,habits,tracking", quotas);
        domain.push(joined);
        await new Promise((resolve) => setTimeout(resolve, WARM_SECONDS * 1000));
        joined.hold();
        joinedAt = Date.now();
      }
    }
    const result = await load;
    return { strategy, phases, requests: result.requests, failed: result.errors + result.non2xx, failures: result.failures };
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
  }
}

async function main() {
  for (const strategy of STRATEGIES)
    if (!(BALANCE_STRATEGIES as readonly string[]).includes(strategy)) throw new Error(`unknown strategy ${strategy}`);
  const unavailable = cpuQuotaUnavailable();
  say(
    unavailable
      ? `CPU quotas unavailable (${unavailable}): nodes run unlimited, and the ratios do not measure scaling`
      : `each domain node held to ${CPU} CPU`,
  );
  const adminUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "habit-scaling-"));
  const jwtSecret = randomBytes(32).toString("hex");
  const config = loadConfig({});
  const database = await createThrowawayDatabase(adminUrl, "habit_tracker_scaling");
  try {
    await migrate({ connectionString: database.url });
    const db = new Client({ connectionString: database.url });
    await db.connect();
    const passwordHash = await new Passwords(config.passwordHash).hash(BENCH_PASSWORD);
    const seeded = await seed(
      db,
      { users: 500, habitsPerUser: 4, days: 365, milestoneUsers: 0 },
      passwordHash,
      new AccessTokens(jwtSecret, config.accessTokenTtlSeconds),
    );
    await db.end();
    const habits = seeded.users.flatMap((user) => user.habits.map((habit) => ({ token: user.token, id: habit.id })));
    let i = 0;
    const next = () => {
      const habit = habits[i++ % habits.length];
      return { method: "GET" as const, path: WORKLOAD.path(habit.id), token: habit.token };
    };
    const results = [];
    for (const strategy of STRATEGIES) {
      const env = {
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl,
        JWT_SECRET: jwtSecret,
        NAMESPACE: `scale-${randomBytes(3).toString("hex")}`,
        LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
      };
      results.push(await runStrategy(strategy, env, next, logDir));
    }
    const lines = [
      `| strategy | domain nodes | req/s | × one node | target | met | calls per node |`,
      `|---|---|---|---|---|---|---|`,
      ...results.flatMap(({ strategy, phases }) =>
        phases.map(
          (p) =>
            `| ${strategy} | ${p.domainNodes} | ${p.rps.toFixed(0)} | ${p.ratio.toFixed(2)} | ≥ ${(0.8 * p.domainNodes).toFixed(1)} | ${p.met ? "yes" : "NO"} | ${Object.values(p.calls).join(" / ")} |`,
        ),
      ),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    for (const { strategy, requests, failed, failures } of results) {
      process.stdout.write(`${strategy}: ${requests} requests, ${failed} failed${failures.length ? ` (${failures.join(" | ")})` : ""}\n`);
    }
    const file = path.resolve(__dirname, "../../bench/results", `scaling-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    fs.writeFileSync(
      file,
      JSON.stringify(
        {
          cpu: unavailable ? null : CPU,
          phaseSeconds: PHASE_SECONDS,
          warmSeconds: WARM_SECONDS,
          connections: CONNECTIONS,
          workload: WORKLOAD_NAME,
          action: WORKLOAD.action,
          results,
        },
        null,
        2,
      ),
    );
    say(`written to ${path.relative(process.cwd(), file)}; node logs in ${logDir}`);
    if (results.some((result) => result.failed > 0)) process.exitCode = 1;
  } finally {
    await database.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`scaling benchmark failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
