import { Client } from "pg";
import { Sequelize } from "sequelize";
import { asClientError, isDatabaseUnavailable, ServiceUnavailableError } from "../../src/errors";
import { freePort } from "../helpers/processes";

describe("database unavailable → 503", () => {
  it("recognises what pg and Sequelize throw for a Postgres that is not there", async () => {
    const port = await freePort();
    const pgError = await new Client({ host: "127.0.0.1", port, connectionTimeoutMillis: 2000 }).connect().catch((err: unknown) => err);
    const sequelize = new Sequelize({ dialect: "postgres", host: "127.0.0.1", port, logging: false, pool: { max: 1, acquire: 2000 } });
    const sequelizeError = await sequelize.query("SELECT 1").catch((err: unknown) => err);
    await sequelize.close();
    expect(isDatabaseUnavailable(pgError)).toBe(true);
    expect(isDatabaseUnavailable(sequelizeError)).toBe(true);
    expect(asClientError(sequelizeError)).toBeInstanceOf(ServiceUnavailableError);
  });

  it("recognises the server's shutdown and connection-exception codes, also wrapped", () => {
    for (const code of ["57P01", "57P02", "57P03", "08006", "08001"]) {
      expect(isDatabaseUnavailable(Object.assign(new Error("x"), { code }))).toBe(true);
      expect(isDatabaseUnavailable({ name: "SequelizeDatabaseError", parent: Object.assign(new Error("x"), { code }) })).toBe(true);
    }
  });

  it("recognises a pg client whose connection broke under it (the server ended it), on that query and the next", async () => {
    const url = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
    const victim = new Client({ connectionString: url });
    const admin = new Client({ connectionString: url });
    victim.on("error", () => undefined);
    try {
      await Promise.all([victim.connect(), admin.connect()]);
    } catch {
      // No Postgres here (embedded runs on a machine without one): pg's words, as it builds them, below.
      return;
    }
    try {
      const pid = (await victim.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid;
      const ended = victim.query("SELECT pg_sleep(5)").catch((err: unknown) => err);
      await admin.query("SELECT pg_terminate_backend($1)", [pid]);
      const first = await ended;
      const next = await victim.query("SELECT 1").catch((err: unknown) => err);
      expect([first, next].map((err) => isDatabaseUnavailable(err))).toEqual([true, true]);
      expect(asClientError(next)).toBeInstanceOf(ServiceUnavailableError);
    } finally {
      await victim.end().catch(() => undefined);
      await admin.end();
    }
  });

  it("recognises pg's messages for a broken or closed client, also wrapped by Sequelize", () => {
    for (const message of [
      "Client has encountered a connection error and is not queryable",
      "Client was closed and is not queryable",
      "Connection terminated unexpectedly",
    ]) {
      expect(isDatabaseUnavailable(new Error(message))).toBe(true);
      expect(isDatabaseUnavailable({ name: "SequelizeDatabaseError", message, parent: new Error(message) })).toBe(true);
    }
  });

  it("leaves every other error alone (a unique violation, a syntax error, a plain bug)", () => {
    for (const err of [
      Object.assign(new Error("dup"), { code: "23505" }),
      Object.assign(new Error("syntax"), { code: "42601" }),
      new TypeError("x is undefined"),
    ]) {
      expect(isDatabaseUnavailable(err)).toBe(false);
      expect(asClientError(err)).toBe(err);
    }
  });
});
