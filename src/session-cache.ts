/**
 * Sessions a gateway has had confirmed by `auth`. A validly signed access token is accepted only
 * for a session that exists and belongs to the token's user (so a token naming no user, or a
 * deleted one, is 401); confirming costs a call to `auth`, so a confirmation is kept for a while.
 * Keeping it is safe: revocation is checked on every request by the denylist, and a session only
 * ever stops being valid by being revoked (deleting an account revokes its sessions).
 */
export type ConfirmSession<T> = (sessionId: string, userId: string) => Promise<T | null>;

export interface SessionCacheOptions {
  /** How long a confirmation is kept. */
  ttlMs: number;
  /** Confirmations kept at most; the oldest go first. */
  maxEntries: number;
  clock?: () => number;
}

export class SessionCache<T> {
  private readonly confirmed = new Map<string, { userId: string; facts: T; until: number }>();
  private readonly pending = new Map<string, Promise<T | null>>();
  private readonly clock: () => number;

  constructor(
    private readonly ask: ConfirmSession<T>,
    private readonly options: SessionCacheOptions,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** What was confirmed of `sessionId` for `userId`, while the confirmation lasts. */
  cached(sessionId: string, userId: string): T | undefined {
    const entry = this.confirmed.get(sessionId);
    return entry && entry.until > this.clock() && entry.userId === userId ? entry.facts : undefined;
  }

  /** Asks `auth` (concurrent askers of one session share the call); null: no such live session. */
  confirm(sessionId: string, userId: string): Promise<T | null> {
    const key = `${sessionId} ${userId}`;
    let check = this.pending.get(key);
    if (!check) {
      check = this.ask(sessionId, userId)
        .then((facts) => {
          if (facts !== null) this.remember(sessionId, userId, facts);
          return facts;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, check);
    }
    return check;
  }

  private remember(sessionId: string, userId: string, facts: T): void {
    this.confirmed.delete(sessionId);
    if (this.confirmed.size >= this.options.maxEntries) {
      const oldest = this.confirmed.keys().next();
      if (!oldest.done) this.confirmed.delete(oldest.value);
    }
    this.confirmed.set(sessionId, { userId, facts, until: this.clock() + this.options.ttlMs });
  }
}
