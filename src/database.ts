/**
 * The Postgres this node talks to. With DATABASE_URL it is that server; without it (embedded)
 * this process runs PGlite on DATA_DIR and serves it to `pg` over a Unix socket in DATA_DIR,
 * so the rest of the code always speaks plain Postgres through `pg` and Sequelize.
 */
import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { Client, type ClientConfig } from "pg";
import { Sequelize, type Options as SequelizeOptions } from "sequelize";
import { ConfigError, type AppConfig } from "./config";

export interface Database {
  connection: ClientConfig;
  embedded: boolean;
  /** Where it is, for the log (never with a password). */
  describe(): string;
  /** Sequelize options for moleculer-db's adapter (which must never sync()). */
  sequelizeOptions(poolMax?: number): SequelizeOptions & { noSync: true };
  /**
   * Embedded only: the one Sequelize instance (one connection) every service shares.
   * pglite-socket multiplexes connections per protocol message, so two connections' extended
   * queries (Parse, Bind, Execute, Sync) can interleave and corrupt each other; one connection
   * cannot. PGlite runs one query at a time anyway, so nothing is lost.
   */
  shared: Sequelize | null;
  /** A query outside the services (readiness, tests), safe in both modes. */
  query<T extends object>(sql: string, params?: unknown[]): Promise<T[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const SOCKET_PORT = 5432;
// Unix socket paths are limited to 107 bytes on Linux.
const MAX_SOCKET_PATH = 100;

function connectionFromUrl(databaseUrl: string): ClientConfig {
  const url = new URL(databaseUrl);
  return {
    host: url.hostname || "localhost",
    port: url.port ? Number(url.port) : 5432,
    database: decodeURIComponent(url.pathname.slice(1)) || "postgres",
    user: decodeURIComponent(url.username) || undefined,
    password: decodeURIComponent(url.password) || undefined,
    ssl: url.searchParams.get("sslmode") === "require" ? { rejectUnauthorized: false } : undefined,
  };
}

/** A connection as the log may show it: server, port, database and user, no password. */
export function describeConnection(connection: ClientConfig): string {
  return `postgres://${connection.user ? `${connection.user}@` : ""}${connection.host}:${connection.port}/${connection.database}`;
}

function makeDatabase(connection: ClientConfig, embedded: boolean, close: () => Promise<void>, description: string): Database {
  const sequelizeOptions = (poolMax = 10): SequelizeOptions & { noSync: true } => ({
    dialect: "postgres",
    host: connection.host,
    port: connection.port,
    database: connection.database,
    username: connection.user,
    password: connection.password as string | undefined,
    dialectOptions: connection.ssl ? { ssl: connection.ssl } : {},
    logging: false,
    pool: { max: poolMax, min: 0, idle: 10_000, acquire: 30_000 },
    noSync: true,
  });
  const shared = embedded ? new Sequelize({ ...sequelizeOptions(1), pool: { max: 1, min: 0, idle: 60_000, acquire: 60_000 } }) : null;
  // moleculer-db-adapter-sequelize reads `noSync` from its first argument, here this instance:
  // the schema comes from migrations only.
  if (shared) Object.assign(shared, { noSync: true });
  const query = async <T extends object>(sql: string, params: unknown[] = []): Promise<T[]> => {
    if (shared) return (await shared.query(sql, { bind: params, raw: true }))[0] as T[];
    const client = new Client({ ...connection, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  return {
    connection,
    embedded,
    describe: () => description,
    shared,
    query,
    sequelizeOptions,
    async ping() {
      await query("SELECT 1");
    },
    async close() {
      await shared?.close();
      await close();
    },
  };
}

/** Waits until the server accepts connections, so a slow Postgres start is not a crash; says each try. */
async function waitForServer(connection: ClientConfig, timeoutMs: number, log: (message: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const where = describeConnection(connection);
  log(`Connecting to Postgres at ${where}`);
  for (;;) {
    const client = new Client({ ...connection, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      const left = Math.ceil((deadline - Date.now()) / 1000);
      if (left <= 0) throw new Error(`DATABASE_URL: cannot connect to Postgres at ${where} (${(err as Error).message})`, { cause: err });
      log(`Postgres at ${where} is not reachable yet (${(err as Error).message}); trying again for ${left} s`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** @param log where the node says what it connects to, and each retry */
export async function openDatabase(config: AppConfig, log: (message: string) => void = () => undefined): Promise<Database> {
  if (config.databaseUrl) {
    const connection = connectionFromUrl(config.databaseUrl);
    await waitForServer(connection, 15_000, log);
    return makeDatabase(connection, false, async () => undefined, describeConnection(connection));
  }
  log(`Opening the embedded database in ${path.join(config.dataDir, "pgdata")}`);
  return openEmbedded(config.dataDir);
}

/** One process per DATA_DIR: PGlite would corrupt a directory shared by two writers. */
function lockDataDir(dataDir: string): () => void {
  const lockFile = path.join(dataDir, "habit-tracker.pid");
  try {
    const holder = Number(fs.readFileSync(lockFile, "utf8"));
    if (holder && holder !== process.pid && processAlive(holder)) {
      throw new ConfigError("DATA_DIR", `(${dataDir}) is in use by process ${holder}; stop it or set another DATA_DIR`);
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
  }
  fs.writeFileSync(lockFile, String(process.pid));
  return () => fs.rmSync(lockFile, { force: true });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function openEmbedded(dataDir: string): Promise<Database> {
  const socketPath = path.join(dataDir, `.s.PGSQL.${SOCKET_PORT}`);
  if (socketPath.length > MAX_SOCKET_PATH) {
    throw new ConfigError("DATA_DIR", `(${dataDir}) is too long to hold the database socket; use a shorter path`);
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const unlock = lockDataDir(dataDir);
  try {
    const db = await PGlite.create(path.join(dataDir, "pgdata"));
    fs.rmSync(socketPath, { force: true });
    const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 64 });
    await server.start();
    const connection: ClientConfig = { host: dataDir, port: SOCKET_PORT, database: "postgres", user: "postgres" };
    return makeDatabase(
      connection,
      true,
      async () => {
        await server.stop();
        await db.close();
        fs.rmSync(socketPath, { force: true });
        unlock();
      },
      `embedded (PGlite in ${path.join(dataDir, "pgdata")})`,
    );
  } catch (err) {
    unlock();
    throw err;
  }
}
