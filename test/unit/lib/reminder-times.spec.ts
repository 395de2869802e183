/**
 * When reminders fire (docs/contract.md, "Domain rules"): a local time that exists fires then, a repeated one
 * (fall back) at its earlier occurrence only, a skipped one (spring forward) when the gap ends.
 * The properties check against Intl directly, not through luxon.
 */
import fc from "fast-check";
import { addDays } from "../../../lib/dates";
import { occurrencesBetween, reminderInstant, type ReminderOccurrence } from "../../../lib/reminder-times";

const RUNS = 500;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe("reminderInstant", () => {
  // Each case: local date, local time, zone, the instant it fires.
  it.each([
    // A normal day, and UTC.
    ["2026-06-15", "08:00", "Europe/Berlin", "2026-06-15T06:00:00Z"],
    ["2026-01-15", "08:00", "Europe/Berlin", "2026-01-15T07:00:00Z"],
    ["2026-03-08", "02:30", "UTC", "2026-03-08T02:30:00Z"],
    ["2026-11-01", "01:30", "UTC", "2026-11-01T01:30:00Z"],
    // Berlin spring forward (02:00 CET → 03:00 CEST): the gap ends at 03:00 CEST.
    ["2026-03-29", "01:59", "Europe/Berlin", "2026-03-29T00:59:00Z"],
    ["2026-03-29", "02:00", "Europe/Berlin", "2026-03-29T01:00:00Z"],
    ["2026-03-29", "02:30", "Europe/Berlin", "2026-03-29T01:00:00Z"],
    ["2026-03-29", "03:00", "Europe/Berlin", "2026-03-29T01:00:00Z"],
    ["2026-03-29", "03:30", "Europe/Berlin", "2026-03-29T01:30:00Z"],
    // Berlin fall back (03:00 CEST → 02:00 CET): 02:00–02:59 twice, the CEST one fires.
    ["2026-10-25", "01:59", "Europe/Berlin", "2026-10-24T23:59:00Z"],
    ["2026-10-25", "02:00", "Europe/Berlin", "2026-10-25T00:00:00Z"],
    ["2026-10-25", "02:30", "Europe/Berlin", "2026-10-25T00:30:00Z"],
    ["2026-10-25", "02:59", "Europe/Berlin", "2026-10-25T00:59:00Z"],
    ["2026-10-25", "03:00", "Europe/Berlin", "2026-10-25T02:00:00Z"],
    // New York spring forward (02:00 EST → 03:00 EDT): 02:30 fires at 03:00 EDT, not 03:30.
    ["2026-03-08", "01:59", "America/New_York", "2026-03-08T06:59:00Z"],
    ["2026-03-08", "02:00", "America/New_York", "2026-03-08T07:00:00Z"],
    ["2026-03-08", "02:30", "America/New_York", "2026-03-08T07:00:00Z"],
    ["2026-03-08", "02:59", "America/New_York", "2026-03-08T07:00:00Z"],
    ["2026-03-08", "03:00", "America/New_York", "2026-03-08T07:00:00Z"],
    ["2026-03-08", "23:59", "America/New_York", "2026-03-09T03:59:00Z"],
    // New York fall back (02:00 EDT → 01:00 EST): 01:00–01:59 twice, the EDT one fires.
    ["2026-11-01", "00:30", "America/New_York", "2026-11-01T04:30:00Z"],
    ["2026-11-01", "01:00", "America/New_York", "2026-11-01T05:00:00Z"],
    ["2026-11-01", "01:30", "America/New_York", "2026-11-01T05:30:00Z"],
    ["2026-11-01", "02:00", "America/New_York", "2026-11-01T07:00:00Z"],
    // Lord Howe: a 30-minute shift. Ends 2026-04-05 (02:00 +11 → 01:30 +10:30), starts
    // 2026-10-04 (02:00 +10:30 → 02:30 +11).
    ["2026-04-05", "01:29", "Australia/Lord_Howe", "2026-04-04T14:29:00Z"],
    ["2026-04-05", "01:45", "Australia/Lord_Howe", "2026-04-04T14:45:00Z"],
    ["2026-04-05", "02:00", "Australia/Lord_Howe", "2026-04-04T15:30:00Z"],
    ["2026-10-04", "01:59", "Australia/Lord_Howe", "2026-10-03T15:29:00Z"],
    ["2026-10-04", "02:00", "Australia/Lord_Howe", "2026-10-03T15:30:00Z"],
    ["2026-10-04", "02:15", "Australia/Lord_Howe", "2026-10-03T15:30:00Z"],
    ["2026-10-04", "02:30", "Australia/Lord_Howe", "2026-10-03T15:30:00Z"],
    // São Paulo 2018-11-04 had no 00:00–00:59 (-03 → -02 at midnight): those fire at 01:00 -02.
    ["2018-11-03", "23:59", "America/Sao_Paulo", "2018-11-04T02:59:00Z"],
    ["2018-11-04", "00:00", "America/Sao_Paulo", "2018-11-04T03:00:00Z"],
    ["2018-11-04", "00:15", "America/Sao_Paulo", "2018-11-04T03:00:00Z"],
    ["2018-11-04", "01:00", "America/Sao_Paulo", "2018-11-04T03:00:00Z"],
    ["2018-11-04", "01:15", "America/Sao_Paulo", "2018-11-04T03:15:00Z"],
    // …and 2019-02-16 had 23:00–23:59 twice (-02 → -03 at midnight): the -02 one fires.
    ["2019-02-16", "23:30", "America/Sao_Paulo", "2019-02-17T01:30:00Z"],
    // UTC+14: a reminder at local midnight fires on the previous UTC day.
    ["2026-11-22", "00:00", "Pacific/Kiritimati", "2026-11-21T10:00:00Z"],
    ["2026-11-21", "23:59", "Pacific/Kiritimati", "2026-11-21T09:59:00Z"],
    // Samoa skipped 2011-12-30 entirely: every time that day fires at 2011-12-31 00:00 +14.
    ["2011-12-30", "10:00", "Pacific/Apia", "2011-12-30T10:00:00Z"],
    ["2011-12-30", "23:59", "Pacific/Apia", "2011-12-30T10:00:00Z"],
    ["2011-12-31", "00:00", "Pacific/Apia", "2011-12-30T10:00:00Z"],
  ])("%s %s in %s fires at %s", (date, time, zone, expected) => {
    expect(reminderInstant(date, time, zone).toISOString()).toBe(new Date(expected).toISOString());
  });

  it.each([
    ["2026-03-08", "02:30", "Mars/Base"],
    ["2026-02-30", "08:00", "UTC"],
    ["2026-3-8", "08:00", "UTC"],
    ["2026-03-08", "24:00", "UTC"],
    ["2026-03-08", "8:00", "UTC"],
    ["2026-03-08", "08:60", "UTC"],
    ["2026-03-08", "08:00:00", "UTC"],
  ])("rejects %s %s in %s", (date, time, zone) => {
    expect(() => reminderInstant(date, time, zone)).toThrow(RangeError);
  });
});

const iso = (occurrences: ReminderOccurrence[]) => occurrences.map(({ date, time, at }) => [date, time, at.toISOString()]);

describe("occurrencesBetween", () => {
  it("crosses local midnight", () => {
    // 23:00 CEST on 2026-06-01 to 01:00 CEST on 2026-06-02.
    const found = occurrencesBetween(
      ["00:15", "23:30", "12:00"],
      "Europe/Berlin",
      new Date("2026-06-01T21:00Z"),
      new Date("2026-06-01T23:00Z"),
    );
    expect(iso(found)).toEqual([
      ["2026-06-01", "23:30", "2026-06-01T21:30:00.000Z"],
      ["2026-06-02", "00:15", "2026-06-01T22:15:00.000Z"],
    ]);
  });

  it("crosses local midnight a day ahead of UTC (Kiritimati)", () => {
    const found = occurrencesBetween(
      ["00:00", "09:00"],
      "Pacific/Kiritimati",
      new Date("2026-11-21T09:00Z"),
      new Date("2026-11-21T20:00Z"),
    );
    expect(iso(found)).toEqual([
      ["2026-11-22", "00:00", "2026-11-21T10:00:00.000Z"],
      ["2026-11-22", "09:00", "2026-11-21T19:00:00.000Z"],
    ]);
  });

  it("crosses a spring-forward change, firing skipped times when the gap ends", () => {
    // 00:00 EST to 05:00 EDT on 2026-03-08.
    const found = occurrencesBetween(
      ["03:30", "02:30", "01:30", "03:00"],
      "America/New_York",
      new Date("2026-03-08T05:00Z"),
      new Date("2026-03-08T09:00Z"),
    );
    expect(iso(found)).toEqual([
      ["2026-03-08", "01:30", "2026-03-08T06:30:00.000Z"],
      // Same instant: ordered by time.
      ["2026-03-08", "02:30", "2026-03-08T07:00:00.000Z"],
      ["2026-03-08", "03:00", "2026-03-08T07:00:00.000Z"],
      ["2026-03-08", "03:30", "2026-03-08T07:30:00.000Z"],
    ]);
  });

  it("fires a time in a repeated fall-back hour once, although the window holds it twice", () => {
    // 00:00 EDT to 03:00 EST on 2026-11-01: 01:30 happens at 05:30Z and again at 06:30Z.
    const found = occurrencesBetween(["01:30"], "America/New_York", new Date("2026-11-01T04:00Z"), new Date("2026-11-01T08:00Z"));
    expect(iso(found)).toEqual([["2026-11-01", "01:30", "2026-11-01T05:30:00.000Z"]]);
    // A window holding only the second 01:30 (01:00–02:00 EST) fires nothing.
    expect(occurrencesBetween(["01:30"], "America/New_York", new Date("2026-11-01T06:00Z"), new Date("2026-11-01T07:00Z"))).toEqual([]);
  });

  it("is empty when since == until or since > until", () => {
    const at = new Date("2026-06-01T06:00Z"); // 08:00 in Berlin
    expect(occurrencesBetween(["08:00"], "Europe/Berlin", at, at)).toEqual([]);
    expect(occurrencesBetween(["08:00"], "Europe/Berlin", at, new Date(at.getTime() - HOUR))).toEqual([]);
  });

  it("excludes since and includes until", () => {
    const at = new Date("2026-06-01T06:00Z");
    expect(occurrencesBetween(["08:00"], "Europe/Berlin", at, new Date(at.getTime() + HOUR))).toEqual([]);
    expect(iso(occurrencesBetween(["08:00"], "Europe/Berlin", new Date(at.getTime() - HOUR), at))).toEqual([
      ["2026-06-01", "08:00", "2026-06-01T06:00:00.000Z"],
    ]);
  });

  it("lists a time given twice once", () => {
    const found = occurrencesBetween(["08:00", "08:00"], "UTC", new Date("2026-06-01T00:00Z"), new Date("2026-06-02T00:00Z"));
    expect(iso(found)).toEqual([["2026-06-01", "08:00", "2026-06-01T08:00:00.000Z"]]);
  });

  it("fires every time of a skipped day (Samoa, 2011-12-30) at the instant it ends, each once", () => {
    const found = occurrencesBetween(
      ["10:00", "09:00", "00:00"],
      "Pacific/Apia",
      new Date("2011-12-30T00:00Z"),
      new Date("2011-12-30T11:00Z"),
    );
    // Same instant throughout: ordered by time, then date.
    expect(iso(found)).toEqual([
      ["2011-12-30", "00:00", "2011-12-30T10:00:00.000Z"],
      ["2011-12-31", "00:00", "2011-12-30T10:00:00.000Z"],
      ["2011-12-30", "09:00", "2011-12-30T10:00:00.000Z"],
      ["2011-12-30", "10:00", "2011-12-30T10:00:00.000Z"],
    ]);
  });

  it("rejects an unknown zone", () => {
    expect(() => occurrencesBetween(["08:00"], "Mars/Base", new Date(0), new Date(DAY))).toThrow(RangeError);
  });
});

// ---- Properties, checked against Intl rather than luxon ----

const ZONES = [
  "UTC",
  "Europe/Berlin",
  "America/New_York",
  "Australia/Lord_Howe", // 30-minute shift
  "America/Sao_Paulo", // changes at midnight until 2019
  "Pacific/Kiritimati", // UTC+14
  "Pacific/Apia", // skipped a whole day in 2011
  "America/Santiago", // changes at midnight
  "Asia/Tehran", // changed at midnight until 2022
  "Pacific/Chatham", // +12:45 / +13:45
  "America/St_Johns", // -03:30 / -02:30
  "Africa/Casablanca", // DST suspended each Ramadan
  "Asia/Kolkata", // no DST, half-hour offset
];

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall time at an instant in a zone, "YYYY-MM-DDTHH:MM:SS", straight from Intl. */
function wallAt(zone: string, instant: number): string {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(zone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(instant)).map(({ type, value }) => [type, value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

const offsetAt = (zone: string, instant: number) => Date.parse(`${wallAt(zone, instant)}Z`) - instant;

/** Local dates in 2000–2035 on or next to which the zone's offset changes: random dates rarely hit them. */
const transitionDates = new Map<string, string[]>();
function transitionsOf(zone: string): string[] {
  let dates = transitionDates.get(zone);
  if (!dates) {
    const found = new Set<string>();
    const end = Date.parse("2036-01-01T00:00Z");
    let before = offsetAt(zone, Date.parse("2000-01-01T12:00Z"));
    for (let t = Date.parse("2000-01-01T12:00Z"); t < end; t += DAY) {
      const after = offsetAt(zone, t + DAY);
      if (after !== before) {
        const date = wallAt(zone, t).slice(0, 10);
        for (const d of [date, addDays(date, 1), addDays(date, 2)]) found.add(d);
      }
      before = after;
    }
    dates = [...found].sort();
    transitionDates.set(zone, dates);
  }
  return dates;
}

const anyDate = fc.integer({ min: 0, max: 13_148 }).map((offset) => addDays("2000-01-01", offset));
const time = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
    .map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`),
  // Times near the usual changes.
  fc.constantFrom(
    "00:00",
    "00:15",
    "00:30",
    "00:59",
    "01:00",
    "01:30",
    "01:45",
    "02:00",
    "02:15",
    "02:30",
    "02:59",
    "03:00",
    "23:00",
    "23:30",
    "23:59",
  ),
);
/** A zone and a date in it, half the time a date at one of the zone's offset changes. */
const zoneAndDate = fc.constantFrom(...ZONES).chain((zone) => {
  const transitions = transitionsOf(zone);
  const date = transitions.length === 0 ? anyDate : fc.oneof(anyDate, fc.constantFrom(...transitions));
  return fc.record({ zone: fc.constant(zone), date });
});

describe("reminderInstant, properties", () => {
  it(`never fires before the wall time, and fires at it when it exists, at its first occurrence (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(zoneAndDate, time, ({ zone, date }, hhmm) => {
        const wanted = `${date}T${hhmm}:00`;
        const at = reminderInstant(date, hhmm, zone).getTime();
        const shown = wallAt(zone, at);
        if (shown === wanted) {
          // The earlier occurrence: no instant up to 3 hours before shows the same wall time.
          for (let back = 15 * MINUTE; back <= 3 * HOUR; back += 15 * MINUTE) expect(wallAt(zone, at - back)).not.toBe(wanted);
        } else {
          // A gap: the clock jumps over the wanted time exactly at `at`, onto a whole minute on
          // the same date or the next one (a skipped day, or a gap at midnight).
          expect(shown > wanted).toBe(true);
          expect(shown.endsWith(":00")).toBe(true);
          expect([date, addDays(date, 1)]).toContain(shown.slice(0, 10));
          expect(wallAt(zone, at - 1) < wanted).toBe(true);
          // And the wanted time shows at no instant near it: it really does not exist.
          for (let shift = -3 * HOUR; shift <= 3 * HOUR; shift += 15 * MINUTE) expect(wallAt(zone, at + shift)).not.toBe(wanted);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe("occurrencesBetween, properties", () => {
  const windows = fc.record({
    where: zoneAndDate,
    times: fc.uniqueArray(time, { minLength: 1, maxLength: 5 }),
    // Start somewhere from the day before the date to the day after; two spans up to 3 days.
    start: fc.integer({ min: -DAY / MINUTE, max: (2 * DAY) / MINUTE }).map((minutes) => minutes * MINUTE),
    first: fc.integer({ min: 0, max: (3 * DAY) / MINUTE }).map((minutes) => minutes * MINUTE),
    second: fc.integer({ min: 0, max: (3 * DAY) / MINUTE }).map((minutes) => minutes * MINUTE),
    // Sometimes split exactly at an occurrence, where an off-by-one would show.
    splitAt: fc.option(fc.nat(), { nil: null }),
  });

  it(`adds up over consecutive windows, each (date, time) once, in order (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(windows, ({ where: { zone, date }, times, start, first, second, splitAt }) => {
        const a = Date.parse(`${date}T00:00:00Z`) + start;
        const c = a + first + second;
        const whole = occurrencesBetween(times, zone, new Date(a), new Date(c));
        const b = splitAt !== null && whole.length > 0 ? whole[splitAt % whole.length].at.getTime() : a + first;
        const parts = [
          ...occurrencesBetween(times, zone, new Date(a), new Date(b)),
          ...occurrencesBetween(times, zone, new Date(b), new Date(c)),
        ];
        expect(parts).toEqual(whole);

        const keys = whole.map(({ date: d, time: t }) => `${d} ${t}`);
        expect(new Set(keys).size).toBe(keys.length);
        for (let i = 0; i < whole.length; i++) {
          const { date: d, time: t, at } = whole[i];
          expect(at.getTime()).toBeGreaterThan(a);
          expect(at.getTime()).toBeLessThanOrEqual(c);
          expect(at).toEqual(reminderInstant(d, t, zone));
          if (i > 0) {
            const previous = whole[i - 1];
            const later = previous.at.getTime() < at.getTime();
            const sameInstant = previous.at.getTime() === at.getTime();
            expect(later || (sameInstant && (previous.time < t || (previous.time === t && previous.date < d)))).toBe(true);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`misses nothing: every (date, time) firing inside the window is listed (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(windows, ({ where: { zone, date }, times, start, first }) => {
        const a = Date.parse(`${date}T00:00:00Z`) + start;
        const c = a + first;
        const listed = new Set(occurrencesBetween(times, zone, new Date(a), new Date(c)).map(({ date: d, time: t }) => `${d} ${t}`));
        // Check local dates well beyond the window's, independently of the function's own range.
        for (let d = addDays(wallAt(zone, a).slice(0, 10), -3); d <= addDays(wallAt(zone, c).slice(0, 10), 3); d = addDays(d, 1)) {
          for (const t of times) {
            const at = reminderInstant(d, t, zone).getTime();
            expect(listed.has(`${d} ${t}`)).toBe(at > a && at <= c);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
});
