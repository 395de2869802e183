/**
 * The shared store contract (fixed-window hits, marks with and without TTL, per-key `has`):
 * MemoryStore always, with a faked clock; RedisStore against real Redis in cluster mode,
 * under a random key prefix that is deleted afterwards (never FLUSHALL).
 */
import { randomBytes } from "node:crypto";
import Redis from "ioredis";
import { MemoryStore, RedisStore } from "../../src/store";
import { describeCluster } from "../helpers/env";

const START = new Date("2030-01-01T00:00:00Z").getTime();

describe("MemoryStore", () => {
  let store: MemoryStore;

  beforeEach(() => {
    jest.useFakeTimers({ now: START });
    store = new MemoryStore();
  });

  afterEach(async () => {
    await store.close();
    jest.useRealTimers();
  });

  describe("hit", () => {
    it("should count hits on a key within one window", async () => {
      expect((await store.hit("k", 60)).count).toBe(1);
      jest.setSystemTime(START + 10_000);
      expect((await store.hit("k", 60)).count).toBe(2);
      jest.setSystemTime(START + 59_999);
      expect((await store.hit("k", 60)).count).toBe(3);
    });

    it("should report the time left until the window resets", async () => {
      expect((await store.hit("k", 60)).resetMs).toBe(60_000);
      jest.setSystemTime(START + 15_000);
      expect((await store.hit("k", 60)).resetMs).toBe(45_000);
    });

    it("should start a new window once the previous one has passed", async () => {
      await store.hit("k", 60);
      await store.hit("k", 60);
      jest.setSystemTime(START + 60_000);
      const hit = await store.hit("k", 60);
      expect(hit).toEqual({ count: 1, resetMs: 60_000 });
    });

    it("should count each key separately", async () => {
      await store.hit("a", 60);
      await store.hit("a", 60);
      expect((await store.hit("b", 60)).count).toBe(1);
    });
  });

  describe("mark", () => {
    it("should set keys that expire after their TTL", async () => {
      await store.mark(["x", "y"], 30);
      jest.setSystemTime(START + 29_999);
      expect(await store.has(["x", "y"])).toEqual([true, true]);
      jest.setSystemTime(START + 30_000);
      expect(await store.has(["x", "y"])).toEqual([false, false]);
    });

    it("should keep keys marked with TTL 0 indefinitely", async () => {
      await store.mark(["forever"], 0);
      jest.setSystemTime(START + 10 * 365 * 24 * 3600 * 1000);
      expect(await store.has(["forever"])).toEqual([true]);
    });

    it("should drop everything on close", async () => {
      await store.mark(["forever"], 0);
      await store.close();
      expect(await store.has(["forever"])).toEqual([false]);
    });
  });

  describe("has", () => {
    it("should answer per key, in the order asked", async () => {
      await store.mark(["b", "d"], 60);
      expect(await store.has(["a", "b", "c", "d"])).toEqual([false, true, false, true]);
    });

    it("should answer an empty list with an empty list", async () => {
      expect(await store.has([])).toEqual([]);
    });
  });
});

describe("RedisStore.connect", () => {
  afterAll(async () => {
    // ioredis's disconnect() arms a 2 s timer to destroy the socket, cleared only by a "close"
    // the refused socket has already emitted; let those run out so nothing outlives the suite.
    await new Promise((resolve) => setTimeout(resolve, 2100));
  });

  it("should reject, naming REDIS_URL, when Redis cannot be reached", async () => {
    expect.assertions(1);
    await expect(RedisStore.connect("redis://127.0.0.1:1", "unreachable:", 1000)).rejects.toThrow(/REDIS_URL/);
  });
});

describeCluster("RedisStore (real Redis)", () => {
  const url = process.env.TEST_REDIS_URL as string;
  const prefix = `ht-test:${randomBytes(6).toString("hex")}:`;
  let store: RedisStore;
  let inspector: Redis;

  beforeAll(async () => {
    store = await RedisStore.connect(url, prefix, 5000);
    inspector = new Redis(url);
  });

  afterAll(async () => {
    const keys = await inspector.keys(`${prefix}*`);
    if (keys.length > 0) await inspector.del(...keys);
    await inspector.quit();
    await store.close();
  });

  it("should answer ping", async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });

  describe("hit", () => {
    it("should count hits on a key within one window", async () => {
      expect((await store.hit("count", 60)).count).toBe(1);
      expect((await store.hit("count", 60)).count).toBe(2);
      expect((await store.hit("count", 60)).count).toBe(3);
    });

    it("should report the time left until the window resets", async () => {
      const { resetMs } = await store.hit("reset", 60);
      expect(resetMs).toBeGreaterThan(0);
      expect(resetMs).toBeLessThanOrEqual(60_000);
    });

    it("should store the counter under the prefix, with an expiry", async () => {
      await store.hit("prefixed", 60);
      expect(await inspector.get(`${prefix}prefixed`)).toBe("1");
      expect(await inspector.pttl(`${prefix}prefixed`)).toBeGreaterThan(0);
    });

    it("should start a new window once the previous one has passed", async () => {
      await store.hit("window", 1);
      await store.hit("window", 1);
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect((await store.hit("window", 1)).count).toBe(1);
    });

    it("should count each key separately", async () => {
      await store.hit("sep-a", 60);
      await store.hit("sep-a", 60);
      expect((await store.hit("sep-b", 60)).count).toBe(1);
    });
  });

  describe("mark", () => {
    it("should set keys that expire after their TTL", async () => {
      await store.mark(["ttl-x", "ttl-y"], 1);
      expect(await store.has(["ttl-x", "ttl-y"])).toEqual([true, true]);
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(await store.has(["ttl-x", "ttl-y"])).toEqual([false, false]);
    });

    it("should keep keys marked with TTL 0 without an expiry", async () => {
      await store.mark(["persist"], 0);
      expect(await store.has(["persist"])).toEqual([true]);
      expect(await inspector.pttl(`${prefix}persist`)).toBe(-1);
    });

    it("should accept an empty list", async () => {
      await expect(store.mark([], 60)).resolves.toBeUndefined();
    });
  });

  describe("has", () => {
    it("should answer per key, in the order asked", async () => {
      await store.mark(["has-b", "has-d"], 60);
      expect(await store.has(["has-a", "has-b", "has-c", "has-d"])).toEqual([false, true, false, true]);
    });

    it("should not see keys outside its prefix", async () => {
      await inspector.set("has-outside-" + prefix, "1", "EX", 60);
      expect(await store.has(["has-outside-" + prefix])).toEqual([false]);
      await inspector.del("has-outside-" + prefix);
    });

    it("should answer an empty list with an empty list", async () => {
      expect(await store.has([])).toEqual([]);
    });
  });
});
