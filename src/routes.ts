/**
 * The REST routes under /api/v1, read off the action declarations (`rest` for method and path,
 * `auth` for who may call; types/moleculer.d.ts) of the service schemas: routes are declared
 * once, on the actions, and the gateway builds its aliases from this table. The hostile-input and
 * authorization suites walk the same table, so a new route is routed, fuzzed and checked for
 * access by declaring it. Each routed action also declares its success `response`
 * (src/api-schemas.ts), from which, with its `params`, the API description is generated
 * (src/openapi.ts): a route without one fails here, at start, so none goes undocumented.
 */
import type { ServiceSchema } from "moleculer";
import type { JsonSchema } from "./api-schemas";
import type { AppConfig } from "./config";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Who may call a route: anyone, a signed-in user, or an admin. */
export type Access = "public" | "user" | "admin";

export type SuccessStatus = 200 | 201 | 202 | 204;

/** What a routed action answers on success (declared on the action, types/moleculer.d.ts). */
export interface RouteResponse {
  status: SuccessStatus;
  /** The body's schema, one of src/api-schemas.ts SCHEMAS (or built of them); none with 204. */
  schema?: JsonSchema;
  /** Other success statuses answered with the same body (a check-in: 201 created, 200 replaced). */
  also?: SuccessStatus[];
  /**
   * Error statuses the handler itself answers beyond those every route of its kind can
   * (src/openapi.ts `errorStatuses`): 409 for a taken e-mail, 401 for wrong credentials.
   */
  errors?: number[];
  /** The body's media type when it is not JSON. */
  contentType?: string;
  description?: string;
}

/**
 * The request body of a route that takes one other than the JSON object its `params` describe
 * (declared on the action, types/moleculer.d.ts): e.g. `POST /me/import/loop`, a Loop backup file.
 */
export interface RouteRequestBody {
  contentType: string;
  /** The body's schema; none for bytes. */
  schema?: JsonSchema;
  description?: string;
}

export interface RouteSpec {
  method: HttpMethod;
  /** Under /api/v1, in moleculer-web's alias syntax (`:id`). */
  path: string;
  action: string;
  access: Access;
  /** The action's fastest-validator params, as the validator checks them. */
  params: Record<string, unknown>;
  response: RouteResponse;
  requestBody?: RouteRequestBody;
}

const SUCCESS: readonly number[] = [200, 201, 202, 204];

/** Why a `response` declaration is not one, or null. */
function responseProblem(response: RouteResponse | undefined): string | null {
  if (!response) return "an action with a route declares its success response (`response: { status, schema }`, src/api-schemas.ts)";
  if (!SUCCESS.includes(response.status)) return `response.status ${response.status} is not a success status`;
  const statuses = [response.status, ...(response.also ?? [])];
  if (statuses.some((status) => !SUCCESS.includes(status))) return "response.also lists success statuses only";
  if (statuses.includes(204) && statuses.length > 1) return "a 204 has no body, so no other success status shares its response";
  if (response.status === 204 && response.schema) return "a 204 response has no body (no schema)";
  if (response.status !== 204 && !response.schema) return "response.schema describes the body (src/api-schemas.ts)";
  if ((response.errors ?? []).some((status) => !Number.isInteger(status) || status < 400 || status > 599))
    return "response.errors lists HTTP error statuses (4xx, 5xx)";
  return null;
}

/**
 * The public routes with a rate limit, per client address and per account named, by action, and
 * the limit (config.rateLimits) each counts against: read by the gateway (`limitRate`) and by the
 * API description (their 429).
 */
export const RATE_LIMITED: Readonly<Record<string, keyof AppConfig["rateLimits"] | undefined>> = {
  "auth.login": "login",
  "auth.register": "register",
  "auth.requestPasswordReset": "passwordReset",
  "auth.confirmPasswordReset": "passwordReset",
};

const REST = /^(GET|POST|PUT|PATCH|DELETE) (\/\S*)$/;

/**
 * Every action of these schemas that declares `rest: "<METHOD> <path>"`, in declaration order.
 * @throws on a malformed `rest`, a missing `auth` or `response`, or two actions on one route
 */
export function routesOf(schemas: readonly ServiceSchema[]): RouteSpec[] {
  const routes: RouteSpec[] = [];
  for (const schema of schemas) {
    for (const [name, action] of Object.entries(schema.actions ?? {})) {
      if (typeof action !== "object" || action === null || !("rest" in action) || action.rest == null) continue;
      const match = typeof action.rest === "string" ? REST.exec(action.rest) : null;
      if (!match) throw new Error(`${schema.name}.${name}: rest must be "<METHOD> /path"`);
      if (!action.auth) throw new Error(`${schema.name}.${name}: an action with a route says who may call it (auth)`);
      const problem = responseProblem(action.response);
      if (problem) throw new Error(`${schema.name}.${name}: ${problem}`);
      const route: RouteSpec = {
        method: match[1] as HttpMethod,
        path: match[2],
        action: `${schema.name}.${name}`,
        access: action.auth,
        params: (action.params ?? {}) as Record<string, unknown>,
        response: action.response as RouteResponse,
        ...(action.requestBody ? { requestBody: action.requestBody } : {}),
      };
      const taken = routes.find((other) => other.method === route.method && other.path === route.path);
      if (taken) throw new Error(`${route.method} ${route.path} is declared by both ${taken.action} and ${route.action}`);
      routes.push(route);
    }
  }
  return routes;
}

/** Whether requests to the route carry their fields in a JSON body (else in the query string). */
export function takesBody(route: Pick<RouteSpec, "method">): boolean {
  // DELETE too: `DELETE /me` confirms with the password, which belongs in no URL or log line.
  return route.method !== "GET";
}

/** moleculer-web aliases (`"GET /me": "auth.me"`) for the routes of the given access levels. */
export function aliasesFor(routes: readonly RouteSpec[], access: readonly Access[]): Record<string, string> {
  return Object.fromEntries(
    routes.filter((route) => access.includes(route.access)).map((route) => [`${route.method} ${route.path}`, route.action]),
  );
}
