/** Calendar dates as `YYYY-MM-DD`, counted by calendar (UTC arithmetic on the date alone). */

const DAY_MS = 86_400_000;

function toUtc(date: string): number {
  const [year, month, day] = date.split("-").map(Number);
  return Date.UTC(year, month - 1, day);
}

function fromUtc(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return fromUtc(toUtc(date) + days * DAY_MS);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((toUtc(to) - toUtc(from)) / DAY_MS);
}

/** ISO weekday, 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: string): number {
  return ((new Date(toUtc(date)).getUTCDay() + 6) % 7) + 1;
}

/** The Monday of the ISO week holding `date`. */
export function weekStart(date: string): string {
  return addDays(date, 1 - isoWeekday(date));
}

/** Today's date in an IANA zone, at the instant `now`. */
export function todayIn(zone: string, now: Date): string {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(now);
  const part = (type: string) => parts.find((item) => item.type === type)?.value ?? "";
  return `${part("year")}-${part("month")}-${part("day")}`;
}

/** "Mon 1 Dec" for a date; the month and year alone for "month" (`Dec 2026`). */
export function formatDate(date: string, style: "day" | "month" = "day"): string {
  const options: Intl.DateTimeFormatOptions =
    style === "day"
      ? { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" }
      : { month: "short", year: "numeric", timeZone: "UTC" };
  return new Intl.DateTimeFormat("en-GB", options).format(new Date(toUtc(date)));
}
