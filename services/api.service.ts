/**
 * The gateway (moleculer-web): REST under /api/v1 (the routes of src/routes.ts), health,
 * metrics, and the API description generated from the same routes (/api/openapi.json and
 * Swagger UI at /api/docs, src/api-docs.ts). Only those aliases are reachable
 * (`mappingPolicy: "restrict"`). Params come from the body or the query string as the route
 * says (src/request-params.ts). Access tokens are verified in-process (src/tokens.ts, a
 * KeyObject, the denylist's hot copy, sessions confirmed by `auth` once per few minutes), so an
 * authenticated request almost never costs a call to `auth`.
 * Every error leaves in moleculer-web's shape, with the security headers, through `onError`.
 * The same server takes the realtime WebSockets (`GET /api/v1/ws`, src/realtime.ts): the hub is
 * made, started and stopped here, checks tokens as REST requests are checked, and is fed the
 * users' events by handlers in a group of this node's own, so every gateway node hears each one.
 * And the web app, the build of web/ in dist/web (src/web-app.ts): answered before moleculer-web
 * sees the request, for GET and HEAD of its files, / and the app's own paths, never for anything
 * under /api, /health or /metrics; the node starts without it (a warning) when it is not built.
 */
import { randomBytes } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { Errors, type Context, type ServiceSchema, type ServiceSettingSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import jwt from "jsonwebtoken";
import type { Runtime } from "../src/runtime";
import { AccessTokens, InvalidTokenError, TOKEN_CLOCK_TOLERANCE_SECONDS } from "../src/tokens";
import { Denylist } from "../src/denylist";
import { SessionGuard, type SessionFacts } from "../src/session-guard";
import {
  ERR_INVALID_TOKEN,
  ERR_NO_TOKEN,
  ERR_TOKEN_REVOKED,
  ForbiddenError,
  NotFoundError,
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
  requireBodyOf,
  sendHttpError,
} from "../src/http";
import { aliasesFor, RATE_LIMITED, takesBody, type HttpMethod, type RouteSpec } from "../src/routes";
import { accountsNamed, requestParams } from "../src/request-params";
import { answerHealth } from "../src/ops-server";
import { apiDocs } from "../src/api-docs";
import { webApp, WEB_BUILD_DIR } from "../src/web-app";
import { openApiDocument } from "../src/openapi";
import { metricsText } from "../src/metrics-text";
import { requestIdFrom, withRequestId } from "../src/request-context";
import { METRICS, registerMetrics } from "../src/node-metrics";
import type { CallMeta, CallerUser } from "../src/caller";
import { REALTIME_EVENTS, RealtimeHub, realtimeMessage, type RealtimeEvent, type SessionState, type TokenVerdict } from "../src/realtime";
import { SESSION_REVOKED, type SessionRevokedEvent } from "../src/events";

interface GatewayLocals {
  tokens: AccessTokens;
  sessions: SessionGuard;
  server: http.Server;
  realtime: RealtimeHub;
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
  verifyAccessToken(token: string): Promise<CallerUser>;
  verifySocketToken(token: string): Promise<TokenVerdict>;
  checkSocketSession(sessionId: string, userId: string): Promise<SessionState>;
  authorize(ctx: Context<unknown, CallMeta>, route: unknown, req: RoutedRequest): void;
  limitRate(req: RoutedRequest, action: string | undefined): Promise<void>;
  createServer(): void;
  countRequest(req: RoutedRequest, status: number, ms: number, route?: string): void;
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

/** A JWT's three base64url parts. */
const TOKEN_SHAPE = /^[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*\.[A-Za-z0-9\-_]*$/;

/** The `exp` of a token already verified, in ms. */
function expiresAtMs(token: string): number {
  const { exp } = jwt.decode(token) as { exp: number };
  return exp * 1000;
}

/**
 * The realtime feed, handled on every gateway node: a group of this node's own (Moleculer gives an
 * emitted event to one node per group, and the default group, the service name, is shared by all
 * gateways). `session.revoked` is broadcast, so it reaches every node whatever the group.
 */
function realtimeHandlers(): ServiceSchema["events"] {
  // Random, not the node id: the group is a label of the event metrics, which name no host.
  const group = `realtime-${randomBytes(6).toString("hex")}`;
  const feed = REALTIME_EVENTS.map((event: RealtimeEvent) => [
    event,
    {
      group,
      handler(this: GatewayThis, ctx: Context<Record<string, unknown>>) {
        const message = realtimeMessage(event, ctx.params);
        if (message) this.realtime.publish(message.userId, message.text);
      },
    },
  ]);
  const revoked = {
    group,
    handler(this: GatewayThis, ctx: Context<SessionRevokedEvent>) {
      const { userId, sessionIds } = ctx.params;
      if (typeof userId === "string" && (sessionIds === null || Array.isArray(sessionIds))) this.realtime.revoke({ userId, sessionIds });
    },
  };
  return { ...Object.fromEntries(feed), [SESSION_REVOKED]: revoked } as ServiceSchema["events"];
}

/** The route label of every request the web app answers (src/web-app.ts), in the request metrics. */
const WEB_ROUTE = "web";

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
  // The API description, made once per node from the same route table (src/openapi.ts).
  const docs = apiDocs(openApiDocument(routes));
  // The web app's build, read once (src/web-app.ts).
  const web = webApp();
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
        return this.verifyAccessToken(match[1]);
      },

      /** A token signed by us, unexpired, of a live session (401 otherwise; 503 when the store cannot tell). */
      async verifyAccessToken(token) {
        if (!TOKEN_SHAPE.test(token)) throw new UnauthorizedError(ERR_INVALID_TOKEN, "Invalid access token");
        let claims;
        try {
          claims = this.tokens.verify(token);
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

      /** An auth message's token, checked exactly as a REST request's (src/realtime.ts). */
      async verifySocketToken(token) {
        try {
          const user = await this.verifyAccessToken(token);
          return { state: "valid", userId: user.id, sessionId: user.sessionId as string, expiresAtMs: expiresAtMs(token) };
        } catch (err) {
          if (err instanceof UnauthorizedError) return { state: "refused" };
          if (!(err instanceof ServiceUnavailableError)) this.logger.warn(`Realtime token check unavailable: ${(err as Error).message}`);
          return { state: "unavailable" };
        }
      },

      /** An open socket's session, again (the hub's periodic sweep). */
      async checkSocketSession(sessionId, userId) {
        try {
          const verdict = await this.sessions.check(sessionId, userId);
          return verdict.state === "live" ? "live" : "ended";
        } catch {
          return "unavailable";
        }
      },

      authorize(ctx, _route, req) {
        if (accessOf.get(req.$alias?.action ?? "") === "admin" && ctx.meta.user?.role !== "admin") throw new ForbiddenError("Admins only");
      },

      /** Counts a login or registration attempt per address and per account named anywhere in it. */
      async limitRate(req, action) {
        const kind = RATE_LIMITED[action ?? ""];
        if (kind === undefined) return;
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
            // The web app's requests share one label (set below, before their response can finish).
            let route: string | undefined;
            res.once("finish", () => this.countRequest(req as RoutedRequest, res.statusCode, performance.now() - began, route));
            // Shutting down (src/http.ts closeHttpServer): answer this request, then let the connection go.
            if (!this.server.listening) res.setHeader("Connection", "close");
            const refused = encodingProblem(req);
            if (refused) {
              req.resume();
              sendHttpError(this.logger, req, res, refused);
              return;
            }
            if (web.serve(req, res)) {
              route = WEB_ROUTE;
              return;
            }
            withRequestId(requestId, () => handler(req, res));
          },
        );
        this.server.on("clientError", answerClientError);
      },

      /**
       * Per route (the alias's pattern, never the URL itself, which holds ids; `web` for all of the
       * web app's files and pages): count and duration.
       */
      countRequest(req, status, ms, served) {
        const route = served ?? req.$alias?.fullPath ?? "unrouted";
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
      // Imports take a whole account's data: their own route, with IMPORT_LIMIT_BYTES.
      const uploads = routes.filter((route) => route.requestBody);
      const others = routes.filter((route) => !route.requestBody);
      schema.settings = {
        ...(schema.settings as Record<string, unknown>),
        port: config.port,
        ip: "0.0.0.0",
        use: [requireBodyOf(new Map(uploads.map((route) => [`/api/v1${route.path}`, route.requestBody?.contentType ?? ""])))],
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
            aliases: aliasesFor(others, ["public"]),
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
            aliases: aliasesFor(others, ["user", "admin"]),
          },
          {
            name: "uploads",
            path: "/api/v1",
            mappingPolicy: "restrict",
            autoAliases: false,
            authentication: true,
            authorization: true,
            bodyParsers: {
              ...bodyParsers(config.importLimitBytes),
              raw: { type: "application/octet-stream", limit: config.importLimitBytes },
            },
            onBeforeCall(this: GatewayThis, _ctx: Context, _route: unknown, req: RoutedRequest, _res: ServerResponse, alias: MatchedAlias) {
              // Bytes travel to the action as base64 (`file`): calls between nodes are JSON.
              if (Buffer.isBuffer(req.body)) req.body = { file: req.body.toString("base64") };
              rebuildParams(req, alias);
            },
            aliases: aliasesFor(uploads, ["user", "admin"]),
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
          {
            // The API description and Swagger UI (src/api-docs.ts): public, outside /api/v1.
            name: "docs",
            path: "/api",
            mappingPolicy: "restrict",
            autoAliases: false,
            bodyParsers: false,
            aliases: {
              "GET /openapi.json"(req: IncomingMessage, res: ServerResponse) {
                docs.document(req, res);
              },
              "GET /docs"(req: IncomingMessage, res: ServerResponse) {
                docs.page(req, res);
              },
              "GET /docs/:file"(this: GatewayThis, req: RoutedRequest, res: ServerResponse) {
                if (!docs.file(req, res, String(req.$params.file))) sendHttpError(this.logger, req, res, new NotFoundError("File"));
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

    events: realtimeHandlers(),

    created() {
      if (!web.built) {
        this.logger.warn(`The web app is not built (no index.html in ${WEB_BUILD_DIR}): / answers 404. Run \`npm run build\` to build it.`);
      }
      registerMetrics(this.broker, [METRICS.httpRequests, METRICS.httpDuration, METRICS.realtimeSockets]);
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
      // moleculer-web's own `created` (run before this one) has made the server (`createServer` above).
      this.realtime = new RealtimeHub(
        {
          verifyToken: (token) => this.verifySocketToken(token),
          checkSession: (sessionId, userId) => this.checkSocketSession(sessionId, userId),
        },
        this.logger,
        (open) => this.broker.metrics.set(METRICS.realtimeSockets, open),
      );
      this.realtime.attach(this.server);
    },

    started() {
      this.realtime.start();
    },

    stopped() {
      this.realtime.stop();
    },
  };
}
