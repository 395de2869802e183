/**
 * The params validator every action runs (src/validator.ts): fastest-validator plus depth,
 * prototype-key, text and null rules, checked on a real broker so the wiring is tested too.
 */
import { ServiceBroker, Errors, type Context } from "moleculer";
import fc from "fast-check";
import { MAX_DEPTH, StrictValidator, inputProblems, nullProblems, textProblem } from "../../src/validator";

describe("textProblem", () => {
  it.each([
    ["NUL", "a\u0000b"],
    ["a lone high surrogate", "\ud800"],
    ["a lone low surrogate", "x\udfff"],
    ["a reversed pair", "\udc00\ud800"],
    ["BEL", "\u0007"],
    ["ESC", "\u001b[31m"],
    ["carriage return", "\r"],
    ["DEL", "\u007f"],
    ["a C1 control", "\u0085"],
  ])("should refuse %s", (_label, text) => {
    expect(textProblem(text)).not.toBeNull();
  });

  it.each([
    ["tab", "\t"],
    ["newline", "a\nb"],
    ["an astral character", "𝄞 🍵"],
    ["the empty string", ""],
    ["accents", "ünïcødé"],
  ])("should accept %s", (_label, text) => {
    expect(textProblem(text)).toBeNull();
  });

  it("should accept exactly the strings a simple reference accepts", () => {
    // Reference: walk the code units; a surrogate must pair up, and no control but \t and \n.
    const reference = (text: string) => {
      for (let i = 0; i < text.length; i++) {
        const unit = text.charCodeAt(i);
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const next = text.charCodeAt(i + 1);
          if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
          i++;
        } else if (unit >= 0xdc00 && unit <= 0xdfff) return false;
        else if ((unit < 0x20 && unit !== 0x09 && unit !== 0x0a) || (unit >= 0x7f && unit <= 0x9f)) return false;
      }
      return true;
    };
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.oneof(
            fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
            fc.constantFrom("\ud83c\udf75", "a"),
          ),
        }),
        (text) => {
          expect(textProblem(text) === null).toBe(reference(text));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("inputProblems", () => {
  it("should report a value nested deeper than MAX_DEPTH once, without walking all of it", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const problems = inputProblems({ password: deep });
    expect(problems).toEqual([expect.objectContaining({ type: "depth", field: `password${"[0]".repeat(MAX_DEPTH - 1)}` })]);
  });

  it("should accept a value exactly MAX_DEPTH levels deep", () => {
    let value: unknown = 1;
    for (let i = 0; i < MAX_DEPTH - 1; i++) value = [value];
    expect(inputProblems(value)).toEqual([]);
  });

  it("should name the path of forbidden keys and bad text anywhere", () => {
    const body = JSON.parse('{"a":{"__proto__":{"x":1}},"b":[{"constructor":1},{"c":"\\u0000"}],"prototype":2}');
    expect(inputProblems(body).map(({ field, type }) => [field, type])).toEqual([
      ["a.__proto__", "forbiddenKey"],
      ["b[0].constructor", "forbiddenKey"],
      ["b[1].c", "text"],
      ["prototype", "forbiddenKey"],
    ]);
  });

  it("should refuse objects that are not plain (a prototype was swapped in)", () => {
    const swapped = Object.assign(Object.create({ email: "victim@example.com" }), { password: "x" });
    expect(inputProblems({ nested: swapped })).toEqual([expect.objectContaining({ field: "nested", type: "object" })]);
  });
});

describe("nullProblems", () => {
  const schema = {
    name: { type: "string", optional: true },
    color: { type: "string", optional: true, nullable: true },
    settings: { type: "object", optional: true, props: { email: { type: "boolean", optional: true } } },
    items: {
      type: "array",
      optional: true,
      items: { type: "object", props: { note: { type: "string", nullable: true }, date: { type: "string" } } },
    },
  };

  it("should refuse null only where the rule is not nullable, at any depth", () => {
    const problems = nullProblems(schema, { name: null, color: null, settings: { email: null }, items: [{ note: null, date: null }] });
    expect(problems.map((problem) => problem.field)).toEqual(["name", "settings.email", "items[0].date"]);
  });
});

describe("StrictValidator on a broker", () => {
  const broker = new ServiceBroker({ logger: false, validator: new StrictValidator() });
  broker.createService({
    name: "probe",
    actions: {
      update: {
        params: { $$strict: true, name: { type: "string", optional: true }, color: { type: "string", optional: true, nullable: true } },
        handler: (ctx: Context<Record<string, unknown>>) => ctx.params,
      },
    },
  });
  beforeAll(() => broker.start());
  afterAll(() => broker.stop());

  const rejected = async (params: unknown) => {
    try {
      await broker.call("probe.update", params as object);
    } catch (err) {
      expect(err).toBeInstanceOf(Errors.ValidationError);
      return (err as Errors.ValidationError).data as Array<{ field: string; type: string }>;
    }
    throw new Error("accepted");
  };

  it("should pass what fastest-validator passes", async () => {
    await expect(broker.call("probe.update", { name: "a\tb", color: null })).resolves.toEqual({ name: "a\tb", color: null });
  });

  it("should refuse null for an optional field that is not nullable", async () => {
    expect(await rejected({ name: null })).toEqual([expect.objectContaining({ field: "name", type: "notNull" })]);
  });

  it("should refuse a __proto__ key before the strict rule could miss it", async () => {
    expect(await rejected(JSON.parse('{"__proto__":{"name":"x"}}'))).toEqual([
      expect.objectContaining({ field: "__proto__", type: "forbiddenKey" }),
    ]);
  });

  it("should refuse a deeply nested value with a 422, not a stack overflow", async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect((await rejected({ name: deep }))[0].type).toBe("depth");
  });

  it("should still report fastest-validator's own errors", async () => {
    expect(await rejected({ name: 5, extra: 1 })).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: "name", type: "string" })]),
    );
  });
});
