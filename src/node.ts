/**
 * The composition root: starts one node. Validates the configuration, opens the database
 * (embedded PGlite or DATABASE_URL) and migrates it, connects the shared store, builds the
 * node's runtime, and starts a broker running the services named by SERVICES, each made by its
 * factory with that runtime. Used by bin/server.ts, the REPL, the benchmarks and the tests; the
 * only module that imports services/.
 */
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { createBrokerOptions } from "../moleculer.config";
import { loadConfig, type AppConfig, type ServiceName } from "./config";
import { openDatabase, type Database } from "./database";
import { migrate } from "./migrate";
import { NodeHealth } from "./node-health";
import { readinessChecks } from "./readiness-checks";
import { OpsServer } from "./ops-server";
import { metricsText } from "./metrics-text";
import { closeHttpServer } from "./http";
import { METRICS, registerMetrics } from "./node-metrics";
import { outboxLag } from "./data/outbox";
import { MemoryStore, RedisStore, type SharedStore } from "./store";
import { resolveJwtSecret } from "./secrets";
import { Clock } from "./clock";
import { routesOf, type RouteSpec } from "./routes";
import type { Runtime } from "./runtime";
import ApiService from "../services/api.service";
import AuthService from "../services/auth.service";
import HabitsService from "../services/habits.service";
import TrackingService from "../services/tracking.service";
import NotificationsService from "../services/notifications.service";
import RemindersService from "../services/reminders.service";
import KafkaBridgeService from "../services/kafka-bridge.service";

type Factory = (runtime: Runtime) => ServiceSchema;

/** Every service but the gateway, which is made from the routes these declare. */
const DOMAIN_SERVICES: Record<Exclude<ServiceName, "api">, Factory> = {
  auth: AuthService as unknown as Factory,
  habits: HabitsService as unknown as Factory,
  tracking: TrackingService as unknown as Factory,
  notifications: NotificationsService as unknown as Factory,
  reminders: RemindersService as unknown as Factory,
  "kafka-bridge": KafkaBridgeService as unknown as Factory,
};

/** Services that record domain events in the outbox: their nodes report its lag. */
const OUTBOX_SERVICES: ServiceName[] = ["auth", "habits", "tracking", "reminders"];

/** Sets the outbox-lag gauges every 5 s (src/node-metrics.ts); a failed read leaves them as they were. */
function watchOutboxLag(broker: ServiceBroker, database: Database): NodeJS.Timeout | null {
  if (!broker.metrics.isEnabled()) return null;
  registerMetrics(broker, [METRICS.outboxUnpublished, METRICS.outboxOldestSeconds]);
  const timer = setInterval(() => {
    outboxLag(database.query)
      .then((row) => {
        broker.metrics.set(METRICS.outboxUnpublished, row.unpublished);
        broker.metrics.set(METRICS.outboxOldestSeconds, row.oldestSeconds);
      })
      .catch(() => undefined);
  }, 5_000);
  timer.unref();
  return timer;
}

/** Services that keep state in Postgres: a node running any of them opens the database. */
const DATABASE_SERVICES: ServiceName[] = ["auth", "habits", "tracking", "notifications", "reminders", "kafka-bridge"];

/**
 * The REST routes every gateway serves, read off the action declarations of all services (also
 * those this node does not run). Schemas only read their runtime when they run, so none is needed.
 */
export function apiRoutes(runtime: Runtime = {} as Runtime): RouteSpec[] {
  return routesOf(Object.values(DOMAIN_SERVICES).map((factory) => factory(runtime)));
}

export interface HabitNode {
  broker: ServiceBroker;
  config: AppConfig;
  runtime: Runtime;
  /** The routes the gateway serves (on every node, whether it runs the gateway or not). */
  routes: RouteSpec[];
  /** The gateway's listening port, when this node runs `api`. */
  port: number | null;
  /** Metrics and health on METRICS_PORT, or null when it is off. */
  ops: OpsServer | null;
  /**
   * Stops gracefully: readiness 503 at once, SHUTDOWN_DRAIN_MS of serving on, then no new
   * connections, in-flight requests finished, the cluster left, pools closed.
   */
  stop(): Promise<void>;
}

/**
 * Parts a test may hand in instead of having the node make its own: several brokers in one
 * process then share one database and store (what Postgres and Redis are to a real cluster),
 * talking over Moleculer's in-memory `Fake` transporter.
 */
export interface NodeParts {
  transporter?: string;
  database?: Database;
  store?: SharedStore;
  clock?: Clock;
}

export async function startNode(env: Record<string, string | undefined> = process.env, parts: NodeParts = {}): Promise<HabitNode> {
  const config = loadConfig(env);
  if (parts.transporter) config.transporter = parts.transporter;
  // Made first for its logger: what the node connects to, and each retry, is logged.
  const broker = new ServiceBroker(createBrokerOptions(config));
  const logger = broker.getLogger("node");
  const log = (message: string) => logger.info(message);
  let database: Database | null = parts.database ?? null;
  let store: SharedStore | null = parts.store ?? null;
  const owned = { database: !parts.database, store: !parts.store };
  let ops: OpsServer | null = null;
  try {
    if (!database && config.services.some((name) => DATABASE_SERVICES.includes(name))) {
      database = await openDatabase(config, log);
      if (config.migrateOnStart) {
        const applied = await migrate(database.connection);
        log(
          `Database ${database.describe()}: ${applied.length > 0 ? `applied migrations ${applied.join(", ")}` : "migrations up to date"}`,
        );
      } else {
        log(`Database ${database.describe()}: migrations left to \`npm run migrate\` (MIGRATE_ON_START=false); not ready until applied`);
      }
    }
    store ??= config.redisUrl
      ? await RedisStore.connect(config.redisUrl, `habit-tracker:${config.namespace}:`, 10_000, log)
      : new MemoryStore();
    const health = new NodeHealth(readinessChecks({ broker, services: config.services, database, store }));
    const runtime: Runtime = { config, database, store, jwtSecret: resolveJwtSecret(config), clock: parts.clock ?? new Clock(), health };
    const routes = apiRoutes(runtime);
    for (const name of config.services) {
      broker.createService(name === "api" ? (ApiService(runtime, routes) as unknown as ServiceSchema) : DOMAIN_SERVICES[name](runtime));
    }
    await broker.start();
    const lag = database && config.services.some((name) => OUTBOX_SERVICES.includes(name)) ? watchOutboxLag(broker, database) : null;
    ops =
      config.metricsPort === null
        ? null
        : await OpsServer.start(config.metricsHost, config.metricsPort, { health, metrics: () => metricsText(broker) });

    const gateway = config.services.includes("api") ? broker.getLocalService("api") : null;
    const server = (gateway as unknown as { server?: import("node:http").Server } | null)?.server;
    const address = server?.address();
    const openStore = store;
    const openDb = database;
    return {
      broker,
      config,
      runtime,
      routes,
      port: address && typeof address === "object" ? address.port : null,
      ops,
      async stop() {
        const { drainMs, timeoutMs } = config.shutdown;
        runtime.health.beginShutdown();
        logger.info(`Stopping: readiness now answers 503; serving on for ${drainMs} ms`);
        if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
        // Open requests finish; keep-alive connections close after their current response.
        if (server) await closeHttpServer(server, Math.min(5_000, (timeoutMs - drainMs) / 4));
        if (lag) clearInterval(lag);
        await broker.stop();
        await ops?.close();
        if (owned.store) await openStore.close();
        if (owned.database) await openDb?.close();
      },
    };
  } catch (err) {
    await ops?.close().catch(() => undefined);
    if (owned.store) await store?.close().catch(() => undefined);
    if (owned.database) await database?.close().catch(() => undefined);
    throw err;
  }
}
