/**
 * The params validator of every action: Moleculer's fastest-validator, plus the rules it has no
 * option for, applied to all input whoever sends it (the gateway, the REPL, the Kafka bridge):
 * - no value nested deeper than MAX_DEPTH (the validator would overflow the stack on
 *   `[[[…]]]` while writing its error message);
 * - no key named `__proto__`, `constructor` or `prototype`, and no object but plain ones;
 * - text is what it looks like: no lone UTF-16 surrogates (stored as U+FFFD otherwise), no NUL
 *   (Postgres cannot store it) and no other control characters but tab and newline;
 * - `null` only where a field says `nullable: true` (fastest-validator lets `optional` fields
 *   take null, which a NOT NULL column then refuses).
 * Each problem is reported like the validator's own errors, on the field's path (422).
 */
import { Validators } from "moleculer";

export const MAX_DEPTH = 32;
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);
// C0 controls but tab (09) and newline (0A), DEL, and C1 controls.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

export interface InputProblem {
  type: string;
  field: string;
  message: string;
}

type Schema = Record<string, unknown>;
type Rule = Record<string, unknown>;

const fieldPath = (parent: string, key: string | number) =>
  typeof key === "number" ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key;

/** Why `text` may not be accepted as text, or null. */
export function textProblem(text: string): string | null {
  if (!text.isWellFormed()) return "must not hold unpaired UTF-16 surrogates";
  if (CONTROL.test(text)) return "must not hold control characters other than tab and newline";
  return null;
}

/** Depth, key, prototype and text problems anywhere in `value`; stops at the first few. */
export function inputProblems(value: unknown, path = "", depth = 0, found: InputProblem[] = []): InputProblem[] {
  if (found.length >= 10) return found;
  if (typeof value === "string") {
    const problem = textProblem(value);
    if (problem) found.push({ type: "text", field: path, message: `The '${path}' field ${problem}.` });
    return found;
  }
  if (typeof value !== "object" || value === null) return found;
  if (depth >= MAX_DEPTH) {
    found.push({ type: "depth", field: path, message: `The '${path}' field is nested more than ${MAX_DEPTH} levels deep.` });
    return found;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => inputProblems(item, fieldPath(path, index), depth + 1, found));
    return found;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    found.push({ type: "object", field: path, message: `The '${path}' field must be a plain object.` });
    return found;
  }
  for (const key of Object.keys(value)) {
    const child = fieldPath(path, key);
    if (FORBIDDEN_KEYS.has(key)) {
      found.push({ type: "forbiddenKey", field: child, message: `The key '${key}' is not allowed.` });
      continue;
    }
    const keyProblem = textProblem(key);
    if (keyProblem) {
      found.push({ type: "text", field: child, message: `A key ${keyProblem}.` });
      continue;
    }
    inputProblems((value as Record<string, unknown>)[key], child, depth + 1, found);
  }
  return found;
}

/** The rules of an object schema (a params schema, or an object rule's `props`). */
function propsOf(rule: unknown): Schema | null {
  if (typeof rule !== "object" || rule === null) return null;
  const props = (rule as Rule).props ?? (rule as Rule).properties;
  return typeof props === "object" && props !== null ? (props as Schema) : null;
}

/** `null` given for fields whose rule does not say `nullable: true`, at any depth of `props`/`items`. */
export function nullProblems(schema: Schema, value: unknown, path = "", found: InputProblem[] = []): InputProblem[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return found;
  for (const [key, rule] of Object.entries(schema)) {
    if (key.startsWith("$$") || typeof rule !== "object" || rule === null || !Object.hasOwn(value, key)) continue;
    const child = fieldPath(path, key);
    const field = (value as Record<string, unknown>)[key];
    const { nullable, items } = rule as Rule;
    if (field === null) {
      if (nullable !== true) found.push({ type: "notNull", field: child, message: `The '${child}' field must not be null.` });
      continue;
    }
    const props = propsOf(rule);
    if (props) nullProblems(props, field, child, found);
    const itemProps = propsOf(items);
    if (itemProps && Array.isArray(field)) field.forEach((item, index) => nullProblems(itemProps, item, fieldPath(child, index), found));
  }
  return found;
}

type Checker = ((params: unknown, options?: unknown) => true | unknown[] | Promise<true | unknown[]>) & { async?: boolean };

type MoleculerChecker = ReturnType<Validators.Fastest["compile"]>;

export class StrictValidator extends Validators.Fastest {
  override compile(schema: Schema): MoleculerChecker {
    const check = super.compile(schema) as unknown as Checker;
    const strict: Checker = (params, options) => {
      const problems = inputProblems(params);
      if (problems.length === 0) nullProblems(schema, params, "", problems);
      if (problems.length === 0) return check(params, options);
      return check.async ? Promise.resolve(problems) : problems;
    };
    strict.async = check.async;
    return strict as unknown as MoleculerChecker;
  }
}
