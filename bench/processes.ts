/**
 * The benchmark's processes: each node (and the baseline) runs as its own `node` process from
 * dist/, its output kept in a log file, its resident memory sampled from /proc while it serves.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { asyncContextFrameFlags } from "../src/request-context";

export interface Running {
  name: string;
  pid: number | undefined;
  port: number;
  /** The inspector's port, when it runs with one. */
  inspectPort: number | null;
  logFile: string;
  /** Resident memory now, in MB (0 once gone). */
  rssMb(): number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function rssOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return Math.round(kb / 1024);
  } catch {
    return 0;
  }
}

/** Starts `script` (a file under dist/) and waits until `ready()` says so, or the process dies. */
export async function startProcess(options: {
  name: string;
  script: string;
  port: number;
  env: Record<string, string>;
  logDir: string;
  ready: () => Promise<boolean>;
  nodeArgs?: string[];
  inspectPort?: number | null;
  /** Told the child's pid as soon as it exists (e.g. to put it into a cgroup). */
  onSpawn?: (pid: number) => void;
}): Promise<Running> {
  const logFile = path.join(options.logDir, `${options.name}.log`);
  const log = fs.openSync(logFile, "a");
  const child: ChildProcess = spawn(process.execPath, [...asyncContextFrameFlags(), ...(options.nodeArgs ?? []), options.script], {
    env: { ...process.env, ...options.env, NODE_OPTIONS: "" },
    stdio: ["ignore", log, log],
  });
  if (child.pid !== undefined) options.onSpawn?.(child.pid);
  let exited: number | null = null;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", (code) => {
      exited = code ?? -1;
      resolve();
    }),
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== null) throw new Error(`${options.name} exited with ${exited} while starting; see ${logFile}`);
    if (await options.ready().catch(() => false)) break;
    if (Date.now() > deadline) throw new Error(`${options.name} not ready after 60 s; see ${logFile}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    name: options.name,
    pid: child.pid,
    port: options.port,
    inspectPort: options.inspectPort ?? null,
    logFile,
    rssMb: () => (exited === null ? rssOf(child.pid) : 0),
    async stop() {
      if (exited === null) {
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
        await exit;
        clearTimeout(killer);
      }
      fs.closeSync(log);
    },
  };
}

/** Samples the processes' resident memory while `during` runs; the peak of each, in MB. */
export async function peakRss<T>(processes: Running[], during: () => Promise<T>): Promise<{ result: T; peaks: Record<string, number> }> {
  const peaks: Record<string, number> = Object.fromEntries(processes.map((running) => [running.name, running.rssMb()]));
  const timer = setInterval(() => {
    for (const running of processes) peaks[running.name] = Math.max(peaks[running.name], running.rssMb());
  }, 250);
  try {
    return { result: await during(), peaks };
  } finally {
    clearInterval(timer);
  }
}

/** Whether GET `url` answers 200. */
export async function answers200(url: string): Promise<boolean> {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response.status === 200;
}

/** True when `base`'s /health/ready says "ok": every check passes, optional ones too (a complete cluster). */
export async function reportsReady(base: string): Promise<boolean> {
  const response = await fetch(`${base}/health/ready`);
  const report = (await response.json().catch(() => ({}))) as { status?: string };
  return report.status === "ok";
}

/** CPU seconds used so far by each process whose command name is one of `names` (summed per name), and by this process. */
export function cpuSeconds(pids: Record<string, number | undefined>, names: string[]): Record<string, number> {
  const ticks = 100; // USER_HZ on Linux
  const used: Record<string, number> = {};
  const read = (pid: number | string) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return { comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")), seconds: (Number(fields[11]) + Number(fields[12])) / ticks };
    } catch {
      return null;
    }
  };
  for (const [label, pid] of Object.entries(pids)) used[label] = pid === undefined ? 0 : (read(pid)?.seconds ?? 0);
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(entry);
    const name = stat && names.find((candidate) => stat.comm.startsWith(candidate));
    if (stat && name) used[name] = (used[name] ?? 0) + stat.seconds;
  }
  used.bench = process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6;
  return used;
}
