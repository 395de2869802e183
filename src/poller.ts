/**
 * A background job a node runs over and over: the outbox relay, outbox consumers, the delivery
 * worker, the reminder scan. One run at a time (a call during a run shares it); a run every
 * `intervalMs`; soon when kicked (within `coalesceMs`, so that what several kicks announce is
 * handled by one run), or once more after the current run when kicked during it (so news that
 * arrived after the run had looked is not left for the next interval); at once again when a run
 * reports a full batch (a backlog); and none after `stop()`, which waits for the run in progress.
 */
export interface PollerOptions {
  /** One run; resolves to how many items it handled. */
  run: () => Promise<number>;
  intervalMs: number;
  /** Delay of the first run after `start()`; defaults to `intervalMs`. */
  firstDelayMs?: number;
  /** A run handling this many items or more is followed at once by another. */
  fullBatch?: number;
  /**
   * How long a kicked run waits for more kicks (default 0: the next turn of the event loop).
   * Under load, kicks come with every write: waiting a little turns many runs of one item
   * into one run of many.
   */
  coalesceMs?: number;
  /** Failures of the runs the poller starts itself (callers of `runNow` get theirs). */
  onError: (err: Error) => void;
}

export class Poller {
  private timer: NodeJS.Timeout | null = null;
  private kicked = false;
  private running: Promise<number> | null = null;
  private again = false;
  private stopped = true;

  constructor(private readonly options: PollerOptions) {}

  start(): void {
    this.stopped = false;
    this.again = false;
    this.schedule(this.options.firstDelayMs ?? this.options.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Runs soon: within `coalesceMs` if idle, else right after the run in progress. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.kicked) return;
    this.kicked = true;
    const run = () => {
      this.kicked = false;
      void this.runNow().catch(this.options.onError);
    };
    if (this.options.coalesceMs) setTimeout(run, this.options.coalesceMs);
    else setImmediate(run);
  }

  /** Runs now, or joins the run in progress; resolves to what it handled (0 once stopped). */
  runNow(): Promise<number> {
    if (this.stopped) return Promise.resolve(0);
    if (this.running) return this.running;
    this.again = false;
    const { fullBatch } = this.options;
    let backlog = false;
    this.running = this.options
      .run()
      .then((handled) => {
        backlog = fullBatch !== undefined && handled >= fullBatch;
        return handled;
      })
      .finally(() => {
        this.running = null;
        if (this.stopped) return;
        if (backlog) setImmediate(() => void this.runNow().catch(this.options.onError));
        else if (this.again) this.kick();
      });
    return this.running;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      void this.runNow()
        .catch(this.options.onError)
        .finally(() => {
          if (!this.stopped) this.schedule(this.options.intervalMs);
        });
    }, delayMs);
  }
}
