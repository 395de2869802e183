/**
 * HTTP concerns of the gateway that are not Moleculer's: security headers, the JSON-only body
 * rule, uncompressed bodies only, the client address for rate limits, and turning any error
 * into moleculer-web's error shape `{name, message, code, type, data}` with the right status.
 */
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { Errors, type Logger } from "moleculer";
import ipaddr from "ipaddr.js";
import { ERR_INTERNAL, ERR_INVALID_JSON, ERR_PAYLOAD_TOO_LARGE, ERR_UNSUPPORTED_MEDIA_TYPE, ServiceUnavailableError } from "./errors";

type Next = (err?: unknown) => void;

const SECURITY_HEADERS: Record<string, string> = {
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Cache-Control": "no-store",
};

/** Set on every response before anything else runs, so errors of any kind carry them too. */
export function applySecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}

/**
 * Answers what Node's HTTP parser rejects before any handler runs (malformed requests, headers
 * too large, a request or its headers too slow), in the same JSON error shape and with the
 * same security headers as every other answer, then closes the connection.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, type] =
    err.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? [408, "REQUEST_TIMEOUT"]
      : err.code === "HPE_HEADER_OVERFLOW"
        ? [431, "HEADERS_TOO_LARGE"]
        : [400, "BAD_REQUEST"];
  const body = JSON.stringify({ name: "ClientError", message: STATUS_CODES[status], code: status, type, data: null });
  const headers = {
    ...SECURITY_HEADERS,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(body)),
    Connection: "close",
  };
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("")}\r\n${body}`,
  );
}

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

class HttpError extends Errors.MoleculerClientError {}

/**
 * Compressed request bodies are refused (415): nothing here needs them, and inflating is where
 * a malformed or oversized stream turns into work and errors.
 */
export function encodingProblem(req: IncomingMessage): Errors.MoleculerClientError | null {
  const encoding = req.headers["content-encoding"];
  if (encoding === undefined || /^\s*identity\s*$/i.test(encoding)) return null;
  return new HttpError("Compressed request bodies are not accepted (Content-Encoding)", 415, ERR_UNSUPPORTED_MEDIA_TYPE);
}

/** A request with a body must say it is JSON (415 otherwise): nothing else is parsed. */
export function requireJsonBody(req: IncomingMessage, res: ServerResponse, next: Next): void {
  requireBodyOf(new Map())(req, res, next);
}

/**
 * `requireJsonBody`, except that a request to one of `uploads` (full path → media type, e.g.
 * `/api/v1/me/import/loop` → `application/octet-stream`) must carry that media type instead.
 */
export function requireBodyOf(uploads: ReadonlyMap<string, string>) {
  return function requireBody(req: IncomingMessage, _res: ServerResponse, next: Next): void {
    const hasBody = Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;
    // moleculer-web runs these per route, with `url` relative to the route: `originalUrl` is whole.
    const whole = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? "";
    const upload = uploads.get(whole.split("?")[0]);
    const type = req.headers["content-type"] ?? "";
    if (upload && upload !== "application/json") {
      if (!type.toLowerCase().startsWith(upload)) next(new HttpError(`Request body must be ${upload}`, 415, ERR_UNSUPPORTED_MEDIA_TYPE));
      else next();
      return;
    }
    if (hasBody && !JSON_TYPE.test(type)) {
      next(new HttpError("Request body must be JSON (Content-Type: application/json)", 415, ERR_UNSUPPORTED_MEDIA_TYPE));
      return;
    }
    next();
  };
}

/**
 * The peer address; behind exactly one trusted proxy (TRUST_PROXY), the right-most
 * X-Forwarded-For entry, which that proxy wrote. Never the client-controlled left-most one.
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const peer = req.socket.remoteAddress ?? "unknown";
  if (!trustProxy) return peer;
  const forwarded = String(req.headers["x-forwarded-for"] ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  return forwarded.at(-1) ?? peer;
}

/**
 * The bucket an address is rate-limited in: an IPv4 address (also written IPv4-mapped), or an
 * IPv6 address's /64, which one subscriber usually holds whole.
 */
export function rateLimitBucket(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === "ipv4") return parsed.toString();
  const prefix = (parsed as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...prefix, 0, 0, 0, 0]).toNormalizedString()}/64`;
}

/** Errors from body-parser carry `type` and `status` rather than Moleculer's fields. */
interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

const INFRASTRUCTURE_ERRORS = [
  Errors.ServiceNotFoundError,
  Errors.ServiceNotAvailableError,
  Errors.RequestTimeoutError,
  Errors.RequestRejectedError,
  Errors.QueueIsFullError,
  Errors.BrokerDisconnectedError,
];

export function toClientError(err: unknown): Errors.MoleculerError {
  const parserError = err as BodyParserError;
  // moleculer-web may already have wrapped them in a MoleculerError keeping `type`.
  if (typeof parserError?.type === "string" && parserError.type.includes(".")) {
    if (parserError.type === "entity.too.large") return new HttpError("Request body too large", 413, ERR_PAYLOAD_TOO_LARGE);
    if (parserError.type === "entity.parse.failed") return new HttpError("Malformed JSON body", 400, ERR_INVALID_JSON);
    if (parserError.type === "encoding.unsupported" || parserError.type === "charset.unsupported") {
      return new HttpError("Unsupported body encoding", 415, ERR_UNSUPPORTED_MEDIA_TYPE);
    }
    if (parserError.status && parserError.status >= 400 && parserError.status < 500) {
      return new HttpError("Bad request", parserError.status, "BAD_REQUEST");
    }
  }
  if (INFRASTRUCTURE_ERRORS.some((type) => err instanceof type) || (err as { code?: unknown })?.code === 503) {
    return new ServiceUnavailableError("Service temporarily unavailable, try again shortly");
  }
  if (err instanceof Errors.MoleculerError && err.code >= 400 && err.code < 600 && err.code !== 500) {
    return err;
  }
  return new Errors.MoleculerError("Internal server error", 500, ERR_INTERNAL);
}

interface ValidatorEntry {
  field?: string;
  type: string;
  message: string;
  actual?: unknown;
}

/**
 * What a client may see of an error's data: validation entries name their field (unknown
 * fields included, one entry each) and never echo the rejected value back.
 */
function publicData(err: Errors.MoleculerError): unknown {
  if (err instanceof Errors.ValidationError && Array.isArray(err.data)) {
    return (err.data as ValidatorEntry[]).flatMap(({ field, type, message, actual }) =>
      type === "objectStrict"
        ? String(actual)
            .split(",")
            .map((key) => key.trim())
            .map((key) => ({ field: field ? `${field}.${key}` : key, type: "unknownField", message: `Unknown field '${key}'.` }))
        : [{ field: field ?? "", type, message }],
    );
  }
  return err.data;
}

export function sendHttpError(logger: Logger, req: IncomingMessage, res: ServerResponse, err: unknown): void {
  const clientError = toClientError(err);
  if (clientError.code === 503) {
    logger.warn(`Request not served: ${req.method} ${req.url?.split("?")[0]}: ${(err as Error)?.message}`);
  } else if (clientError.code >= 500) {
    // One string: Moleculer's Pino logger drops arguments after the message.
    logger.error(`Request failed: ${req.method} ${req.url?.split("?")[0]}: ${(err as Error)?.stack ?? String(err)}`);
  }
  if (res.headersSent) return;
  applySecurityHeaders(res);
  const retryAfter = (clientError.data as { retryAfter?: unknown } | undefined)?.retryAfter;
  if (clientError.code === 429 && typeof retryAfter === "number") res.setHeader("Retry-After", String(retryAfter));
  if (clientError.code === 503) res.setHeader("Retry-After", "1");
  const body = JSON.stringify({
    name: clientError.name,
    message: clientError.message,
    code: clientError.code,
    type: clientError.type,
    data: publicData(clientError) ?? null,
  });
  res.writeHead(clientError.code, { "Content-Type": "application/json; charset=utf-8" });
  res.end(body);
}

/**
 * Stops taking connections and waits (at most `capMs`) for the open ones to end: idle keep-alive
 * connections are closed now, busy ones after their current response, which says
 * `Connection: close` once the server no longer listens (see the gateway's request handler).
 */
export function closeHttpServer(server: Server, capMs: number): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, capMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
