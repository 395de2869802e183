/**
 * `npm run cluster -- [--gateways 1] [--domain 2] [--notifications 1] [--reminders 1] [--cpu 0.25] [--port 3000]`:
 * a cluster of separate node processes on one machine, on the local Postgres and Redis
 * (DATABASE_URL, REDIS_URL; by default 127.0.0.1's, database habit_tracker_cluster), each node
 * optionally held to a share of one CPU by a cgroup quota (`--cpu`), for trying scaling and
 * faults by hand. Logs go to data/cluster/<node>.log; Ctrl-C stops every node gracefully.
 */
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { startClusterNode, type ClusterNode } from "../bench/cluster-nodes";
import { cpuQuotaUnavailable } from "../src/cpu-quota";
import { ensureDatabase } from "../src/throwaway-database";

const ROLES = { gateways: "api", domain: "auth,habits,tracking", notifications: "notifications", reminders: "reminders" } as const;
type Role = keyof typeof ROLES;

function options(argv: string[]) {
  const counts: Record<Role, number> = { gateways: 1, domain: 2, notifications: 1, reminders: 1 };
  let cpu: number | null = null;
  let port = 3000;
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i].replace(/^--/, ""), argv[i + 1]];
    const number = Number(value);
    if (value === undefined || !Number.isFinite(number) || number < 0) throw new Error(`--${flag} needs a number`);
    if (flag in counts) counts[flag as Role] = Math.floor(number);
    else if (flag === "cpu") cpu = number;
    else if (flag === "port") port = number;
    else throw new Error(`unknown option --${flag} (known: ${[...Object.keys(counts), "cpu", "port"].join(", ")})`);
  }
  return { counts, cpu, port };
}

async function main() {
  const { counts, cpu, port } = options(process.argv.slice(2));
  const unavailable = cpu === null ? null : cpuQuotaUnavailable();
  if (unavailable) process.stdout.write(`CPU quotas are not available here (${unavailable}): every node runs without a CPU limit.\n`);
  const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/habit_tracker_cluster";
  // Made if it does not exist yet; the nodes migrate it.
  await ensureDatabase(databaseUrl);
  const logDir = path.resolve(process.env.DATA_DIR ?? "./data", "cluster");
  fs.mkdirSync(logDir, { recursive: true });
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    // Shared by every node of this run; set JWT_SECRET to keep tokens valid across runs.
    JWT_SECRET: process.env.JWT_SECRET ?? randomBytes(32).toString("hex"),
    NAMESPACE: process.env.NAMESPACE ?? "cluster",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
  };
  const nodes: ClusterNode[] = [];
  const stopAll = async () => {
    process.stdout.write(`stopping ${nodes.length} nodes\n`);
    await Promise.all(nodes.map((node) => node.stop()));
    process.exit(0);
  };
  process.on("SIGINT", () => void stopAll());
  process.on("SIGTERM", () => void stopAll());
  let gatewayPort = port;
  for (const role of Object.keys(ROLES) as Role[]) {
    for (let i = 1; i <= counts[role]; i++) {
      const name = `${role === "gateways" ? "gateway" : role}-${i}`;
      const node = await startClusterNode({
        name,
        services: ROLES[role],
        env,
        logDir,
        cpu: unavailable ? null : cpu,
        ...(role === "gateways" ? { port: gatewayPort++ } : {}),
      });
      nodes.push(node);
      process.stdout.write(
        `${name.padEnd(16)} pid ${String(node.pid).padEnd(7)} ${node.services.padEnd(22)} cpu ${node.cpu ?? "unlimited"}  ` +
          `metrics ${node.ops}/metrics${node.api ? `  api ${node.api}/api/v1` : ""}\n`,
      );
    }
  }
  process.stdout.write(`cluster up (logs in ${logDir}); Ctrl-C stops it\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`cluster failed: ${(err as Error).message}\n`);
  process.exit(1);
});
