/**
 * The time a node's services read: one per node, so a test can pin "now" (and so the users'
 * "today") for the node it runs. lib/ never reads it: it takes `today` as an input.
 */
export class Clock {
  private source: () => Date = () => new Date();

  now(): Date {
    return this.source();
  }

  /** Tests: make `now()` return what `next` returns; `null` restores the real time. */
  set(next: (() => Date) | null): void {
    this.source = next ?? (() => new Date());
  }
}
