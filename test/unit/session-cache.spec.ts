/** The gateway's cache of sessions confirmed by auth (src/session-cache.ts), on a fake clock. */
import { SessionCache } from "../../src/session-cache";

function cacheWith(live: Map<string, string>, options: { ttlMs?: number; maxEntries?: number } = {}) {
  let now = 0;
  const calls: string[] = [];
  const cache = new SessionCache<{ zone: string }>(
    async (sessionId, userId) => {
      calls.push(sessionId);
      const zone = live.get(`${sessionId}/${userId}`);
      return zone === undefined ? null : { zone };
    },
    { ttlMs: options.ttlMs ?? 1000, maxEntries: options.maxEntries ?? 100, clock: () => now },
  );
  /** What a gateway does: from memory when it can, else ask. */
  const isLive = async (sessionId: string, userId: string) =>
    cache.cached(sessionId, userId) !== undefined || (await cache.confirm(sessionId, userId)) !== null;
  return { cache, calls, isLive, advance: (ms: number) => (now += ms) };
}

describe("SessionCache", () => {
  it("should confirm a live session once and then answer from memory until the confirmation ages out", async () => {
    const { cache, calls, isLive, advance } = cacheWith(new Map([["s1/u1", "Europe/Berlin"]]));
    expect(await cache.confirm("s1", "u1")).toEqual({ zone: "Europe/Berlin" });
    expect(cache.cached("s1", "u1")).toEqual({ zone: "Europe/Berlin" });
    expect(await isLive("s1", "u1")).toBe(true);
    expect(calls).toEqual(["s1"]);
    advance(1001);
    expect(cache.cached("s1", "u1")).toBeUndefined();
    expect(await isLive("s1", "u1")).toBe(true);
    expect(calls).toEqual(["s1", "s1"]);
  });

  it("should never remember a refusal, nor answer for a known session of another user", async () => {
    const { cache, calls, isLive } = cacheWith(new Map([["s1/u1", "UTC"]]));
    expect(await isLive("s2", "u1")).toBe(false);
    expect(await isLive("s2", "u1")).toBe(false);
    expect(calls).toEqual(["s2", "s2"]);
    await cache.confirm("s1", "u1");
    expect(cache.cached("s1", "u2")).toBeUndefined();
    expect(await isLive("s1", "u2")).toBe(false);
  });

  it("should share one confirmation among concurrent first checks", async () => {
    const { cache, calls } = cacheWith(new Map([["s1/u1", "UTC"]]));
    expect(await Promise.all([cache.confirm("s1", "u1"), cache.confirm("s1", "u1"), cache.confirm("s1", "u1")])).toEqual([
      { zone: "UTC" },
      { zone: "UTC" },
      { zone: "UTC" },
    ]);
    expect(calls).toEqual(["s1"]);
  });

  it("should keep at most maxEntries, dropping the oldest", async () => {
    const live = new Map([
      ["a/u", "UTC"],
      ["b/u", "UTC"],
      ["c/u", "UTC"],
    ]);
    const { cache, calls, isLive } = cacheWith(live, { maxEntries: 2 });
    for (const id of ["a", "b", "c"]) await cache.confirm(id, "u");
    calls.length = 0;
    await isLive("c", "u");
    await isLive("b", "u");
    expect(calls).toEqual([]);
    await isLive("a", "u");
    expect(calls).toEqual(["a"]);
  });
});
