/**
 * The hot copy of each user's time zone in the shared store, so that a gateway can carry it in
 * `ctx.meta.user` with no call to `auth` and no read of its table: `auth` writes it whenever it
 * learns or changes a zone (register, login, refresh, profile update, a session confirmation),
 * before it answers, so a request after a profile change sees the new zone on every gateway.
 * A missing entry (flushed, expired) makes the gateway ask `auth`, which writes it again.
 */
import type { SharedStore } from "./store";

export const timezoneKey = (userId: string) => `user:timezone:${userId}`;

/** Kept a week after it was last written: every login and confirmation writes it again. */
export const TIMEZONE_TTL_SECONDS = 7 * 24 * 3600;

export function publishTimezone(store: SharedStore, userId: string, timezone: string): Promise<void> {
  return store.set(timezoneKey(userId), timezone, TIMEZONE_TTL_SECONDS);
}
