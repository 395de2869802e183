/**
 * A node's liveness and readiness, the same on every role (src/ops-server.ts serves them on
 * METRICS_PORT; the gateway also on its own port). Ready means this node can do its job: it is
 * not shutting down, its transporter is connected, its database answers and has every migration,
 * the shared store answers, and a node runs each service it calls. A check marked optional is
 * reported but does not make the node unready: the gateway answers 503 itself for a route whose
 * service is missing, which is better than a load balancer dropping every gateway.
 */

export interface HealthCheck {
  name: string;
  /** Rejects, or resolves to a problem, when the part is not usable. */
  probe(): Promise<string | null>;
  optional?: boolean;
}

export interface ReadyReport {
  /** `degraded`: every required check passes, an optional one does not (still 200). */
  status: "ok" | "degraded" | "unavailable";
  checks: Record<string, string>;
}

const PROBE_TIMEOUT_MS = 1_000;

function withTimeout(probe: () => Promise<string | null>): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>(
    (resolve) => (timer = setTimeout(() => resolve(`no answer within ${PROBE_TIMEOUT_MS} ms`), PROBE_TIMEOUT_MS)),
  );
  return Promise.race([probe().catch((err: Error) => err.message || "failed"), late]).finally(() => clearTimeout(timer));
}

export class NodeHealth {
  private shuttingDown = false;

  constructor(private readonly checks: readonly HealthCheck[]) {}

  /** From now on readiness answers 503, so load balancers stop sending requests here. */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  async readiness(): Promise<ReadyReport> {
    const results = await Promise.all(this.checks.map(async (check) => ({ check, problem: await withTimeout(check.probe) })));
    const checks: Record<string, string> = {};
    if (this.shuttingDown) checks.node = "shutting down";
    let status: ReadyReport["status"] = this.shuttingDown ? "unavailable" : "ok";
    for (const { check, problem } of results) {
      checks[check.name] = problem ?? "ok";
      if (problem === null) continue;
      if (!check.optional) status = "unavailable";
      else if (status === "ok") status = "degraded";
    }
    return { status, checks };
  }
}
