/**
 * The REST routes under /api/v1, in one table: the gateway builds its aliases from it, and the
 * hostile-input and authorization suites walk it, so a new route is routed, fuzzed and checked
 * for access by adding one line.
 */
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

export const API_ROUTES: readonly RouteSpec[] = [
  { method: "POST", path: "/auth/register", action: "auth.register", access: "public" },
  { method: "POST", path: "/auth/login", action: "auth.login", access: "public" },
  { method: "POST", path: "/auth/refresh", action: "auth.refresh", access: "public" },
  { method: "POST", path: "/auth/logout", action: "auth.logout", access: "user" },
  { method: "POST", path: "/auth/logout-all", action: "auth.logoutAll", access: "user" },
  { method: "GET", path: "/me", action: "auth.me", access: "user" },
  { method: "PATCH", path: "/me", action: "auth.updateProfile", access: "user" },
  { method: "GET", path: "/me/webhook", action: "auth.webhook", access: "user" },
  { method: "POST", path: "/me/webhook/rotate-secret", action: "auth.rotateWebhookSecret", access: "user" },
  { method: "POST", path: "/habits", action: "habits.create", access: "user" },
  { method: "GET", path: "/habits", action: "habits.list", access: "user" },
  { method: "GET", path: "/habits/:id", action: "habits.get", access: "user" },
  { method: "PATCH", path: "/habits/:id", action: "habits.update", access: "user" },
  { method: "DELETE", path: "/habits/:id", action: "habits.remove", access: "user" },
  { method: "PUT", path: "/habits/:id/checkins/:date", action: "tracking.put", access: "user" },
  { method: "DELETE", path: "/habits/:id/checkins/:date", action: "tracking.remove", access: "user" },
  { method: "GET", path: "/habits/:id/checkins", action: "tracking.list", access: "user" },
  { method: "POST", path: "/habits/:id/checkins", action: "tracking.post", access: "user" },
  { method: "GET", path: "/habits/:id/streak", action: "tracking.streak", access: "user" },
  { method: "GET", path: "/habits/:id/stats", action: "tracking.stats", access: "user" },
  { method: "GET", path: "/today", action: "tracking.today", access: "user" },
  { method: "GET", path: "/notifications", action: "notifications.list", access: "user" },
  { method: "POST", path: "/notifications/:id/read", action: "notifications.read", access: "user" },
  { method: "GET", path: "/admin/dead-letters", action: "notifications.deadLetters", access: "admin" },
  { method: "POST", path: "/admin/dead-letters/retry", action: "notifications.retryDeadLetters", access: "admin" },
  { method: "POST", path: "/admin/dead-letters/:id/retry", action: "notifications.retryDeadLetter", access: "admin" },
];

/** Whether requests to the route carry their fields in a JSON body (else in the query string). */
export function takesBody(route: Pick<RouteSpec, "method">): boolean {
  return route.method === "POST" || route.method === "PUT" || route.method === "PATCH";
}

/** moleculer-web aliases (`"GET /me": "auth.me"`) for the routes of the given access levels. */
export function aliasesFor(access: readonly Access[]): Record<string, string> {
  return Object.fromEntries(
    API_ROUTES.filter((route) => access.includes(route.access)).map((route) => [`${route.method} ${route.path}`, route.action]),
  );
}

const ROUTES_BY_ACTION = new Map(API_ROUTES.map((route) => [route.action, route]));

/** The route an action is reached by, if it has one. */
export function routeOf(action: string): RouteSpec | undefined {
  return ROUTES_BY_ACTION.get(action);
}
