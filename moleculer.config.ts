/**
 * Broker options, all derived from the validated environment (src/config.ts, docs/contract.md,
 * "Configuration").
 * Timeouts, retries and failure detection are set on purpose: Moleculer's defaults have no
 * request timeout, no retries, and notice a killed node only after 30 s.
 */
import { Errors, type BrokerOptions } from "moleculer";
import type { AppConfig } from "./src/config";
import { DomainErrorsMiddleware, ErrorRegenerator } from "./src/errors";
import { installMetricsFastPath } from "./src/metrics-fast-path";
import { PrometheusText } from "./src/metrics-text";
import { AwaitEndpointMiddleware, FailureDetectionMiddleware } from "./src/failure-detection";
import { RequestContextMiddleware, currentRequestId, requestIdLogFields } from "./src/request-context";
import { StrictValidator } from "./src/validator";

// Before any broker registers a metric: Moleculer's own metric updates defeat V8 on busy nodes.
installMetricsFastPath();

/**
 * Moleculer's built-in metrics that describe the host rather than the service: its name, user,
 * home directory, addresses and MACs, the process's arguments (paths), kernel and CPU model.
 * None is needed to run the service, and /metrics may be reachable by more people than the host.
 */
export const HOST_REVEALING_METRICS = [
  "os.hostname",
  "os.user.*",
  "os.network.*",
  "os.release",
  "os.cpu.info.*",
  "process.arguments",
  "process.pid",
  "process.ppid",
];

/** Only infrastructure faults (node gone, timeout, no endpoint) are worth another attempt. */
const isRetryable = (err: Error) => err instanceof Errors.MoleculerRetryableError;

/**
 * JSON lines (Pino) in production; at a terminal, Moleculer's readable one-line format. Both
 * carry the request id of the work in progress (src/request-context.ts).
 */
function loggerOptions(config: AppConfig): BrokerOptions["logger"] {
  const text = config.logFormat === "text" || (config.logFormat === "auto" && process.stdout.isTTY === true && config.logFile === null);
  if (text) {
    return {
      type: "Console",
      options: {
        level: config.logLevel,
        // Moleculer's "short" format, with the request id after the module name when there is one.
        formatter: textWithRequestId,
      },
    } as BrokerOptions["logger"];
  }
  return {
    type: "Pino",
    options: {
      level: config.logLevel,
      pino: {
        // Belt and braces: nothing we log carries these, and if it ever does they are masked.
        options: {
          redact: ["*.password", "*.accessToken", "*.refreshToken", "*.authorization", "*.token"],
          mixin: requestIdLogFields,
        },
        ...(config.logFile ? { destination: config.logFile } : {}),
      },
    },
  } as BrokerOptions["logger"];
}

/** `[12:00:00.000Z] INFO  tracking [req-1]: message` */
function textWithRequestId(this: unknown, type: string, args: unknown[], bindings: { mod: string }): unknown[] {
  const requestId = currentRequestId();
  const time = new Date().toISOString().substring(11);
  return [`[${time}]`, type.toUpperCase().padEnd(5), `${bindings.mod}${requestId ? ` [${requestId}]` : ""}:`, ...args];
}

export function createBrokerOptions(config: AppConfig): BrokerOptions {
  return {
    namespace: config.namespace,
    nodeID: config.nodeId,
    logger: loggerOptions(config),
    // A connection string (redis://…, nats://…): Moleculer picks the transporter from its scheme.
    transporter: (config.transporter ?? undefined) as BrokerOptions["transporter"],
    cacher: config.redisUrl
      ? ({
          type: "Redis",
          options: { prefix: `habit-tracker:${config.namespace}:cache`, ttl: 300, redis: config.redisUrl },
        } as unknown as BrokerOptions["cacher"])
      : { type: "Memory", options: { ttl: 300 } },
    serializer: "JSON",
    // bin/server.ts handles SIGTERM and SIGINT (readiness 503, drain, then stop); Moleculer's own
    // handlers would stop the broker at once, before the drain.
    skipProcessEventRegistration: true,
    requestTimeout: config.requestTimeoutMs,
    // Retries go to another node when one dies mid-request; non-idempotent actions opt out
    // with `retryPolicy: { enabled: false }` in their schema.
    retryPolicy: { enabled: true, retries: 3, delay: 100, maxDelay: 1000, factor: 2, check: isRetryable },
    heartbeatInterval: config.heartbeatIntervalSeconds,
    heartbeatTimeout: config.heartbeatTimeoutSeconds,
    // stopDelay: a stopping node has told the cluster it takes no more calls; calls already on
    // their way to it still arrive within this and are served.
    registry: { strategy: config.balanceStrategy, preferLocal: true, stopDelay: 500 },
    circuitBreaker: {
      enabled: true,
      threshold: 0.5,
      minRequestCount: 20,
      windowTime: 60,
      halfOpenTime: 10_000,
      check: isRetryable,
    },
    bulkhead: { enabled: false },
    // Lets in-flight requests finish before a node stops, within what SHUTDOWN_TIMEOUT_MS leaves
    // after the drain (src/node.ts).
    tracking: { enabled: true, shutdownTimeout: Math.round((config.shutdown.timeoutMs - config.shutdown.drainMs) / 2) },
    // Spans of every call and event to Zipkin (or Jaeger's Zipkin endpoint) when TRACING_ZIPKIN_URL is set.
    tracing: config.tracing
      ? {
          enabled: true,
          sampling: { rate: config.tracing.sampleRate },
          exporter: { type: "Zipkin", options: { baseURL: config.tracing.zipkinUrl, interval: 5 } },
        }
      : { enabled: false },
    metrics: {
      enabled: config.metricsPort !== null,
      // Served with the health probes by src/ops-server.ts on METRICS_HOST:METRICS_PORT. Moleculer
      // takes a reporter instance; its types list only names and option objects.
      reporter:
        config.metricsPort !== null
          ? (new PrometheusText({
              excludes: HOST_REVEALING_METRICS,
              // No nodeID label: it defaults to the host name; Prometheus's `instance` names the node.
              defaultLabels: (registry: unknown) => ({ namespace: (registry as { broker: { namespace: string } }).broker.namespace }),
            } as never) as unknown as "Prometheus")
          : undefined,
    },
    validator: new StrictValidator({
      // fastest-validator's own reads "value 'done, skipped'" for the list it expected.
      messages: { enumValue: "The '{field}' field must be one of: {expected}." },
    }),
    middlewares: [
      RequestContextMiddleware(config.logLevel === "debug" || config.logLevel === "trace"),
      DomainErrorsMiddleware,
      FailureDetectionMiddleware(config.heartbeatTimeoutSeconds),
      AwaitEndpointMiddleware(1_000),
    ],
    errorRegenerator: new ErrorRegenerator(),
  };
}
