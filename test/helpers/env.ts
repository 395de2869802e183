/**
 * Test environments. With TEST_DATABASE_URL and TEST_REDIS_URL (set by scripts/test.sh in its
 * second pass) nodes use real Postgres (a fresh database per suite) and Redis; otherwise they
 * run embedded (PGlite in a temporary DATA_DIR, in-memory store).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { createThrowawayDatabase, type ThrowawayDatabase } from "../../src/throwaway-database";
import Redis from "ioredis";

export const clusterMode = Boolean(process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL);
export const MODE = clusterMode ? "cluster" : "embedded";

/** `describe` in cluster mode; a visibly skipped `describe` otherwise. */
export const describeCluster: jest.Describe = clusterMode ? describe : describe.skip;

export type Env = Record<string, string | undefined>;

export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "ht-"));
}

export const TEST_JWT_SECRET = randomBytes(32).toString("hex");

/** A new, empty database on the test server; dropped by the returned `drop`. */
export function freshDatabase(): Promise<ThrowawayDatabase> {
  return createThrowawayDatabase(process.env.TEST_DATABASE_URL as string, "ht_test");
}

/** Settings every test node shares: random ports, quiet logs, generous rate limits. */
export function baseEnv(overrides: Env = {}): Env {
  return {
    PORT: "0",
    METRICS_PORT: "off",
    // Tests stop many nodes; only the shutdown tests wait for a drain.
    SHUTDOWN_DRAIN_MS: "0",
    LOG_LEVEL: "error",
    NAMESPACE: `t${randomBytes(4).toString("hex")}`,
    RATE_LIMIT_LOGIN: "1000",
    RATE_LIMIT_REGISTER: "1000",
    RATE_LIMIT_PASSWORD_RESET: "1000",
    ...overrides,
  };
}

export interface SuiteEnv {
  env: Env;
  cleanup(): Promise<void>;
}

/** The environment for a suite in the current mode (embedded or cluster). */
export async function suiteEnv(overrides: Env = {}): Promise<SuiteEnv> {
  const dataDir = tempDataDir();
  if (!clusterMode) {
    return {
      env: baseEnv({ DATA_DIR: dataDir, ...overrides }),
      cleanup: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const db = await freshDatabase();
  return {
    env: baseEnv({
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      REDIS_URL: process.env.TEST_REDIS_URL,
      JWT_SECRET: TEST_JWT_SECRET,
      ...overrides,
    }),
    cleanup: async () => {
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Empties the suite's part of the shared Redis, as a FLUSHALL would for a suite of its own:
 * every key under the node's prefix (`habit-tracker:<NAMESPACE>:`), and nothing of anyone else's.
 */
export async function flushSuiteKeys(namespace: string): Promise<number> {
  const redis = new Redis(process.env.TEST_REDIS_URL as string);
  try {
    let removed = 0;
    for await (const keys of redis.scanStream({ match: `habit-tracker:${namespace}:*`, count: 500 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) removed += await redis.del(...keys);
    }
    return removed;
  } finally {
    await redis.quit();
  }
}
