/**
 * loadConfig: the defaults of the embedded mode, and one ConfigError per bad value, each
 * naming the variable. Environments are passed explicitly; process.env is never touched.
 */
import path from "node:path";
import { ConfigError, SERVICE_NAMES, loadConfig } from "../../src/config";

const SECRET = "s".repeat(32);
const REDIS = "redis://127.0.0.1:6379";

describe("loadConfig", () => {
  describe("defaults (embedded mode)", () => {
    const config = loadConfig({});

    it("should have no database URL, so the database is embedded", () => {
      expect(config.databaseUrl).toBeNull();
    });

    it("should have no Redis, transporter or JWT secret", () => {
      expect(config.redisUrl).toBeNull();
      expect(config.transporter).toBeNull();
      expect(config.jwtSecret).toBeNull();
    });

    it("should run every service but the Kafka bridge, which needs KAFKA_BROKERS", () => {
      expect(config.services).toEqual(SERVICE_NAMES.filter((name) => name !== "kafka-bridge"));
      expect(loadConfig({ KAFKA_BROKERS: "k1:9092, k2:9092" }).services).toEqual([...SERVICE_NAMES]);
      expect(loadConfig({ KAFKA_BROKERS: "k1:9092, k2:9092" }).kafkaBrokers).toEqual(["k1:9092", "k2:9092"]);
    });

    it("should default the notification and reminder settings", () => {
      expect(config.adminEmails).toEqual([]);
      expect(config.notifications).toEqual({
        logChannel: true,
        mailFrom: "habit-tracker <no-reply@localhost>",
        retry: { baseMs: 30_000, maxMs: 3_600_000, jitter: 0.5, maxAttempts: 8 },
        sendTimeoutMs: 10_000,
        pollIntervalMs: 1000,
        webhookAllowPrivate: false,
      });
      expect(config.reminders).toEqual({ tickMs: 15_000, graceMs: 900_000 });
      expect(loadConfig({ ADMIN_EMAILS: "Root@Example.com, ops@example.com" }).adminEmails).toEqual([
        "root@example.com",
        "ops@example.com",
      ]);
      expect(loadConfig({ NOTIFY_LOG: "false" }).notifications.logChannel).toBe(false);
    });

    it("should listen on port 3000 with metrics on 3030", () => {
      expect(config.port).toBe(3000);
      expect(config.metricsPort).toBe(3030);
      expect(config.metricsHost).toBe("127.0.0.1");
      expect(config.maxHabitsPerUser).toBe(500);
      expect(config.http).toEqual({ requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 65_000 });
    });

    it("should log at info and keep data in ./data", () => {
      expect(config.logLevel).toBe("info");
      expect(config.dataDir).toBe(path.resolve("./data"));
    });

    it("should use argon2id costs no lower than the ASVS minimums", () => {
      expect(config.passwordHash).toEqual({ timeCost: 2, memoryKiB: 19456 });
    });

    it("should not trust a proxy", () => {
      expect(config.trustProxy).toBe(false);
    });
  });

  describe("valid values", () => {
    it("should turn metrics off with METRICS_PORT=off", () => {
      expect(loadConfig({ METRICS_PORT: "off" }).metricsPort).toBeNull();
    });

    it("should read PORT", () => {
      expect(loadConfig({ PORT: "8080" }).port).toBe(8080);
    });

    it("should dedupe SERVICES and keep their order", () => {
      expect(loadConfig({ SERVICES: "auth, api,auth ,api" }).services).toEqual(["auth", "api"]);
    });

    it("should use REDIS_URL as the transporter when TRANSPORTER is unset", () => {
      const config = loadConfig({ REDIS_URL: REDIS, JWT_SECRET: SECRET });
      expect(config.redisUrl).toBe(REDIS);
      expect(config.transporter).toBe(REDIS);
      expect(config.jwtSecret).toBe(SECRET);
    });

    it("should accept a postgres DATABASE_URL", () => {
      const url = "postgres://u@db:5432/app";
      expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
    });

    it("should accept origins and * in CORS_ORIGINS", () => {
      expect(loadConfig({ CORS_ORIGINS: "https://app.example.com, *" }).corsOrigins).toEqual(["https://app.example.com", "*"]);
    });

    it("should drain for 2 s on shutdown in a cluster, not at all alone, and bound the stop by SHUTDOWN_TIMEOUT_MS", () => {
      expect(loadConfig({}).shutdown).toEqual({ drainMs: 0, timeoutMs: 20_000 });
      expect(loadConfig({ REDIS_URL: REDIS, JWT_SECRET: SECRET }).shutdown).toEqual({ drainMs: 2_000, timeoutMs: 20_000 });
      expect(loadConfig({ SHUTDOWN_DRAIN_MS: "5000", SHUTDOWN_TIMEOUT_MS: "25000" }).shutdown).toEqual({
        drainMs: 5_000,
        timeoutMs: 25_000,
      });
    });

    it("should migrate at start unless MIGRATE_ON_START=false (a migration Job runs them)", () => {
      expect(loadConfig({}).migrateOnStart).toBe(true);
      expect(loadConfig({ MIGRATE_ON_START: "false" }).migrateOnStart).toBe(false);
    });

    it("should read LOG_LEVEL case-insensitively", () => {
      expect(loadConfig({ LOG_LEVEL: "DEBUG" }).logLevel).toBe("debug");
    });
  });

  describe("invalid values", () => {
    const cases: Array<[string, Record<string, string>, string]> = [
      ["PORT not a number", { PORT: "abc" }, "PORT"],
      ["PORT out of range", { PORT: "70000" }, "PORT"],
      ["SERVICES naming an unknown service", { SERVICES: "api,bogus" }, "SERVICES"],
      ["SERVICES naming kafka-bridge without Kafka", { SERVICES: "kafka-bridge" }, "KAFKA_BROKERS"],
      ["ADMIN_EMAILS holding a non-address", { ADMIN_EMAILS: "root" }, "ADMIN_EMAILS"],
      ["DELIVERY_RETRY_MAX_MS below the base", { DELIVERY_RETRY_BASE_MS: "5000", DELIVERY_RETRY_MAX_MS: "100" }, "DELIVERY_RETRY_MAX_MS"],
      ["DELIVERY_RETRY_JITTER above 1", { DELIVERY_RETRY_JITTER: "1.5" }, "DELIVERY_RETRY_JITTER"],
      ["DELIVERY_MAX_ATTEMPTS of 0", { DELIVERY_MAX_ATTEMPTS: "0" }, "DELIVERY_MAX_ATTEMPTS"],
      ["NOTIFY_LOG not a boolean", { NOTIFY_LOG: "maybe" }, "NOTIFY_LOG"],
      ["MAIL_FROM without an address", { MAIL_FROM: "nobody" }, "MAIL_FROM"],
      ["REMINDER_TICK_MS of 0", { REMINDER_TICK_MS: "0" }, "REMINDER_TICK_MS"],
      ["WEBHOOK_ALLOW_PRIVATE not a boolean", { WEBHOOK_ALLOW_PRIVATE: "sometimes" }, "WEBHOOK_ALLOW_PRIVATE"],
      ["DATABASE_URL of another database", { DATABASE_URL: "mysql://x" }, "DATABASE_URL"],
      ["REDIS_URL not a URL", { REDIS_URL: "notaurl", JWT_SECRET: SECRET }, "REDIS_URL"],
      ["LOG_LEVEL unknown", { LOG_LEVEL: "loud" }, "LOG_LEVEL"],
      ["JWT_SECRET shorter than 32 bytes", { JWT_SECRET: "s".repeat(31) }, "JWT_SECRET"],
      ["REDIS_URL set without JWT_SECRET", { REDIS_URL: REDIS }, "JWT_SECRET"],
      ["TRANSPORTER set without REDIS_URL", { TRANSPORTER: "nats://127.0.0.1:4222", JWT_SECRET: SECRET }, "REDIS_URL"],
      ["HEARTBEAT_TIMEOUT equal to HEARTBEAT_INTERVAL", { HEARTBEAT_INTERVAL: "5", HEARTBEAT_TIMEOUT: "5" }, "HEARTBEAT_TIMEOUT"],
      ["HEARTBEAT_TIMEOUT below HEARTBEAT_INTERVAL", { HEARTBEAT_INTERVAL: "10", HEARTBEAT_TIMEOUT: "4" }, "HEARTBEAT_TIMEOUT"],
      ["CORS_ORIGINS holding a non-origin", { CORS_ORIGINS: "not-an-origin" }, "CORS_ORIGINS"],
      ["CORS_ORIGINS holding a URL with a path", { CORS_ORIGINS: "https://app.example.com/path" }, "CORS_ORIGINS"],
      ["NAMESPACE with spaces", { NAMESPACE: "my namespace" }, "NAMESPACE"],
      ["ARGON2_MEMORY_KIB below 19456", { ARGON2_MEMORY_KIB: "19455" }, "ARGON2_MEMORY_KIB"],
      ["ARGON2_TIME_COST below 2", { ARGON2_TIME_COST: "1" }, "ARGON2_TIME_COST"],
      ["TRUST_PROXY not a boolean", { TRUST_PROXY: "maybe" }, "TRUST_PROXY"],
      ["METRICS_HOST not an IP address", { METRICS_HOST: "metrics.example.com" }, "METRICS_HOST"],
      ["MAX_HABITS_PER_USER of 0", { MAX_HABITS_PER_USER: "0" }, "MAX_HABITS_PER_USER"],
      ["HTTP_REQUEST_TIMEOUT_MS below a second", { HTTP_REQUEST_TIMEOUT_MS: "10" }, "HTTP_REQUEST_TIMEOUT_MS"],
      [
        "HTTP_HEADERS_TIMEOUT_MS above the request timeout",
        { HTTP_REQUEST_TIMEOUT_MS: "5000", HTTP_HEADERS_TIMEOUT_MS: "6000" },
        "HTTP_HEADERS_TIMEOUT_MS",
      ],
      ["HTTP_KEEPALIVE_TIMEOUT_MS not a number", { HTTP_KEEPALIVE_TIMEOUT_MS: "long" }, "HTTP_KEEPALIVE_TIMEOUT_MS"],
      [
        "SHUTDOWN_TIMEOUT_MS leaving no time after the drain",
        { SHUTDOWN_DRAIN_MS: "5000", SHUTDOWN_TIMEOUT_MS: "5000" },
        "SHUTDOWN_TIMEOUT_MS",
      ],
      ["SHUTDOWN_DRAIN_MS negative", { SHUTDOWN_DRAIN_MS: "-1" }, "SHUTDOWN_DRAIN_MS"],
      ["MIGRATE_ON_START not a boolean", { MIGRATE_ON_START: "later" }, "MIGRATE_ON_START"],
      ["BALANCE_STRATEGY unknown", { BALANCE_STRATEGY: "Fastest" }, "BALANCE_STRATEGY"],
    ];

    it.each(cases)("should reject %s with a ConfigError naming the variable", (_label, env, variable) => {
      expect.assertions(3);
      try {
        loadConfig(env);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).variable).toBe(variable);
        expect((err as ConfigError).message).toContain(variable);
      }
    });
  });
});
