/**
 * Failure handling Moleculer's options leave out (docs/architecture.md, "Fault tolerance").
 *
 * Moleculer looks for nodes whose heartbeats stopped only once per HEARTBEAT_TIMEOUT, so a
 * SIGKILLed node was noticed one to two timeouts after it died (measured: 5–6 s with a 3 s
 * timeout), and calls routed to it waited that long. Looking every HEARTBEAT_INTERVAL with
 * Moleculer's own check notices it about one timeout after its last heartbeat; its pending
 * calls are then rejected and retried on another node.
 */
import { Errors, type Middleware, type ServiceBroker } from "moleculer";

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

type Call = (action: string, params?: unknown, opts?: { nodeID?: string }) => Promise<unknown>;

/**
 * Moleculer's retry policy wraps an action's handler, so it never sees a call that found no node
 * at all: for a moment after a transporter reconnect, while nodes rediscover each other, or
 * between a node leaving and its replacement being known. Such a call waits for a node, a little
 * at a time, up to `budgetMs`, before it fails as before.
 */
export function AwaitEndpointMiddleware(budgetMs: number, stepMs = 100): Middleware {
  const noNode = (err: unknown) => err instanceof Errors.ServiceNotFoundError || err instanceof Errors.ServiceNotAvailableError;
  return {
    name: "AwaitEndpoint",
    call(next: Call): Call {
      return async function awaitEndpoint(action, params, opts) {
        const deadline = Date.now() + budgetMs;
        for (;;) {
          try {
            return await next(action, params, opts);
          } catch (err) {
            // A call aimed at one node, or out of time, fails as it is.
            if (!noNode(err) || opts?.nodeID || Date.now() + stepMs > deadline) throw err;
            await new Promise((resolve) => setTimeout(resolve, stepMs));
          }
        }
      };
    },
  } as unknown as Middleware;
}
