import "moleculer";

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
  }
}
