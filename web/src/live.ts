/**
 * Live updates: the realtime socket of the contract (GET /api/v1/ws, first message `auth`),
 * opened while signed in and reopened after a drop (with backoff), renewed with each new access
 * token, and turned into `changed` notices that pages reload on. A socket closed with 4401 (the
 * token expired or was revoked) renews the session first; if that fails the session is over.
 * After any reconnection pages reload too, since events may have been missed meanwhile.
 */
import { refreshSession } from "./api";
import { connection } from "./connection";
import { session } from "./session";

export type LiveEvent =
  | "habit.created"
  | "habit.updated"
  | "habit.archived"
  | "habit.deleted"
  | "checkin.recorded"
  | "checkin.removed"
  | "notification.created"
  | "resync";

export interface LiveMessage {
  type: LiveEvent;
  data: Record<string, unknown>;
}

type Listener = (message: LiveMessage) => void;

const UNAUTHORIZED = 4401;
const MAX_BACKOFF_MS = 10_000;

class LiveFeed {
  private socket: WebSocket | null = null;
  private token: string | null = null;
  private retries = 0;
  private timer: number | undefined;
  private readonly listeners = new Set<Listener>();

  constructor() {
    session.subscribe((current) => {
      if (!current) this.stop();
      else if (!this.socket) this.open();
      else if (current.accessToken !== this.token && this.socket.readyState === WebSocket.OPEN) this.authenticate(this.socket);
    });
    // Back online: reload what may have changed, and reconnect now rather than at the next backoff.
    connection.subscribe((online) => {
      if (!online) return;
      this.emit({ type: "resync", data: {} });
      if (!this.socket && session.current()) {
        window.clearTimeout(this.timer);
        this.open();
      }
    });
  }

  start(): void {
    if (session.current() && !this.socket) this.open();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private open(): void {
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/ws`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => this.authenticate(socket);
    socket.onmessage = (event) => {
      let message: LiveMessage;
      try {
        message = JSON.parse(String(event.data));
      } catch {
        return;
      }
      if ((message.type as string) === "ready") {
        if (this.retries > 0) this.emit({ type: "resync", data: {} });
        this.retries = 0;
        return;
      }
      this.emit(message);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (!session.current()) return;
      if (event.code === UNAUTHORIZED) {
        void refreshSession().then(
          (renewed) => (renewed ? this.reopenLater() : session.end("Your session has ended. Please sign in again.")),
          () => this.reopenLater(),
        );
      } else this.reopenLater();
    };
  }

  private authenticate(socket: WebSocket): void {
    const current = session.current();
    if (!current) return;
    this.token = current.accessToken;
    socket.send(JSON.stringify({ type: "auth", accessToken: current.accessToken }));
  }

  private reopenLater(): void {
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.retries);
    this.retries++;
    this.timer = window.setTimeout(() => {
      if (session.current() && !this.socket) this.open();
    }, delay);
  }

  /**
   * Closes the socket on purpose: before a sign-out or a deletion, whose 4401 would otherwise be
   * taken for an expired token and renewed. `start()` opens it again (the request failed).
   */
  stop(): void {
    window.clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    this.token = null;
    this.retries = 0;
    socket?.close(1000);
  }

  private emit(message: LiveMessage): void {
    for (const listener of this.listeners) listener(message);
  }
}

export const live = new LiveFeed();
