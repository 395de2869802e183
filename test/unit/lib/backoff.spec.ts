/**
 * Retry delays: exponential from baseMs, capped at maxMs, shortened by at most `jitter` of the
 * delay; and when a delivery has used up its attempts.
 */
import fc from "fast-check";
import { isLastAttempt, retryDelayMs, type BackoffPolicy } from "../../../lib/backoff";

const POLICY: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000, jitter: 0, maxAttempts: 5 };
const RUNS = 1000;

describe("retryDelayMs", () => {
  it.each([
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [6, 32_000],
    [7, 60_000], // 64 s, capped
    [50, 60_000],
  ])("without jitter, attempt %i waits %i ms", (attempt, expected) => {
    expect(retryDelayMs(attempt, POLICY)).toBe(expected);
  });

  it("shortens the delay by up to the jitter share, never lengthens it", () => {
    const policy = { ...POLICY, jitter: 0.5 };
    expect(retryDelayMs(3, policy, () => 0)).toBe(4_000);
    expect(retryDelayMs(3, policy, () => 0.5)).toBe(3_000);
    expect(retryDelayMs(3, policy, () => 0.999_999)).toBe(2_000);
    expect(retryDelayMs(3, { ...POLICY, jitter: 1 }, () => 0.25)).toBe(3_000);
  });

  it("stays finite and capped for huge attempt numbers", () => {
    for (const attempt of [1_024, 1_025, 5_000, Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY]) {
      expect(retryDelayMs(attempt, POLICY)).toBe(60_000);
    }
    // A zero base must not become 0 · Infinity = NaN.
    expect(retryDelayMs(10_000, { ...POLICY, baseMs: 0 })).toBe(0);
  });

  it("treats attempts below 1 or NaN as the first", () => {
    for (const attempt of [0, -3, Number.NaN]) expect(retryDelayMs(attempt, POLICY)).toBe(1_000);
  });

  it("keeps its bounds whatever the random source returns", () => {
    const policy = { ...POLICY, jitter: 0.5 };
    expect(retryDelayMs(1, policy, () => 7)).toBe(500);
    expect(retryDelayMs(1, policy, () => -1)).toBe(1_000);
    expect(retryDelayMs(1, policy, () => Number.NaN)).toBe(1_000);
  });

  const policies = fc.record({
    baseMs: fc.integer({ min: 0, max: 10_000 }),
    maxMs: fc.integer({ min: 0, max: 3_600_000 }),
    jitter: fc.double({ min: 0, max: 1, noNaN: true }),
    maxAttempts: fc.integer({ min: 1, max: 20 }),
  });
  const attempts = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 1_000_000 }));
  const randoms = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

  it(`lies in [d·(1−jitter), d] for d = min(maxMs, baseMs·2^(attempt−1)) (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(policies, attempts, randoms, (policy, attempt, r) => {
        const d = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt - 1, 1023));
        const delay = retryDelayMs(attempt, policy, () => r);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeLessThanOrEqual(d);
        // Rounded to whole ms, so compared with the rounded lower bound.
        expect(delay).toBeGreaterThanOrEqual(Math.round(d * (1 - policy.jitter)));
        expect(delay).toBeLessThanOrEqual(policy.maxMs);
      }),
      { numRuns: RUNS },
    );
  });

  it(`never shrinks from one attempt to the next without jitter, and reaches the cap (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(policies, attempts, (policy, attempt) => {
        const steady = { ...policy, jitter: 0 };
        const now = retryDelayMs(attempt, steady);
        const next = retryDelayMs(attempt + 1, steady);
        expect(next).toBeGreaterThanOrEqual(now);
        // Doubling until the cap: the next delay is exactly twice this one or the cap.
        expect(next).toBe(Math.min(policy.maxMs, now * 2));
        // Far enough out, every delay is the cap (or 0 with a zero base).
        expect(retryDelayMs(attempt + 64, steady)).toBe(policy.baseMs === 0 ? 0 : policy.maxMs);
      }),
      { numRuns: RUNS },
    );
  });

  it(`with the same random draw, a later attempt never waits less (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(policies, attempts, randoms, (policy, attempt, r) => {
        expect(retryDelayMs(attempt + 1, policy, () => r)).toBeGreaterThanOrEqual(retryDelayMs(attempt, policy, () => r));
      }),
      { numRuns: RUNS },
    );
  });
});

describe("isLastAttempt", () => {
  it.each([
    [0, false],
    [4, false],
    [5, true],
    [6, true],
  ])("after %i attempts of 5: %p", (tried, last) => {
    expect(isLastAttempt(tried, POLICY)).toBe(last);
  });
});
