/**
 * Databases made from outside the service: a new, empty one for one test suite or one benchmark
 * run and the means to drop it afterwards, or one kept across runs (`npm run cluster`). Not used
 * by the service itself.
 */
import { randomBytes } from "node:crypto";
import { Client } from "pg";

export interface ThrowawayDatabase {
  url: string;
  drop(): Promise<void>;
}

async function run(adminUrl: string, sql: string, params: unknown[] = []): Promise<number> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return (await admin.query(sql, params)).rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

/** `adminUrl`: any database on the server, to connect to while creating and dropping. */
export async function createThrowawayDatabase(adminUrl: string, prefix: string): Promise<ThrowawayDatabase> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  await run(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: async () => void (await run(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) };
}

/** Makes the database `url` names unless it exists (connecting to the server's `postgres` database meanwhile). */
export async function ensureDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const adminUrl = Object.assign(new URL(url), { pathname: "/postgres" }).toString();
  if ((await run(adminUrl, "SELECT 1 FROM pg_database WHERE datname = $1", [name])) === 0) {
    await run(adminUrl, `CREATE DATABASE "${name.replace(/"/g, "")}"`);
  }
}
