/**
 * Metrics exposure (issue 8, finding 6) in the current mode: the metrics port listens on
 * METRICS_HOST only, its output says nothing about the host, and in cluster mode the public
 * API port serves no metrics at all.
 */
import os from "node:os";
import { freePort } from "../helpers/processes";
import { MODE, clusterMode } from "../helpers/env";
import { nodeSuite } from "../helpers/node-suite";

let metricsPort: number;
const suite = nodeSuite(async () => {
  metricsPort = await freePort();
  return { METRICS_PORT: String(metricsPort), METRICS_HOST: "127.0.0.1" };
});

describe(`metrics (${MODE} mode)`, () => {
  it("the metrics port listens on METRICS_HOST (127.0.0.1 here), not on every interface", () => {
    const reporters = (suite.node.broker as unknown as { metrics: { reporter: Array<{ server?: import("node:http").Server }> } }).metrics
      .reporter;
    const address = reporters.map((reporter) => reporter.server?.address()).find(Boolean);
    expect(address).toEqual(expect.objectContaining({ address: "127.0.0.1", port: metricsPort }));
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
