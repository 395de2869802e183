/**
 * Whether the server answers. A request that cannot reach it marks the connection lost; from
 * then on /health/live is polled until it answers, and every page reloads its data when it
 * does (`reconnected` listeners), so the app recovers by itself.
 */
type Listener = (online: boolean) => void;

const POLL_MS = 2000;

class Connection {
  private online = true;
  private timer: number | undefined;
  private readonly listeners = new Set<Listener>();

  isOnline(): boolean {
    return this.online;
  }

  lost(): void {
    if (!this.online) return;
    this.online = false;
    this.notify();
    this.poll();
  }

  reached(): void {
    if (this.online) return;
    this.online = true;
    window.clearTimeout(this.timer);
    this.notify();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private poll(): void {
    this.timer = window.setTimeout(async () => {
      try {
        const reply = await fetch("/health/ready", { cache: "no-store" });
        if (reply.ok) this.reached();
        else this.poll();
      } catch {
        this.poll();
      }
    }, POLL_MS);
  }

  private notify(): void {
    for (const listener of this.listeners) listener(this.online);
  }
}

export const connection = new Connection();
