/**
 * canonicalTimeZone: IANA names in any casing come back canonical; anything else is null.
 */
import { canonicalTimeZone } from "../../../lib/timezones";

describe("canonicalTimeZone", () => {
  it.each([
    ["europe/berlin", "Europe/Berlin"],
    ["Europe/Berlin", "Europe/Berlin"],
    ["EUROPE/BERLIN", "Europe/Berlin"],
    ["UTC", "UTC"],
    ["Pacific/Kiritimati", "Pacific/Kiritimati"],
    ["Australia/Lord_Howe", "Australia/Lord_Howe"],
    ["america/sao_paulo", "America/Sao_Paulo"],
    ["America/Sao_Paulo", "America/Sao_Paulo"],
    ["utc", "UTC"],
  ])("should return %p as %p", (input, canonical) => {
    expect(canonicalTimeZone(input)).toBe(canonical);
  });

  // ICU (Node 22) resolves some current IANA names to legacy aliases (Asia/Kolkata → Asia/Calcutta);
  // a user's correctly spelled zone must be stored as given, whatever the Node/ICU version.
  it.each(["Asia/Kolkata", "Europe/Kyiv", "Asia/Ho_Chi_Minh", "America/Argentina/Buenos_Aires"])(
    "should return the current IANA name %p unchanged, not a legacy alias",
    (name) => {
      expect(canonicalTimeZone(name)).toBe(name);
    },
  );

  it.each([
    "Mars/Base",
    "",
    " ",
    "Europe/Berlin; DROP",
    "Europe/Berlin ",
    "../etc/passwd",
    "/etc/passwd",
    "Europe/../Berlin",
    "+05:00",
    "GMT+5:00",
    "Not_A_Zone",
  ])("should return null for %p", (input) => {
    expect(canonicalTimeZone(input)).toBeNull();
  });
});
