import { describe, expect, it } from "vitest";
import { attachmentName, isSqlite } from "./import-file";

describe("import file", () => {
  it("knows a SQLite file (a Loop backup) by its header", () => {
    expect(isSqlite(new TextEncoder().encode("SQLite format 3\u0000rest"))).toBe(true);
    expect(isSqlite(new TextEncoder().encode('{"format":"habit-tracker-export"}'))).toBe(false);
    expect(isSqlite(new TextEncoder().encode("SQLite format 3"))).toBe(false);
  });

  it("takes the file name from Content-Disposition", () => {
    expect(attachmentName('attachment; filename="habit-tracker-export-2026-12-01.json"', "x.json")).toBe(
      "habit-tracker-export-2026-12-01.json",
    );
    expect(attachmentName(null, "x.json")).toBe("x.json");
  });
});
