/**
 * Real node processes for cluster tests: `node dist/bin/server.js` (built by scripts/test.sh)
 * with the environment given, so nodes talk only through Redis and Postgres.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { Env } from "./env";
import { asyncContextFrameFlags } from "../../src/request-context";

const SERVER = path.resolve(__dirname, "../../dist/bin/server.js");

export class NodeProcess {
  private output = "";
  readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on("data", (chunk) => (this.output += chunk));
    child.stderr?.on("data", (chunk) => (this.output += chunk));
    this.exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  }

  static start(name: string, env: Env, args: string[] = []): NodeProcess {
    const child = spawn(process.execPath, [...asyncContextFrameFlags(), SERVER, ...args], {
      env: { PATH: process.env.PATH, NODE_ID: name, ...env } as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "pipe"],
    });
    return new NodeProcess(name, child);
  }

  get log(): string {
    return this.output;
  }

  write(text: string): void {
    this.child.stdin?.write(text);
  }

  endInput(): void {
    this.child.stdin?.end();
  }

  /** SIGKILL: the node vanishes without telling the cluster. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((resolve) => (timer = setTimeout(resolve, 15_000)))]);
    clearTimeout(timer);
    await this.kill();
  }
}

// One free-port probe and readiness probe for the tests and the benchmark.
export { freePort, reportsReady } from "../../bench/processes";

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
