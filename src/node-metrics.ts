/**
 * The application's own Prometheus metrics (docs/architecture.md, "Observability"), next to
 * Moleculer's (`moleculer_request_*` per action with latency histograms, `moleculer_event_*` for
 * events emitted and received): requests per HTTP route, outbox lag, delivery attempts and dead
 * letters, reminders fired, open realtime sockets. Registered by whichever node runs the code that
 * updates them; a no-op when metrics are off (METRICS_PORT=off).
 */
import type { ServiceBroker } from "moleculer";

export const METRICS = {
  httpRequests: "habit_tracker.http.requests.total",
  httpDuration: "habit_tracker.http.request.duration",
  outboxUnpublished: "habit_tracker.outbox.unpublished",
  outboxOldestSeconds: "habit_tracker.outbox.oldest.age.seconds",
  deliveryAttempts: "habit_tracker.deliveries.attempts.total",
  deadLetters: "habit_tracker.deliveries.dead.letters.total",
  remindersFired: "habit_tracker.reminders.fired.total",
  realtimeSockets: "habit_tracker.realtime.sockets",
} as const;

type Definition = {
  type: "counter" | "gauge" | "histogram";
  description: string;
  labelNames?: string[];
  unit?: string;
  buckets?: number[];
};

const DEFINITIONS: Record<string, Definition> = {
  [METRICS.httpRequests]: {
    type: "counter",
    description: "HTTP requests answered, by route and status",
    labelNames: ["method", "route", "status"],
  },
  [METRICS.httpDuration]: {
    type: "histogram",
    description: "HTTP request duration, by route",
    labelNames: ["method", "route"],
    unit: "millisecond",
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
  },
  [METRICS.outboxUnpublished]: { type: "gauge", description: "Outbox events not yet published" },
  [METRICS.outboxOldestSeconds]: { type: "gauge", description: "Age of the oldest unpublished outbox event", unit: "second" },
  [METRICS.deliveryAttempts]: {
    type: "counter",
    description: "Delivery attempts, by channel and outcome (sent, retry, dead)",
    labelNames: ["channel", "outcome"],
  },
  [METRICS.deadLetters]: { type: "counter", description: "Deliveries dead-lettered after their last attempt", labelNames: ["channel"] },
  [METRICS.remindersFired]: { type: "counter", description: "Reminders fired" },
  [METRICS.realtimeSockets]: { type: "gauge", description: "Open realtime WebSockets on this gateway, authenticated or not" },
};

/** Registers the named metrics on the broker (once per node). */
export function registerMetrics(broker: ServiceBroker, names: Array<(typeof METRICS)[keyof typeof METRICS]>): void {
  const metrics = broker.metrics as unknown as { isEnabled(): boolean; getMetric(name: string): unknown; register(def: object): unknown };
  if (!metrics.isEnabled()) return;
  for (const name of names) if (!metrics.getMetric(name)) metrics.register({ name, ...DEFINITIONS[name] });
}
