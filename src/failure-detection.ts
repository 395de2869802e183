/**
 * Moleculer looks for nodes whose heartbeats stopped only once per HEARTBEAT_TIMEOUT, so a
 * SIGKILLed node was noticed one to two timeouts after it died (measured: 5–6 s with a 3 s
 * timeout), and calls routed to it waited that long. Looking every HEARTBEAT_INTERVAL with
 * Moleculer's own check notices it about one timeout after its last heartbeat; its pending
 * calls are then rejected and retried on another node.
 */
import type { Middleware, ServiceBroker } from "moleculer";

interface Discoverer {
  checkRemoteNodes(): void;
}

export function FailureDetectionMiddleware(intervalSeconds: number): Middleware {
  let timer: NodeJS.Timeout | null = null;
  return {
    name: "FailureDetection",
    async started(broker: ServiceBroker) {
      const discoverer = (broker.registry as unknown as { discoverer?: Discoverer }).discoverer;
      if (!broker.transit || !discoverer) return;
      timer = setInterval(() => discoverer.checkRemoteNodes(), intervalSeconds * 1000);
      timer.unref();
    },
    async stopped() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
