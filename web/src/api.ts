/**
 * The app's only way to the server: the public API under /api/v1, with the session's tokens.
 * An expired access token is renewed once with the refresh token (rotation: the new pair
 * replaces the old everywhere), under a Web Lock so two tabs never spend the same refresh token
 * (spending it twice would end the session). Every failure becomes an ApiError whose message is
 * fit to show: the server's words for a 4xx, plain words for a server that cannot be reached.
 */
import { connection } from "./connection";
import { session } from "./session";
import type { Session } from "./types";

export interface FieldProblem {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly type: string,
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The server could not be reached, or could not serve (it retries by itself). */
  get unavailable(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

/** Anything an action or a load threw, as an ApiError to show (a plain Error's own words). */
export function asApiError(caught: unknown): ApiError {
  if (caught instanceof ApiError) return caught;
  return new ApiError(caught instanceof Error ? caught.message : String(caught), -1, "CLIENT");
}

export const UNREACHABLE = "Cannot reach the server. Check your connection; the app keeps trying.";

const BASE = "/api/v1";

interface Options {
  body?: unknown;
  /** Bytes sent as application/octet-stream (a Loop backup). */
  bytes?: ArrayBuffer;
  /** No token: sign in, register, password reset. */
  anonymous?: boolean;
}

/** The API's answer as JSON (null for 204). */
export async function api<T>(method: string, path: string, options: Options = {}): Promise<T> {
  const reply = await send(method, path, options);
  if (reply.status === 204) return null as T;
  const text = await reply.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** The raw response of a successful request (a download). */
export async function download(path: string): Promise<Response> {
  return send("GET", path, {});
}

async function send(method: string, path: string, options: Options): Promise<Response> {
  let reply = await attempt(method, path, options);
  if (reply.status === 401 && !options.anonymous && session.current()) {
    if (await refreshSession()) reply = await attempt(method, path, options);
    else session.end("Your session has ended. Please sign in again.");
  }
  if (!reply.ok) throw await errorOf(reply);
  return reply;
}

async function attempt(method: string, path: string, options: Options): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const token = session.current()?.accessToken;
  if (token && !options.anonymous) headers.Authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (options.bytes) {
    headers["Content-Type"] = "application/octet-stream";
    body = options.bytes;
  } else if (options.body !== undefined || (method !== "GET" && method !== "DELETE")) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body ?? {});
  }
  try {
    const reply = await fetch(BASE + path, { method, headers, body });
    if (reply.status !== 503) connection.reached();
    else connection.lost();
    return reply;
  } catch {
    connection.lost();
    throw new ApiError(UNREACHABLE, 0, "NETWORK");
  }
}

async function errorOf(reply: Response): Promise<ApiError> {
  let body: { message?: string; type?: string; data?: unknown } = {};
  try {
    body = await reply.json();
  } catch {
    // Not the API's JSON (a proxy's page): the status says enough.
  }
  const fields = Array.isArray(body.data)
    ? (body.data as { field?: unknown; message?: unknown }[])
        .filter((item) => typeof item.field === "string")
        .map((item) => ({ field: String(item.field), message: String(item.message ?? "is not valid") }))
    : [];
  return new ApiError(messageFor(reply, body.message, fields), reply.status, body.type ?? "HTTP_ERROR", fields);
}

function messageFor(reply: Response, message: string | undefined, fields: FieldProblem[]): string {
  if (fields.length > 0) return fields.map((field) => field.message).join(" ");
  if (reply.status === 429) {
    const seconds = Number(reply.headers.get("Retry-After"));
    return `Too many attempts. Try again ${seconds > 0 ? `in ${seconds} seconds` : "in a minute"}.`;
  }
  if (reply.status === 503) return "The server is not ready right now. The app keeps trying.";
  if (reply.status >= 500) return "Something went wrong on the server. Please try again.";
  return message && message !== "Parameters validation error!" ? message : `The request failed (${reply.status}).`;
}

let refreshing: Promise<boolean> | null = null;

/** Renews the access token with the refresh token; false when the session is over. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= withLock(renew).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function renew(): Promise<boolean> {
  const spent = session.current();
  // Another tab may have renewed while this one waited for the lock: its pair is in storage.
  const stored = session.stored();
  if (!stored) return false;
  if (spent && stored.refreshToken !== spent.refreshToken) {
    session.adopt(stored);
    return true;
  }
  try {
    const next = await api<Session>("POST", "/auth/refresh", { body: { refreshToken: stored.refreshToken }, anonymous: true });
    session.start(next);
    return true;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 422)) return false;
    throw error;
  }
}

async function withLock<T>(work: () => Promise<T>): Promise<T> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  return locks ? locks.request("habit-tracker-refresh", work) : work();
}
