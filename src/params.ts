/**
 * fastest-validator rules shared by services' `params`, for checks the validator has no
 * built-in type for. Each adds one error type with its own message; a failing value is
 * reported on its field like any other validation error (422).
 */
import { isValidDate } from "../lib/dates";

/** A UUID in any version, any case: ids checked outside fastest-validator (events, tokens, messages). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type CustomErrors = Array<{ type: string; actual: unknown; expected?: string }>;

/**
 * A rule that runs `problem` on present values: it returns null when the value is fine, or
 * text completing "The 'field' field …". `normalize` may rewrite an accepted value.
 */
export function checkedRule(
  type: string,
  base: Record<string, unknown>,
  problem: (value: never) => string | null,
  normalize: (value: never) => unknown = (value) => value,
) {
  return {
    ...base,
    custom: (value: unknown, errors: CustomErrors) => {
      if (value === undefined || (value === null && base.nullable === true)) return value;
      const found = problem(value as never);
      if (found !== null) {
        errors.push({ type, actual: value, expected: found });
        return value;
      }
      return normalize(value as never);
    },
    messages: { [type]: "The '{field}' field {expected}." },
  };
}

/** A calendar date written "YYYY-MM-DD", and no earlier than `earliest` when given. */
export function localDateRuleFrom(earliest?: string) {
  return checkedRule("localDate", { type: "string", max: 10 }, (value: string) =>
    !isValidDate(value)
      ? "must be a date written YYYY-MM-DD"
      : earliest !== undefined && value < earliest
        ? `must not be before ${earliest}`
        : null,
  );
}

export const localDateRule = localDateRuleFrom();
