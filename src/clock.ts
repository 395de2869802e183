/**
 * The one place services read the time, so tests can pin "now" (and so the users' "today").
 * lib/ never reads it: it takes `today` as an input.
 */
let source: () => Date = () => new Date();

export function now(): Date {
  return source();
}

/** Tests only: make `now()` return what `next` returns; `null` restores the real clock. */
export function setClock(next: (() => Date) | null): void {
  source = next ?? (() => new Date());
}
