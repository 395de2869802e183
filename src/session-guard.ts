/**
 * The gateway's check of a verified access token's session, in one store round trip: is the
 * session revoked (the denylist's hot copy), is it a live session of the token's user (confirmed
 * by `auth` now and then, src/session-cache.ts), and the user's current time zone (its hot copy,
 * src/user-timezones.ts), which the request then carries to the services in `ctx.meta.user`.
 */
import { DENYLIST_LOADED_KEY, denylistKey, type Denylist } from "./denylist";
import { SessionCache, type SessionCacheOptions } from "./session-cache";
import { timezoneKey } from "./user-timezones";
import type { SharedStore } from "./store";

/** What `auth` answers for a live session (`auth.isSessionLive`). */
export interface SessionFacts {
  timezone: string;
}

export type SessionVerdict = { state: "live"; timezone: string } | { state: "revoked" } | { state: "unknown" };

export class SessionGuard {
  private readonly sessions: SessionCache<SessionFacts>;

  constructor(
    private readonly store: SharedStore,
    private readonly denylist: Denylist,
    confirm: (sessionId: string, userId: string) => Promise<SessionFacts | null>,
    options: SessionCacheOptions,
  ) {
    this.sessions = new SessionCache(confirm, options);
  }

  async check(sessionId: string, userId: string): Promise<SessionVerdict> {
    const [loaded, revoked, timezone] = await this.store.get([DENYLIST_LOADED_KEY, denylistKey(sessionId), timezoneKey(userId)]);
    if (await this.denylist.decide(sessionId, loaded !== null, revoked !== null)) return { state: "revoked" };
    if (timezone !== null && this.sessions.cached(sessionId, userId)) return { state: "live", timezone };
    // Not confirmed lately, or the zone's hot copy is gone: `auth` answers both (and rewrites the copy).
    const facts = await this.sessions.confirm(sessionId, userId);
    return facts ? { state: "live", timezone: facts.timezone } : { state: "unknown" };
  }
}
