/**
 * Applies migrations/NNN_name.sql in order, each in its own transaction, recording what ran in
 * schema_migrations. A session-level advisory lock makes concurrent starters take turns, so when
 * several nodes start at once against an empty database every migration still runs once.
 */
import fs from "node:fs";
import path from "node:path";
import { Client, type ClientConfig } from "pg";

// Any fixed 64-bit number unique to this application's migrations.
const MIGRATION_LOCK_ID = 7_302_114_921;

export function migrationsDir(): string {
  // Works from the sources (src/) and from the build (dist/src/).
  for (const candidate of [path.resolve(__dirname, "../migrations"), path.resolve(__dirname, "../../migrations")]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error("migrations/ folder not found");
}

export interface Migration {
  name: string;
  sql: string;
}

export function loadMigrations(dir = migrationsDir()): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((file) => /^\d{3,}_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({ name: file.replace(/\.sql$/, ""), sql: fs.readFileSync(path.join(dir, file), "utf8") }));
}

/** @returns the names of the migrations this call applied (empty when up to date). */
export async function migrate(connection: ClientConfig, migrations = loadMigrations()): Promise<string[]> {
  const client = new Client(connection);
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_ID]);
    await client.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const { rows } = await client.query<{ name: string }>("SELECT name FROM schema_migrations");
    const done = new Set(rows.map((row) => row.name));
    for (const migration of migrations) {
      if (done.has(migration.name)) continue;
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query("INSERT INTO schema_migrations (name) VALUES ($1)", [migration.name]);
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK");
        throw new Error(`migration ${migration.name} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(migration.name);
    }
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_ID]).catch(() => undefined);
    await client.end();
  }
  return applied;
}

/** Migrations this code knows that the database has not recorded (all of them on an empty one). */
export async function pendingMigrations(
  query: <T extends object>(sql: string) => Promise<T[]>,
  migrations = loadMigrations(),
): Promise<string[]> {
  let done: Set<string>;
  try {
    done = new Set((await query<{ name: string }>("SELECT name FROM schema_migrations")).map((row) => row.name));
  } catch (err) {
    // 42P01: undefined table, i.e. nothing applied yet; anything else is the database failing.
    if ((err as { code?: string }).code !== "42P01" && !/"schema_migrations" does not exist/.test((err as Error).message)) throw err;
    done = new Set();
  }
  return migrations.map((migration) => migration.name).filter((name) => !done.has(name));
}
