/**
 * One load run: autocannon against a server, each request made afresh by the scenario (its own
 * user's token, habit and date), every answer that is not 2xx kept for the report (a run with
 * any fails the benchmark).
 */
import http from "node:http";
import autocannon from "autocannon";

export interface BenchRequest {
  method: "GET" | "PUT" | "POST";
  path: string;
  token?: string;
  body?: unknown;
  /** Told the answer's status and the time it arrived. */
  onAnswer?: (status: number, at: number) => void;
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds?: number;
  /** Stop after this many requests instead of after a duration. */
  amount?: number;
  /** Requests per second over all connections, when the rate is fixed. */
  overallRate?: number;
  next: () => BenchRequest;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** A few of the answers that were not 2xx: "status body". */
  failures: string[];
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const failures: string[] = [];
  // What each connection has in flight (autocannon sends one request at a time per connection).
  const inFlight = new WeakMap<object, BenchRequest>();
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.durationSeconds }),
    ...(options.overallRate !== undefined ? { overallRate: options.overallRate } : {}),
    timeout: 10,
    requests: [
      {
        setupRequest: (request: autocannon.Request, context: object) => {
          const next = options.next();
          inFlight.set(context, next);
          const headers: Record<string, string> = { ...(next.token ? { authorization: `Bearer ${next.token}` } : {}) };
          if (next.body !== undefined) headers["content-type"] = "application/json";
          return {
            ...request,
            method: next.method,
            path: next.path,
            headers,
            body: next.body === undefined ? undefined : JSON.stringify(next.body),
          };
        },
        onResponse: (status: number, body: string, context: object) => {
          inFlight.get(context)?.onAnswer?.(status, Date.now());
          if ((status < 200 || status >= 300) && failures.length < 5) failures.push(`${status} ${body.slice(0, 200)}`);
        },
      } as autocannon.Request,
    ],
  });
  const seconds = Math.max(result.duration, 0.001);
  return {
    requests: result.requests.total,
    rps: result.requests.total / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    failures,
  };
}

/**
 * An open-loop run at a fixed rate: request i is sent at start + i / rate whether or not the
 * earlier ones were answered (as users arrive), over keep-alive connections, `count` in all.
 * Autocannon's own rate limit is coarser (whole-second ticks per connection) and closed-loop.
 */
export async function runPaced(options: { url: string; rate: number; count: number; next: () => BenchRequest }): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const failures: string[] = [];
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const started = performance.now();
  const sends = Array.from({ length: options.count }, async (_, index) => {
    const due = started + (index * 1000) / options.rate;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    const request = options.next();
    const sentAt = performance.now();
    try {
      const { status, body } = await send(agent, options.url, request);
      latencies.push(performance.now() - sentAt);
      request.onAnswer?.(status, Date.now());
      if (status < 200 || status >= 300) {
        non2xx++;
        if (failures.length < 5) failures.push(`${status} ${body.slice(0, 200)}`);
      }
    } catch (err) {
      errors++;
      if (failures.length < 5) failures.push(`error ${(err as Error).message}`);
    }
  });
  await Promise.all(sends);
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (share: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * share))] ?? 0);
  return { requests: options.count, rps: options.count / seconds, p50: at(0.5), p99: at(0.99), errors, non2xx, failures };
}

function send(agent: http.Agent, url: string, request: BenchRequest): Promise<{ status: number; body: string }> {
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      new URL(request.path, url),
      {
        method: request.method,
        agent,
        timeout: 10_000,
        headers: {
          ...(request.token ? { authorization: `Bearer ${request.token}` } : {}),
          ...(body !== undefined ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) } : {}),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        response.on("error", reject);
      },
    );
    outgoing.on("timeout", () => outgoing.destroy(new Error("timed out")));
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}
