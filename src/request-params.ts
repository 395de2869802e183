/**
 * The parameters an HTTP request hands to its action, built here instead of by moleculer-web's
 * merge (`Object.assign(params, body, query)`), which lets the query string override body
 * fields and turns a JSON key `__proto__` into the params' prototype. Here:
 * - a route with a body (POST, PUT, PATCH) takes its fields from the body only: any query
 *   parameter is 422, so a secret never travels in a URL (which ends up in logs and histories);
 * - the body is a JSON object (an array or a scalar is 422);
 * - other routes take their fields from the query string only, each given once, as text;
 * - path parameters cannot be shadowed by a body or query field of the same name;
 * - every key is copied as an own property, so a `__proto__` key stays a plain key for the
 *   validator to reject (src/validator.ts), never a prototype.
 */
import { validationError, type FieldError } from "./errors";

type Fields = Record<string, unknown>;

export interface RequestParts {
  /** Whether the route carries its fields in the body. */
  takesBody: boolean;
  /** The parsed JSON body, if any. */
  body: unknown;
  query: Fields | undefined;
  pathParams: Fields;
}

function isPlainObject(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function copyInto(target: Fields, source: Fields): void {
  for (const key of Object.keys(source)) {
    Object.defineProperty(target, key, { value: source[key], enumerable: true, writable: true, configurable: true });
  }
}

const problem = (field: string, type: string, message: string): FieldError => ({ field, type, message });

/** @throws a 422 ValidationError naming every misplaced field. */
export function requestParams({ takesBody, body, query = {}, pathParams }: RequestParts): Fields {
  const problems: FieldError[] = [];
  const hasBody = body !== undefined && !(isPlainObject(body) && Object.keys(body).length === 0);
  let fields: Fields = {};
  if (takesBody) {
    if (body !== undefined && !isPlainObject(body)) problems.push(problem("", "bodyNotObject", "The request body must be a JSON object."));
    else if (body !== undefined) fields = body;
    for (const key of Object.keys(query)) {
      problems.push(problem(key, "queryNotAllowed", `The '${key}' field belongs in the JSON body, not the query string.`));
    }
  } else {
    if (hasBody) problems.push(problem("", "bodyNotAllowed", "This route takes no request body."));
    for (const [key, value] of Object.entries(query)) {
      if (typeof value !== "string") problems.push(problem(key, "queryValue", `The '${key}' parameter must be given once, as plain text.`));
    }
    fields = query;
  }
  for (const name of Object.keys(pathParams)) {
    if (Object.hasOwn(fields, name)) problems.push(problem(name, "unknownField", `Unknown field '${name}'.`));
  }
  if (problems.length > 0) throw validationError(problems);
  const params: Fields = {};
  copyInto(params, fields);
  copyInto(params, pathParams);
  return params;
}

/**
 * Every account a request names, for per-account rate limits: each text under an `email` key
 * anywhere in the body (`__proto__` included) or the query string, normalised as the validator
 * normalises e-mails. Counting them all, before the request is checked, means no placement of
 * the address can dodge the limit of the account that is tried.
 */
export function accountsNamed(body: unknown, query: Fields | undefined, limit = 4): string[] {
  const found = new Set<string>();
  const visit = (value: unknown, depth: number) => {
    if (found.size >= limit || depth > 4 || typeof value !== "object" || value === null) return;
    for (const [key, child] of Object.entries(value)) {
      const texts = Array.isArray(child) ? child : [child];
      if (key === "email")
        for (const text of texts) if (typeof text === "string" && found.size < limit) found.add(text.trim().toLowerCase().slice(0, 254));
      visit(child, depth + 1);
    }
  };
  visit(body, 0);
  visit(query, 0);
  return [...found];
}
