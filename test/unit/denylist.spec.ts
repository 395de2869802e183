/**
 * Denylist over a MemoryStore: revocations are seen, a missing "loaded" marker triggers a
 * reload from the durable list before answering, concurrent callers share one reload, and a
 * failed reload is an error (never a "not revoked") that the next call retries.
 */
import { Denylist } from "../../src/denylist";
import { MemoryStore } from "../../src/store";

const TTL = 900;

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("Denylist", () => {
  let store: MemoryStore;

  beforeEach(() => {
    store = new MemoryStore();
  });

  afterEach(async () => {
    await store.close();
  });

  describe("revoke / isRevoked", () => {
    it("should report a revoked session as revoked", async () => {
      const denylist = new Denylist(store, TTL, async () => []);
      await denylist.reload();
      await denylist.revoke(["s1"]);
      await expect(denylist.isRevoked("s1")).resolves.toBe(true);
    });

    it("should report a session that was never revoked as not revoked", async () => {
      const denylist = new Denylist(store, TTL, async () => []);
      await denylist.reload();
      await denylist.revoke(["s1"]);
      await expect(denylist.isRevoked("s2")).resolves.toBe(false);
    });

    it("should keep revocations for the TTL only", async () => {
      jest.useFakeTimers({ now: new Date("2030-01-01T00:00:00Z") });
      try {
        const denylist = new Denylist(store, TTL, async () => []);
        await denylist.reload();
        await denylist.revoke(["s1"]);
        jest.setSystemTime(Date.now() + TTL * 1000);
        await expect(denylist.isRevoked("s1")).resolves.toBe(false);
      } finally {
        jest.useRealTimers();
      }
    });
  });

  describe("reload when the loaded marker is missing", () => {
    it("should load the durable list before answering", async () => {
      const loader = jest.fn(async () => ["durable-1", "durable-2"]);
      const denylist = new Denylist(store, TTL, loader);
      await expect(denylist.isRevoked("durable-2")).resolves.toBe(true);
      expect(loader).toHaveBeenCalledTimes(1);
    });

    it("should answer not revoked for a session absent from the durable list", async () => {
      const loader = jest.fn(async () => ["durable-1"]);
      const denylist = new Denylist(store, TTL, loader);
      await expect(denylist.isRevoked("other")).resolves.toBe(false);
      expect(loader).toHaveBeenCalledTimes(1);
    });

    it("should not reload again once the marker is set", async () => {
      const loader = jest.fn(async () => ["durable-1"]);
      const denylist = new Denylist(store, TTL, loader);
      await denylist.isRevoked("a");
      await denylist.isRevoked("b");
      await denylist.isRevoked("durable-1");
      expect(loader).toHaveBeenCalledTimes(1);
    });

    it("should reload when a new store has lost the marker", async () => {
      const loader = jest.fn(async () => ["durable-1"]);
      await new Denylist(store, TTL, loader).isRevoked("x");
      const freshStore = new MemoryStore();
      const denylist = new Denylist(freshStore, TTL, loader);
      await expect(denylist.isRevoked("durable-1")).resolves.toBe(true);
      expect(loader).toHaveBeenCalledTimes(2);
      await freshStore.close();
    });

    it("should share one loader call among concurrent callers", async () => {
      const pending = deferred<string[]>();
      const loader = jest.fn(() => pending.promise);
      const denylist = new Denylist(store, TTL, loader);
      const answers = Promise.all(["r1", "a", "r2", "b", "c"].map((id) => denylist.isRevoked(id)));
      // Let every caller reach the reload before the durable list answers.
      await new Promise((resolve) => setImmediate(resolve));
      pending.resolve(["r1", "r2"]);
      await expect(answers).resolves.toEqual([true, false, true, false, false]);
      expect(loader).toHaveBeenCalledTimes(1);
    });

    it("should reject when the loader fails, and retry the loader on the next call", async () => {
      const loader = jest
        .fn<Promise<string[]>, []>()
        .mockRejectedValueOnce(new Error("database down"))
        .mockResolvedValueOnce(["durable-1"]);
      const denylist = new Denylist(store, TTL, loader);
      await expect(denylist.isRevoked("durable-1")).rejects.toThrow("database down");
      await expect(denylist.isRevoked("durable-1")).resolves.toBe(true);
      expect(loader).toHaveBeenCalledTimes(2);
    });

    it("should not set the marker when the loader fails", async () => {
      const denylist = new Denylist(store, TTL, () => Promise.reject(new Error("database down")));
      await expect(denylist.isRevoked("x")).rejects.toThrow("database down");
      expect(await store.has(["denylist:loaded"])).toEqual([false]);
    });
  });
});
