import { NodeHealth, type HealthCheck } from "../../src/node-health";

const passing = (name: string, optional = false): HealthCheck => ({ name, optional, probe: async () => null });
const failing = (name: string, problem: string, optional = false): HealthCheck => ({ name, optional, probe: async () => problem });

describe("NodeHealth", () => {
  it("is ok when every check passes", async () => {
    expect(await new NodeHealth([passing("store"), passing("service:auth", true)]).readiness()).toEqual({
      status: "ok",
      checks: { store: "ok", "service:auth": "ok" },
    });
  });

  it("is unavailable when a required check fails, naming it", async () => {
    const report = await new NodeHealth([failing("database", "connection refused"), passing("store")]).readiness();
    expect(report).toEqual({ status: "unavailable", checks: { database: "connection refused", store: "ok" } });
  });

  it("is degraded, not unavailable, when only an optional check fails", async () => {
    const report = await new NodeHealth([passing("store"), failing("service:auth", "no available node runs it", true)]).readiness();
    expect(report.status).toBe("degraded");
    expect(report.checks["service:auth"]).toBe("no available node runs it");
  });

  it("reports a probe that throws by its message, and one that hangs after a second", async () => {
    const thrown: HealthCheck = { name: "store", probe: () => Promise.reject(new Error("ECONNREFUSED")) };
    const hung: HealthCheck = { name: "database", probe: () => new Promise(() => undefined) };
    const began = Date.now();
    const report = await new NodeHealth([thrown, hung]).readiness();
    expect(report).toEqual({ status: "unavailable", checks: { store: "ECONNREFUSED", database: "no answer within 1000 ms" } });
    expect(Date.now() - began).toBeLessThan(3_000);
  });

  it("is unavailable from the moment shutdown begins, whatever the checks say", async () => {
    const health = new NodeHealth([passing("store")]);
    health.beginShutdown();
    expect(await health.readiness()).toEqual({ status: "unavailable", checks: { node: "shutting down", store: "ok" } });
  });
});
