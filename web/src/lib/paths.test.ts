import { describe, expect, it } from "vitest";
import { match } from "./paths";

describe("match", () => {
  it("takes parameters from their segments and nothing else", () => {
    expect(match("/habits/:id", "/habits/42")).toEqual({ id: "42" });
    expect(match("/habits/:id/edit", "/habits/a%20b/edit")).toEqual({ id: "a b" });
    expect(match("/habits/:id", "/habits/42/edit")).toBeNull();
    expect(match("/habits/:id", "/habits/")).toBeNull();
    expect(match("/inbox", "/inbox/")).toEqual({});
  });
});
