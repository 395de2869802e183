/**
 * The request id of the work in progress (docs/architecture.md, "Request ids"): the gateway takes
 * the client's `X-Request-Id` (or makes one), answers with it, and runs the request in its
 * context; Moleculer carries it to every call and event as `ctx.requestID`; the outbox stores it
 * with each event, so consumers handle the event in it too. Every log line written in a context
 * carries it as `requestId` (the Pino mixin in moleculer.config.ts).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { CallingOptions, Context, Middleware } from "moleculer";

type CallOptions = CallingOptions & { parentCtx?: unknown; requestID?: string };

const current = new AsyncLocalStorage<string>();

/**
 * On Node 22 and 23 AsyncLocalStorage runs on async_hooks, which cost about a fifth of the
 * throughput (measured: R2 2,300 vs 3,050 req/s); AsyncContextFrame, the default from Node 24,
 * costs nothing measurable. The launchers (scripts/node.sh, the Dockerfile, the benchmark and
 * the tests) start node with these flags.
 */
export function asyncContextFrameFlags(major = Number(process.versions.node.split(".")[0])): string[] {
  return major < 24 ? ["--experimental-async-context-frame"] : [];
}

export function asyncContextFrameMissing(): boolean {
  return asyncContextFrameFlags().some((flag) => !process.execArgv.includes(flag));
}

/** Printable, bounded ids only: anything else from a client is replaced by a new one. */
const ACCEPTED_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given !== undefined && ACCEPTED_ID.test(given) ? given : randomUUID();
}

export function currentRequestId(): string | null {
  return current.getStore() ?? null;
}

/** Runs `work` with `requestId` as the current id (none: as it is). */
export function withRequestId<T>(requestId: string | null | undefined, work: () => T): T {
  return requestId ? current.run(requestId, work) : work();
}

/** For Pino's `mixin`: the current id on every line written in a request's context. */
export function requestIdLogFields(): { requestId?: string } {
  const requestId = current.getStore();
  return requestId ? { requestId } : {};
}

/**
 * Every action and event handler runs in its context's request id; at debug level each also says
 * what it served and how long it took, so each node a request touches logs it.
 */
export function RequestContextMiddleware(debug: boolean): Middleware {
  const traced = (handler: (ctx: Context) => Promise<unknown>, what: string) =>
    async function inRequestContext(ctx: Context): Promise<unknown> {
      return withRequestId(ctx.requestID, async () => {
        const began = performance.now();
        try {
          return await handler(ctx);
        } finally {
          ctx.service?.logger.debug(`${what} in ${(performance.now() - began).toFixed(1)} ms`);
        }
      });
    };
  return {
    name: "RequestContext",
    // A call made outside any context (`broker.call` from a handler) keeps the current id.
    call(next: (action: string, params?: unknown, opts?: CallOptions) => Promise<unknown>) {
      return (action: string, params?: unknown, opts?: CallOptions) => {
        const requestId = current.getStore();
        if (!requestId || opts?.parentCtx || opts?.requestID) return next(action, params, opts);
        return next(action, params, { ...opts, requestID: requestId });
      };
    },
    localAction(handler: (ctx: Context) => Promise<unknown>, action: { name: string }) {
      if (debug) return traced(handler, `${action.name} served`);
      return (ctx: Context) => withRequestId(ctx.requestID, () => handler(ctx));
    },
    localEvent(handler: (ctx: Context) => Promise<unknown>, event: { name: string }) {
      if (debug) return traced(handler, `${event.name} handled`);
      return (ctx: Context) => withRequestId(ctx.requestID, () => handler(ctx));
    },
  } as unknown as Middleware;
}
