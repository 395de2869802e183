/**
 * One in-process node per suite, in the current mode (embedded or cluster), with the checks
 * every HTTP suite shares: the node stops and its database is dropped afterwards, the clock is
 * restored, and no response may be a 5xx (a suite expecting one clears `api.statuses`).
 */
import { startNode, type HabitNode } from "../../src/node";
import { Api } from "./http";
import { suiteEnv, type Env, type SuiteEnv } from "./env";

export interface NodeSuite {
  readonly node: HabitNode;
  readonly api: Api;
  /** Registers a fresh account and returns its access token. */
  newUser(timezone?: string): Promise<string>;
  /** Pins the node's clock (`null`: the real time again). */
  setClock(next: (() => Date) | null): void;
  /** A query on the node's database, in either mode. */
  query<T extends object>(sql: string, params?: unknown[]): Promise<T[]>;
}

/**
 * `overrides` may be computed when the suite starts (e.g. a free port); `afterStop` tears down
 * what they started, once the node has stopped.
 */
export function nodeSuite(overrides: Env | (() => Promise<Env>) = {}, afterStop?: () => Promise<void>): NodeSuite {
  let suite: SuiteEnv;
  let counter = 0;
  const state = {} as { node: HabitNode; api: Api };

  beforeAll(async () => {
    suite = await suiteEnv(typeof overrides === "function" ? await overrides() : overrides);
    state.node = await startNode(suite.env);
    state.api = new Api(`http://127.0.0.1:${state.node.port}/api/v1`);
  });

  afterAll(async () => {
    state.node?.runtime.clock.set(null);
    await state.node?.stop();
    await afterStop?.();
    await suite?.cleanup();
  });

  afterEach(() => {
    expect(state.api.statuses.filter((status) => status >= 500)).toEqual([]);
  });

  return {
    get node() {
      return state.node;
    },
    get api() {
      return state.api;
    },
    async newUser(timezone = "UTC") {
      const email = `u${Date.now()}-${counter++}@example.com`;
      const reply = await state.api.post("/auth/register", { email, password: "correct horse battery", timezone });
      expect(reply.status).toBe(201);
      return reply.body.accessToken as string;
    },
    setClock(next) {
      state.node.runtime.clock.set(next);
    },
    query<T extends object>(sql: string, params: unknown[] = []) {
      if (!state.node.runtime.database) throw new Error("this node has no database");
      return state.node.runtime.database.query<T>(sql, params);
    },
  };
}
