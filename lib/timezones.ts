/**
 * IANA time-zone names. Pure: no clock, no I/O.
 */
import { IANAZone } from "luxon";

const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/;

// The runtime's own spellings, by lower-cased name, to fix the case of "europe/berlin".
// Not used to rename valid zones: ICU lists some legacy aliases (Asia/Calcutta for Asia/Kolkata).
let knownSpellings: Map<string, string> | null = null;
function spellings(): Map<string, string> {
  knownSpellings ??= new Map(["UTC", ...Intl.supportedValuesOf("timeZone")].map((zone) => [zone.toLowerCase(), zone]));
  return knownSpellings;
}

/**
 * The name to store for a user's zone, or null when it is not a valid IANA zone. A name the
 * runtime lists comes back in its spelling ("europe/berlin" → "Europe/Berlin"); any other valid
 * name ("Asia/Kolkata", "Europe/Kyiv") comes back exactly as given, never as a legacy alias.
 */
export function canonicalTimeZone(name: string): string | null {
  if (!ZONE_NAME.test(name) || !IANAZone.isValidZone(name)) return null;
  return spellings().get(name.toLowerCase()) ?? name;
}
