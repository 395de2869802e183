/**
 * The limit on concurrent work (password hashing runs under one), checked against a simple
 * model with fast-check: any arrival and completion order keeps at most `max` running, starts
 * waiters in arrival order, and runs everything.
 */
import fc from "fast-check";
import { ConcurrencyLimit } from "../../src/concurrency-limit";

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("ConcurrencyLimit", () => {
  it("runs at most max at a time, waiters first come first served, and every piece", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(fc.nat(), { minLength: 1, maxLength: 12 }), async (max, finishOrder) => {
        const limit = new ConcurrencyLimit(max);
        const started: number[] = [];
        const finishers = new Map<number, () => void>();
        let running = 0;
        let peak = 0;
        const results = finishOrder.map((_, index) =>
          limit.run(async () => {
            started.push(index);
            peak = Math.max(peak, ++running);
            await new Promise<void>((resolve) => finishers.set(index, resolve));
            running--;
            return index;
          }),
        );
        await settle();
        for (const pick of finishOrder) {
          // Finish one of the running pieces (chosen by `pick`), as the model says may happen.
          const runningNow = [...finishers.keys()];
          if (runningNow.length === 0) break;
          const index = runningNow[pick % runningNow.length];
          finishers.get(index)?.();
          finishers.delete(index);
          await settle();
        }
        for (;;) {
          const [index] = finishers.keys();
          if (index === undefined) break;
          finishers.get(index)?.();
          finishers.delete(index);
          await settle();
        }
        expect(await Promise.all(results)).toEqual(finishOrder.map((_, index) => index));
        expect(peak).toBe(Math.min(max, finishOrder.length));
        expect(started).toEqual(finishOrder.map((_, index) => index));
      }),
      { numRuns: 200 },
    );
  });

  it("frees the slot of work that fails", async () => {
    const limit = new ConcurrencyLimit(1);
    await expect(limit.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(limit.run(async () => "next")).resolves.toBe("next");
  });

  it("refuses a limit that is not a positive integer", () => {
    expect(() => new ConcurrencyLimit(0)).toThrow(RangeError);
    expect(() => new ConcurrencyLimit(1.5)).toThrow(RangeError);
  });
});
