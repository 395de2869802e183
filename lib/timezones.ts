/**
 * IANA time-zone names. Pure: no clock, no I/O.
 */
import { IANAZone } from "luxon";

const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/;

/** The canonical spelling of an IANA zone name ("europe/berlin" → "Europe/Berlin"), or null. */
export function canonicalTimeZone(name: string): string | null {
  if (!ZONE_NAME.test(name) || !IANAZone.isValidZone(name)) return null;
  return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
}
