/**
 * Revoked sessions, checked on every authenticated request. Postgres holds the durable list
 * (sessions.revoked_at); the shared store holds the hot copy plus a "loaded" marker. When the
 * marker is missing (Redis flushed or restarted, or a fresh process) the hot copy is rebuilt
 * from the durable list before any answer is given, so no revoked token comes back to life.
 */
import type { SharedStore } from "./store";

export const DENYLIST_LOADED_KEY = "denylist:loaded";
export const denylistKey = (sessionId: string) => `denylist:session:${sessionId}`;

export class Denylist {
  private reloading: Promise<void> | null = null;

  /**
   * @param ttlSeconds how long a revocation matters: the access-token lifetime, since every
   *   token of a revoked session was issued before the revocation.
   * @param loadRevoked the durable list: sessions revoked within the last `ttlSeconds`.
   */
  constructor(
    private readonly store: SharedStore,
    private readonly ttlSeconds: number,
    private readonly loadRevoked: () => Promise<string[]>,
  ) {}

  /** Call after the durable revocation is committed. */
  async revoke(sessionIds: string[]): Promise<void> {
    await this.store.mark(sessionIds.map(denylistKey), this.ttlSeconds);
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    const [loaded, revoked] = await this.store.has([DENYLIST_LOADED_KEY, denylistKey(sessionId)]);
    return this.decide(sessionId, loaded, revoked);
  }

  /**
   * Whether a session is revoked, given whether the store held the "loaded" marker and the
   * session's key (read by the caller, with whatever else it reads in the same round trip).
   */
  async decide(sessionId: string, loaded: boolean, revoked: boolean): Promise<boolean> {
    if (revoked) return true;
    if (loaded) return false;
    await this.reload();
    const [revokedNow] = await this.store.has([denylistKey(sessionId)]);
    return revokedNow;
  }

  /** Rebuilds the hot copy; concurrent callers share one reload. */
  reload(): Promise<void> {
    if (!this.reloading) {
      this.reloading = (async () => {
        await this.revoke(await this.loadRevoked());
        await this.store.mark([DENYLIST_LOADED_KEY], 0);
      })().finally(() => {
        this.reloading = null;
      });
    }
    return this.reloading;
  }
}
