/**
 * Test environments. With TEST_DATABASE_URL and TEST_REDIS_URL (set by scripts/test.sh in its
 * second pass) nodes use real Postgres (a fresh database per suite) and Redis; otherwise they
 * run embedded (PGlite in a temporary DATA_DIR, in-memory store).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { Client } from "pg";

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
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = process.env.TEST_DATABASE_URL as string;
  const name = `ht_test_${randomBytes(6).toString("hex")}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Settings every test node shares: random ports, quiet logs, generous rate limits. */
export function baseEnv(overrides: Env = {}): Env {
  return {
    PORT: "0",
    METRICS_PORT: "off",
    LOG_LEVEL: "error",
    NAMESPACE: `t${randomBytes(4).toString("hex")}`,
    RATE_LIMIT_LOGIN: "1000",
    RATE_LIMIT_REGISTER: "1000",
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
