/**
 * A redis-server of a test's own on a free loopback port, for tests that must restart or empty
 * Redis without touching the shared one.
 */
import { spawn, type ChildProcess } from "node:child_process";
import Redis from "ioredis";
import { freePort, waitFor } from "./processes";

export class OwnRedis {
  private process: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort());
    await redis.up();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Stops the server (its data is kept nowhere) and starts an empty one on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.up();
  }

  async stop(): Promise<void> {
    const running = this.process;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGKILL");
    await exited;
    this.process = null;
  }

  private async up(): Promise<void> {
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
    this.process = spawn("redis-server", args, { stdio: "ignore" });
    await waitFor(`redis-server on ${this.port}`, async () => {
      const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await client.connect();
        return (await client.ping()) === "PONG" ? true : undefined;
      } finally {
        client.disconnect();
      }
    });
  }
}
