/**
 * The shape of the code (issue 9, check 1), read off the source files: every table has one owner
 * and its SQL lives only in that owner's data module; no service file holds SQL or imports
 * another service, and only the composition root (src/node.ts) imports services/; lib/ is pure
 * (luxon and Node built-ins only). Tests and benchmarks may read and seed tables directly.
 */
import fs from "node:fs";
import path from "node:path";
import { builtinModules } from "node:module";

const ROOT = path.resolve(__dirname, "../..");
const PRODUCT_DIRS = ["bin", "lib", "mixins", "services", "src", "templates"];

/** Each table and the one module whose SQL may name it. */
const OWNERS: Record<string, string> = {
  users: "src/data/accounts.ts",
  sessions: "src/data/accounts.ts",
  refresh_tokens: "src/data/accounts.ts",
  password_resets: "src/data/accounts.ts",
  habits: "src/data/habits.ts",
  habit_lists: "src/data/habits.ts",
  checkins: "src/data/checkins.ts",
  milestones: "src/data/checkins.ts",
  habit_progress: "src/data/checkins.ts",
  notifications: "src/data/notifications.ts",
  deliveries: "src/data/notifications.ts",
  notification_settings: "src/data/notifications.ts",
  reminder_fires: "src/data/reminder-fires.ts",
  outbox: "src/data/outbox.ts",
  outbox_cursors: "src/data/outbox.ts",
  schema_migrations: "src/migrate.ts",
};

function filesUnder(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(relative);
    return entry.name.endsWith(".ts") ? [relative] : [];
  });
}

const productFiles = [...PRODUCT_DIRS.flatMap(filesUnder), "moleculer.config.ts"];
const source = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");
const importsOf = (file: string) =>
  [...source(file).matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gm)].map((match) => match[1]);

/** SQL naming the table: after a keyword that takes a table name. */
const sqlNaming = (table: string) => new RegExp(`\\b(FROM|JOIN|INTO|UPDATE|TABLE|REFERENCES)\\s+${table}\\b`);

describe("architecture", () => {
  it("every table a migration creates has an owner", () => {
    const tables = fs
      .readdirSync(path.join(ROOT, "migrations"))
      .flatMap((file) =>
        [...fs.readFileSync(path.join(ROOT, "migrations", file), "utf8").matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/g)].map(
          (match) => match[1],
        ),
      );
    const migrationTables = [...new Set([...tables, "schema_migrations"])].sort();
    expect(migrationTables).toEqual(Object.keys(OWNERS).sort());
  });

  it("a table's SQL appears only in its owner's data module", () => {
    const strays = productFiles.flatMap((file) =>
      Object.entries(OWNERS)
        .filter(([table, owner]) => owner !== file && sqlNaming(table).test(source(file)))
        .map(([table]) => `${file} names ${table}`),
    );
    expect(strays).toEqual([]);
  });

  it("no service file holds SQL", () => {
    const sql = /\b(SELECT\s.+\sFROM|INSERT INTO|UPDATE\s+\w+\s+SET|DELETE FROM)\b/;
    expect(filesUnder("services").filter((file) => sql.test(source(file)))).toEqual([]);
  });

  it("no service imports another service, and only the composition root imports services/", () => {
    const offenders = productFiles.flatMap((file) =>
      importsOf(file)
        .filter((target) => target.startsWith("."))
        .map((target) => path.normalize(path.join(path.dirname(file), target)))
        .filter((target) => target.startsWith(`services${path.sep}`) && file !== "src/node.ts")
        .map((target) => `${file} imports ${target}`),
    );
    expect(offenders).toEqual([]);
  });

  it("lib/ imports nothing but luxon, Node built-ins and lib/ itself", () => {
    const allowed = (target: string) =>
      target.startsWith("./") || target === "luxon" || target.startsWith("node:") || builtinModules.includes(target);
    const offenders = filesUnder("lib").flatMap((file) =>
      importsOf(file)
        .filter((target) => !allowed(target))
        .map((target) => `${file} imports ${target}`),
    );
    expect(offenders).toEqual([]);
  });

  it("the checks above see what they look for (controls)", () => {
    expect(sqlNaming("habits").test("SELECT id FROM habits WHERE")).toBe(true);
    expect(sqlNaming("habits").test("the habits service")).toBe(false);
    expect(importsOf("src/node.ts")).toContain("../services/api.service");
    expect(importsOf("services/tracking.service.ts")).toContain("../src/data/checkins");
  });
});
