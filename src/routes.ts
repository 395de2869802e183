/**
 * The REST routes under /api/v1, read off the action declarations (`rest` for method and path,
 * `auth` for who may call; types/moleculer.d.ts) of the service schemas: routes are declared
 * once, on the actions, and the gateway builds its aliases from this table. The hostile-input and
 * authorization suites walk the same table, so a new route is routed, fuzzed and checked for
 * access by declaring it.
 */
import type { ServiceSchema } from "moleculer";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Who may call a route: anyone, a signed-in user, or an admin. */
export type Access = "public" | "user" | "admin";

export interface RouteSpec {
  method: HttpMethod;
  /** Under /api/v1, in moleculer-web's alias syntax (`:id`). */
  path: string;
  action: string;
  access: Access;
}

const REST = /^(GET|POST|PUT|PATCH|DELETE) (\/\S*)$/;

/**
 * Every action of these schemas that declares `rest: "<METHOD> <path>"`, in declaration order.
 * @throws on a malformed `rest`, a missing `auth`, or two actions on one route
 */
export function routesOf(schemas: readonly ServiceSchema[]): RouteSpec[] {
  const routes: RouteSpec[] = [];
  for (const schema of schemas) {
    for (const [name, action] of Object.entries(schema.actions ?? {})) {
      if (typeof action !== "object" || action === null || !("rest" in action) || action.rest == null) continue;
      const match = typeof action.rest === "string" ? REST.exec(action.rest) : null;
      if (!match) throw new Error(`${schema.name}.${name}: rest must be "<METHOD> /path"`);
      if (!action.auth) throw new Error(`${schema.name}.${name}: an action with a route says who may call it (auth)`);
      const route: RouteSpec = { method: match[1] as HttpMethod, path: match[2], action: `${schema.name}.${name}`, access: action.auth };
      const taken = routes.find((other) => other.method === route.method && other.path === route.path);
      if (taken) throw new Error(`${route.method} ${route.path} is declared by both ${taken.action} and ${route.action}`);
      routes.push(route);
    }
  }
  return routes;
}

/** Whether requests to the route carry their fields in a JSON body (else in the query string). */
export function takesBody(route: Pick<RouteSpec, "method">): boolean {
  return route.method === "POST" || route.method === "PUT" || route.method === "PATCH";
}

/** moleculer-web aliases (`"GET /me": "auth.me"`) for the routes of the given access levels. */
export function aliasesFor(routes: readonly RouteSpec[], access: readonly Access[]): Record<string, string> {
  return Object.fromEntries(
    routes.filter((route) => access.includes(route.access)).map((route) => [`${route.method} ${route.path}`, route.action]),
  );
}
