/**
 * One route table (issue 9, checks 3 and 4), in the current mode: the gateway's aliases are
 * exactly the `rest` declarations of the actions the cluster's registry knows, with their `auth`;
 * and every user-scoped action called as the REPL calls it, with no user, answers the clear
 * 401 USER_REQUIRED naming itself (admin actions take a call with no user as an operator's).
 */
import { Errors } from "moleculer";
import { MODE } from "../helpers/env";
import { nodeSuite } from "../helpers/node-suite";
import { ROUTES, registerAccount, routeKey, sampleFor, type Sample } from "../helpers/route-samples";
import type { RouteSpec } from "../../src/routes";

const suite = nodeSuite();

/** The params an HTTP request for this sample hands its action: path, query and body fields. */
function paramsOf(route: RouteSpec, sample: Sample): Record<string, unknown> {
  const [pathPart, query = ""] = sample.path.split("?");
  const names = [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1]);
  const pattern = new RegExp(`^${route.path.replace(/:\w+/g, "([^/]+)")}$`);
  const values = pattern.exec(pathPart)?.slice(1) ?? [];
  return {
    ...Object.fromEntries(new URLSearchParams(query)),
    // The gateway hands an upload's bytes over as base64 (services/api.service.ts).
    ...(sample.upload ? { file: sample.upload.bytes.toString("base64") } : sample.body),
    ...Object.fromEntries(names.map((name, i) => [name, values[i]])),
  };
}

describe(`one route table (${MODE} mode)`, () => {
  it("the gateway routes exactly what the actions declare, under /api/v1, with the access they declare", () => {
    const gateway = suite.node.broker.getLocalService("api") as unknown as {
      aliases: Array<{ method: string; fullPath: string; action: string }>;
    };
    const served = gateway.aliases
      .filter((alias) => alias.fullPath.startsWith("/api/v1/"))
      .map((alias) => `${alias.method} ${alias.fullPath} → ${alias.action}`)
      .sort();
    const declared = suite.node.broker.registry
      .getActionList({ onlyLocal: false, skipInternal: true, withEndpoints: false })
      .flatMap((entry) => {
        const action = entry.action as unknown as { rest?: string; auth?: string } | undefined;
        return typeof action?.rest === "string" ? [`${action.rest.replace(" /", " /api/v1/")} → ${entry.name}`] : [];
      })
      .sort();
    expect(served).toEqual(declared);
    expect(served).toHaveLength(ROUTES.length);
    const access = Object.fromEntries(
      suite.node.broker.registry
        .getActionList({ skipInternal: true })
        .map((entry) => [entry.name, (entry.action as unknown as { auth?: string })?.auth]),
    );
    for (const route of ROUTES) expect([route.action, access[route.action]]).toEqual([route.action, route.access]);
  });

  const scoped = ROUTES.filter((route) => route.access === "user");

  it.each(scoped.map((route) => [routeKey(route), route] as const))(
    "%s without a user (as from the REPL): 401 USER_REQUIRED naming the action",
    async (_key, route) => {
      const owner = await registerAccount(suite.api);
      const today = (await suite.api.get("/today", owner.token)).body.date;
      const params = paramsOf(route, await sampleFor(route)({ api: suite.api, owner, today }));
      const error = await suite.node.broker.call(route.action, params, { meta: { $repl: true } }).then(
        () => null,
        (err: Errors.MoleculerError) => err,
      );
      expect(error).toMatchObject({ code: 401, type: "USER_REQUIRED" });
      expect(error?.message).toContain(route.action);
      expect(error?.message).toContain("--#user.id");
    },
  );

  it.each(scoped.map((route) => [routeKey(route), route] as const))(
    "%s on behalf of its user (as from the REPL): that user's answer",
    async (_key, route) => {
      const owner = await registerAccount(suite.api);
      const today = (await suite.api.get("/today", owner.token)).body.date;
      const sample = await sampleFor(route)({ api: suite.api, owner, today });
      const params = paramsOf(route, sample);
      const meta = { $repl: true, user: { id: owner.userId } };
      const outcome = await suite.node.broker.call(route.action, params, { meta }).then(
        () => ({ ok: true }),
        (err: Errors.MoleculerError) => ({ ok: false, code: err.code }),
      );
      // A sample made to be refused (a wrong password) is refused the same way.
      const refusal = sample.ok.find((status) => status >= 400);
      expect(outcome).toEqual(refusal ? { ok: false, code: refusal } : { ok: true });
    },
  );
});
