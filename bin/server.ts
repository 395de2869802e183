/**
 * `npm start`: one node with the services named by SERVICES (all by default).
 * `--repl` attaches Moleculer's REPL to it (`npm run repl`).
 */
import { startNode } from "../src/node";
import { ConfigError } from "../src/config";

async function main() {
  const withRepl = process.argv.includes("--repl");
  const node = await startNode(process.env);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    node.broker.logger.info(`${signal} received, stopping`);
    await node.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  if (node.port !== null) node.broker.logger.info(`Gateway listening on http://localhost:${node.port}/api/v1`);
  if (withRepl) {
    await node.broker.repl();
  }
}

main().catch((err: unknown) => {
  const message = err instanceof ConfigError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`habit-tracker failed to start: ${message}\n`);
  process.exit(1);
});
