/**
 * The failure detector on two real brokers joined by Moleculer's in-process transporter: one
 * stops sending heartbeats (as a SIGKILLed node does) and the other must notice it within one
 * heartbeat timeout of the last heartbeat, with Moleculer's own check switched off so only the
 * detector can act.
 */
import { ServiceBroker, type Middleware } from "moleculer";
import { FailureDetectionMiddleware } from "../../src/failure-detection";

const TIMEOUT_S = 2;

let lastHeartbeatSent = 0;
/** Notes when the silent node publishes a heartbeat. */
const HeartbeatClock = {
  name: "HeartbeatClock",
  transitPublish: (next: (packet: { type: string }) => Promise<void>) => (packet: { type: string }) => {
    if (packet.type === "HEARTBEAT") lastHeartbeatSent = Date.now();
    return next(packet);
  },
};

function broker(nodeID: string, detect: boolean): ServiceBroker {
  return new ServiceBroker({
    nodeID,
    namespace: `failure-detection-${process.pid}`,
    transporter: "Fake",
    logger: false,
    heartbeatInterval: 1,
    heartbeatTimeout: TIMEOUT_S,
    registry: { discoverer: { type: "Local", options: { disableHeartbeatChecks: true } } },
    middlewares: [detect ? FailureDetectionMiddleware(TIMEOUT_S) : (HeartbeatClock as unknown as Middleware)],
  });
}

interface Discoverer {
  stopHeartbeatTimers(): void;
}

describe("FailureDetectionMiddleware", () => {
  const watcher = broker("watcher", true);
  const silent = broker("silent", false);
  silent.createService({ name: "echo", actions: { say: (ctx) => ctx.params } });

  beforeAll(async () => {
    await Promise.all([watcher.start(), silent.start()]);
    await watcher.waitForServices("echo");
  });
  afterAll(async () => {
    await Promise.all([watcher.stop(), silent.stop().catch(() => undefined)]);
  });

  it("keeps a node that sends heartbeats, and disconnects one within a timeout of its last heartbeat", async () => {
    // Heartbeats keep it: after more than a timeout it is still there.
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_S * 1000 + 1_200));
    expect(watcher.registry.nodes.get("silent")?.available).toBe(true);

    const disconnected = new Promise<number>((resolve) => watcher.localBus.once("$node.disconnected", () => resolve(Date.now())));
    // Silent from now on, as a SIGKILLed node is.
    (silent.registry as unknown as { discoverer: Discoverer }).discoverer.stopHeartbeatTimers();
    const noticedAfter = (await disconnected) - lastHeartbeatSent;
    expect(noticedAfter).toBeGreaterThanOrEqual(TIMEOUT_S * 1000 - 50);
    expect(noticedAfter).toBeLessThanOrEqual(TIMEOUT_S * 1000 + 150);
    expect(watcher.registry.nodes.get("silent")?.available).toBe(false);
    await expect(watcher.call("echo.say", { a: 1 })).rejects.toThrow(/not (found|available)/i);
  }, 20_000);
});
