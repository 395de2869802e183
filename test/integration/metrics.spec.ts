/**
 * Metrics exposure (issue 8, finding 6) in the current mode: the metrics port listens on
 * METRICS_HOST only, its output says nothing about the host, and in cluster mode the public
 * API port serves no metrics at all.
 */
import os from "node:os";
import { freePort, waitFor } from "../helpers/processes";
import { MODE, clusterMode } from "../helpers/env";
import { nodeSuite } from "../helpers/node-suite";

let metricsPort: number;
const suite = nodeSuite(async () => {
  metricsPort = await freePort();
  return { METRICS_PORT: String(metricsPort), METRICS_HOST: "127.0.0.1" };
});

describe(`metrics (${MODE} mode)`, () => {
  it("the metrics port listens on METRICS_HOST (127.0.0.1 here), not on every interface", () => {
    expect(suite.node.ops?.address()).toEqual(expect.objectContaining({ address: "127.0.0.1", port: metricsPort }));
  });

  it("serves the health probes next to the metrics, and nothing else", async () => {
    const base = `http://127.0.0.1:${metricsPort}`;
    const live = await fetch(`${base}/health/live`);
    expect([live.status, await live.json()]).toEqual([200, { status: "ok" }]);
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: "ok",
      checks: { store: "ok", database: "ok", migrations: "ok", "service:auth": "ok" },
    });
    expect((await fetch(`${base}/api/v1/habits`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: "POST" })).status).toBe(405);
    const zipped = await fetch(`${base}/metrics`, { headers: { "Accept-Encoding": "gzip" } });
    expect(zipped.headers.get("content-encoding")).toBe("gzip");
    expect(await zipped.text()).toMatch(/^moleculer_\w+\{/m);
  });

  it("counts requests per route (the pattern, not the URL) and reports the outbox lag", async () => {
    const token = await suite.newUser();
    await suite.api.get("/habits", token);
    await suite.api.get("/habits/00000000-0000-4000-8000-000000000000", token);
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toMatch(/^habit_tracker_http_requests_total\{[^}]*method="GET",route="\/api\/v1\/habits",status="200"\} [1-9]/m);
    expect(text).toMatch(/^habit_tracker_http_requests_total\{[^}]*route="\/api\/v1\/habits\/:id",status="404"\} 1$/m);
    expect(text).toMatch(/^habit_tracker_http_request_duration_bucket\{[^}]*route="\/api\/v1\/auth\/register"/m);
    expect(text).not.toContain("00000000-0000-4000-8000-000000000000");
    // Set every 5 s by nodes whose services write to the outbox.
    const lag = await waitFor(
      "the outbox lag gauges",
      async () => {
        const now = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        return /^habit_tracker_outbox_unpublished\{/m.test(now) ? now : undefined;
      },
      15_000,
    );
    expect(lag).toMatch(/^habit_tracker_outbox_oldest_age_seconds\{[^}]*\} \d/m);
  });

  it("serves Prometheus text without the host's name, user, addresses or the process's arguments", async () => {
    await suite.newUser();
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^moleculer_request_total\{/m);
    expect(text).not.toMatch(/^(os_hostname|os_user_\w+|os_network_\w+|process_arguments|process_pid)\b/m);
    expect(text).not.toContain(`nodeID="`);
    for (const revealing of [os.hostname(), os.homedir(), process.cwd()]) expect(text).not.toContain(revealing);
  });

  (clusterMode ? it : it.skip)("in cluster mode the API port serves no /metrics", async () => {
    expect((await fetch(`http://127.0.0.1:${suite.node.port}/metrics`)).status).toBe(404);
  });
});
