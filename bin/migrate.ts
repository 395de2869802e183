/** `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded database). */
import { loadConfig } from "../src/config";
import { openDatabase } from "../src/database";
import { migrate } from "../src/migrate";

async function main() {
  const database = await openDatabase(loadConfig(process.env));
  try {
    const applied = await migrate(database.connection);
    const where = database.describe();
    process.stdout.write(applied.length ? `${where}: applied ${applied.join(", ")}\n` : `${where}: up to date\n`);
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`migration failed: ${(err as Error).message}\n`);
  process.exit(1);
});
