/**
 * A PostgreSQL server of a test's own (initdb and pg_ctl from /usr/lib/postgresql/<v>/bin) on a
 * free loopback port, for tests that must stop and restart Postgres without touching the shared
 * one. Postgres refuses to run as root, so as root it runs as the `postgres` user.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./processes";

const run = promisify(execFile);

function postgresBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((name) => /^\d+$/.test(name)) : [];
  if (versions.length === 0) throw new Error(`no PostgreSQL server under ${root} (initdb, pg_ctl)`);
  return path.join(root, versions.sort((a, b) => Number(b) - Number(a))[0], "bin");
}

export class OwnPostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly bin: string,
  ) {}

  static async start(): Promise<OwnPostgres> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ht-pg-"));
    const server = new OwnPostgres(await freePort(), dir, postgresBin());
    if (process.getuid?.() === 0) await run("chown", ["postgres:postgres", dir]);
    await server.exec("initdb", ["-D", path.join(dir, "data"), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
    await server.up();
    return server;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Starts the server (again) and waits until it accepts connections. */
  async up(): Promise<void> {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off -c max_connections=200`;
    await this.exec("pg_ctl", ["-D", path.join(this.dir, "data"), "-l", path.join(this.dir, "log"), "-o", options, "-w", "start"]);
  }

  /** `immediate`: like a crash (recovery from the WAL on the next start); `fast`: a clean stop. */
  async down(mode: "immediate" | "fast" = "immediate"): Promise<void> {
    await this.exec("pg_ctl", ["-D", path.join(this.dir, "data"), "-m", mode, "-w", "stop"]);
  }

  async destroy(): Promise<void> {
    await this.down("immediate").catch(() => undefined);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private async exec(tool: string, args: string[]): Promise<void> {
    const command = path.join(this.bin, tool);
    if (process.getuid?.() === 0) await run("runuser", ["-u", "postgres", "--", command, ...args], { cwd: this.dir });
    else await run(command, args, { cwd: this.dir });
  }
}
