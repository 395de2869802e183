/**
 * Steady load for fault tests: workers, each with its own user and daily habit, alternate a
 * check-in (`PUT /habits/:id/checkins/:date`, one new date per request, so every acknowledged
 * write can be looked for in Postgres) and a streak read, through the gateways a balancer
 * currently has in rotation. The balancer polls each gateway's /health/ready like a Kubernetes
 * Service: a gateway leaves the rotation when it answers 503 (or not at all) and comes back when
 * it answers 200.
 */
import http from "node:http";
import { DateTime } from "luxon";

export interface LoadUser {
  token: string;
  habitId: string;
}

export interface Failure {
  at: number;
  request: string;
  outcome: string;
}

export interface LoadReport {
  requests: number;
  failures: Failure[];
  /** Successful requests per whole second since the load began. */
  perSecond: number[];
  /** When each successful request was answered (ms since epoch). */
  answeredAt: number[];
  /** Check-ins answered 2xx: `habitId date`. */
  acknowledged: string[];
  startedAt: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function send(base: string, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; text: string }> {
  const url = new URL(path, base);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        timeout: 15_000,
        headers: { authorization: `Bearer ${token}`, ...(payload ? { "content-type": "application/json" } : {}) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("client timeout")));
    req.on("error", reject);
    req.end(payload);
  });
}

export class Balancer {
  private readonly inRotation = new Set<string>();
  private readonly known = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private next = 0;

  add(base: string): void {
    this.known.add(base);
  }

  remove(base: string): void {
    this.known.delete(base);
    this.inRotation.delete(base);
  }

  start(periodMs = 200): void {
    const poll = () =>
      void Promise.all(
        [...this.known].map(async (base) => {
          const ready = await fetch(`${base}/health/ready`, { signal: AbortSignal.timeout(1_000) })
            .then(async (res) => (await res.arrayBuffer(), res.status === 200))
            .catch(() => false);
          if (ready && this.known.has(base)) this.inRotation.add(base);
          else this.inRotation.delete(base);
        }),
      );
    poll();
    this.timer = setInterval(poll, periodMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  pick(): string | null {
    const bases = [...this.inRotation];
    if (bases.length === 0) return null;
    return bases[this.next++ % bases.length];
  }
}

export class SteadyLoad {
  private running = false;
  private readonly workers: Promise<void>[] = [];
  private readonly report: LoadReport = { requests: 0, failures: [], perSecond: [], answeredAt: [], acknowledged: [], startedAt: 0 };

  constructor(
    private readonly balancer: Balancer,
    private readonly users: LoadUser[],
    /** The first date each worker checks in; each next request goes one day back. */
    private readonly today: DateTime,
  ) {}

  start(): void {
    this.running = true;
    this.report.startedAt = Date.now();
    this.users.forEach((user, index) => this.workers.push(this.work(user, index)));
  }

  /** Successes in the second `s` after `from` (ms since epoch). */
  rateAt(from: number): number {
    return this.report.perSecond[Math.floor((from - this.report.startedAt) / 1000)] ?? 0;
  }

  /**
   * How long after `from` successes came back to half of `ratePerSecond` after a stall: the end
   * of the first `windowMs` window at that rate that follows one below it (0 without a stall).
   * `null` when they never came back.
   */
  recoveredAfter(from: number, ratePerSecond: number, windowMs = 200): number | null {
    const enough = (ratePerSecond / 2) * (windowMs / 1000);
    const last = this.report.answeredAt.at(-1) ?? from;
    let stalled = false;
    for (let start = from; start <= last; start += windowMs) {
      const answered = this.report.answeredAt.filter((at) => at >= start && at < start + windowMs).length;
      if (answered < enough) stalled = true;
      else if (stalled) return start + windowMs - from;
    }
    return stalled ? null : 0;
  }

  get failures(): Failure[] {
    return this.report.failures;
  }

  async stop(): Promise<LoadReport> {
    this.running = false;
    await Promise.all(this.workers);
    return this.report;
  }

  private async work(user: LoadUser, index: number): Promise<void> {
    let daysBack = 0;
    let write = index % 2 === 0;
    while (this.running) {
      const base = this.balancer.pick();
      if (base === null) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      const date = this.today.minus({ days: daysBack }).toISODate() as string;
      const [method, path] = write
        ? ["PUT", `/api/v1/habits/${user.habitId}/checkins/${date}`]
        : ["GET", `/api/v1/habits/${user.habitId}/streak`];
      const at = Date.now();
      this.report.requests++;
      try {
        const { status, text } = await send(base, method, path, user.token, write ? {} : undefined);
        if (status >= 200 && status < 300) {
          const answeredAt = Date.now();
          this.report.answeredAt.push(answeredAt);
          const second = Math.floor((answeredAt - this.report.startedAt) / 1000);
          while (this.report.perSecond.length <= second) this.report.perSecond.push(0);
          this.report.perSecond[second]++;
          if (write) {
            this.report.acknowledged.push(`${user.habitId} ${date}`);
            daysBack++;
          }
        } else {
          this.report.failures.push({ at, request: `${method} ${path}`, outcome: `${status} ${text.slice(0, 200)}` });
        }
      } catch (err) {
        this.report.failures.push({ at, request: `${method} ${path}`, outcome: (err as Error).message });
      }
      write = !write;
    }
  }
}
