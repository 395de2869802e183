/**
 * Cluster nodes as separate processes on one machine, each optionally held to a CPU share
 * (src/cpu-quota.ts): used by `npm run cluster` (bin/cluster.ts) and the scaling benchmark
 * (bench/scaling.ts). A node is ready when its own /health/ready (on its METRICS_PORT) answers 200.
 */
import path from "node:path";
import { CpuQuota } from "../src/cpu-quota";
import { answers200, freePort, startProcess, type Running } from "./processes";

const SERVER = path.resolve(__dirname, "../bin/server.js");

export interface ClusterNode extends Running {
  services: string;
  /** The operations port's base URL: metrics and health. */
  ops: string;
  /** The gateway's base URL, on api nodes. */
  api: string | null;
  cpu: number | null;
  /** Puts the node under its CPU share now, when it was started with `holdAtSpawn: false`. */
  hold(): void;
}

export async function startClusterNode(options: {
  name: string;
  services: string;
  env: Record<string, string>;
  logDir: string;
  /** A share of one CPU (e.g. 0.25), or null for none. */
  cpu: number | null;
  /**
   * Held to the share from its first instruction (the default), or only once `hold()` is called:
   * a benchmark lets a node compile its hot paths unlimited first, since V8's JIT under a small
   * quota takes tens of seconds and would be measured as the node's capacity.
   */
  holdAtSpawn?: boolean;
  port?: number;
  metricsPort?: number;
}): Promise<ClusterNode> {
  const metricsPort = options.metricsPort ?? (await freePort());
  const gateway = options.services.split(",").includes("api");
  const port = options.port ?? (gateway ? await freePort() : 0);
  const quota = options.cpu === null ? null : CpuQuota.create(`${options.env.NAMESPACE ?? "cluster"}-${options.name}`, options.cpu);
  const ops = `http://127.0.0.1:${metricsPort}`;
  const running = await startProcess({
    name: options.name,
    script: SERVER,
    port,
    env: { ...options.env, NODE_ID: options.name, SERVICES: options.services, PORT: String(port), METRICS_PORT: String(metricsPort) },
    logDir: options.logDir,
    onSpawn: (pid) => {
      if (options.holdAtSpawn !== false) quota?.add(pid);
    },
    // 200: what this node needs answers (a gateway is ready before any domain node is there).
    ready: () => answers200(`${ops}/health/ready`),
  });
  return {
    ...running,
    services: options.services,
    ops,
    api: gateway ? `http://127.0.0.1:${port}` : null,
    cpu: options.cpu,
    hold() {
      if (running.pid !== undefined) quota?.add(running.pid);
    },
    async stop() {
      await running.stop();
      quota?.dispose();
    },
  };
}

/** Calls of `action` this node served (from any caller), from its Prometheus metrics. */
export async function servedCalls(node: ClusterNode, action: string): Promise<number> {
  const text = await (await fetch(`${node.ops}/metrics`)).text();
  const pattern = new RegExp(`^moleculer_request_total\\{[^}]*action="${action.replace(".", "\\.")}"[^}]*\\} (\\d+)`, "gm");
  return [...text.matchAll(pattern)].reduce((sum, match) => sum + Number(match[1]), 0);
}
