/**
 * The batcher behind the notifications' broker events: what arrives in one turn of the event
 * loop is flushed together, in order, in batches of at most maxSize; drain waits for them.
 */
import { Batcher } from "../../src/batcher";

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("Batcher", () => {
  it("flushes what one turn added as one batch, and a later turn's as another", async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number>(async (items) => void batches.push(items));
    batcher.add(1);
    batcher.add(2);
    batcher.add(3);
    expect(batches).toEqual([]); // not before the turn ends
    await nextTurn();
    batcher.add(4);
    await nextTurn();
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it("splits a burst into batches of at most maxSize, in order", async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number>(async (items) => void batches.push(items), 2);
    for (let i = 1; i <= 5; i++) batcher.add(i);
    await batcher.drain();
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("drain waits for the flushes under way", async () => {
    let release: () => void = () => undefined;
    const flushed: number[] = [];
    const batcher = new Batcher<number>(async (items) => {
      await new Promise<void>((resolve) => (release = resolve));
      flushed.push(...items);
    });
    batcher.add(7);
    let drained = false;
    const draining = batcher.drain().then(() => (drained = true));
    await nextTurn();
    expect(drained).toBe(false);
    release();
    await draining;
    expect(flushed).toEqual([7]);
  });
});
