/**
 * Reads the environment once into a typed, validated configuration (README.md, "Configuration").
 * Every bad or missing value fails here, at start, with a message naming the variable.
 */
import path from "node:path";
import os from "node:os";
import net from "node:net";

export const SERVICE_NAMES = ["api", "auth", "habits", "tracking", "notifications", "reminders", "kafka-bridge"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Moleculer's load-balancing strategies a node may pick its calls' targets with. */
export const BALANCE_STRATEGIES = ["RoundRobin", "CpuUsage", "Latency", "Random"] as const;
export type BalanceStrategy = (typeof BALANCE_STRATEGIES)[number];

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface RateLimitConfig {
  /** Attempts allowed per window. */
  limit: number;
  windowSeconds: number;
}

export interface AppConfig {
  /** Embedded when DATABASE_URL is absent: PGlite in DATA_DIR. */
  databaseUrl: string | null;
  redisUrl: string | null;
  /** Moleculer transporter connection string, or null for a single process. */
  transporter: string | null;
  services: ServiceName[];
  kafkaBrokers: string[];
  /** null in embedded mode: generated once and kept in DATA_DIR. */
  jwtSecret: string | null;
  port: number;
  corsOrigins: string[];
  smtpUrl: string | null;
  logLevel: LogLevel;
  /** `json` lines (production), `text` for a person at a terminal, `auto`: text on a TTY. */
  logFormat: "json" | "text" | "auto";
  /** Zipkin's span endpoint base (Jaeger takes Zipkin's format too), or null: tracing off. */
  tracing: { zipkinUrl: string; sampleRate: number } | null;
  /** Where the log goes instead of standard output (the REPL sets it), or null. */
  logFile: string | null;
  nodeId: string;
  namespace: string;
  dataDir: string;
  metricsPort: number | null;
  /** Address the metrics port listens on. */
  metricsHost: string;
  /** The gateway's HTTP server limits. */
  http: HttpLimits;
  /** Trust the right-most X-Forwarded-For hop for the client address (behind one proxy). */
  trustProxy: boolean;
  requestTimeoutMs: number;
  heartbeatIntervalSeconds: number;
  heartbeatTimeoutSeconds: number;
  /** How a call picks one of the nodes that run its service. */
  balanceStrategy: BalanceStrategy;
  bodyLimitBytes: number;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Habits one account may hold, archived ones included. */
  maxHabitsPerUser: number;
  rateLimits: { login: RateLimitConfig; register: RateLimitConfig; passwordReset: RateLimitConfig };
  /** Where people reach the app (the links in e-mails start with it). */
  publicUrl: string;
  /** How long a password-reset link works. */
  passwordResetTtlSeconds: number;
  /** The largest export document or Loop backup `POST /me/import…` takes. */
  importLimitBytes: number;
  /** Accounts given the admin role when they register or log in (lower-cased). */
  adminEmails: string[];
  notifications: NotificationsConfig;
  reminders: RemindersConfig;
  /** argon2id cost; lowered only by tests, never below OWASP ASVS minimums. */
  passwordHash: { timeCost: number; memoryKiB: number };
  /** Apply pending migrations at start (off where a migration Job runs them first). */
  migrateOnStart: boolean;
  shutdown: ShutdownConfig;
}

export interface ShutdownConfig {
  /** After SIGTERM, how long the node keeps serving while readiness already says 503. */
  drainMs: number;
  /** The whole stop (drain, in-flight requests, leaving the cluster, pools) must end within this. */
  timeoutMs: number;
}

export interface HttpLimits {
  /** The whole request, body included, must arrive within this. */
  requestTimeoutMs: number;
  /** The request's headers must arrive within this. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is kept this long (above a load balancer's idle timeout). */
  keepAliveTimeoutMs: number;
}

export interface NotificationsConfig {
  /** Print every notification to the log (the `log` channel). */
  logChannel: boolean;
  /** Sender address of e-mails. */
  mailFrom: string;
  /** Retries of a failed delivery: exponential from baseMs to maxMs, jittered, maxAttempts in all. */
  retry: { baseMs: number; maxMs: number; jitter: number; maxAttempts: number };
  /** How long one send may take; a claimed delivery is retried by any node after that. */
  sendTimeoutMs: number;
  pollIntervalMs: number;
  /** Let webhooks reach loopback and private networks (a home network's own services). */
  webhookAllowPrivate: boolean;
}

export interface RemindersConfig {
  /** How often each reminders node looks for due reminders. */
  tickMs: number;
  /** A reminder whose time passed longer ago than this (e.g. every node was down) is dropped. */
  graceMs: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function boolean(env: Env, name: string): boolean {
  const raw = text(env, name);
  if (raw === null) return false;
  if (/^(1|true|yes)$/i.test(raw)) return true;
  if (/^(0|false|no)$/i.test(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const raw = text(env, name);
  if (raw === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, "is not a valid URL");
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(" or ")} (got ${parsed.protocol})`);
  }
  return raw;
}

function list(env: Env, name: string): string[] {
  return (text(env, name) ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

function services(env: Env): ServiceName[] {
  const names = list(env, "SERVICES");
  const kafka = list(env, "KAFKA_BROKERS").length > 0;
  // Everything by default; the Kafka bridge only when there is a Kafka to bridge to.
  if (names.length === 0) return SERVICE_NAMES.filter((name) => kafka || name !== "kafka-bridge");
  // A node that only joins the cluster, e.g. to attach the REPL.
  if (names.length === 1 && names[0] === "none") return [];
  for (const name of names) {
    if (!(SERVICE_NAMES as readonly string[]).includes(name)) {
      throw new ConfigError("SERVICES", `names an unknown service "${name}" (known: ${SERVICE_NAMES.join(", ")})`);
    }
  }
  if (names.includes("kafka-bridge") && !kafka) {
    throw new ConfigError("KAFKA_BROKERS", "is required when SERVICES names kafka-bridge");
  }
  return [...new Set(names)] as ServiceName[];
}

function fraction(env: Env, name: string, fallback: number): number {
  const raw = text(env, name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!/^\d*\.?\d+$/.test(raw) || value > 1) throw new ConfigError(name, `must be a number from 0 to 1, got "${raw}"`);
  return value;
}

function adminEmails(env: Env): string[] {
  const emails = list(env, "ADMIN_EMAILS").map((email) => email.toLowerCase());
  const bad = emails.find((email) => !/^[^\s@]+@[^\s@]+$/.test(email));
  if (bad) throw new ConfigError("ADMIN_EMAILS", `holds "${bad}", which is not an e-mail address`);
  return emails;
}

function corsOrigins(env: Env): string[] {
  const origins = list(env, "CORS_ORIGINS");
  for (const origin of origins) {
    if (origin === "*") continue;
    try {
      const parsed = new URL(origin);
      if (parsed.origin !== origin) throw new Error("not an origin");
    } catch {
      throw new ConfigError("CORS_ORIGINS", `holds "${origin}", which is not an origin such as https://app.example.com`);
    }
  }
  return origins;
}

export function loadConfig(env: Env = process.env): AppConfig {
  const redisUrl = url(env, "REDIS_URL", ["redis:", "rediss:"]);
  const transporter = text(env, "TRANSPORTER") ?? redisUrl;
  const jwtSecret = text(env, "JWT_SECRET");
  if (jwtSecret !== null && Buffer.byteLength(jwtSecret) < 32) {
    throw new ConfigError("JWT_SECRET", "must be at least 32 bytes long");
  }
  if (transporter !== null && redisUrl === null) {
    // Rate limits and the token denylist must be shared by every node, through Redis.
    throw new ConfigError("REDIS_URL", "is required when TRANSPORTER is set (rate limits and revocations are shared in Redis)");
  }
  if (transporter !== null && jwtSecret === null) {
    throw new ConfigError("JWT_SECRET", "is required when nodes form a cluster (TRANSPORTER or REDIS_URL is set)");
  }
  const logLevel = (text(env, "LOG_LEVEL") ?? "info").toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError("LOG_LEVEL", `must be one of ${LOG_LEVELS.join(", ")}`);
  }
  const metricsPort = text(env, "METRICS_PORT");
  const port = integer(env, "PORT", 3000, 0, 65535);
  const heartbeatIntervalSeconds = integer(env, "HEARTBEAT_INTERVAL", 1, 1, 60);
  const heartbeatTimeoutSeconds = integer(env, "HEARTBEAT_TIMEOUT", 3, 2, 300);
  if (heartbeatTimeoutSeconds <= heartbeatIntervalSeconds) {
    throw new ConfigError("HEARTBEAT_TIMEOUT", "must be longer than HEARTBEAT_INTERVAL");
  }
  const metricsHost = text(env, "METRICS_HOST") ?? "127.0.0.1";
  if (net.isIP(metricsHost) === 0)
    throw new ConfigError("METRICS_HOST", `must be an IP address to listen on, such as 0.0.0.0, got "${metricsHost}"`);
  const namespace = text(env, "NAMESPACE") ?? "";
  const shutdown = shutdownConfig(env, transporter !== null);
  if (!/^[a-z0-9-]*$/i.test(namespace)) throw new ConfigError("NAMESPACE", "may hold only letters, digits and dashes");

  return {
    databaseUrl: url(env, "DATABASE_URL", ["postgres:", "postgresql:"]),
    redisUrl,
    transporter,
    services: services(env),
    kafkaBrokers: list(env, "KAFKA_BROKERS"),
    jwtSecret,
    port,
    corsOrigins: corsOrigins(env),
    smtpUrl: url(env, "SMTP_URL", ["smtp:", "smtps:"]),
    logLevel: logLevel as LogLevel,
    logFormat: logFormat(env),
    tracing: tracingConfig(env),
    logFile: text(env, "LOG_FILE") === null ? null : path.resolve(text(env, "LOG_FILE") as string),
    nodeId: text(env, "NODE_ID") ?? `${os.hostname()}-${process.pid}`,
    namespace,
    dataDir: path.resolve(text(env, "DATA_DIR") ?? "./data"),
    metricsPort: metricsPort === "off" ? null : integer(env, "METRICS_PORT", 3030, 0, 65535),
    metricsHost,
    http: httpLimits(env),
    trustProxy: boolean(env, "TRUST_PROXY"),
    requestTimeoutMs: integer(env, "REQUEST_TIMEOUT_MS", 5_000, 100, 600_000),
    heartbeatIntervalSeconds,
    heartbeatTimeoutSeconds,
    balanceStrategy: balanceStrategy(env),
    bodyLimitBytes: integer(env, "BODY_LIMIT_BYTES", 64 * 1024, 1024, 10 * 1024 * 1024),
    accessTokenTtlSeconds: integer(env, "ACCESS_TOKEN_TTL", 15 * 60, 10, 24 * 3600),
    refreshTokenTtlSeconds: integer(env, "REFRESH_TOKEN_TTL", 30 * 24 * 3600, 60, 365 * 24 * 3600),
    maxHabitsPerUser: integer(env, "MAX_HABITS_PER_USER", 500, 1, 10_000),
    rateLimits: {
      login: {
        limit: integer(env, "RATE_LIMIT_LOGIN", 10, 1, 1_000_000),
        windowSeconds: integer(env, "RATE_LIMIT_WINDOW", 60, 1, 86_400),
      },
      register: {
        limit: integer(env, "RATE_LIMIT_REGISTER", 20, 1, 1_000_000),
        windowSeconds: integer(env, "RATE_LIMIT_WINDOW", 60, 1, 86_400),
      },
      passwordReset: {
        limit: integer(env, "RATE_LIMIT_PASSWORD_RESET", 5, 1, 1_000_000),
        windowSeconds: integer(env, "RATE_LIMIT_WINDOW", 60, 1, 86_400),
      },
    },
    publicUrl: (url(env, "PUBLIC_URL", ["http:", "https:"]) ?? `http://localhost:${port}`).replace(/\/+$/, ""),
    passwordResetTtlSeconds: integer(env, "PASSWORD_RESET_TTL", 3600, 1, 24 * 3600),
    importLimitBytes: integer(env, "IMPORT_LIMIT_BYTES", 10 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    adminEmails: adminEmails(env),
    notifications: notificationsConfig(env),
    reminders: {
      tickMs: integer(env, "REMINDER_TICK_MS", 15_000, 100, 60_000),
      graceMs: integer(env, "REMINDER_GRACE_MS", 15 * 60_000, 60_000, 24 * 3600_000),
    },
    passwordHash: {
      // ASVS: argon2id with t >= 2 and m >= 19 MiB, p = 1.
      timeCost: integer(env, "ARGON2_TIME_COST", 2, 2, 10),
      memoryKiB: integer(env, "ARGON2_MEMORY_KIB", 19 * 1024, 19 * 1024, 1024 * 1024),
    },
    migrateOnStart: text(env, "MIGRATE_ON_START") === null ? true : boolean(env, "MIGRATE_ON_START"),
    shutdown,
  };
}

function logFormat(env: Env): AppConfig["logFormat"] {
  const raw = (text(env, "LOG_FORMAT") ?? "auto").toLowerCase();
  if (raw !== "json" && raw !== "text" && raw !== "auto") throw new ConfigError("LOG_FORMAT", `must be json, text or auto, got "${raw}"`);
  return raw;
}

function tracingConfig(env: Env): AppConfig["tracing"] {
  const zipkinUrl = url(env, "TRACING_ZIPKIN_URL", ["http:", "https:"]);
  const sampleRate = fraction(env, "TRACING_SAMPLE_RATE", 1);
  return zipkinUrl === null ? null : { zipkinUrl, sampleRate };
}

function balanceStrategy(env: Env): BalanceStrategy {
  const raw = text(env, "BALANCE_STRATEGY") ?? "RoundRobin";
  const known = BALANCE_STRATEGIES.find((name) => name.toLowerCase() === raw.toLowerCase());
  if (!known) throw new ConfigError("BALANCE_STRATEGY", `must be one of ${BALANCE_STRATEGIES.join(", ")}, got "${raw}"`);
  return known;
}

function shutdownConfig(env: Env, clustered: boolean): ShutdownConfig {
  // A single process has no load balancer to take it out of rotation, so nothing to wait for.
  const drainMs = integer(env, "SHUTDOWN_DRAIN_MS", clustered ? 2_000 : 0, 0, 120_000);
  const timeoutMs = integer(env, "SHUTDOWN_TIMEOUT_MS", 20_000, 1_000, 600_000);
  if (timeoutMs <= drainMs + 500) {
    throw new ConfigError("SHUTDOWN_TIMEOUT_MS", "must leave at least 500 ms after SHUTDOWN_DRAIN_MS for in-flight requests");
  }
  return { drainMs, timeoutMs };
}

function httpLimits(env: Env): HttpLimits {
  const requestTimeoutMs = integer(env, "HTTP_REQUEST_TIMEOUT_MS", 30_000, 1000, 3600_000);
  const headersTimeoutMs = integer(env, "HTTP_HEADERS_TIMEOUT_MS", 10_000, 500, 3600_000);
  // Node refuses a headers timeout longer than the request timeout.
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError("HTTP_HEADERS_TIMEOUT_MS", "must not be longer than HTTP_REQUEST_TIMEOUT_MS");
  }
  return { requestTimeoutMs, headersTimeoutMs, keepAliveTimeoutMs: integer(env, "HTTP_KEEPALIVE_TIMEOUT_MS", 65_000, 1000, 3600_000) };
}

function notificationsConfig(env: Env): NotificationsConfig {
  const baseMs = integer(env, "DELIVERY_RETRY_BASE_MS", 30_000, 10, 3600_000);
  const maxMs = integer(env, "DELIVERY_RETRY_MAX_MS", 3600_000, 10, 7 * 24 * 3600_000);
  if (maxMs < baseMs) throw new ConfigError("DELIVERY_RETRY_MAX_MS", "must not be below DELIVERY_RETRY_BASE_MS");
  const mailFrom = text(env, "MAIL_FROM") ?? "habit-tracker <no-reply@localhost>";
  if (!/@/.test(mailFrom)) throw new ConfigError("MAIL_FROM", "must hold an e-mail address");
  const logChannel = text(env, "NOTIFY_LOG") === null ? true : boolean(env, "NOTIFY_LOG");
  return {
    logChannel,
    mailFrom,
    retry: {
      baseMs,
      maxMs,
      jitter: fraction(env, "DELIVERY_RETRY_JITTER", 0.5),
      maxAttempts: integer(env, "DELIVERY_MAX_ATTEMPTS", 8, 1, 100),
    },
    sendTimeoutMs: integer(env, "DELIVERY_TIMEOUT_MS", 10_000, 100, 300_000),
    pollIntervalMs: integer(env, "DELIVERY_POLL_MS", 1000, 10, 60_000),
    webhookAllowPrivate: boolean(env, "WEBHOOK_ALLOW_PRIVATE"),
  };
}

/** Embedded: no DATABASE_URL, so this process serves PGlite itself. */
export function isEmbeddedDatabase(config: AppConfig): boolean {
  return config.databaseUrl === null;
}
