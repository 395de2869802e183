/** How the gateway turns a request's body, query and path into action params (src/request-params.ts). */
import { Errors } from "moleculer";
import { accountsNamed, requestParams } from "../../src/request-params";

function problems(run: () => unknown): Array<{ field: string; type: string }> {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(Errors.ValidationError);
    return (err as Errors.ValidationError).data as Array<{ field: string; type: string }>;
  }
  throw new Error("accepted");
}

describe("requestParams", () => {
  it("should take a body route's fields from the body and its path", () => {
    expect(requestParams({ takesBody: true, body: { name: "x" }, query: {}, pathParams: { id: "7" } })).toEqual({ name: "x", id: "7" });
  });

  it("should refuse any query parameter on a body route, naming it", () => {
    expect(
      problems(() => requestParams({ takesBody: true, body: { email: "a" }, query: { email: "v", password: "p" }, pathParams: {} })),
    ).toEqual([
      expect.objectContaining({ field: "email", type: "queryNotAllowed" }),
      expect.objectContaining({ field: "password", type: "queryNotAllowed" }),
    ]);
  });

  it.each([[[]], [["a"]], ["text"], [5]])("should refuse a body that is not an object: %j", (body) => {
    expect(problems(() => requestParams({ takesBody: true, body, query: {}, pathParams: {} }))).toEqual([
      expect.objectContaining({ type: "bodyNotObject" }),
    ]);
  });

  it("should treat a missing body as no fields", () => {
    expect(requestParams({ takesBody: true, body: undefined, query: undefined, pathParams: {} })).toEqual({});
  });

  it("should take a query route's fields from the query string, each once, and refuse a body", () => {
    expect(requestParams({ takesBody: false, body: {}, query: { from: "2026-01-01" }, pathParams: { id: "h" } })).toEqual({
      from: "2026-01-01",
      id: "h",
    });
    expect(problems(() => requestParams({ takesBody: false, body: { archived: true }, query: {}, pathParams: {} }))).toEqual([
      expect.objectContaining({ type: "bodyNotAllowed" }),
    ]);
    expect(
      problems(() =>
        requestParams({ takesBody: false, body: undefined, query: { archived: ["true", "false"], x: { y: "1" } }, pathParams: {} }),
      ),
    ).toEqual([
      expect.objectContaining({ field: "archived", type: "queryValue" }),
      expect.objectContaining({ field: "x", type: "queryValue" }),
    ]);
  });

  it("should refuse a field that shadows a path parameter", () => {
    expect(problems(() => requestParams({ takesBody: true, body: { id: "other" }, query: {}, pathParams: { id: "mine" } }))).toEqual([
      expect.objectContaining({ field: "id", type: "unknownField" }),
    ]);
  });

  it("should keep a __proto__ key an own key for the validator, never the prototype", () => {
    const params = requestParams({
      takesBody: true,
      body: JSON.parse('{"__proto__":{"email":"v@x.io"},"password":"p"}'),
      query: {},
      pathParams: {},
    });
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
    expect((params as { email?: unknown }).email).toBeUndefined();
    expect(Object.keys(params)).toEqual(["__proto__", "password"]);
  });
});

describe("accountsNamed", () => {
  it("should find every e-mail a request names, wherever it is, normalised", () => {
    const body = JSON.parse('{"email":" Decoy@X.io ","__proto__":{"email":"Victim@X.io"}}');
    expect(accountsNamed(body, { email: ["other@x.io", "victim@x.io"] }).sort()).toEqual(["decoy@x.io", "other@x.io", "victim@x.io"]);
  });

  it("should stop at a few accounts and a shallow depth", () => {
    const many = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, { email: `u${i}@x.io` }]));
    expect(accountsNamed(many, {})).toHaveLength(4);
    let deep: Record<string, unknown> = { email: "deep@x.io" };
    for (let i = 0; i < 10; i++) deep = { nested: deep };
    expect(accountsNamed(deep, {})).toEqual([]);
  });
});
