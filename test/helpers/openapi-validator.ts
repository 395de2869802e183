/**
 * Checks answers against the API description (GET /api/openapi.json): which statuses an
 * operation documents, and whether a body matches the schema documented for its status. The
 * schemas are checked by Ajv with the JSON Schema 2020-12 dialect (that of OpenAPI 3.1) and
 * ajv-formats, against the document's own components: `#/components/schemas/X` is rewritten to
 * the same schema under `$defs` of one schema resource, and a `$ref` to a shared response
 * (`#/components/responses/X`) is followed.
 */
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";

type Json = Record<string, any>;

const BASE = "urn:habit-tracker:openapi";

/** A copy with the document's component refs pointing into the `$defs` of BASE. */
function rebased(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebased);
  if (typeof schema !== "object" || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) =>
      key === "$ref" && typeof value === "string" && value.startsWith("#/components/schemas/")
        ? [key, `${BASE}#/$defs/${value.slice("#/components/schemas/".length)}`]
        : [key, rebased(value)],
    ),
  );
}

export interface Verdict {
  /** The documented statuses of the operation. */
  documented: string[];
  /** Problems found (empty: the answer matches the document). */
  problems: string[];
}

export class OpenApiValidator {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: true });
  private readonly compiled = new Map<unknown, ValidateFunction>();

  constructor(readonly document: Json) {
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: BASE, $defs: rebased(document.components.schemas) as Json });
  }

  /** The operation of a method and OpenAPI path (`/habits/{id}`). */
  operation(method: string, path: string): Json {
    const operation = this.document.paths[path]?.[method.toLowerCase()];
    if (!operation) throw new Error(`${method} ${path} is not documented`);
    return operation;
  }

  /** A response object, its `$ref` followed. */
  response(operation: Json, status: number): Json | undefined {
    const response = operation.responses[String(status)];
    if (!response?.$ref) return response;
    return this.document.components.responses[String(response.$ref).split("/").pop() as string];
  }

  private validatorFor(schema: Json): ValidateFunction {
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.compile(rebased(schema) as Json);
      this.compiled.set(schema, validate);
    }
    return validate;
  }

  /** Whether the status is documented and the body, content type and headers match it. */
  check(method: string, path: string, reply: { status: number; headers: Headers; body: unknown }): Verdict {
    const operation = this.operation(method, path);
    const documented = Object.keys(operation.responses);
    const response = this.response(operation, reply.status);
    if (!response) return { documented, problems: [`${reply.status} is not documented for ${method} ${path}`] };
    const problems: string[] = [];
    const content = response.content as Json | undefined;
    if (!content) {
      if (reply.body !== null && reply.body !== "")
        problems.push(`${reply.status} is documented without a body, got ${JSON.stringify(reply.body)}`);
    } else {
      const [mediaType, { schema }] = Object.entries(content)[0] as [string, Json];
      const type = reply.headers.get("content-type") ?? "";
      if (!type.startsWith(mediaType)) problems.push(`content type ${type}, documented ${mediaType}`);
      const validate = this.validatorFor(schema);
      if (!validate(reply.body)) problems.push(...(validate.errors ?? []).map((error) => `body${error.instancePath} ${error.message}`));
    }
    for (const [name, header] of Object.entries((response.headers ?? {}) as Json)) {
      if (header.required === true && reply.headers.get(name) === null) problems.push(`header ${name} is missing`);
    }
    return { documented, problems };
  }
}
