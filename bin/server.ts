/**
 * `npm start`: one node with the services named by SERVICES (all by default).
 * `--repl` attaches Moleculer's REPL to it (`npm run repl`), its log sent to a file.
 */
import path from "node:path";
import { limitHeapGrowth } from "../src/heap-growth";
import { startNode } from "../src/node";
import { attachRepl } from "../src/repl";
import { ConfigError } from "../src/config";
import { asyncContextFrameFlags, asyncContextFrameMissing } from "../src/request-context";

async function main() {
  limitHeapGrowth();
  const withRepl = process.argv.includes("--repl");
  const env = { ...process.env };
  if (withRepl && !env.LOG_FILE) env.LOG_FILE = path.resolve(env.DATA_DIR ?? "./data", "repl.log");
  const node = await startNode(env);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    node.broker.logger.info(`${signal} received, stopping`);
    const { timeoutMs } = node.config.shutdown;
    setTimeout(() => {
      node.broker.logger.error(`Shutdown did not finish within SHUTDOWN_TIMEOUT_MS (${timeoutMs} ms); exiting`);
      process.exit(1);
    }, timeoutMs).unref();
    try {
      await node.stop();
      process.exit(0);
    } catch (err) {
      node.broker.logger.error(`Shutdown failed: ${(err as Error).message}`);
      process.exit(1);
    }
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  if (asyncContextFrameMissing()) {
    node.broker.logger.warn(
      `Started without ${asyncContextFrameFlags().join(" ")}: request ids cost about a fifth of the throughput (npm start sets it)`,
    );
  }
  if (node.port !== null) node.broker.logger.info(`Gateway listening on http://localhost:${node.port}/api/v1`);
  if (withRepl) {
    if (process.stdout.isTTY)
      process.stdout.write(`habit-tracker REPL (node ${node.config.nodeId}); the log goes to ${node.config.logFile}\n`);
    await attachRepl(node);
  }
}

main().catch((err: unknown) => {
  const message = err instanceof ConfigError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`habit-tracker failed to start: ${message}\n`);
  process.exit(1);
});
