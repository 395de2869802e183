/**
 * Migrations: loadMigrations reads migrations/NNN_name.sql in order (always); migrate() runs
 * each once, under an advisory lock so concurrent starters take turns, each migration in its
 * own transaction (real Postgres, cluster mode only, a fresh database per test).
 */
import fs from "node:fs";
import path from "node:path";
import { Client } from "pg";
import { loadMigrations, migrate, type Migration } from "../../src/migrate";
import { describeCluster, freshDatabase, tempDataDir } from "../helpers/env";

jest.setTimeout(60_000);

describe("loadMigrations", () => {
  it("should return the project's migrations sorted, each named NNN_name", () => {
    const migrations = loadMigrations();
    const names = migrations.map((migration) => migration.name);
    expect(names.length).toBeGreaterThan(0);
    expect(names).toEqual([...names].sort());
    for (const name of names) expect(name).toMatch(/^\d{3,}_/);
    for (const migration of migrations) expect(migration.sql.trim().length).toBeGreaterThan(0);
  });

  it("should read only NNN_name.sql files, in order, with their SQL", () => {
    const dir = tempDataDir();
    try {
      fs.writeFileSync(path.join(dir, "010_second.sql"), "SELECT 10;");
      fs.writeFileSync(path.join(dir, "002_first.sql"), "SELECT 2;");
      fs.writeFileSync(path.join(dir, "README.md"), "not a migration");
      fs.writeFileSync(path.join(dir, "notes.sql"), "SELECT 0;");
      fs.writeFileSync(path.join(dir, "01_too_short.sql"), "SELECT 1;");
      expect(loadMigrations(dir)).toEqual([
        { name: "002_first", sql: "SELECT 2;" },
        { name: "010_second", sql: "SELECT 10;" },
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeCluster("migrate (real Postgres)", () => {
  let db: { url: string; drop: () => Promise<void> };

  beforeEach(async () => {
    db = await freshDatabase();
  });

  afterEach(async () => {
    await db.drop();
  });

  async function query<T extends object>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  const recorded = async () => (await query<{ name: string }>("SELECT name FROM schema_migrations ORDER BY name")).map((row) => row.name);

  const tableExists = async (table: string) =>
    (await query<{ exists: string | null }>("SELECT to_regclass($1)::text AS exists", [table]))[0].exists !== null;

  it("should apply every migration on a fresh database, and record each", async () => {
    const names = loadMigrations().map((migration) => migration.name);
    await expect(migrate({ connectionString: db.url })).resolves.toEqual(names);
    expect(await recorded()).toEqual(names);
    expect(await tableExists("users")).toBe(true);
  });

  it("should apply nothing when the database is up to date", async () => {
    await migrate({ connectionString: db.url });
    await expect(migrate({ connectionString: db.url })).resolves.toEqual([]);
    expect(await recorded()).toEqual(loadMigrations().map((migration) => migration.name));
  });

  it("should apply only the migrations not yet recorded", async () => {
    const first: Migration = { name: "001_one", sql: "CREATE TABLE one (id int)" };
    const second: Migration = { name: "002_two", sql: "CREATE TABLE two (id int)" };
    await migrate({ connectionString: db.url }, [first]);
    await expect(migrate({ connectionString: db.url }, [first, second])).resolves.toEqual(["002_two"]);
    expect(await recorded()).toEqual(["001_one", "002_two"]);
  });

  it("should apply each migration exactly once when five nodes migrate at the same time", async () => {
    const names = loadMigrations().map((migration) => migration.name);
    const results = await Promise.all(Array.from({ length: 5 }, () => migrate({ connectionString: db.url })));
    expect(results.flat().sort()).toEqual([...names].sort());
    // One of them did all the work; the others, waiting on the lock, found nothing left.
    expect(results.filter((applied) => applied.length > 0)).toHaveLength(1);
    expect(await query("SELECT name FROM schema_migrations")).toHaveLength(names.length);
  });

  it("should run a multi-migration list exactly once under concurrency", async () => {
    // Not idempotent on purpose: running any of these twice would fail.
    const list: Migration[] = [
      { name: "001_a", sql: "CREATE TABLE a (id int)" },
      { name: "002_b", sql: "CREATE TABLE b (id int)" },
      { name: "003_c", sql: "CREATE TABLE c (id int)" },
    ];
    const results = await Promise.all(Array.from({ length: 5 }, () => migrate({ connectionString: db.url }, list)));
    expect(results.flat().sort()).toEqual(["001_a", "002_b", "003_c"]);
    expect(await recorded()).toEqual(["001_a", "002_b", "003_c"]);
  });

  describe("a failing migration", () => {
    const good: Migration = { name: "001_good", sql: "CREATE TABLE good (id int)" };
    const bad: Migration = { name: "002_bad", sql: "CREATE TABLE half_done (id int); SELEKT nonsense" };
    const after: Migration = { name: "003_after", sql: "CREATE TABLE after_bad (id int)" };

    it("should throw an error naming the migration", async () => {
      expect.assertions(1);
      await expect(migrate({ connectionString: db.url }, [good, bad, after])).rejects.toThrow(/002_bad/);
    });

    it("should roll back its own transaction, keep the earlier one and stop there", async () => {
      await expect(migrate({ connectionString: db.url }, [good, bad, after])).rejects.toThrow();
      expect(await recorded()).toEqual(["001_good"]);
      expect(await tableExists("good")).toBe(true);
      expect(await tableExists("half_done")).toBe(false);
      expect(await tableExists("after_bad")).toBe(false);
    });

    it("should release the lock, so a corrected run can continue", async () => {
      await expect(migrate({ connectionString: db.url }, [good, bad])).rejects.toThrow();
      const fixed: Migration = { name: "002_bad", sql: "CREATE TABLE half_done (id int)" };
      await expect(migrate({ connectionString: db.url }, [good, fixed])).resolves.toEqual(["002_bad"]);
      expect(await tableExists("half_done")).toBe(true);
    });
  });
});
