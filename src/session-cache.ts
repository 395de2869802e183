/**
 * Sessions a gateway has had confirmed by `auth`. A validly signed access token is accepted only
 * for a session that exists and belongs to the token's user (so a token naming no user, or a
 * deleted one, is 401); confirming costs a call to `auth`, so a confirmation is kept for a while.
 * Keeping it is safe: revocation is checked on every request by the denylist, and a session only
 * ever stops being valid by being revoked (deleting an account revokes its sessions).
 */
export type ConfirmSession = (sessionId: string, userId: string) => Promise<boolean>;

export interface SessionCacheOptions {
  /** How long a confirmation is kept. */
  ttlMs: number;
  /** Confirmations kept at most; the oldest go first. */
  maxEntries: number;
  clock?: () => number;
}

export class SessionCache {
  private readonly confirmed = new Map<string, { userId: string; until: number }>();
  private readonly pending = new Map<string, Promise<boolean>>();
  private readonly clock: () => number;

  constructor(
    private readonly confirm: ConfirmSession,
    private readonly options: SessionCacheOptions,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** Whether `sessionId` is a live session of `userId`; concurrent first checks share one call. */
  async isLive(sessionId: string, userId: string): Promise<boolean> {
    const entry = this.confirmed.get(sessionId);
    if (entry && entry.until > this.clock()) return entry.userId === userId;
    const key = `${sessionId} ${userId}`;
    let check = this.pending.get(key);
    if (!check) {
      check = this.confirm(sessionId, userId)
        .then((live) => {
          if (live) this.remember(sessionId, userId);
          return live;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, check);
    }
    return check;
  }

  private remember(sessionId: string, userId: string): void {
    this.confirmed.delete(sessionId);
    if (this.confirmed.size >= this.options.maxEntries) {
      const oldest = this.confirmed.keys().next();
      if (!oldest.done) this.confirmed.delete(oldest.value);
    }
    this.confirmed.set(sessionId, { userId, until: this.clock() + this.options.ttlMs });
  }
}
