/**
 * Retry delays for failed deliveries: exponential backoff with a cap and jitter. Pure: the
 * random source is an input (Math.random by default), nothing reads a clock.
 */

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** 0..1: share of the delay that is randomised */
  jitter: number;
  maxAttempts: number;
}

/**
 * How long to wait before the next try after failure number `attempt` (1 = the first failure):
 * d = min(maxMs, baseMs · 2^(attempt−1)), shortened by up to `jitter`·d at random, so the
 * result lies in [d·(1−jitter), d] (rounded to whole ms). Jitter only ever shortens the wait, so the cap holds and
 * retries of many deliveries that failed together spread out instead of arriving in step.
 */
export function retryDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const base = Math.max(0, policy.baseMs);
  const max = Math.max(0, policy.maxMs);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  // 2^1100 is Infinity and Infinity · 0 is NaN: cap the exponent once the product passes maxMs
  // anyway (2^1023 exceeds any delay), and treat attempts below 1 (or NaN) as the first.
  const exponent = Math.min(Math.max(Math.floor(attempt) || 1, 1) - 1, 1023);
  const delay = Math.min(max, base * 2 ** exponent);
  // A random source outside [0, 1) (or NaN) must not push the delay out of its bounds.
  const sample = random();
  const share = sample >= 0 ? Math.min(1, sample) : 0;
  return Math.round(delay * (1 - jitter * share));
}

/** Whether a delivery tried `attempts` times has used up its tries and is dead. */
export function isLastAttempt(attempts: number, policy: BackoffPolicy): boolean {
  return attempts >= policy.maxAttempts;
}
