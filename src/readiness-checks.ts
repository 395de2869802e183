/**
 * What readiness checks on a node, by the services it runs (src/node-health.ts): the transporter,
 * the shared store, the database and its migrations, and for each service the actions it calls on
 * others. The gateway's calls are optional: without an auth node it answers 503 for the routes
 * that need one, and stays in its Service.
 */
import type { ServiceBroker } from "moleculer";
import type { ServiceName } from "./config";
import type { Database } from "./database";
import type { SharedStore } from "./store";
import type { HealthCheck } from "./node-health";
import { pendingMigrations } from "./migrate";

/** One action of each service a service calls, checked for an available node. */
const CALLS: Record<ServiceName, string[]> = {
  api: ["auth.login", "habits.list", "tracking.today"],
  auth: [],
  habits: ["tracking.earliestCheckin"],
  tracking: ["habits.definition", "auth.timezones"],
  notifications: ["auth.recipients"],
  reminders: ["tracking.histories", "habits.withReminders", "auth.timezones"],
  "kafka-bridge": ["notifications.consume", "tracking.refreshStreak"],
};

export interface NodeParts {
  broker: ServiceBroker;
  services: readonly ServiceName[];
  database: Database | null;
  store: SharedStore;
}

export function readinessChecks({ broker, services, database, store }: NodeParts): HealthCheck[] {
  const checks: HealthCheck[] = [];
  const transit = (broker as unknown as { transit?: { connected: boolean } }).transit;
  if (transit) checks.push({ name: "transporter", probe: async () => (transit.connected ? null : "disconnected") });
  checks.push({ name: "store", probe: async () => (await store.ping(), null) });
  if (database) {
    checks.push({ name: "database", probe: async () => (await database.ping(), null) });
    // Applied migrations never go away: once complete, this check costs nothing more.
    let complete = false;
    checks.push({
      name: "migrations",
      probe: async () => {
        if (complete) return null;
        const pending = await pendingMigrations(database.query);
        complete = pending.length === 0;
        return complete ? null : `pending: ${pending.join(", ")}`;
      },
    });
  }
  // One check per service called, required unless only the gateway calls it.
  const called = new Map<string, { action: string; optional: boolean }>();
  for (const service of services) {
    for (const action of CALLS[service]) {
      const target = action.split(".")[0];
      const seen = called.get(target);
      called.set(target, { action: seen?.action ?? action, optional: (seen?.optional ?? true) && service === "api" });
    }
  }
  for (const [target, { action, optional }] of called) {
    checks.push({
      name: `service:${target}`,
      optional,
      probe: async () => ((broker.registry.getActionEndpoints(action)?.hasAvailable() ?? false) ? null : "no available node runs it"),
    });
  }
  return checks;
}
