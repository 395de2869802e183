/**
 * Failure handling Moleculer's options leave out (docs/architecture.md, "Fault tolerance").
 *
 * Moleculer looks for nodes whose heartbeats stopped only once per HEARTBEAT_TIMEOUT and counts
 * in whole seconds, so a SIGKILLed node was noticed one to two timeouts after it died (measured:
 * 5–6 s with a 3 s timeout), and calls routed to it waited that long. Here every heartbeat (or
 * INFO) from a node re-arms a deadline of exactly one timeout; when it passes, the node is
 * disconnected as Moleculer would, its pending calls are rejected and retried on another node.
 * The last heartbeat came before the death, so the node is noticed within one timeout of it.
 */
import { Errors, type Middleware, type ServiceBroker } from "moleculer";

interface Packet {
  payload?: { sender?: string };
}
type MessageHandler = (cmd: string, packet: Packet) => unknown;
interface NodeCatalog {
  disconnected(nodeID: string, isUnexpected: boolean): void;
  get(nodeID: string): { available: boolean } | undefined;
}

const ALIVE = new Set(["HEARTBEAT", "INFO"]);

export function FailureDetectionMiddleware(timeoutSeconds: number): Middleware {
  const deadlines = new Map<string, NodeJS.Timeout>();
  let broker: ServiceBroker | null = null;

  const expire = (nodeID: string, armedAt: number) => {
    // A timer that fires late means this node's own event loop was held up: packets already
    // read may still be queued behind it. Decide after them, and only if none was a heartbeat.
    setImmediate(() => {
      if (!broker || deadlines.get(nodeID) !== undefined) return;
      if (Date.now() - armedAt > timeoutSeconds * 1000 * 1.5) return arm(nodeID);
      const nodes = broker.registry.nodes as unknown as NodeCatalog;
      if (!nodes.get(nodeID)?.available) return;
      broker.logger.warn(`No heartbeat from '${nodeID}' for ${timeoutSeconds} s: disconnecting it.`);
      nodes.disconnected(nodeID, true);
    });
  };

  const arm = (nodeID: string) => {
    clearTimeout(deadlines.get(nodeID));
    const armedAt = Date.now();
    const timer = setTimeout(() => {
      deadlines.delete(nodeID);
      expire(nodeID, armedAt);
    }, timeoutSeconds * 1000);
    timer.unref();
    deadlines.set(nodeID, timer);
  };

  return {
    name: "FailureDetection",
    created(created: ServiceBroker) {
      broker = created;
    },
    transitMessageHandler(next: MessageHandler): MessageHandler {
      return (cmd, packet) => {
        const sender = packet.payload?.sender;
        if (ALIVE.has(cmd) && sender && sender !== broker?.nodeID) arm(sender);
        return next(cmd, packet);
      };
    },
    async stopped() {
      for (const timer of deadlines.values()) clearTimeout(timer);
      deadlines.clear();
      broker = null;
    },
  } as unknown as Middleware;
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
