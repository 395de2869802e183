/**
 * The JSON Schemas (2020-12, the dialect of OpenAPI 3.1) of what the REST API answers: every
 * entity a route returns (docs/contract.md §2–6) and the error shape. Actions name theirs in
 * their `response` declaration (`response: { status: 200, schema: SCHEMAS.habit }`, src/routes.ts),
 * and src/openapi.ts turns each schema here into a component that operations `$ref`. Shapes and
 * nullability follow the handlers and the data modules (src/data/*.ts): objects are closed
 * (`additionalProperties: false`), so the contract test (test/integration/openapi-contract.spec.ts)
 * fails on a field the document does not describe as well as on a missing one.
 *
 * CUSTOM_RULES describes the params rules fastest-validator has no type for (src/params.ts
 * `checkedRule`), by their error type, for the params converter (src/openapi-params.ts).
 */

/** A JSON Schema (2020-12): loose on purpose, these are data for the document. */
export type JsonSchema = { [keyword: string]: unknown };

const uuid: JsonSchema = { type: "string", format: "uuid" };
/** An instant in UTC, as toISOString() writes it. */
const instant: JsonSchema = { type: "string", format: "date-time" };
/** A local calendar date. */
const localDate: JsonSchema = { type: "string", format: "date" };
const count: JsonSchema = { type: "integer", minimum: 0 };
/** Rounded half-up to 4 decimals. */
const ratio: JsonSchema = { type: "number", minimum: 0, maximum: 1 };

const nullable = (schema: JsonSchema): JsonSchema => ({ ...schema, type: [schema.type, "null"] });

/** A closed object; every property required unless listed in `optional`. */
function object(properties: Record<string, JsonSchema>, optional: string[] = []): JsonSchema {
  return {
    type: "object",
    properties,
    required: Object.keys(properties).filter((key) => !optional.includes(key)),
    additionalProperties: false,
  };
}

const arrayOf = (items: JsonSchema): JsonSchema => ({ type: "array", items });

const user = object({
  id: uuid,
  email: { type: "string", format: "email", maxLength: 254 },
  displayName: { type: "string", minLength: 1, maxLength: 100 },
  timezone: { type: "string", description: "An IANA time zone name, in its canonical spelling." },
  role: { enum: ["user", "admin"] },
  createdAt: instant,
});

const schedule: JsonSchema = {
  description: "Which days the habit is due (docs/contract.md §3).",
  oneOf: [
    object({ type: { const: "daily" } }),
    object({
      type: { const: "weekdays" },
      days: { type: "array", items: { type: "integer", minimum: 1, maximum: 7 }, minItems: 1, maxItems: 7, uniqueItems: true },
    }),
    object({ type: { const: "every_n_days" }, n: { type: "integer", minimum: 1, maximum: 365 } }),
    object({ type: { const: "times_per_week" }, times: { type: "integer", minimum: 1, maximum: 7 } }),
  ],
};

const target: JsonSchema = {
  description: "When a done check-in counts as completed.",
  oneOf: [
    object({ type: { const: "boolean" } }),
    object(
      {
        type: { enum: ["at_least", "at_most"] },
        value: { type: "number", minimum: 0, maximum: 1e9 },
        unit: { type: "string", maxLength: 30 },
      },
      ["unit"],
    ),
  ],
};

const habit = object({
  id: uuid,
  name: { type: "string", minLength: 1, maxLength: 100 },
  description: { type: "string", maxLength: 1000 },
  color: nullable({ type: "string", pattern: "^#[0-9a-fA-F]{6}$" }),
  schedule,
  target,
  reminders: { type: "array", items: { type: "string", pattern: "^([01]\\d|2[0-3]):[0-5]\\d$" }, maxItems: 5, uniqueItems: true },
  startDate: localDate,
  archived: { type: "boolean" },
  position: count,
  createdAt: instant,
  updatedAt: instant,
});

const checkin = object({
  habitId: uuid,
  date: localDate,
  status: { enum: ["done", "skipped"] },
  value: nullable({ type: "number", minimum: 0, maximum: 1e9 }),
  note: nullable({ type: "string", maxLength: 500 }),
  completed: { type: "boolean", description: "Done and meeting the habit's target." },
  createdAt: instant,
  updatedAt: instant,
});

const streakUnit: JsonSchema = { enum: ["days", "weeks"] };
const dayStatus: JsonSchema = { enum: ["done", "skipped", "partial", "pending", "missed", "not_due"] };

const streak = object({
  current: count,
  longest: count,
  unit: streakUnit,
  completedToday: { type: "boolean" },
  lastCompletedDate: nullable(localDate),
  score: ratio,
});

const stats = object({
  from: localDate,
  to: localDate,
  scheduled: count,
  completed: count,
  skipped: count,
  missed: count,
  completionRate: ratio,
  days: arrayOf(object({ date: localDate, status: dayStatus })),
});

const today = object({
  date: localDate,
  habits: arrayOf(
    object({
      habit,
      due: { type: "boolean" },
      status: dayStatus,
      value: nullable({ type: "number" }),
      streak: object({ current: count, longest: count, unit: streakUnit }),
      score: ratio,
    }),
  ),
});

const notificationType: JsonSchema = { enum: ["welcome", "milestone", "reminder"] };

const notification = object({
  id: uuid,
  type: notificationType,
  title: { type: "string" },
  body: { type: "string" },
  createdAt: instant,
  readAt: nullable(instant),
});

const deadLetter = object({
  id: { type: "string", pattern: "^[0-9]+$" },
  notificationId: uuid,
  userId: uuid,
  type: notificationType,
  channel: { enum: ["log", "email", "webhook"] },
  target: { type: "string" },
  attempts: count,
  lastError: nullable({ type: "string" }),
  failedAt: instant,
});

const error = object({
  name: { type: "string" },
  message: { type: "string" },
  code: { type: "integer", minimum: 400, maximum: 599, description: "The HTTP status." },
  type: { type: "string", description: "What went wrong, in UPPER_SNAKE (src/errors.ts)." },
  data: { description: "Details: null, or what the error type says (429: {retryAfter})." },
});

const validationError = object({
  ...(error.properties as Record<string, JsonSchema>),
  code: { const: 422 },
  data: arrayOf(
    object({
      field: { type: "string", description: "The field's path ('' for the whole body)." },
      type: { type: "string" },
      message: { type: "string" },
    }),
  ),
});

/** The account's data as `GET /me/export` writes it and `POST /me/import` takes it back. */
const exportDocument = object({
  format: { const: "habit-tracker-export" },
  version: { const: 1 },
  exportedAt: instant,
  user: object({
    email: { type: "string", format: "email" },
    displayName: { type: "string" },
    timezone: { type: "string" },
    createdAt: instant,
  }),
  habits: arrayOf(
    object({
      name: { type: "string", minLength: 1, maxLength: 100 },
      description: { type: "string", maxLength: 1000 },
      color: nullable({ type: "string", pattern: "^#[0-9a-fA-F]{6}$" }),
      schedule,
      target,
      reminders: { type: "array", items: { type: "string", pattern: "^([01]\\d|2[0-3]):[0-5]\\d$" }, maxItems: 5 },
      startDate: localDate,
      archived: { type: "boolean" },
      position: count,
      createdAt: instant,
      checkins: arrayOf(
        object({
          date: localDate,
          status: { enum: ["done", "skipped"] },
          value: nullable({ type: "number", minimum: 0, maximum: 1e9 }),
          note: nullable({ type: "string", maxLength: 500 }),
        }),
      ),
    }),
  ),
  notifications: arrayOf(
    object({
      type: { type: "string" },
      title: { type: "string" },
      body: { type: "string" },
      createdAt: instant,
      readAt: nullable(instant),
    }),
  ),
});

/** Every schema here; src/openapi.ts makes each a component named after its key (`habit` → `Habit`). */
export const SCHEMAS = {
  user,
  authTokens: object({
    user,
    accessToken: { type: "string", description: "A JWT for `Authorization: Bearer`." },
    refreshToken: { type: "string" },
    expiresIn: { type: "integer", minimum: 1, description: "The access token's lifetime in seconds." },
  }),
  webhookSettings: object({
    url: nullable({ type: "string", format: "uri", maxLength: 2048 }),
    secret: nullable({ type: "string", description: "Signs each delivery (x-habit-tracker-signature)." }),
  }),
  schedule,
  target,
  habit,
  habits: arrayOf(habit),
  checkin,
  checkins: arrayOf(checkin),
  streak,
  dayStatus,
  stats,
  today,
  notification,
  notifications: arrayOf(notification),
  deadLetter,
  deadLetters: arrayOf(deadLetter),
  retried: object({ retried: count }),
  unreadCount: object({ count }),
  notificationSettings: object({
    channels: object({ email: { type: "boolean" }, webhook: { type: "boolean" } }),
    types: object({ welcome: { type: "boolean" }, milestone: { type: "boolean" }, reminder: { type: "boolean" } }),
  }),
  exportDocument,
  importResult: object({
    habits: count,
    checkins: count,
    warnings: { type: "array", items: { type: "string" }, description: "What an import changed or left out, in words." },
  }),
  /** An empty object: the request was taken (202). */
  accepted: object({}),
  error,
  validationError,
} satisfies Record<string, JsonSchema>;

/**
 * The params rules made with src/params.ts `checkedRule`, by their error type: what the check
 * adds to the base rule's schema (a rule of type `any` takes its whole schema from here).
 */
export const CUSTOM_RULES: Readonly<Record<string, JsonSchema>> = {
  timezone: { description: "An IANA time zone name such as Europe/Berlin." },
  urlHttp: { maxLength: 2048, pattern: "^[Hh][Tt][Tt][Pp][Ss]?://", description: "An http(s) URL; a local or private address is refused." },
  schedule,
  target,
  localDate: { format: "date", description: "A calendar date YYYY-MM-DD." },
  before: { description: "A notification id (the last of the previous page) or an ISO-8601 instant." },
};
