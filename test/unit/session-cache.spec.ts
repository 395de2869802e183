/** The gateway's cache of sessions confirmed by auth (src/session-cache.ts), on a fake clock. */
import { SessionCache } from "../../src/session-cache";

function cacheWith(live: Set<string>, options: { ttlMs?: number; maxEntries?: number } = {}) {
  let now = 0;
  const calls: string[] = [];
  const cache = new SessionCache(
    async (sessionId, userId) => {
      calls.push(sessionId);
      return live.has(`${sessionId}/${userId}`);
    },
    { ttlMs: options.ttlMs ?? 1000, maxEntries: options.maxEntries ?? 100, clock: () => now },
  );
  return { cache, calls, advance: (ms: number) => (now += ms) };
}

describe("SessionCache", () => {
  it("should confirm a live session once and then answer from memory until the confirmation ages out", async () => {
    const { cache, calls, advance } = cacheWith(new Set(["s1/u1"]));
    expect(await cache.isLive("s1", "u1")).toBe(true);
    expect(await cache.isLive("s1", "u1")).toBe(true);
    expect(calls).toEqual(["s1"]);
    advance(1001);
    expect(await cache.isLive("s1", "u1")).toBe(true);
    expect(calls).toEqual(["s1", "s1"]);
  });

  it("should never remember a refusal, nor accept a known session for another user", async () => {
    const { cache, calls } = cacheWith(new Set(["s1/u1"]));
    expect(await cache.isLive("s2", "u1")).toBe(false);
    expect(await cache.isLive("s2", "u1")).toBe(false);
    expect(calls).toEqual(["s2", "s2"]);
    await cache.isLive("s1", "u1");
    expect(await cache.isLive("s1", "u2")).toBe(false);
  });

  it("should share one confirmation among concurrent first checks", async () => {
    const { cache, calls } = cacheWith(new Set(["s1/u1"]));
    expect(await Promise.all([cache.isLive("s1", "u1"), cache.isLive("s1", "u1"), cache.isLive("s1", "u1")])).toEqual([true, true, true]);
    expect(calls).toEqual(["s1"]);
  });

  it("should keep at most maxEntries, dropping the oldest", async () => {
    const live = new Set(["a/u", "b/u", "c/u"]);
    const { cache, calls } = cacheWith(live, { maxEntries: 2 });
    for (const id of ["a", "b", "c"]) await cache.isLive(id, "u");
    calls.length = 0;
    await cache.isLive("c", "u");
    await cache.isLive("b", "u");
    expect(calls).toEqual([]);
    await cache.isLive("a", "u");
    expect(calls).toEqual(["a"]);
  });
});
