/**
 * The API description (src/openapi.ts) and the params converter under it (src/openapi-params.ts):
 * the document is valid OpenAPI 3.1 (checked by @seriousme/openapi-schema-validator against the
 * official 3.1 schemas); it lists exactly the routes of the route table and of docs/contract.md's
 * tables, each with the fields its action validates, the security its `auth` says and the error
 * responses its kind of route can answer; a routed action without a `response` stops the table
 * from being read. Converter cases are table-driven, and for real params the converted schema
 * must accept and refuse what fastest-validator (Moleculer's validator) accepts and refuses.
 */
import fs from "node:fs";
import path from "node:path";
import { Validators, type ServiceSchema } from "moleculer";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { apiRoutes } from "../../src/node";
import { errorStatuses, openApiDocument, openApiPath } from "../../src/openapi";
import { expandShorthand, isRequired, paramsSchema, ruleSchema, UnsupportedRuleError } from "../../src/openapi-params";
import { CUSTOM_RULES, SCHEMAS } from "../../src/api-schemas";
import { checkedRule, localDateRule } from "../../src/params";
import { routesOf, type RouteSpec } from "../../src/routes";
import { OpenApiValidator } from "../helpers/openapi-validator";

type Json = Record<string, any>;

const ROUTES = apiRoutes();
const document = openApiDocument(ROUTES) as Json;
const key = (method: string, route: string) => `${method.toUpperCase()} ${route}`;
const operations = Object.entries(document.paths as Record<string, Record<string, Json>>).flatMap(([route, item]) =>
  Object.entries(item).map(([method, operation]) => ({ key: key(method, route), operation })),
);
const operationOf = (route: RouteSpec) => document.paths[openApiPath(route.path)][route.method.toLowerCase()] as Json;
const routeOf = (action: string) => ROUTES.find((route) => route.action === action) as RouteSpec;

/** The validator package is ES modules only; Node's own require (not jest's) loads those since 22.12. */
function openApiSchemaValidator(): { Validator: new () => { validate(spec: object): Promise<{ valid: boolean; errors?: unknown }> } } {
  const { createRequire } = process.getBuiltinModule("node:module") as typeof import("node:module");
  return createRequire(__filename)("@seriousme/openapi-schema-validator");
}

describe("the API description", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const { Validator } = openApiSchemaValidator();
    const result = await new Validator().validate(document);
    expect(result).toEqual({ valid: true });
  });

  it("the validator refuses a broken document (control)", async () => {
    const { Validator } = openApiSchemaValidator();
    const broken = structuredClone(document);
    delete broken.paths["/me"].get.responses;
    broken.info.version = 1;
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it("describes the service: title, version from package.json, servers, bearer security", () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, "../../package.json"), "utf8"));
    expect(document.info).toMatchObject({ title: "habit-tracker", version });
    expect(document.servers).toEqual([{ url: "/api/v1" }]);
    expect(document.components.securitySchemes.bearer).toEqual(
      expect.objectContaining({ type: "http", scheme: "bearer", bearerFormat: "JWT" }),
    );
  });

  it("lists every route of the route table once, named by its action, tagged by its service", () => {
    expect(operations.map((one) => one.key).sort()).toEqual(ROUTES.map((route) => key(route.method, openApiPath(route.path))).sort());
    for (const route of ROUTES) {
      expect(operationOf(route)).toMatchObject({ operationId: route.action, tags: [route.action.split(".")[0]] });
    }
    expect(new Set(operations.map((one) => one.operation.operationId)).size).toBe(operations.length);
  });

  it("lists the routes of docs/contract.md's tables, and no other", () => {
    const contract = fs.readFileSync(path.join(__dirname, "../../docs/contract.md"), "utf8");
    const listed = [...contract.matchAll(/^\| `(GET|POST|PUT|PATCH|DELETE) (\/[^`?\s]*)/gm)].map((match) =>
      key(match[1], openApiPath(match[2])),
    );
    expect(listed.length).toBeGreaterThan(20);
    expect([...new Set(listed)].sort()).toEqual(operations.map((one) => one.key).sort());
  });

  it("takes security from `auth`: none on public routes, the bearer token on the others", () => {
    for (const route of ROUTES) {
      expect([route.action, operationOf(route).security]).toEqual([route.action, route.access === "public" ? [] : [{ bearer: [] }]]);
    }
  });

  it("describes the fields each action validates: path parameters, the query string of a GET, the body of the others", () => {
    // (A route declaring its `requestBody`, a file or a document, is described by that: next test.)
    for (const route of ROUTES.filter((one) => !one.requestBody)) {
      const operation = operationOf(route);
      const fields = Object.keys(route.params).filter((name) => !name.startsWith("$$"));
      const inPath = [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1]);
      const parameters = (operation.parameters ?? []) as Json[];
      expect(parameters.filter((one) => one.in === "path").map((one) => [one.name, one.required])).toEqual(
        inPath.map((name) => [name, true]),
      );
      const body = Object.keys(operation.requestBody?.content["application/json"].schema.properties ?? {});
      const query = parameters.filter((one) => one.in === "query").map((one) => one.name);
      if (route.method === "GET") expect(body).toEqual([]);
      else expect(query).toEqual([]);
      expect([route.action, [...inPath, ...query, ...body].sort()]).toEqual([route.action, fields.sort()]);
    }
  });

  it("describes a declared request body instead of the params: the import routes", () => {
    const uploads = ROUTES.filter((route) => route.requestBody);
    expect(uploads.map((route) => route.action).sort()).toEqual(["tracking.importDocument", "tracking.importLoop"]);
    for (const route of uploads) {
      const { requestBody } = operationOf(route);
      expect([route.action, Object.keys(requestBody.content), requestBody.required]).toEqual([
        route.action,
        [route.requestBody?.contentType],
        true,
      ]);
    }
    expect(operationOf(routeOf("tracking.importLoop")).requestBody.content).toEqual({ "application/octet-stream": {} });
    expect(operationOf(routeOf("tracking.importDocument")).requestBody.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/ExportDocument",
    });
  });

  it("closes a $$strict body, and requires it when a field is required", () => {
    const register = operationOf(routeOf("auth.register")).requestBody;
    expect(register.required).toBe(true);
    expect(register.content["application/json"].schema).toMatchObject({ additionalProperties: false, required: ["email", "password"] });
    expect(operationOf(routeOf("auth.logout")).requestBody.required).toBe(false);
  });

  it("answers each route's declared success with its schema, 204 with no body, 201 with a Location", () => {
    const put = operationOf(routeOf("tracking.put")).responses;
    expect(put["201"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Checkin" });
    expect(put["201"].headers.Location.required).toBe(true);
    expect(put["200"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Checkin" });
    expect(operationOf(routeOf("habits.remove")).responses["204"]).toEqual({ description: "No Content" });
    expect(operationOf(routeOf("habits.list")).responses["200"].content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/Habits",
    });
    // Components refer to each other rather than repeating themselves.
    expect(document.components.schemas.Habits).toEqual({ type: "array", items: { $ref: "#/components/schemas/Habit" } });
    expect(document.components.schemas.Habit.properties.schedule).toEqual({ $ref: "#/components/schemas/Schedule" });
  });

  it("lists the errors a route of its kind can answer, each a shared response of the Error shape", () => {
    const statuses = (action: string) =>
      Object.keys(operationOf(routeOf(action)).responses)
        .map(Number)
        .filter((status) => status >= 400);
    expect(statuses("auth.register")).toEqual([400, 409, 413, 415, 422, 429, 503]);
    expect(statuses("auth.login")).toEqual([400, 401, 413, 415, 422, 429, 503]);
    expect(statuses("auth.refresh")).toEqual([400, 401, 413, 415, 422, 503]);
    expect(statuses("habits.get")).toEqual([401, 404, 422, 503]);
    expect(statuses("tracking.today")).toEqual([401, 422, 503]);
    expect(statuses("notifications.retryDeadLetter")).toEqual([400, 401, 403, 404, 413, 415, 422, 503]);
    for (const route of ROUTES) expect(statuses(route.action)).toEqual(errorStatuses(route));
    for (const [name, response] of Object.entries(document.components.responses as Record<string, Json>)) {
      const schema = response.content["application/json"].schema.$ref;
      expect([name, schema]).toEqual([
        name,
        name === "ValidationFailed" ? "#/components/schemas/ValidationError" : "#/components/schemas/Error",
      ]);
    }
    expect(document.components.responses.TooManyRequests.headers["Retry-After"].required).toBe(true);
  });

  it("every $ref names something the document has", () => {
    const refs: string[] = [];
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (typeof value === "object" && value !== null)
        for (const [name, child] of Object.entries(value)) {
          if (name === "$ref") refs.push(child as string);
          else walk(child);
        }
    };
    walk(document);
    expect(refs.length).toBeGreaterThan(100);
    const dangling = refs.filter(
      (ref) =>
        ref
          .split("/")
          .slice(1)
          .reduce<any>((node, part) => node?.[part], document) === undefined,
    );
    expect(dangling).toEqual([]);
  });

  it("is the same document every time it is made from the same routes", () => {
    expect(JSON.stringify(openApiDocument(apiRoutes()))).toBe(JSON.stringify(document));
  });
});

describe("the route table refuses an undocumented route", () => {
  const service = (action: Record<string, unknown>): ServiceSchema => ({
    name: "things",
    actions: { make: { handler: () => null, ...action } },
  });

  it("fails loudly, naming the action, when a routed action has no response", () => {
    expect(() => routesOf([service({ rest: "POST /things", auth: "user", params: {} })])).toThrow(/things\.make: .*response/);
  });

  it.each([
    [{ status: 204, schema: SCHEMAS.habit }, /204 response has no body/],
    [{ status: 200 }, /schema describes the body/],
    [{ status: 299, schema: SCHEMAS.habit }, /not a success status/],
    [{ status: 201, also: [204], schema: SCHEMAS.habit }, /204 has no body/],
    [{ status: 200, schema: SCHEMAS.habit, errors: [302] }, /error statuses/],
  ])("refuses the response %j", (response, message) => {
    expect(() => routesOf([service({ rest: "GET /things", auth: "user", response })])).toThrow(message);
  });

  it("takes a complete one, with the action's params", () => {
    const params = { $$strict: true, id: { type: "uuid" } };
    const [route] = routesOf([
      service({ rest: "GET /things/:id", auth: "user", params, response: { status: 200, schema: SCHEMAS.habit } }),
    ]);
    expect(route).toMatchObject({ method: "GET", path: "/things/:id", action: "things.make", params, response: { status: 200 } });
  });

  it("a declared request body (a file) replaces the JSON one, whatever the params say", () => {
    const upload = { contentType: "application/octet-stream", description: "A backup file." };
    const [route] = routesOf([
      service({
        rest: "POST /things",
        auth: "user",
        params: { $$strict: true },
        requestBody: upload,
        response: { status: 200, schema: SCHEMAS.retried },
      }),
    ]);
    const operation = openApiDocument([route]).paths["/things"].post as Json;
    expect(operation.requestBody).toEqual({ required: true, description: "A backup file.", content: { "application/octet-stream": {} } });
    // The gateway hands such a body to the action as its params (the bytes as base64 in `file`).
    const [mixed] = routesOf([
      service({ rest: "POST /things", auth: "user", params: { file: "string" }, requestBody: upload, response: { status: 204 } }),
    ]);
    expect((openApiDocument([mixed]).paths["/things"].post as Json).requestBody.content).toEqual({ "application/octet-stream": {} });
  });

  it("a rule the converter cannot describe stops the document, naming the route and field", () => {
    const [route] = routesOf([
      service({ rest: "GET /things", auth: "user", params: { when: { type: "date" } }, response: { status: 200, schema: SCHEMAS.habit } }),
    ]);
    expect(() => openApiDocument([route])).toThrow(/'when'.*"date"/);
  });
});

describe("fastest-validator rules → JSON Schema", () => {
  it.each<[string, unknown, Json]>([
    ["a shorthand", "string|min:3|max:10|optional", { type: "string", minLength: 3, maxLength: 10 }],
    ["an array shorthand", "uuid[]", { type: "array", items: { type: "string", format: "uuid" } }],
    [
      "a nullable pattern",
      { type: "string", pattern: /^#[0-9a-f]{6}$/, nullable: true },
      { type: ["string", "null"], pattern: "^#[0-9a-f]{6}$" },
    ],
    ["an exact length, not empty", { type: "string", length: 4, empty: false }, { type: "string", minLength: 4, maxLength: 4 }],
    ["a string enum", { type: "string", enum: ["a", "b"] }, { type: "string", enum: ["a", "b"] }],
    [
      "an integer in a range",
      { type: "number", integer: true, min: 1, max: 100, convert: true },
      { type: "integer", minimum: 1, maximum: 100 },
    ],
    ["a positive number", { type: "number", positive: true }, { type: "number", exclusiveMinimum: 0 }],
    ["a boolean", { type: "boolean", convert: true }, { type: "boolean" }],
    ["an enum", { type: "enum", values: ["done", "skipped"] }, { type: "string", enum: ["done", "skipped"] }],
    ["a nullable enum", { type: "enum", values: [1, 2], nullable: true }, { enum: [1, 2, null] }],
    ["a uuid", { type: "uuid" }, { type: "string", format: "uuid" }],
    ["an email", { type: "email", normalize: true, max: 254 }, { type: "string", format: "email", maxLength: 254 }],
    ["a url", { type: "url" }, { type: "string", format: "uri" }],
    ["anything", { type: "any" }, {}],
    ["an equal", { type: "equal", value: 3 }, { const: 3 }],
    ["a default", { type: "number", default: 20 }, { type: "number", default: 20 }],
    [
      "an array of unique items",
      { type: "array", items: { type: "string" }, max: 5, min: 1, unique: true },
      { type: "array", items: { type: "string" }, minItems: 1, maxItems: 5, uniqueItems: true },
    ],
    [
      "a strict object",
      { type: "object", strict: true, props: { a: "boolean", b: { type: "number", optional: true } } },
      { type: "object", properties: { a: { type: "boolean" }, b: { type: "number" } }, required: ["a"], additionalProperties: false },
    ],
    ["an open object", { type: "object", props: { a: "boolean|optional" } }, { type: "object", properties: { a: { type: "boolean" } } }],
    ["a multi rule", ["string", "number"], { anyOf: [{ type: "string" }, { type: "number" }] }],
  ])("%s", (_name, rule, schema) => {
    expect(ruleSchema(rule, "field")).toEqual(schema);
  });

  it("a checkedRule takes its schema from CUSTOM_RULES by its error type", () => {
    const timezone = checkedRule("timezone", { type: "string", max: 64 }, () => null);
    expect(ruleSchema(timezone, "timezone", { custom: CUSTOM_RULES })).toEqual({ type: "string", maxLength: 64, ...CUSTOM_RULES.timezone });
    expect(ruleSchema(localDateRule, "date", { custom: CUSTOM_RULES })).toMatchObject({ type: "string", format: "date", maxLength: 10 });
    // A rule of type `any` is the custom schema itself (so the document can `$ref` it).
    const schedule = checkedRule("schedule", { type: "any" }, () => null);
    expect(ruleSchema({ ...schedule, optional: true }, "schedule", { custom: CUSTOM_RULES })).toBe(SCHEMAS.schedule);
  });

  it.each<[string, unknown, RegExp]>([
    ["an unknown type", { type: "date" }, /'at'.*type "date"/],
    ["an unknown option", { type: "string", alpha: true }, /option alpha/],
    ["a pattern with flags", { type: "string", pattern: /^a$/i }, /flags/],
    ["a custom rule with no schema", checkedRule("nobodyKnows", { type: "string" }, () => null), /"nobodyKnows" has no schema/],
    ["not a rule", 42, /a rule is/],
  ])("refuses %s", (_name, rule, message) => {
    expect(() => ruleSchema(rule, "at", { custom: CUSTOM_RULES })).toThrow(UnsupportedRuleError);
    expect(() => ruleSchema(rule, "at", { custom: CUSTOM_RULES })).toThrow(message);
  });

  it("reads shorthand options and optionality", () => {
    expect(expandShorthand("number|integer|min:0|optional")).toEqual({ type: "number", integer: true, min: 0, optional: true });
    expect([isRequired("string"), isRequired("string|optional"), isRequired({ type: "string", optional: true })]).toEqual([
      true,
      false,
      false,
    ]);
    expect(isRequired({ type: "number", default: 3 })).toBe(false);
  });

  it("makes params an object schema: $$strict closes it, path parameters are left out", () => {
    const params = { $$strict: true, id: { type: "uuid" }, name: "string", note: { type: "string", optional: true } };
    expect(paramsSchema(params, ["id"])).toEqual({
      type: "object",
      properties: { name: { type: "string" }, note: { type: "string" } },
      required: ["name"],
      additionalProperties: false,
    });
    expect(paramsSchema({ $$strict: "remove", a: "string" })).not.toHaveProperty("additionalProperties");
    expect(() => paramsSchema({ $$root: true, type: "string" })).toThrow(/\$\$root/);
  });

  describe("agrees with fastest-validator on real params", () => {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(ajv);
    const fastest = new Validators.Fastest();

    /** Fastest-validator's and the schema's verdicts on each value, side by side. */
    function verdicts(route: RouteSpec, values: unknown[]) {
      const names = [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1]);
      const check = fastest.compile(route.params as never) as unknown as (value: unknown) => true | unknown[];
      const body = paramsSchema(route.params, names, { custom: CUSTOM_RULES });
      const validate = ajv.compile(body);
      const pathValues = Object.fromEntries(
        names.map((name) => [name, name === "date" ? "2026-01-01" : "8e5c7c1a-6e0f-4f5e-9f3a-1c2b3d4e5f60"]),
      );
      const withPath = (value: unknown) => ({ ...(value as object), ...pathValues });
      return values.map((value) => ({
        value,
        fastest: check(structuredClone(withPath(value))) === true,
        schema: validate(structuredClone(value)),
      }));
    }

    const agree = (results: Array<{ fastest: boolean; schema: boolean }>) => results.filter((one) => one.fastest !== one.schema);

    it("POST /habits", () => {
      const results = verdicts(routeOf("habits.create"), [
        { name: "Water" },
        { name: "Water", color: "#00aaff", reminders: ["08:00", "21:30"], schedule: { type: "weekdays", days: [1, 3] } },
        { name: "Water", color: null, target: { type: "at_least", value: 8, unit: "glasses" } },
        { name: "" },
        { name: "x".repeat(101) },
        { name: "Water", color: "#00aaf" },
        { name: "Water", reminders: ["08:00", "08:00"] },
        { name: "Water", reminders: ["25:00"] },
        { name: "Water", reminders: ["01:00", "02:00", "03:00", "04:00", "05:00", "06:00"] },
        { name: "Water", schedule: { type: "every_n_days", n: 0 } },
        { name: "Water", schedule: { type: "daily", extra: 1 } },
        { name: "Water", target: { type: "at_most" } },
        { name: "Water", startDate: "2026-13-01" },
        { name: "Water", unknown: true },
        {},
      ]);
      expect(results.filter((one) => one.fastest).length).toBe(3);
      expect(agree(results)).toEqual([]);
    });

    it("PUT /habits/:id/checkins/:date and GET /notifications", () => {
      const put = verdicts(routeOf("tracking.put"), [
        {},
        { status: "done", value: 3, note: null },
        { status: "maybe" },
        { value: -1 },
        { note: "x".repeat(501) },
      ]);
      expect(agree(put)).toEqual([]);
      const list = verdicts(routeOf("notifications.list"), [{}, { limit: 5 }, { limit: 0 }, { limit: 101 }, { limit: 2.5 }, { other: 1 }]);
      expect(agree(list)).toEqual([]);
      expect(list.filter((one) => one.fastest).length).toBe(2);
    });
  });
});

describe("the contract test's validator (control)", () => {
  const validator = new OpenApiValidator(document);
  const habit = {
    id: "8e5c7c1a-6e0f-4f5e-9f3a-1c2b3d4e5f60",
    name: "Water",
    description: "",
    color: null,
    schedule: { type: "daily" },
    target: { type: "boolean" },
    reminders: [],
    startDate: "2026-01-01",
    archived: false,
    position: 0,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
  };
  const json = new Headers({ "content-type": "application/json; charset=utf-8" });

  it("passes a documented answer and catches an undocumented field, a missing one, a status and a header", () => {
    expect(validator.check("GET", "/habits/{id}", { status: 200, headers: json, body: habit }).problems).toEqual([]);
    expect(validator.check("GET", "/habits/{id}", { status: 200, headers: json, body: { ...habit, secret: 1 } }).problems).not.toEqual([]);
    const { name: _name, ...nameless } = habit;
    expect(validator.check("GET", "/habits/{id}", { status: 200, headers: json, body: nameless }).problems).not.toEqual([]);
    expect(validator.check("GET", "/habits/{id}", { status: 409, headers: json, body: {} }).problems).toEqual([
      expect.stringMatching(/not documented/),
    ]);
    expect(validator.check("POST", "/habits", { status: 201, headers: json, body: habit }).problems).toEqual([
      "header Location is missing",
    ]);
    const error = { name: "NotFoundError", message: "Habit not found", code: 404, type: "NOT_FOUND", data: null };
    expect(validator.check("GET", "/habits/{id}", { status: 404, headers: json, body: error }).problems).toEqual([]);
    expect(
      validator.check("GET", "/habits/{id}", { status: 404, headers: json, body: { ...error, type: undefined } }).problems,
    ).not.toEqual([]);
  });
});
