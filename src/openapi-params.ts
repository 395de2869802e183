/**
 * fastest-validator rules → JSON Schema (2020-12, as OpenAPI 3.1 uses it): how the API
 * description (src/openapi.ts) says what each route accepts, read off the same `params` the
 * validator checks requests with, so the two cannot disagree. Pure: rules in, schemas out.
 *
 * Covers the rule types and options this codebase uses (string, number, boolean, enum, uuid,
 * email, url, any, array, object, multi, equal; shorthand strings like "string|max:10|optional";
 * `$$strict`; `checkedRule`s of src/params.ts, described by their error type through `custom`).
 * Anything else throws, naming the field: a rule that cannot be described must not be documented
 * as something it is not.
 */
import type { JsonSchema } from "./api-schemas";

type Rule = Record<string, unknown>;

export interface ConvertOptions {
  /** Schemas for custom rules by their error type (src/api-schemas.ts CUSTOM_RULES). */
  custom?: Readonly<Record<string, JsonSchema>>;
}

export class UnsupportedRuleError extends Error {
  constructor(path: string, problem: string) {
    super(`Cannot describe the params rule of '${path}' in the API description: ${problem}`);
    this.name = "UnsupportedRuleError";
  }
}

/** Options that change how a value is taken or reported, not which values are valid. */
const BEHAVIOUR = ["type", "optional", "nullable", "default", "messages", "custom", "convert", "label"];
/** The options each rule type may carry (any other throws). */
const OPTIONS: Record<string, string[]> = {
  string: ["min", "max", "length", "pattern", "enum", "empty", "trim", "trimLeft", "trimRight", "lowercase", "uppercase"],
  number: ["min", "max", "equal", "integer", "positive", "negative"],
  boolean: [],
  enum: ["values"],
  uuid: [],
  email: ["min", "max", "normalize", "empty"],
  url: ["empty"],
  any: [],
  array: ["items", "min", "max", "length", "unique", "empty"],
  object: ["props", "properties", "strict"],
  multi: ["rules"],
  equal: ["value", "strict"],
};

/** "string|min:3|optional" → { type: "string", min: 3, optional: true }; "uuid[]" → an array of uuids. */
export function expandShorthand(text: string): Rule {
  const [head, ...options] = text.split("|").map((part) => part.trim());
  const rule: Rule = head.endsWith("[]") ? { type: "array", items: head.slice(0, -2) } : { type: head };
  for (const option of options) {
    const [key, value] = option.split(":");
    if (value === undefined) rule[key] = true;
    else if (value === "true" || value === "false") rule[key] = value === "true";
    else rule[key] = Number.isFinite(Number(value)) ? Number(value) : value;
  }
  return rule;
}

function expand(rule: unknown, path: string): Rule {
  if (typeof rule === "string") return expandShorthand(rule);
  if (Array.isArray(rule)) return { type: "multi", rules: rule };
  if (typeof rule === "object" && rule !== null && typeof (rule as Rule).type === "string") return rule as Rule;
  throw new UnsupportedRuleError(path, "a rule is a type name or an object with a type");
}

/** Whether a request must hold the field. */
export function isRequired(rule: unknown): boolean {
  if (typeof rule === "object" && rule !== null && !Array.isArray(rule)) {
    return (rule as Rule).optional !== true && (rule as Rule).default === undefined;
  }
  return !(typeof rule === "string" && expandShorthand(rule).optional === true);
}

function patternOf(pattern: unknown, path: string): string {
  if (typeof pattern === "string") return pattern;
  if (pattern instanceof RegExp && (pattern.flags === "" || pattern.flags === "u")) return pattern.source;
  throw new UnsupportedRuleError(path, `pattern ${String(pattern)}: flags have no JSON Schema equivalent`);
}

function withNull(schema: JsonSchema): JsonSchema {
  if (typeof schema.type === "string") return { ...schema, type: [schema.type, "null"] };
  if (Array.isArray(schema.enum)) return { ...schema, enum: [...schema.enum, null] };
  if ("const" in schema) return { enum: [schema.const, null] };
  return { anyOf: [schema, { type: "null" }] };
}

/** Copies the rule's numeric options to their JSON Schema keywords. */
function copy(schema: JsonSchema, rule: Rule, pairs: Array<[option: string, keyword: string]>): void {
  for (const [option, keyword] of pairs) if (typeof rule[option] === "number") schema[keyword] = rule[option];
}

function baseSchema(rule: Rule, path: string, options: ConvertOptions): JsonSchema {
  switch (rule.type) {
    case "string": {
      const schema: JsonSchema = { type: "string" };
      copy(schema, rule, [
        ["min", "minLength"],
        ["max", "maxLength"],
        ["length", "minLength"],
        ["length", "maxLength"],
      ]);
      if (rule.empty === false && !(typeof schema.minLength === "number" && schema.minLength > 0)) schema.minLength = 1;
      if (rule.pattern !== undefined) schema.pattern = patternOf(rule.pattern, path);
      if (Array.isArray(rule.enum)) schema.enum = rule.enum;
      return schema;
    }
    case "number": {
      const schema: JsonSchema = { type: rule.integer === true ? "integer" : "number" };
      copy(schema, rule, [
        ["min", "minimum"],
        ["max", "maximum"],
        ["equal", "const"],
      ]);
      if (rule.positive === true) schema.exclusiveMinimum = 0;
      if (rule.negative === true) schema.exclusiveMaximum = 0;
      return schema;
    }
    case "boolean":
      return { type: "boolean" };
    case "enum": {
      if (!Array.isArray(rule.values)) throw new UnsupportedRuleError(path, "an enum rule lists its values");
      return rule.values.every((value) => typeof value === "string") ? { type: "string", enum: rule.values } : { enum: rule.values };
    }
    case "uuid":
      return { type: "string", format: "uuid" };
    case "email": {
      const schema: JsonSchema = { type: "string", format: "email" };
      copy(schema, rule, [
        ["min", "minLength"],
        ["max", "maxLength"],
      ]);
      return schema;
    }
    case "url":
      return { type: "string", format: "uri" };
    case "any":
      return {};
    case "equal":
      return { const: rule.value };
    case "multi": {
      if (!Array.isArray(rule.rules)) throw new UnsupportedRuleError(path, "a multi rule lists its rules");
      return { anyOf: rule.rules.map((one) => ruleSchema(one, path, options)) };
    }
    case "array": {
      const schema: JsonSchema = { type: "array" };
      if (rule.items !== undefined) schema.items = ruleSchema(rule.items, `${path}[]`, options);
      copy(schema, rule, [
        ["min", "minItems"],
        ["max", "maxItems"],
        ["length", "minItems"],
        ["length", "maxItems"],
      ]);
      if (rule.empty === false && !(typeof schema.minItems === "number" && schema.minItems > 0)) schema.minItems = 1;
      if (rule.unique === true) schema.uniqueItems = true;
      return schema;
    }
    case "object": {
      const props = (rule.props ?? rule.properties) as Record<string, unknown> | undefined;
      if (props === undefined) return { type: "object" };
      return objectSchema(props, rule.strict === true, path, options);
    }
    default:
      throw new UnsupportedRuleError(path, `type "${String(rule.type)}" is not covered (src/openapi-params.ts)`);
  }
}

/** One rule's schema. `path` names the field in errors (`reminders[]`). */
export function ruleSchema(input: unknown, path: string, options: ConvertOptions = {}): JsonSchema {
  const rule = expand(input, path);
  const allowed = OPTIONS[String(rule.type)];
  const unknown = Object.keys(rule).filter((key) => !BEHAVIOUR.includes(key) && !(allowed ?? []).includes(key));
  // (An unknown type throws in baseSchema.)
  if (allowed && unknown.length > 0) throw new UnsupportedRuleError(path, `option ${unknown.join(", ")} of a ${String(rule.type)} rule`);
  let schema = baseSchema(rule, path, options);
  if (typeof rule.custom === "function") {
    // A checkedRule (src/params.ts): its one message key is its error type.
    const [type] = Object.keys((rule.messages ?? {}) as Rule);
    const described = type === undefined ? undefined : options.custom?.[type];
    if (!described) throw new UnsupportedRuleError(path, `custom rule "${type ?? "?"}" has no schema (src/api-schemas.ts CUSTOM_RULES)`);
    // A rule of type `any` is wholly the custom schema: kept as is, so the document can `$ref` it.
    schema = Object.keys(schema).length === 0 ? described : { ...schema, ...described };
  }
  if (rule.nullable === true) schema = withNull(schema);
  if (rule.default !== undefined && typeof rule.default !== "function") schema = { ...schema, default: rule.default };
  return schema;
}

function objectSchema(props: Record<string, unknown>, strict: boolean, path: string, options: ConvertOptions): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, rule] of Object.entries(props)) {
    const child = path ? `${path}.${name}` : name;
    properties[name] = ruleSchema(rule, child, options);
    if (isRequired(rule)) required.push(name);
  }
  const schema: JsonSchema = { type: "object", properties };
  if (required.length > 0) schema.required = required;
  if (strict) schema.additionalProperties = false;
  return schema;
}

/**
 * An action's `params` (fields and `$$` options) as one object schema, leaving out `omit` (the
 * path parameters, which travel elsewhere). `$$strict: true` closes it; `"remove"` drops extra
 * fields silently, so they are allowed.
 */
export function paramsSchema(params: Record<string, unknown>, omit: readonly string[] = [], options: ConvertOptions = {}): JsonSchema {
  const fields: Record<string, unknown> = {};
  for (const [name, rule] of Object.entries(params)) {
    if (name === "$$strict" || name === "$$async") continue;
    if (name.startsWith("$$")) throw new UnsupportedRuleError(name, "this params option is not covered (src/openapi-params.ts)");
    if (!omit.includes(name)) fields[name] = rule;
  }
  return objectSchema(fields, params.$$strict === true, "", options);
}
