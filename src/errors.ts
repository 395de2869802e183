/**
 * Client-facing errors, one class per HTTP status, with exported `type` constants that tests
 * compare against. Domain code throws these (or Moleculer's ValidationError); the gateway maps
 * infrastructure faults to 503 and anything unexpected to a generic 500.
 */
import { Errors, type Middleware } from "moleculer";
import { RuleViolation } from "../lib/rule-violation";

export const ERR_NO_TOKEN = "NO_TOKEN";
export const ERR_INVALID_TOKEN = "INVALID_TOKEN";
export const ERR_TOKEN_REVOKED = "TOKEN_REVOKED";
export const ERR_INVALID_CREDENTIALS = "INVALID_CREDENTIALS";
export const ERR_INVALID_REFRESH_TOKEN = "INVALID_REFRESH_TOKEN";
export const ERR_REFRESH_TOKEN_REUSED = "REFRESH_TOKEN_REUSED";
export const ERR_EMAIL_TAKEN = "EMAIL_TAKEN";
export const ERR_NOT_FOUND = "NOT_FOUND";
export const ERR_FORBIDDEN = "FORBIDDEN";
export const ERR_RATE_LIMITED = "RATE_LIMITED";
export const ERR_VALIDATION = "VALIDATION_ERROR";
export const ERR_INVALID_JSON = "INVALID_JSON";
export const ERR_PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE";
export const ERR_UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE";
export const ERR_SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE";
export const ERR_INTERNAL = "INTERNAL_ERROR";

export class UnauthorizedError extends Errors.MoleculerClientError {
  constructor(type: string, message = "Unauthorized") {
    super(message, 401, type);
    this.name = "UnauthorizedError";
  }
}

export class ForbiddenError extends Errors.MoleculerClientError {
  constructor(message = "Forbidden") {
    super(message, 403, ERR_FORBIDDEN);
    this.name = "ForbiddenError";
  }
}

export class NotFoundError extends Errors.MoleculerClientError {
  constructor(what: string) {
    super(`${what} not found`, 404, ERR_NOT_FOUND);
    this.name = "NotFoundError";
  }
}

export class ConflictError extends Errors.MoleculerClientError {
  constructor(message: string, type: string) {
    super(message, 409, type);
    this.name = "ConflictError";
  }
}

export class RateLimitedError extends Errors.MoleculerClientError {
  constructor(retryAfterSeconds: number) {
    super("Too many requests, try again later", 429, ERR_RATE_LIMITED, { retryAfter: retryAfterSeconds });
    this.name = "RateLimitedError";
  }
}

export class ServiceUnavailableError extends Errors.MoleculerError {
  constructor(message = "Service unavailable", data?: unknown) {
    super(message, 503, ERR_SERVICE_UNAVAILABLE, data);
    this.name = "ServiceUnavailableError";
  }
}

export interface FieldError {
  field: string;
  type: string;
  message: string;
}

/** 422 listing the offending fields, in the same shape as the params validator's errors. */
export function validationError(fields: FieldError[]): Errors.ValidationError {
  return new Errors.ValidationError("Parameters validation error!", ERR_VALIDATION, fields);
}

/** Sequelize's errors for a database it cannot reach (its pool, the connect, the host). */
const SEQUELIZE_CONNECTION_ERRORS = /^Sequelize(Connection\w*|HostNotFound|HostNotReachable)Error$/;

/**
 * Postgres down, restarting or cut off: the server's "connection exception" class (08), its
 * shutdown and start-up refusals (57P01-57P03), and a socket that would not open or was closed.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (
    let cause = err as { name?: string; code?: unknown; message?: string; parent?: unknown } | undefined, depth = 0;
    cause && depth < 3;
    depth++
  ) {
    if (SEQUELIZE_CONNECTION_ERRORS.test(cause.name ?? "")) return true;
    const code = typeof cause.code === "string" ? cause.code : "";
    if (/^08|^57P0[123]$|^ECONNREFUSED$|^ECONNRESET$/.test(code)) return true;
    // pg's own words for a client whose socket broke or was closed (a commit then has no answer: 503, and the client retries).
    if (
      /^Connection terminated|^Client has encountered a connection error|^Client was closed and is not queryable/.test(cause.message ?? "")
    ) {
      return true;
    }
    cause = cause.parent as typeof cause;
  }
  return false;
}

/**
 * What a local action throws, as the client should see it: a broken domain rule (lib/) is 422
 * naming the field, an unreachable database 503 (the node recovers by itself when it returns);
 * anything else unchanged.
 */
export function asClientError(err: unknown): unknown {
  if (err instanceof RuleViolation) return validationError([{ field: err.field, type: err.rule, message: err.message }]);
  if (isDatabaseUnavailable(err)) return new ServiceUnavailableError("Database unavailable, try again shortly");
  return err;
}

/** Maps what lib/ throws to client errors, for every action, in one place. */
export const DomainErrorsMiddleware: Middleware = {
  name: "DomainErrors",
  localAction(handler: (ctx: unknown) => Promise<unknown>) {
    return async function mapDomainErrors(ctx: unknown) {
      try {
        return await handler(ctx);
      } catch (err) {
        throw asClientError(err);
      }
    };
  },
} as Middleware;

const CLIENT_ERRORS = new Set([
  "UnauthorizedError",
  "ForbiddenError",
  "NotFoundError",
  "ConflictError",
  "RateLimitedError",
  "UserRequiredError",
]);

/**
 * Errors cross the transporter as plain objects; Moleculer rebuilds only its own classes and
 * turns the rest into bare `Error`s. This rebuilds ours as client errors (keeping name, code,
 * type and data) so a remote 401 stays a 401 at the gateway.
 */
export class ErrorRegenerator extends Errors.Regenerator {
  override restoreCustomError(plain: Errors.PlainMoleculerError, payload: Record<string, unknown>): Error {
    if (!CLIENT_ERRORS.has(plain.name)) return super.restoreCustomError(plain, payload);
    const err = new Errors.MoleculerClientError(plain.message, plain.code, plain.type, plain.data);
    err.name = plain.name;
    return err;
  }
}
