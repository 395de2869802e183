/**
 * Starts one node: validates the configuration, opens the database (embedded PGlite or
 * DATABASE_URL) and migrates it, connects the shared store, then starts a broker running the
 * services named by SERVICES. Used by bin/server.ts, the REPL and the tests.
 */
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { createBrokerOptions } from "../moleculer.config";
import { loadConfig, type AppConfig, type ServiceName } from "./config";
import { openDatabase, type Database } from "./database";
import { migrate } from "./migrate";
import { MemoryStore, RedisStore, type SharedStore } from "./store";
import { resolveJwtSecret } from "./secrets";
import { setRuntime } from "./runtime";
import ApiService from "../services/api.service";
import AuthService from "../services/auth.service";
import HabitsService from "../services/habits.service";
import TrackingService from "../services/tracking.service";
import NotificationsService from "../services/notifications.service";
import RemindersService from "../services/reminders.service";
import KafkaBridgeService from "../services/kafka-bridge.service";

const SCHEMAS: Record<ServiceName, ServiceSchema> = {
  api: ApiService as unknown as ServiceSchema,
  auth: AuthService as unknown as ServiceSchema,
  habits: HabitsService as unknown as ServiceSchema,
  tracking: TrackingService as unknown as ServiceSchema,
  notifications: NotificationsService as unknown as ServiceSchema,
  reminders: RemindersService as unknown as ServiceSchema,
  "kafka-bridge": KafkaBridgeService as unknown as ServiceSchema,
};

/** Services that keep state in Postgres: a node running any of them opens the database. */
const DATABASE_SERVICES: ServiceName[] = ["auth", "habits", "tracking", "notifications", "reminders", "kafka-bridge"];

export interface HabitNode {
  broker: ServiceBroker;
  config: AppConfig;
  /** The gateway's listening port, when this node runs `api`. */
  port: number | null;
  stop(): Promise<void>;
}

export async function startNode(env: Record<string, string | undefined> = process.env): Promise<HabitNode> {
  const config = loadConfig(env);
  let database: Database | null = null;
  let store: SharedStore | null = null;
  try {
    if (config.services.some((name) => DATABASE_SERVICES.includes(name))) {
      database = await openDatabase(config);
      await migrate(database.connection);
    }
    store = config.redisUrl
      ? await RedisStore.connect(config.redisUrl, `habit-tracker:${config.namespace}:`)
      : new MemoryStore();
    setRuntime({ config, database, store, jwtSecret: resolveJwtSecret(config) });

    const broker = new ServiceBroker(createBrokerOptions(config));
    for (const name of config.services) broker.createService(SCHEMAS[name]);
    await broker.start();

    const gateway = config.services.includes("api") ? broker.getLocalService("api") : null;
    const server = (gateway as unknown as { server?: import("node:http").Server } | null)?.server;
    const address = server?.address();
    const openStore = store;
    const openDb = database;
    return {
      broker,
      config,
      port: address && typeof address === "object" ? address.port : null,
      async stop() {
        await broker.stop();
        await openStore.close();
        await openDb?.close();
        setRuntime(null);
      },
    };
  } catch (err) {
    await store?.close().catch(() => undefined);
    await database?.close().catch(() => undefined);
    throw err;
  }
}
