/**
 * SQL statements as named prepared statements, run on a Sequelize instance's own connections
 * (its pool, its transactions, its type parsers). Postgres parses and plans a statement once per
 * connection instead of once per call, and a query skips Sequelize's per-call work (rewriting
 * the SQL for its bind syntax, a stack trace captured on every call). The data modules (src/data/)
 * declare their statements with `sql` and run them with `run`.
 */
import { createHash } from "node:crypto";
import type { Sequelize, Transaction } from "sequelize";

export interface Statement {
  /** Derived from the text: one text, one prepared statement on each connection. */
  readonly name: string;
  readonly text: string;
}

export function sql(text: string): Statement {
  return { name: `ht_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`, text };
}

/** What Sequelize's connections are: `pg` clients. */
interface PgConnection {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/** The connection a transaction holds (Sequelize sets it when the transaction begins). */
function connectionOf(transaction: Transaction): PgConnection {
  return (transaction as unknown as { connection: PgConnection }).connection;
}

async function execute(
  db: Sequelize,
  statement: Statement,
  values: readonly unknown[],
  transaction: Transaction | undefined,
): Promise<{ rows: unknown[]; rowCount: number | null }> {
  const query = { name: statement.name, text: statement.text, values: [...values] };
  if (transaction) return connectionOf(transaction).query(query);
  const manager = db.connectionManager as unknown as {
    getConnection(options: { type: "write" }): Promise<PgConnection>;
    releaseConnection(connection: PgConnection): void;
  };
  const connection = await manager.getConnection({ type: "write" });
  try {
    return await connection.query(query);
  } finally {
    manager.releaseConnection(connection);
  }
}

/** The rows a statement returns; in `transaction` when given, else on a pooled connection. */
export async function run<T>(
  db: Sequelize,
  statement: Statement,
  values: readonly unknown[] = [],
  transaction?: Transaction,
): Promise<T[]> {
  return (await execute(db, statement, values, transaction)).rows as T[];
}

/** How many rows a statement wrote. */
export async function count(
  db: Sequelize,
  statement: Statement,
  values: readonly unknown[] = [],
  transaction?: Transaction,
): Promise<number> {
  return (await execute(db, statement, values, transaction)).rowCount ?? 0;
}

/** Whether a statement failed on a unique constraint (another row holds the value). */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "23505";
}
