/**
 * What a node's services are given to work with: the validated configuration and the parts they
 * share (database, shared store, signing key, clock). Built by `startNode` and handed to each
 * service factory, so several brokers with different runtimes can share one process.
 */
import type { AppConfig } from "./config";
import type { Database } from "./database";
import type { SharedStore } from "./store";
import type { Clock } from "./clock";
import type { NodeHealth } from "./node-health";

export interface Runtime {
  config: AppConfig;
  /** null on nodes that run no database-backed service. */
  database: Database | null;
  store: SharedStore;
  jwtSecret: string;
  clock: Clock;
  /** This node's liveness and readiness (also served on the gateway's port). */
  health: NodeHealth;
}

export function requireDatabase(runtime: Runtime): Database {
  if (!runtime.database) throw new Error("this node was started without a database");
  return runtime.database;
}
