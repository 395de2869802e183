/**
 * The gateway (moleculer-web): REST under /api/v1 (the routes of src/routes.ts), health and
 * metrics. Only those aliases are reachable (`mappingPolicy: "restrict"`). Params come from the
 * body or the query string as the route says (src/request-params.ts). Access tokens are verified
 * in-process (src/tokens.ts, a KeyObject, the denylist's hot copy, sessions confirmed by `auth`
 * once per few minutes), so an authenticated request almost never costs a call to `auth`.
 * Every error leaves in moleculer-web's shape, with the security headers, through `onError`.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { Errors, type Context, type ServiceSchema, type ServiceSettingSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import type { Runtime } from "../src/runtime";
import { AccessTokens, InvalidTokenError, TOKEN_CLOCK_TOLERANCE_SECONDS } from "../src/tokens";
import { Denylist } from "../src/denylist";
import { SessionGuard, type SessionFacts } from "../src/session-guard";
import {
  ERR_INVALID_TOKEN,
  ERR_NO_TOKEN,
  ERR_TOKEN_REVOKED,
  ForbiddenError,
  RateLimitedError,
  ServiceUnavailableError,
  UnauthorizedError,
} from "../src/errors";
import {
  answerClientError,
  applySecurityHeaders,
  clientAddress,
  encodingProblem,
  rateLimitBucket,
  requireJsonBody,
  sendHttpError,
} from "../src/http";
import { aliasesFor, takesBody, type HttpMethod, type RouteSpec } from "../src/routes";
import { accountsNamed, requestParams } from "../src/request-params";
import { answerHealth } from "../src/ops-server";
import { metricsText } from "../src/metrics-text";
import { requestIdFrom, withRequestId } from "../src/request-context";
import { METRICS, registerMetrics } from "../src/node-metrics";
import type { CallMeta, CallerUser } from "../src/caller";

interface GatewayLocals {
  tokens: AccessTokens;
  sessions: SessionGuard;
  server: http.Server;
}

/** What moleculer-web has put on a request by the time a route's hooks run. */
interface RoutedRequest extends IncomingMessage {
  body?: unknown;
  query?: Record<string, unknown>;
  $params: Record<string, unknown>;
  $alias?: { action?: string; fullPath?: string };
}

/** The alias moleculer-web matched: its method and its path parameters' names. */
interface MatchedAlias {
  method: string;
  action?: string;
  keys?: Array<{ name: string }>;
}

interface GatewayMethods {
  authenticate(ctx: Context<unknown, CallMeta>, route: unknown, req: IncomingMessage): Promise<CallerUser>;
  authorize(ctx: Context<unknown, CallMeta>, route: unknown, req: RoutedRequest): void;
  limitRate(req: RoutedRequest, action: string | undefined): Promise<void>;
  createServer(): void;
  countRequest(req: RoutedRequest, status: number, ms: number): void;
  errorHandler(req: IncomingMessage, res: ServerResponse, err: Error): void;
}

type GatewayThis = import("moleculer").Service & GatewayMethods & GatewayLocals;

/** Replaces moleculer-web's merged params with ones built by src/request-params.ts. */
function rebuildParams(req: RoutedRequest, alias: MatchedAlias): void {
  // moleculer-web assigned the path parameters last, as own properties.
  const pathParams = Object.fromEntries((alias.keys ?? []).map(({ name }) => [name, req.$params[name]]));
  req.$params = requestParams({
    takesBody: takesBody({ method: alias.method as HttpMethod }),
    body: req.body,
    query: req.query,
    pathParams,
  });
}

function bodyParsers(limitBytes: number) {
  return { json: { strict: true, limit: limitBytes, type: ["application/json", "application/*+json"] }, urlencoded: false };
}

/** How long a session confirmed by `auth` is trusted without asking again (src/session-cache.ts). */
const SESSION_CONFIRMATION_MS = 5 * 60_000;

/**
 * The gateway for these routes (src/routes.ts: read off the action declarations of every
 * service, including those other nodes run).
 */
export default function ApiService(
  runtime: Runtime,
  routes: readonly RouteSpec[],
): ServiceSchema<ServiceSettingSchema & Record<string, unknown>, GatewayMethods, GatewayLocals> {
  const { config } = runtime;
  const accessOf = new Map(routes.map((route) => [route.action, route.access]));
  return {
    name: "api",
    mixins: [ApiGateway as Partial<ServiceSchema>],

    // Filled in `merged` (below), from the runtime, before moleculer-web builds its routes.
    settings: {},

    actions: {
      // moleculer-web handles each HTTP request as an `api.rest` call; retrying that would replay a
      // request whose body is already consumed. Retries belong to the inner call (`auth.*`) alone.
      rest: { retryPolicy: { enabled: false } } as never,
      // Routes are fixed at start; no caller in the cluster may add or remove (or list) them.
      addRoute: false,
      removeRoute: false,
      listAliases: false,
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
        let verdict;
        try {
          verdict = await this.sessions.check(claims.sessionId, claims.userId);
        } catch (err) {
          // Moleculer's errors (no auth node, a timeout) are answered by sendHttpError (503); anything
          // else is the store failing: unable to tell whether the token is revoked, refuse rather than guess.
          if (err instanceof Errors.MoleculerError) throw err;
          this.logger.warn(`Session check unavailable: ${(err as Error).message}`);
          throw new ServiceUnavailableError("Token revocation list unavailable, try again shortly");
        }
        if (verdict.state === "revoked") throw new UnauthorizedError(ERR_TOKEN_REVOKED, "Access token revoked");
        // A token signed with our key, but for a session that does not exist (or not the user's).
        if (verdict.state === "unknown") throw new UnauthorizedError(ERR_INVALID_TOKEN, "Invalid access token");
        return { id: claims.userId, role: claims.role as CallerUser["role"], sessionId: claims.sessionId, timezone: verdict.timezone };
      },

      authorize(ctx, _route, req) {
        if (accessOf.get(req.$alias?.action ?? "") === "admin" && ctx.meta.user?.role !== "admin") throw new ForbiddenError("Admins only");
      },

      /** Counts a login or registration attempt per address and per account named anywhere in it. */
      async limitRate(req, action) {
        const kind = action === "auth.login" ? "login" : action === "auth.register" ? "register" : null;
        if (kind === null) return;
        const limit = config.rateLimits[kind];
        const address = rateLimitBucket(clientAddress(req, config.trustProxy));
        const buckets: Array<[string, { limit: number; windowSeconds: number }]> = [[`ratelimit:${kind}:ip:${address}`, limit]];
        for (const account of accountsNamed(req.body, req.query)) buckets.push([`ratelimit:${kind}:account:${account}`, limit]);
        for (const [key, limit] of buckets) {
          const { count, resetMs } = await runtime.store.hit(key, limit.windowSeconds);
          if (count > limit.limit) throw new RateLimitedError(Math.max(1, Math.ceil(resetMs / 1000)));
        }
      },

      /**
       * The HTTP server, made here rather than by moleculer-web so that every response carries the
       * security headers (404s and parser errors too), compressed bodies are refused before any
       * route, and slow clients are cut off: headers within HTTP_HEADERS_TIMEOUT_MS, the whole
       * request within HTTP_REQUEST_TIMEOUT_MS, idle keep-alive connections kept longer than a load
       * balancer's idle timeout (HTTP_KEEPALIVE_TIMEOUT_MS).
       */
      createServer(this: GatewayThis) {
        const limits = config.http;
        const handler = (this as unknown as { httpHandler: (req: IncomingMessage, res: ServerResponse) => void }).httpHandler;
        this.server = http.createServer(
          {
            requestTimeout: limits.requestTimeoutMs,
            headersTimeout: limits.headersTimeoutMs,
            keepAliveTimeout: limits.keepAliveTimeoutMs,
            // Timeouts are enforced when connections are checked; Node's default checks every 30 s.
            connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
          },
          (req, res) => {
            applySecurityHeaders(res);
            // The client's id, or a new one: answered, and the id of every call, event and log line this request causes.
            const requestId = requestIdFrom(req.headers["x-request-id"]);
            req.headers["x-request-id"] = requestId;
            delete req.headers["x-correlation-id"];
            res.setHeader("X-Request-Id", requestId);
            const began = performance.now();
            res.once("finish", () => this.countRequest(req as RoutedRequest, res.statusCode, performance.now() - began));
            // Shutting down (src/http.ts closeHttpServer): answer this request, then let the connection go.
            if (!this.server.listening) res.setHeader("Connection", "close");
            const refused = encodingProblem(req);
            if (refused) {
              req.resume();
              sendHttpError(this.logger, req, res, refused);
              return;
            }
            withRequestId(requestId, () => handler(req, res));
          },
        );
        this.server.on("clientError", answerClientError);
      },

      /** Per route (the alias's pattern, never the URL itself, which holds ids): count and duration. */
      countRequest(req, status, ms) {
        const route = req.$alias?.fullPath ?? "unrouted";
        const method = req.method ?? "GET";
        this.broker.metrics.increment(METRICS.httpRequests, { method, route, status });
        this.broker.metrics.observe(METRICS.httpDuration, ms, { method, route });
      },

      /** Every error goes to `onError` (sendHttpError), which logs a 5xx once, with its detail. */
      errorHandler(this: GatewayThis, req, res, err) {
        sendHttpError(this.logger, req, res, err);
      },
    },

    merged(schema: ServiceSchema) {
      const parsers = bodyParsers(config.bodyLimitBytes);
      schema.settings = {
        ...(schema.settings as Record<string, unknown>),
        port: config.port,
        ip: "0.0.0.0",
        use: [requireJsonBody],
        cors:
          config.corsOrigins.length > 0
            ? {
                origin: config.corsOrigins.includes("*") ? "*" : config.corsOrigins,
                methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
                allowedHeaders: ["Authorization", "Content-Type"],
                maxAge: 600,
              }
            : undefined,
        // Never log bodies, replies or request lines: they hold passwords and tokens, and a URL
        // may too (a client putting them in the query string is refused, but not before it is read).
        logRequest: null,
        logResponse: null,
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
            aliases: aliasesFor(routes, ["public"]),
            async onBeforeCall(
              this: GatewayThis,
              _ctx: Context,
              _route: unknown,
              req: RoutedRequest,
              _res: ServerResponse,
              alias: MatchedAlias,
            ) {
              // Counted first: a misplaced e-mail (query string, `__proto__`) is still an attempt on that account.
              await this.limitRate(req, alias.action);
              rebuildParams(req, alias);
            },
          },
          {
            name: "authenticated",
            path: "/api/v1",
            mappingPolicy: "restrict",
            autoAliases: false,
            authentication: true,
            authorization: true,
            bodyParsers: parsers,
            onBeforeCall(this: GatewayThis, _ctx: Context, _route: unknown, req: RoutedRequest, _res: ServerResponse, alias: MatchedAlias) {
              rebuildParams(req, alias);
            },
            aliases: aliasesFor(routes, ["user", "admin"]),
          },
          {
            name: "health",
            path: "/health",
            mappingPolicy: "restrict",
            autoAliases: false,
            bodyParsers: false,
            aliases: {
              "GET /live"(_req: IncomingMessage, res: ServerResponse) {
                void answerHealth(runtime.health, "live", res);
              },
              "GET /ready"(_req: IncomingMessage, res: ServerResponse) {
                void answerHealth(runtime.health, "ready", res);
              },
            },
          },
          ...(config.databaseUrl === null && config.transporter === null
            ? [
                {
                  name: "metrics",
                  path: "/metrics",
                  mappingPolicy: "restrict",
                  autoAliases: false,
                  bodyParsers: false,
                  aliases: {
                    "GET /"(this: GatewayThis, _req: IncomingMessage, res: ServerResponse) {
                      const text = metricsText(this.broker);
                      if (text === null) res.writeHead(404, { "Content-Type": "text/plain" }).end("metrics disabled\n");
                      else res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" }).end(text);
                    },
                  },
                },
              ]
            : []),
        ],
      } as ServiceSettingSchema;
    },

    created() {
      registerMetrics(this.broker, [METRICS.httpRequests, METRICS.httpDuration]);
      this.tokens = new AccessTokens(runtime.jwtSecret, config.accessTokenTtlSeconds);
      const denylist = new Denylist(runtime.store, config.accessTokenTtlSeconds + TOKEN_CLOCK_TOLERANCE_SECONDS, () =>
        this.broker.call<string[], Record<string, never>>("auth.revokedSessions", {}),
      );
      this.sessions = new SessionGuard(
        runtime.store,
        denylist,
        (sessionId, userId) =>
          this.broker.call<SessionFacts | null, { sessionId: string; userId: string }>("auth.isSessionLive", { sessionId, userId }),
        { ttlMs: SESSION_CONFIRMATION_MS, maxEntries: 20_000 },
      );
    },
  };
}
