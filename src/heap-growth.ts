/**
 * How far V8 lets the old generation grow past what survived the last full collection. Under
 * load every in-flight request's objects (Redis replies, contexts, promises) are alive at a
 * scavenge and get promoted, then die there: left to its own heuristics (a factor of up to 4)
 * V8 let that garbage pile up to 140 MB over a 30 MB live heap, and a node stood at 280 MB RSS
 * (docs/architecture.md, "Memory"). 1.5 keeps it near 180 MB for a few more full collections,
 * which are cheap with a heap this small. `node --heap-growing-percent=N` still decides.
 */
import v8 from "node:v8";

export const HEAP_GROWING_PERCENT = 50;

export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): void {
  if (execArgv.some((flag) => /^--heap[-_]growing[-_]percent/.test(flag))) return;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
