/**
 * Poller: one run at a time, on an interval, again at once after a kick during a run or a full
 * batch, and nothing after stop. Runs are controlled by hand through deferred promises.
 */
import { Poller } from "../../src/poller";

function deferred() {
  let resolve!: (value: number) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<number>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("Poller", () => {
  let runs: Array<ReturnType<typeof deferred>>;
  let errors: Error[];
  let poller: Poller;

  const make = (options: { intervalMs?: number; fullBatch?: number } = {}) => {
    poller = new Poller({
      run: () => {
        const run = deferred();
        runs.push(run);
        return run.promise;
      },
      intervalMs: options.intervalMs ?? 60_000,
      firstDelayMs: options.intervalMs === undefined ? 60_000 : 0,
      fullBatch: options.fullBatch,
      onError: (err) => errors.push(err),
    });
    poller.start();
  };

  beforeEach(() => {
    runs = [];
    errors = [];
  });

  afterEach(async () => {
    runs.forEach((run) => run.resolve(0));
    await poller.stop();
  });

  it("shares the run in progress with a second caller", async () => {
    make();
    const first = poller.runNow();
    const second = poller.runNow();
    expect(runs).toHaveLength(1);
    runs[0].resolve(3);
    expect(await first).toBe(3);
    expect(await second).toBe(3);
  });

  it("runs once more after a run during which it was kicked, however often", async () => {
    make();
    const first = poller.runNow();
    poller.kick();
    poller.kick();
    runs[0].resolve(0);
    await first;
    await settle();
    expect(runs).toHaveLength(2);
    runs[1].resolve(0);
    await settle();
    await settle();
    expect(runs).toHaveLength(2);
  });

  it("goes on at once after a full batch, not after a short one", async () => {
    make({ fullBatch: 10 });
    const first = poller.runNow();
    runs[0].resolve(10);
    await first;
    await settle();
    expect(runs).toHaveLength(2);
    runs[1].resolve(9);
    await settle();
    await settle();
    expect(runs).toHaveLength(2);
  });

  it("reports a failed run it started itself and keeps polling", async () => {
    make({ intervalMs: 5 });
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(runs.length).toBeGreaterThanOrEqual(1);
    runs[0].reject(new Error("database down"));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(errors.map((err) => err.message)).toEqual(["database down"]);
    expect(runs.length).toBeGreaterThanOrEqual(2);
  });

  it("hands a caller its run's failure", async () => {
    make();
    const run = poller.runNow();
    runs[0].reject(new Error("boom"));
    await expect(run).rejects.toThrow("boom");
    expect(errors).toEqual([]);
  });

  it("waits for the run in progress on stop, and runs nothing afterwards", async () => {
    make();
    const run = poller.runNow();
    let stopped = false;
    const stopping = poller.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    runs[0].resolve(1);
    await stopping;
    expect(await run).toBe(1);
    expect(await poller.runNow()).toBe(0);
    poller.kick();
    await settle();
    expect(runs).toHaveLength(1);
  });
});
