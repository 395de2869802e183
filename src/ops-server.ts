/**
 * The operations port (METRICS_PORT on METRICS_HOST), on every node whatever its role:
 * `/metrics` (Prometheus text), `/health/live` and `/health/ready` (src/node-health.ts), so
 * every role can have probes. GET and HEAD only; nothing else is served.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzip } from "node:zlib";
import { promisify } from "node:util";
import type { NodeHealth } from "./node-health";
import { applySecurityHeaders, answerClientError } from "./http";

const gzipped = promisify(gzip);

export interface OpsContent {
  health: NodeHealth;
  /** Prometheus text, or null when metrics are off. */
  metrics(): string | null;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" }).end(JSON.stringify(body));
}

/** `/health/live` and `/health/ready`, shared with the gateway's port. */
export async function answerHealth(health: NodeHealth, which: "live" | "ready", res: ServerResponse): Promise<void> {
  if (which === "live") return json(res, 200, { status: "ok" });
  const report = await health.readiness();
  json(res, report.status === "unavailable" ? 503 : 200, report);
}

async function handle(content: OpsContent, req: IncomingMessage, res: ServerResponse): Promise<void> {
  applySecurityHeaders(res);
  req.resume();
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { Allow: "GET, HEAD" }).end();
    return;
  }
  const path = (req.url ?? "/").split("?")[0];
  if (path === "/health/live" || path === "/health/ready")
    return answerHealth(content.health, path === "/health/live" ? "live" : "ready", res);
  const text = path === "/metrics" ? content.metrics() : null;
  if (text === null) return json(res, 404, { status: "not found" });
  const headers: http.OutgoingHttpHeaders = { "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Cache-Control": "no-store" };
  if (/\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) {
    res.writeHead(200, { ...headers, "Content-Encoding": "gzip" }).end(await gzipped(text));
  } else {
    res.writeHead(200, headers).end(text);
  }
}

export class OpsServer {
  private constructor(private readonly server: http.Server) {}

  static start(host: string, port: number, content: OpsContent): Promise<OpsServer> {
    const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => {
      handle(content, req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    server.on("clientError", answerClientError);
    return new Promise((resolve, reject) => {
      server.once("error", (err) => reject(new Error(`METRICS_PORT: cannot listen on ${host}:${port} (${err.message})`, { cause: err })));
      server.listen(port, host, () => resolve(new OpsServer(server)));
    });
  }

  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
