/**
 * The gateway (moleculer-web): REST under /api/v1, health and metrics. Only the aliases listed
 * here are reachable (`mappingPolicy: "restrict"`). Access tokens are verified in-process
 * (src/tokens.ts, a KeyObject, the denylist's hot copy), so an authenticated request costs no
 * extra call to `auth`. Every error leaves in moleculer-web's shape through `onError`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context, ServiceSchema, ServiceSettingSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import { getRuntime } from "../src/runtime";
import { AccessTokens, InvalidTokenError, TOKEN_CLOCK_TOLERANCE_SECONDS } from "../src/tokens";
import { Denylist } from "../src/denylist";
import {
  ERR_INVALID_TOKEN,
  ERR_NO_TOKEN,
  ERR_TOKEN_REVOKED,
  RateLimitedError,
  ServiceUnavailableError,
  UnauthorizedError,
  validationError,
} from "../src/errors";
import { securityHeaders, requireJsonBody, clientAddress, sendHttpError } from "../src/http";
import type { AuthMeta } from "./auth.service";

/** Services a gateway needs before it is ready to serve the contract, each by one of its actions. */
const REQUIRED_SERVICES: Record<string, string> = { auth: "auth.login", habits: "habits.list", tracking: "tracking.today" };

export interface ReadyReport {
  status: "ok" | "unavailable";
  checks: Record<string, "ok" | string>;
}

interface GatewayLocals {
  tokens: AccessTokens;
  denylist: Denylist;
}

interface GatewayMethods {
  authenticate(ctx: Context<unknown, AuthMeta>, route: unknown, req: IncomingMessage): Promise<AuthMeta["user"]>;
  limitRate(req: IncomingMessage & { $action?: { name: string }; body?: unknown }): Promise<void>;
  readiness(): Promise<ReadyReport>;
}

type GatewayThis = import("moleculer").Service & GatewayMethods & GatewayLocals;

/**
 * moleculer-web merges body, query and path parameters into one object, the path last: a body
 * or query field named like a path parameter (`id`) would be silently dropped. Reject it (422),
 * as any other unknown field.
 */
function rejectShadowedPathParams(
  req: { body?: unknown; query?: Record<string, unknown> },
  alias: { keys?: Array<{ name: string }> },
): void {
  const sources = [req.body, req.query].filter((source): source is Record<string, unknown> => typeof source === "object" && source !== null);
  const shadowed = (alias.keys ?? []).map((key) => key.name).filter((name) => sources.some((source) => Object.hasOwn(source, name)));
  if (shadowed.length > 0) {
    throw validationError(shadowed.map((field) => ({ field, type: "unknownField", message: `Unknown field '${field}'.` })));
  }
}

function bodyParsers(limitBytes: number) {
  return { json: { strict: true, limit: limitBytes, type: ["application/json", "application/*+json"] }, urlencoded: false };
}

const ApiService: ServiceSchema<ServiceSettingSchema & Record<string, unknown>, GatewayMethods, GatewayLocals> = {
  name: "api",
  mixins: [ApiGateway as Partial<ServiceSchema>],

  // Filled in `merged` (below), from the runtime, before moleculer-web builds its routes.
  settings: {},

  actions: {
    // moleculer-web handles each HTTP request as an `api.rest` call; retrying that would replay a
    // request whose body is already consumed. Retries belong to the inner call (`auth.*`) alone.
    rest: { retryPolicy: { enabled: false } } as never,
    // Routes are fixed at start; no caller in the cluster may add or remove them.
    addRoute: false,
    removeRoute: false,
    live: {
      handler(): { status: "ok" } {
        return { status: "ok" };
      },
    },
    ready: {
      async handler(ctx: Context<unknown, AuthMeta>): Promise<ReadyReport> {
        const report = await this.readiness();
        if (report.status !== "ok") {
          ctx.meta.$statusCode = 503;
        }
        return report;
      },
    },
  },

  methods: {
    async authenticate(_ctx, _route, req) {
      const header = req.headers.authorization;
      if (!header) throw new UnauthorizedError(ERR_NO_TOKEN, "Missing access token");
      const match = /^Bearer ([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*\.[A-Za-z0-9\-_]*)$/.exec(header);
      if (!match) throw new UnauthorizedError(ERR_INVALID_TOKEN, "Invalid access token");
      let claims;
      try {
        claims = this.tokens.verify(match[1]);
      } catch (err) {
        if (err instanceof InvalidTokenError) throw new UnauthorizedError(ERR_INVALID_TOKEN, "Invalid access token");
        throw err;
      }
      let revoked: boolean;
      try {
        revoked = await this.denylist.isRevoked(claims.sessionId);
      } catch (err) {
        // Unable to tell whether the token is revoked: refuse rather than guess.
        this.logger.warn(`Denylist unavailable: ${(err as Error).message}`);
        throw new ServiceUnavailableError("Token revocation list unavailable, try again shortly");
      }
      if (revoked) throw new UnauthorizedError(ERR_TOKEN_REVOKED, "Access token revoked");
      return { id: claims.userId, role: claims.role, sessionId: claims.sessionId };
    },

    async limitRate(req) {
      const { config, store } = getRuntime();
      const action = req.$action?.name;
      const address = clientAddress(req, config.trustProxy);
      const body = (req.body ?? {}) as { email?: unknown };
      const account = typeof body.email === "string" ? body.email.trim().toLowerCase().slice(0, 254) : null;
      const buckets: Array<[string, { limit: number; windowSeconds: number }]> = [];
      if (action === "auth.login") {
        buckets.push([`ratelimit:login:ip:${address}`, config.rateLimits.login]);
        if (account) buckets.push([`ratelimit:login:account:${account}`, config.rateLimits.login]);
      } else if (action === "auth.register") {
        buckets.push([`ratelimit:register:ip:${address}`, config.rateLimits.register]);
        if (account) buckets.push([`ratelimit:register:account:${account}`, config.rateLimits.register]);
      }
      for (const [key, limit] of buckets) {
        const { count, resetMs } = await store.hit(key, limit.windowSeconds);
        if (count > limit.limit) throw new RateLimitedError(Math.max(1, Math.ceil(resetMs / 1000)));
      }
    },

    async readiness(): Promise<ReadyReport> {
      const { store, database } = getRuntime();
      const checks: ReadyReport["checks"] = {};
      const probe = async (name: string, check: () => Promise<void>) => {
        try {
          await check();
          checks[name] = "ok";
        } catch (err) {
          checks[name] = (err as Error).message || "failed";
        }
      };
      await Promise.all([
        probe("store", () => store.ping()),
        ...(database ? [probe("database", () => database.ping())] : []),
      ]);
      for (const [service, action] of Object.entries(REQUIRED_SERVICES)) {
        const available = this.broker.registry.getActionEndpoints(action)?.hasAvailable() ?? false;
        checks[`service:${service}`] = available ? "ok" : "no available node runs it";
      }
      const ok = Object.values(checks).every((value) => value === "ok");
      return { status: ok ? "ok" : "unavailable", checks };
    },
  },

  merged(schema: ServiceSchema) {
    const { config } = getRuntime();
    const parsers = bodyParsers(config.bodyLimitBytes);
    schema.settings = {
      ...(schema.settings as Record<string, unknown>),
      port: config.port,
      ip: "0.0.0.0",
      use: [securityHeaders, requireJsonBody],
      cors:
        config.corsOrigins.length > 0
          ? {
              origin: config.corsOrigins.includes("*") ? "*" : config.corsOrigins,
              methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
              allowedHeaders: ["Authorization", "Content-Type"],
              maxAge: 600,
            }
          : undefined,
      // Never log bodies or replies: they hold passwords and tokens.
      logRequestParams: null,
      logResponseData: null,
      log4XXResponses: false,
      onError(this: GatewayThis, req: IncomingMessage, res: ServerResponse, err: Error) {
        sendHttpError(this.logger, req, res, err);
      },
      routes: [
        {
          name: "public",
          path: "/api/v1",
          mappingPolicy: "restrict",
          autoAliases: false,
          bodyParsers: parsers,
          aliases: {
            "POST /auth/register": "auth.register",
            "POST /auth/login": "auth.login",
            "POST /auth/refresh": "auth.refresh",
          },
          onBeforeCall(this: GatewayThis, _ctx: Context, _route: unknown, req: IncomingMessage) {
            return this.limitRate(req);
          },
        },
        {
          name: "authenticated",
          path: "/api/v1",
          mappingPolicy: "restrict",
          autoAliases: false,
          authentication: true,
          bodyParsers: parsers,
          onBeforeCall(
            this: GatewayThis,
            _ctx: Context,
            _route: unknown,
            req: IncomingMessage & { body?: unknown; query?: Record<string, unknown> },
            _res: ServerResponse,
            alias: { keys?: Array<{ name: string }> },
          ) {
            rejectShadowedPathParams(req, alias);
          },
          aliases: {
            "POST /auth/logout": "auth.logout",
            "POST /auth/logout-all": "auth.logoutAll",
            "GET /me": "auth.me",
            "PATCH /me": "auth.updateProfile",
            "POST /habits": "habits.create",
            "GET /habits": "habits.list",
            "GET /habits/:id": "habits.get",
            "PATCH /habits/:id": "habits.update",
            "DELETE /habits/:id": "habits.remove",
            "PUT /habits/:id/checkins/:date": "tracking.put",
            "DELETE /habits/:id/checkins/:date": "tracking.remove",
            "GET /habits/:id/checkins": "tracking.list",
            "POST /habits/:id/checkins": "tracking.post",
            "GET /habits/:id/streak": "tracking.streak",
            "GET /habits/:id/stats": "tracking.stats",
            "GET /today": "tracking.today",
            "GET /me/webhook": "auth.webhook",
            "POST /me/webhook/rotate-secret": "auth.rotateWebhookSecret",
            "GET /notifications": "notifications.list",
            "POST /notifications/:id/read": "notifications.read",
            "GET /admin/dead-letters": "notifications.deadLetters",
            "POST /admin/dead-letters/retry": "notifications.retryDeadLetters",
            "POST /admin/dead-letters/:id/retry": "notifications.retryDeadLetter",
          },
        },
        {
          name: "health",
          path: "/health",
          mappingPolicy: "restrict",
          autoAliases: false,
          aliases: { "GET /live": "api.live", "GET /ready": "api.ready" },
        },
        ...(config.databaseUrl === null && config.transporter === null
          ? [
              {
                name: "metrics",
                path: "/metrics",
                mappingPolicy: "restrict",
                autoAliases: false,
                aliases: {
                  "GET /"(this: GatewayThis, _req: IncomingMessage, res: ServerResponse) {
                    const reporter = (
                      this.broker as unknown as { metrics: { reporter?: Array<{ generatePrometheusResponse?: () => string }> } }
                    ).metrics.reporter?.find((candidate) => typeof candidate.generatePrometheusResponse === "function");
                    if (!reporter?.generatePrometheusResponse) {
                      res.writeHead(404, { "Content-Type": "text/plain" }).end("metrics disabled\n");
                      return;
                    }
                    res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
                    res.end(reporter.generatePrometheusResponse());
                  },
                },
              },
            ]
          : []),
      ],
    } as ServiceSettingSchema;
  },

  created() {
    const { config, jwtSecret, store } = getRuntime();
    this.tokens = new AccessTokens(jwtSecret, config.accessTokenTtlSeconds);
    this.denylist = new Denylist(store, config.accessTokenTtlSeconds + TOKEN_CLOCK_TOLERANCE_SECONDS, () =>
      this.broker.call<string[], Record<string, never>>("auth.revokedSessions", {}),
    );
  },
};

export default ApiService;
