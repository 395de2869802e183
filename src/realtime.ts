/**
 * The realtime hub (docs/architecture.md, "Realtime"): WebSockets on the gateway's own HTTP
 * server at `GET /api/v1/ws`. A socket's first message, within `authTimeoutMs` (5 s), is
 * `{"type":"auth","accessToken":"…"}`, answered `{"type":"ready"}`; a later one with a fresh
 * token of the same user renews the session. The hub keeps a registry of open sockets per user
 * and sends each of them `{type, data}` for the user's events (the gateway feeds it, see
 * `realtimeMessage`); nothing of one user is ever sent to another's socket. A socket is closed
 * 4401 when its token expires or its session is revoked (told by `session.revoked`, and
 * re-checked every `sweepIntervalMs` in case an event was lost), 4400 for a message that is not
 * an auth message, 1013 when it reads too slowly to keep its send buffer under the cap, 4429
 * beyond the per-user socket cap, and 1001 when the gateway shuts down. Token and session checks
 * are the gateway's own (handed in as `RealtimeAuth`), so the hub knows nothing of JWTs or stores.
 */
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import { ConcurrencyLimit } from "./concurrency-limit";
import { NOTIFICATION_CREATED, type DomainEvent, type SessionRevokedEvent } from "./events";

export const REALTIME_PATH = "/api/v1/ws";

/** Close codes: RFC 6455's where one fits, 44xx (the HTTP status plus 4000) for ours. */
export const CLOSE_CODES = {
  /** The gateway is shutting down: reconnect (to another node). */
  goingAway: 1001,
  /** The socket's send buffer is over the cap, or a token could not be checked now. */
  tryAgainLater: 1013,
  /** A message that is not `{"type":"auth","accessToken":"…"}`, or one sent before the last was answered. */
  badMessage: 4400,
  /** No auth message in time, a bad, expired or revoked token, or another user's token. */
  unauthorized: 4401,
  /** The user already has `maxSocketsPerUser` open sockets. */
  tooManySockets: 4429,
} as const;

export interface RealtimeLimits {
  /** How long a new socket may take to send its auth message. */
  authTimeoutMs: number;
  /** Largest message a client may send (auth messages are a few hundred bytes). */
  maxPayloadBytes: number;
  maxSocketsPerUser: number;
  /** Open sockets on this gateway, authenticated or not; beyond it upgrades are 503. */
  maxSockets: number;
  /** Bytes a socket may have waiting to be sent before the next message closes it (1013) instead. */
  sendBufferCapBytes: number;
  /** How often every socket's session is checked again and every socket pinged. */
  sweepIntervalMs: number;
  /** Session checks a sweep runs at once. */
  sweepConcurrency: number;
  /** How long a closing socket may take to answer the close frame before it is cut. */
  closeTimeoutMs: number;
}

export const REALTIME_LIMITS: RealtimeLimits = {
  authTimeoutMs: 5_000,
  maxPayloadBytes: 4 * 1024,
  maxSocketsPerUser: 20,
  maxSockets: 10_000,
  sendBufferCapBytes: 1024 * 1024,
  sweepIntervalMs: 30_000,
  sweepConcurrency: 16,
  closeTimeoutMs: 5_000,
};

/** What the gateway's token check says of an auth message's token. */
export type TokenVerdict =
  | { state: "valid"; userId: string; sessionId: string; expiresAtMs: number }
  | { state: "refused" }
  /** The store or `auth` could not answer: neither accepted nor refused. */
  | { state: "unavailable" };

export type SessionState = "live" | "ended" | "unavailable";

/** The gateway's own verification (services/api.service.ts), as REST requests get it. */
export interface RealtimeAuth {
  verifyToken(token: string): Promise<TokenVerdict>;
  checkSession(sessionId: string, userId: string): Promise<SessionState>;
}

/** The events pushed to the sockets of the user they belong to (payloads: src/events.ts). */
export const REALTIME_EVENTS = [
  "habit.created",
  "habit.updated",
  "habit.archived",
  "habit.deleted",
  "checkin.recorded",
  "checkin.removed",
  NOTIFICATION_CREATED,
] as const satisfies ReadonlyArray<DomainEvent | typeof NOTIFICATION_CREATED>;
export type RealtimeEvent = (typeof REALTIME_EVENTS)[number];

/** Fields of a published event that describe its delivery rather than the change. */
const ENVELOPE_FIELDS = new Set(["eventId", "userId", "occurredAt", "requestId"]);

/**
 * The user an event belongs to and the text pushed to that user's sockets,
 * `{"type": event, "data": payload without its envelope}`; null for an event naming no user.
 */
export function realtimeMessage(event: RealtimeEvent, payload: Record<string, unknown>): { userId: string; text: string } | null {
  const { userId } = payload;
  if (typeof userId !== "string" || userId === "") return null;
  const data = Object.fromEntries(Object.entries(payload).filter(([key]) => !ENVELOPE_FIELDS.has(key)));
  return { userId, text: JSON.stringify({ type: event, data }) };
}

/** The token of `{"type":"auth","accessToken":"…"}` and nothing else; null for any other message. */
function authTokenOf(data: RawData, isBinary: boolean): string | null {
  if (isBinary) return null;
  let message: unknown;
  try {
    message = JSON.parse(data.toString());
  } catch {
    return null;
  }
  if (message === null || typeof message !== "object" || Array.isArray(message)) return null;
  const { type, accessToken } = message as Record<string, unknown>;
  return type === "auth" && typeof accessToken === "string" && accessToken !== "" ? accessToken : null;
}

/** Answers an upgrade the hub does not take, then drops the connection. */
function refuseUpgrade(socket: Duplex, status: 404 | 503, message: string): void {
  const type = status === 404 ? "NOT_FOUND" : "SERVICE_UNAVAILABLE";
  const body = JSON.stringify({ name: "WebSocketError", message, code: status, type, data: null });
  const reason = status === 404 ? "Not Found" : "Service Unavailable";
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
  socket.destroy();
}

/** setTimeout's longest delay; a later deadline is re-armed when this one passes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Connection {
  socket: WebSocket;
  /** Set once a token was accepted. */
  session: { userId: string; sessionId: string; expiresAtMs: number } | null;
  /** While an auth message is checked: the revocations heard meanwhile, applied to its verdict. */
  verifying: SessionRevokedEvent[] | null;
  timer: NodeJS.Timeout | null;
  /** Answered the last ping (or is new). */
  alive: boolean;
}

export interface HubLogger {
  warn(message: string): void;
}

export class RealtimeHub {
  private readonly server: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private readonly byUser = new Map<string, Set<Connection>>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping = false;
  private closing = false;
  /** Sockets the last `closeAll` closed, cut by the next one if they are still open. */
  private shutDown: WebSocket[] = [];

  constructor(
    private readonly auth: RealtimeAuth,
    private readonly logger: HubLogger,
    /** Called with the number of open sockets whenever it changes (the gateway's gauge). */
    private readonly onCount: (open: number) => void = () => undefined,
    private readonly limits: RealtimeLimits = REALTIME_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    this.server = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: limits.maxPayloadBytes,
      perMessageDeflate: false,
      // ws ≥ 8.19 (its types do not list it yet): a peer that never answers the close frame is cut sooner than 30 s.
      ...({ closeTimeout: limits.closeTimeoutMs } as object),
    });
  }

  /** Open sockets, authenticated or not. */
  get size(): number {
    return this.connections.size;
  }

  /** The open, authenticated sockets of a user. */
  socketsOf(userId: string): WebSocket[] {
    return [...(this.byUser.get(userId) ?? [])].map((connection) => connection.socket);
  }

  /**
   * Takes upgrades to REALTIME_PATH on `server` (404 for any other path). Its sockets are closed
   * (1001) as soon as the server is asked to close: Node's `close` waits for upgraded sockets too,
   * and closing them only when the gateway stops would hold the node's shutdown up until its cap.
   */
  attach(server: Server): void {
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    const close = server.close.bind(server);
    server.close = ((callback?: (err?: Error) => void) => {
      this.closeAll();
      return close(callback);
    }) as Server["close"];
  }

  start(): void {
    this.closing = false;
    this.sweepTimer = setInterval(() => void this.sweep(), this.limits.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  /** Closes every socket (1001); those that have not finished closing by the next call are cut. */
  stop(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    this.closeAll();
  }

  /** Sends `text` to every open socket of the user; how many it went to. */
  publish(userId: string, text: string): number {
    let sent = 0;
    for (const connection of [...(this.byUser.get(userId) ?? [])]) if (this.send(connection, text)) sent++;
    return sent;
  }

  /** Closes (4401) the user's sockets of these sessions (null: of every session). */
  revoke({ userId, sessionIds }: SessionRevokedEvent): number {
    for (const connection of this.connections) connection.verifying?.push({ userId, sessionIds });
    const ended = [...(this.byUser.get(userId) ?? [])].filter(
      (connection) => sessionIds === null || sessionIds.includes(connection.session?.sessionId ?? ""),
    );
    for (const connection of ended) this.end(connection, CLOSE_CODES.unauthorized, "session revoked");
    return ended.length;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? "").split("?")[0];
    if (path !== REALTIME_PATH) return refuseUpgrade(socket, 404, "Not found");
    if (this.closing || this.connections.size >= this.limits.maxSockets) {
      return refuseUpgrade(socket, 503, "No more realtime connections on this node, try again shortly");
    }
    // ws answers 400 itself for a handshake that is not a valid RFC 6455 one.
    this.server.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  private accept(socket: WebSocket): void {
    const connection: Connection = { socket, session: null, verifying: null, timer: null, alive: true };
    this.connections.add(connection);
    this.onCount(this.connections.size);
    this.arm(connection, this.limits.authTimeoutMs, () => this.end(connection, CLOSE_CODES.unauthorized, "no auth message in time"));
    socket.on("message", (data, isBinary) => void this.receive(connection, data, isBinary));
    socket.on("pong", () => (connection.alive = true));
    // A protocol error (e.g. a message over maxPayload): ws closes the socket itself.
    socket.on("error", () => this.forget(connection));
    socket.on("close", () => this.forget(connection));
  }

  private async receive(connection: Connection, data: RawData, isBinary: boolean): Promise<void> {
    // One auth at a time: a client waits for `ready` before renewing again.
    if (connection.verifying) return this.end(connection, CLOSE_CODES.badMessage, "wait for the answer to the last auth message");
    const token = authTokenOf(data, isBinary);
    if (token === null) return this.end(connection, CLOSE_CODES.badMessage, 'expected {"type":"auth","accessToken":"…"}');
    if (!connection.session) this.disarm(connection);
    connection.verifying = [];
    let verdict: TokenVerdict;
    try {
      verdict = await this.auth.verifyToken(token);
    } catch (err) {
      this.logger.warn(`Realtime token check failed: ${(err as Error).message}`);
      verdict = { state: "unavailable" };
    }
    const revokedMeanwhile = connection.verifying;
    connection.verifying = null;
    if (!this.connections.has(connection)) return;
    this.settle(connection, verdict, revokedMeanwhile);
  }

  /** Acts on an auth message's verdict: the socket is (again) the user's until the token expires, or it is closed. */
  private settle(connection: Connection, verdict: TokenVerdict, revokedMeanwhile: SessionRevokedEvent[]): void {
    if (verdict.state === "unavailable") return this.end(connection, CLOSE_CODES.tryAgainLater, "cannot check the token now");
    if (verdict.state === "refused") return this.end(connection, CLOSE_CODES.unauthorized, "invalid, expired or revoked token");
    const { userId, sessionId, expiresAtMs } = verdict;
    const revoked = revokedMeanwhile.some((event) => event.userId === userId && (event.sessionIds?.includes(sessionId) ?? true));
    if (revoked) return this.end(connection, CLOSE_CODES.unauthorized, "session revoked");
    if (connection.session && connection.session.userId !== userId)
      return this.end(connection, CLOSE_CODES.unauthorized, "another user's token");
    if (expiresAtMs <= this.now()) return this.end(connection, CLOSE_CODES.unauthorized, "token expired");
    const sockets = this.byUser.get(userId) ?? new Set<Connection>();
    if (!connection.session && sockets.size >= this.limits.maxSocketsPerUser) {
      return this.end(connection, CLOSE_CODES.tooManySockets, "too many realtime connections for this user");
    }
    connection.session = { userId, sessionId, expiresAtMs };
    sockets.add(connection);
    this.byUser.set(userId, sockets);
    this.armExpiry(connection);
    this.send(connection, JSON.stringify({ type: "ready" }));
  }

  private armExpiry(connection: Connection): void {
    const expiresAtMs = connection.session?.expiresAtMs ?? 0;
    this.arm(connection, expiresAtMs - this.now(), () => {
      if (this.now() < expiresAtMs) this.armExpiry(connection);
      else this.end(connection, CLOSE_CODES.unauthorized, "token expired");
    });
  }

  /**
   * Sends unless the socket's buffer is already over the cap: then the socket is closed (1013)
   * instead, so a client that stops reading holds at most the cap plus one message.
   */
  private send(connection: Connection, text: string): boolean {
    const { socket } = connection;
    if (socket.readyState !== WebSocket.OPEN) return false;
    if (socket.bufferedAmount > this.limits.sendBufferCapBytes) {
      this.end(connection, CLOSE_CODES.tryAgainLater, "reading too slowly: send buffer full");
      return false;
    }
    socket.send(text);
    return true;
  }

  /** Closes the socket with `code` and takes it out of the registry at once. */
  private end(connection: Connection, code: number, reason: string): void {
    this.forget(connection);
    const { socket } = connection;
    if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) socket.close(code, reason);
  }

  private forget(connection: Connection): void {
    this.disarm(connection);
    if (!this.connections.delete(connection)) return;
    const userId = connection.session?.userId;
    const sockets = userId === undefined ? undefined : this.byUser.get(userId);
    sockets?.delete(connection);
    if (userId !== undefined && sockets?.size === 0) this.byUser.delete(userId);
    this.onCount(this.connections.size);
  }

  private arm(connection: Connection, delayMs: number, then: () => void): void {
    this.disarm(connection);
    connection.timer = setTimeout(then, Math.max(0, Math.min(delayMs, MAX_TIMER_MS)));
    connection.timer.unref();
  }

  private disarm(connection: Connection): void {
    if (connection.timer) clearTimeout(connection.timer);
    connection.timer = null;
  }

  /** Closes every socket (1001); sockets still closing from a previous call are cut. */
  private closeAll(): void {
    this.closing = true;
    for (const socket of this.shutDown) if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
    this.shutDown = [...this.connections].map((connection) => connection.socket);
    for (const connection of [...this.connections]) this.end(connection, CLOSE_CODES.goingAway, "server shutting down");
  }

  /**
   * The periodic safety net: cuts sockets that did not answer the last ping, pings the others,
   * and checks every open session again (so a lost `session.revoked` cannot keep a socket open).
   * A session the store cannot answer for now stays open until the next sweep.
   */
  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const sessions = new Map<string, { userId: string; sessionId: string }>();
      for (const connection of [...this.connections]) {
        if (!connection.alive) {
          this.forget(connection);
          connection.socket.terminate();
          continue;
        }
        connection.alive = false;
        connection.socket.ping();
        if (connection.session) sessions.set(connection.session.sessionId, connection.session);
      }
      const limit = new ConcurrencyLimit(this.limits.sweepConcurrency);
      await Promise.all(
        [...sessions.values()].map(({ userId, sessionId }) =>
          limit.run(async () => {
            const state = await this.auth.checkSession(sessionId, userId).catch(() => "unavailable" as const);
            if (state === "ended") this.revoke({ userId, sessionIds: [sessionId] });
          }),
        ),
      );
    } finally {
      this.sweeping = false;
    }
  }
}
