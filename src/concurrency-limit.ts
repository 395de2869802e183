/** Runs at most `max` pieces of async work at a time; the rest wait their turn, first come first served. */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, not ${max}`);
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      // A waiter takes over this slot, so `running` never exceeds `max` between the two.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
