/**
 * Collects what arrives within one turn of the event loop and hands it over as one batch (at
 * most `maxSize` a batch): a burst of broker events becomes one round of work instead of one
 * each. `flush` handles its own errors; `drain` waits for what was handed over.
 */
export class Batcher<T> {
  private pending: T[] = [];
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly flush: (items: T[]) => Promise<void>,
    private readonly maxSize = 100,
  ) {}

  add(item: T): void {
    if (this.pending.length === 0) setImmediate(() => this.handOver());
    this.pending.push(item);
  }

  /** Resolves when everything added so far has been flushed. */
  async drain(): Promise<void> {
    this.handOver();
    await Promise.all(this.running);
  }

  private handOver(): void {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxSize);
      const done = this.flush(batch).finally(() => this.running.delete(done));
      this.running.add(done);
    }
  }
}
