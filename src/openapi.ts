/**
 * The API description: an OpenAPI 3.1 document of every route, generated from the route table
 * (src/routes.ts) — the same `rest`, `auth`, `params` and `response` declarations the gateway
 * routes, authenticates and validates with — so it cannot drift from what is served. Request
 * fields come from `params` (src/openapi-params.ts: a JSON body for POST/PUT/PATCH/DELETE, the
 * query string for GET, path parameters always), success responses from `response`
 * (src/api-schemas.ts), and the error responses from what the gateway answers for a route of
 * that kind (`errorStatuses`). Made once per node, at start; served as GET /api/openapi.json.
 */
import { STATUS_CODES } from "node:http";
import { version } from "../package.json";
import { CUSTOM_RULES, SCHEMAS, type JsonSchema } from "./api-schemas";
import { isRequired, paramsSchema, ruleSchema, type ConvertOptions } from "./openapi-params";
import { RATE_LIMITED, takesBody, type RouteSpec } from "./routes";

export type OpenApiDocument = JsonSchema & { paths: Record<string, Record<string, JsonSchema>> };

/** `authTokens` → `AuthTokens`. */
const componentName = (key: string) => key[0].toUpperCase() + key.slice(1);
const COMPONENT_OF = new Map<unknown, string>(Object.entries(SCHEMAS).map(([key, schema]) => [schema, componentName(key)]));
const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A copy of `schema` with every schema of SCHEMAS inside it (not itself) replaced by its `$ref`. */
function withRefs(schema: unknown, root = true): unknown {
  if (!root && COMPONENT_OF.has(schema)) return schemaRef(COMPONENT_OF.get(schema) as string);
  if (Array.isArray(schema)) return schema.map((item) => withRefs(item, false));
  if (typeof schema !== "object" || schema === null) return schema;
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, withRefs(value, false)]));
}

/** Any schema as the document writes it: a component's `$ref`, or inline with refs inside. */
const described = (schema: JsonSchema) => withRefs(schema, !COMPONENT_OF.has(schema)) as JsonSchema;

const retryAfter = { description: "Seconds to wait before trying again.", required: true, schema: { type: "integer", minimum: 1 } };

/** Each error status an operation may list, as a shared response. */
const ERROR_RESPONSES: Record<number, { name: string; description: string; schema?: string; retryAfter?: boolean }> = {
  400: { name: "BadRequest", description: "Malformed JSON, an undecodable path or a malformed request." },
  401: {
    name: "Unauthorized",
    description: "No, a malformed, forged, expired or revoked token; wrong credentials; a token for a session or user that does not exist.",
  },
  403: { name: "Forbidden", description: "Signed in but not allowed (admins only), or a wrong password confirming the request." },
  404: { name: "NotFound", description: "Unknown, or someone else's (another user's resource is never revealed)." },
  409: { name: "Conflict", description: "A conflict (the e-mail address is taken)." },
  413: { name: "PayloadTooLarge", description: "The body is over the limit (BODY_LIMIT_BYTES)." },
  415: { name: "UnsupportedMediaType", description: "A body that is not JSON, or compressed (Content-Encoding)." },
  422: {
    name: "ValidationFailed",
    description: "Validation failed: `data` lists `{field, type, message}`, one per problem.",
    schema: "ValidationError",
  },
  429: { name: "TooManyRequests", description: "Rate limited.", retryAfter: true },
  503: { name: "ServiceUnavailable", description: "A service this request needs is not available.", retryAfter: true },
};

/**
 * The error statuses a route can answer: 401 unless public, 403 on admin routes, 404 with a path
 * parameter, 422 with params, 429 when rate-limited, 400/413/415 with a body, 503 always; and
 * those its handler declares (`response.errors`).
 */
export function errorStatuses(route: RouteSpec): number[] {
  const statuses = new Set([503, ...(route.response.errors ?? [])]);
  if (takesBody(route)) for (const status of [400, 413, 415]) statuses.add(status);
  if (route.access !== "public") statuses.add(401);
  if (route.access === "admin") statuses.add(403);
  if (/:\w+/.test(route.path)) statuses.add(404);
  if (Object.keys(route.params).length > 0) statuses.add(422);
  if (RATE_LIMITED[route.action]) statuses.add(429);
  return [...statuses].sort((a, b) => a - b);
}

/** `/habits/:id/checkins/:date` → `/habits/{id}/checkins/{date}`. */
export const openApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");

const pathNames = (path: string) => [...path.matchAll(/:(\w+)/g)].map((match) => match[1]);

function operationOf(route: RouteSpec, options: ConvertOptions): JsonSchema {
  const names = pathNames(route.path);
  const fail = (problem: string) => new Error(`${route.method} ${route.path} (${route.action}): ${problem}`);
  const parameters: JsonSchema[] = names.map((name) => {
    if (!(name in route.params)) throw fail(`the path parameter '${name}' has no params rule`);
    return { name, in: "path", required: true, schema: described(ruleSchema(route.params[name], name, options)) };
  });
  const fields = paramsSchema(route.params, names, options);
  const properties = fields.properties as Record<string, JsonSchema>;
  const body = takesBody(route) && Object.keys(properties).length > 0;
  const upload = route.requestBody;
  // With a requestBody the HTTP body is that (the gateway hands it to the action as its params).
  if (!takesBody(route)) {
    for (const [name, schema] of Object.entries(properties)) {
      if (schema.type === "object" || schema.type === "array") throw fail(`the query parameter '${name}' must be plain text`);
      parameters.push({ name, in: "query", required: isRequired(route.params[name]), schema: described(schema) });
    }
  }
  return {
    operationId: route.action,
    tags: [route.action.split(".")[0]],
    ...(route.access === "admin" ? { description: "Admins only." } : {}),
    security: route.access === "public" ? [] : [{ bearer: [] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(upload
      ? {
          requestBody: {
            required: true,
            ...(upload.description ? { description: upload.description } : {}),
            content: { [upload.contentType]: upload.schema ? { schema: described(upload.schema) } : {} },
          },
        }
      : body
        ? { requestBody: { required: Array.isArray(fields.required), content: { "application/json": { schema: described(fields) } } } }
        : {}),
    responses: responsesOf(route),
  };
}

function responsesOf(route: RouteSpec): JsonSchema {
  const { status, also = [], schema, contentType = "application/json", description } = route.response;
  const responses: JsonSchema = {};
  for (const success of [status, ...also]) {
    const response: JsonSchema = { description: description ?? STATUS_CODES[success] };
    if (schema) response.content = { [contentType]: { schema: described(schema) } };
    if (success === 201)
      response.headers = { Location: { description: "Where the created resource is.", required: true, schema: { type: "string" } } };
    responses[success] = response;
  }
  for (const error of errorStatuses(route)) {
    const shared = ERROR_RESPONSES[error];
    responses[error] = shared
      ? { $ref: `#/components/responses/${shared.name}` }
      : { description: STATUS_CODES[error] ?? "Error", content: { "application/json": { schema: schemaRef("Error") } } };
  }
  return responses;
}

function sharedResponses(): JsonSchema {
  return Object.fromEntries(
    Object.values(ERROR_RESPONSES).map(({ name, description, schema = "Error", retryAfter: retry }) => [
      name,
      {
        description,
        content: { "application/json": { schema: schemaRef(schema) } },
        ...(retry ? { headers: { "Retry-After": retryAfter } } : {}),
      },
    ]),
  );
}

/** The OpenAPI 3.1 document of these routes. @throws when a route's params or response cannot be described */
export function openApiDocument(routes: readonly RouteSpec[]): OpenApiDocument {
  const options: ConvertOptions = { custom: CUSTOM_RULES };
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const item = (paths[openApiPath(route.path)] ??= {});
    item[route.method.toLowerCase()] = operationOf(route, options);
  }
  const tags = [...new Set(routes.map((route) => route.action.split(".")[0]))].map((name) => ({ name }));
  return {
    openapi: "3.1.0",
    info: {
      title: "habit-tracker",
      version,
      description:
        "A habit-tracking backend: accounts, habits, check-ins, streaks, stats and notifications. " +
        "JSON in and out; errors have the shape `{name, message, code, type, data}`. The full contract is docs/contract.md.",
      license: { name: "MIT", identifier: "MIT" },
    },
    servers: [{ url: "/api/v1" }],
    tags,
    paths,
    components: {
      schemas: Object.fromEntries([...COMPONENT_OF].map(([schema, name]) => [name, withRefs(schema)])),
      responses: sharedResponses(),
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "An access token from /auth/login." },
      },
    },
  };
}
