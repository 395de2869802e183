import "moleculer";

declare module "moleculer" {
  interface ServiceSchema {
    /** Called with the merged schema before the service is created (Moleculer supports it; its types omit it). */
    merged?: (schema: ServiceSchema) => void;
  }
}
