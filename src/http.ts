/**
 * HTTP concerns of the gateway that are not Moleculer's: security headers, the JSON-only body
 * rule, the client address for rate limits, and turning any error into moleculer-web's error
 * shape `{name, message, code, type, data}` with the right status.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Errors, type Logger } from "moleculer";
import {
  ERR_INTERNAL,
  ERR_INVALID_JSON,
  ERR_PAYLOAD_TOO_LARGE,
  ERR_UNSUPPORTED_MEDIA_TYPE,
  ServiceUnavailableError,
} from "./errors";

type Next = (err?: unknown) => void;

export function securityHeaders(_req: IncomingMessage, res: ServerResponse, next: Next): void {
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("X-Frame-Options", "DENY");
  res.setHeader("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("Cross-Origin-Resource-Policy", "same-origin");
  res.setHeader("Cache-Control", "no-store");
  next();
}

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

class HttpError extends Errors.MoleculerClientError {}

/** A request with a body must say it is JSON (415 otherwise): nothing else is parsed. */
export function requireJsonBody(req: IncomingMessage, _res: ServerResponse, next: Next): void {
  const hasBody = Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;
  if (hasBody && !JSON_TYPE.test(req.headers["content-type"] ?? "")) {
    next(new HttpError("Request body must be JSON (Content-Type: application/json)", 415, ERR_UNSUPPORTED_MEDIA_TYPE));
    return;
  }
  next();
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
