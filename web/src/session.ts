/**
 * The signed-in session: its tokens and user, kept in localStorage so a reload stays signed in,
 * shared with other tabs (a `storage` event brings their renewals and sign-outs here).
 */
import type { Session, User } from "./types";

const KEY = "habit-tracker.session";

type Listener = (current: Session | null, reason?: string) => void;

function read(): Session | null {
  try {
    const parsed = JSON.parse(localStorage.getItem(KEY) ?? "null");
    return parsed && typeof parsed.refreshToken === "string" && parsed.user ? (parsed as Session) : null;
  } catch {
    return null;
  }
}

class SessionStore {
  private value: Session | null = read();
  private readonly listeners = new Set<Listener>();

  constructor() {
    window.addEventListener("storage", (event) => {
      if (event.key !== KEY) return;
      const next = read();
      if (next?.refreshToken === this.value?.refreshToken) return;
      this.value = next;
      this.notify(next ? undefined : "You signed out in another tab.");
    });
  }

  current(): Session | null {
    return this.value;
  }

  stored(): Session | null {
    return read();
  }

  /** A new session (sign-in, registration) or a renewed one. */
  start(next: Session): void {
    this.value = next;
    localStorage.setItem(KEY, JSON.stringify(next));
    this.notify();
  }

  /** Takes the pair another tab stored. */
  adopt(next: Session): void {
    this.value = next;
    this.notify();
  }

  updateUser(user: User): void {
    if (!this.value) return;
    this.start({ ...this.value, user });
  }

  /** Signed out, here and in every tab; `reason` is shown on the sign-in page. */
  end(reason?: string): void {
    this.value = null;
    localStorage.removeItem(KEY);
    this.notify(reason);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(reason?: string): void {
    for (const listener of this.listeners) listener(this.value, reason);
  }
}

export const session = new SessionStore();
