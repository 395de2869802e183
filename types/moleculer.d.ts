import "moleculer";
import type { RouteRequestBody, RouteResponse } from "../src/routes";

declare module "moleculer" {
  interface ServiceSchema {
    /** Called with the merged schema before the service is created (Moleculer supports it; its types omit it). */
    merged?: (schema: ServiceSchema) => void;
  }

  interface ActionSchema {
    /**
     * Who may call the action's `rest` route: anyone, a signed-in user, or an admin (src/routes.ts).
     * Read by the gateway when it builds its routes from the actions.
     */
    auth?: "public" | "user" | "admin";
    /**
     * What the action's `rest` route answers on success: status and body schema (src/routes.ts,
     * src/api-schemas.ts). Required with `rest`; the API description (src/openapi.ts) is made of it.
     */
    response?: RouteResponse;
    /** The request body when it is not the JSON object `params` describes (a file upload). */
    requestBody?: RouteRequestBody;
  }
}
