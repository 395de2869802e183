/**
 * Calendar arithmetic and "today" in a zone (issue 3, check 2, the pure part): dates are
 * counted by calendar, so DST days of 23 or 25 hours and odd offsets change nothing.
 */
import fc from "fast-check";
import { DateTime } from "luxon";
import { addDays, daysBetween, fromDay, isValidDate, isoWeekday, parseInstant, toDay, todayIn } from "../../../lib/dates";

describe("dates", () => {
  it.each([
    ["2024-02-28", 1, "2024-02-29"],
    ["2023-02-28", 1, "2023-03-01"],
    ["2024-12-31", 1, "2025-01-01"],
    // Across both DST changes in Europe and the US: still one calendar day per step.
    ["2026-03-28", 2, "2026-03-30"],
    ["2026-10-24", 2, "2026-10-26"],
    ["2026-03-07", 2, "2026-03-09"],
    ["2026-01-10", -10, "2025-12-31"],
  ])("addDays(%s, %i) → %s", (date, days, expected) => {
    expect(addDays(date, days)).toBe(expected);
    expect(daysBetween(date, expected)).toBe(days);
  });

  it("round-trips epoch days", () => {
    for (const date of ["1970-01-01", "2000-02-29", "2038-01-19", "2099-12-31"]) expect(fromDay(toDay(date))).toBe(date);
  });

  it.each([
    ["2026-11-16", 1],
    ["2026-11-21", 6],
    ["2026-11-22", 7],
    ["1970-01-01", 4],
  ])("isoWeekday(%s) → %i", (date, weekday) => {
    expect(isoWeekday(date)).toBe(weekday);
  });

  it.each(["2026-02-29", "2026-13-01", "2026-00-10", "2026-1-01", "20260101", "", "2026-01-32", "abcd-ef-gh"])(
    "rejects %p as a date",
    (value) => {
      expect(isValidDate(value)).toBe(false);
    },
  );
});

describe("todayIn", () => {
  // Each case: an instant, the zone, and the local date there.
  it.each([
    // UTC+14: already tomorrow for most of the world.
    ["2026-11-21T09:59:00Z", "Pacific/Kiritimati", "2026-11-21"], // 23:59 local
    ["2026-11-21T10:01:00Z", "Pacific/Kiritimati", "2026-11-22"], // 00:01 local
    // UTC-11.
    ["2026-11-22T10:59:00Z", "Pacific/Pago_Pago", "2026-11-21"],
    ["2026-11-22T11:01:00Z", "Pacific/Pago_Pago", "2026-11-22"],
    // New York, on the spring-forward day (23 hours) and the fall-back day (25 hours).
    ["2026-03-09T03:59:00Z", "America/New_York", "2026-03-08"], // 23:59 EDT
    ["2026-03-09T04:01:00Z", "America/New_York", "2026-03-09"],
    ["2026-11-02T04:59:00Z", "America/New_York", "2026-11-01"], // 23:59 EST after fall-back
    ["2026-11-02T05:01:00Z", "America/New_York", "2026-11-02"],
    // Berlin around both changes.
    ["2026-03-29T21:59:00Z", "Europe/Berlin", "2026-03-29"], // 23:59 CEST
    ["2026-03-29T22:01:00Z", "Europe/Berlin", "2026-03-30"],
    ["2026-10-25T22:59:00Z", "Europe/Berlin", "2026-10-25"], // 23:59 CET
    ["2026-10-25T23:01:00Z", "Europe/Berlin", "2026-10-26"],
    // Lord Howe: a 30-minute DST shift (UTC+11 in summer, +10:30 in winter).
    ["2026-01-15T12:59:00Z", "Australia/Lord_Howe", "2026-01-15"], // 23:59 +11
    ["2026-01-15T13:01:00Z", "Australia/Lord_Howe", "2026-01-16"],
    ["2026-06-15T13:29:00Z", "Australia/Lord_Howe", "2026-06-15"], // 23:59 +10:30
    ["2026-06-15T13:31:00Z", "Australia/Lord_Howe", "2026-06-16"],
    // São Paulo's historic DST began at midnight: 2018-11-04 had no 00:00–00:59.
    ["2018-11-04T02:59:00Z", "America/Sao_Paulo", "2018-11-03"], // 23:59 -03
    ["2018-11-04T03:01:00Z", "America/Sao_Paulo", "2018-11-04"], // 01:01 -02 (midnight skipped)
  ])("at %s in %s it is %s", (instant, zone, expected) => {
    expect(todayIn(zone, new Date(instant))).toBe(expected);
  });

  it("remembers each zone's day without ever answering another day than luxon does (fast-check)", () => {
    const zones = [
      "UTC",
      "America/New_York",
      "Europe/Berlin",
      "Australia/Lord_Howe",
      "America/Sao_Paulo",
      "Pacific/Kiritimati",
      "Asia/Kolkata",
    ];
    // Instants clustered around midnights and DST changes: a memo that outlives its day is caught there.
    const around = fc.oneof(
      fc.integer({ min: Date.parse("2018-10-01T00:00Z"), max: Date.parse("2027-12-31T00:00Z") }),
      fc
        .tuple(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: -90, max: 90 }))
        .map(([day, minutes]) => Date.parse("2018-10-01T00:00Z") + day * 86_400_000 + minutes * 60_000),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...zones), around), { minLength: 1, maxLength: 40 }), (asks) => {
        for (const [zone, at] of asks) {
          expect(todayIn(zone, new Date(at))).toBe(DateTime.fromMillis(at, { zone }).toISODate());
        }
      }),
      { numRuns: 300 },
    );
  });

  it("rejects an unknown zone", () => {
    expect(() => todayIn("Mars/Base", new Date())).toThrow(RangeError);
  });
});

describe("parseInstant", () => {
  it.each([
    ["2026-12-01T08:30Z", "2026-12-01T08:30Z"],
    ["2026-12-01T08:30:15.123456Z", "2026-12-01T08:30:15.123456Z"],
    ["2026-12-01T00:00-23:59", "2026-12-01T23:59:00.000Z"],
    ["2026-12-01T08:30:00+05:30", "2026-12-01T03:00:00.000Z"],
    ["0001-01-01T00:00Z", "0001-01-01T00:00Z"],
    ["2024-02-29T12:00Z", "2024-02-29T12:00Z"],
  ])("should read %s as %s", (value, expected) => {
    expect(parseInstant(value)).toBe(expected);
  });

  it.each([
    "2026-02-30T10:00Z", // no such day (Date.parse would roll it over into March)
    "2026-04-31T00:00Z",
    "2025-02-29T00:00Z",
    "0000-01-01T00:00Z", // year 0: Postgres has none
    "0001-01-01T00:30+01:00", // before year 1 in UTC
    "9999-12-31T23:59-15:00", // after year 9999 in UTC
    "2026-12-01T24:00Z",
    "2026-12-01T10:60Z",
    "2026-12-01T10:00:60Z",
    "2026-12-01T10:00+24:00",
    "2026-12-01T10:00", // no offset
    "2026-12-01",
    "2026-12-01T10:00:00.1234567Z",
    "+002026-12-01T10:00Z",
    "",
  ])("should refuse %s", (value) => {
    expect(parseInstant(value)).toBeNull();
  });
});
