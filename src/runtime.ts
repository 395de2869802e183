/**
 * What this process was started with: the validated configuration and the shared parts every
 * service on this node uses (database, shared store, signing key). Set once by `startNode`
 * before any service is created, read by services and mixins.
 */
import type { AppConfig } from "./config";
import type { Database } from "./database";
import type { SharedStore } from "./store";

export interface Runtime {
  config: AppConfig;
  /** null on nodes that run no database-backed service. */
  database: Database | null;
  store: SharedStore;
  jwtSecret: string;
}

let current: Runtime | null = null;

export function setRuntime(runtime: Runtime | null): void {
  current = runtime;
}

export function getRuntime(): Runtime {
  if (!current) throw new Error("runtime not initialised: start the node with startNode()");
  return current;
}

export function getDatabase() {
  const { database } = getRuntime();
  if (!database) throw new Error("this node was started without a database");
  return database;
}
