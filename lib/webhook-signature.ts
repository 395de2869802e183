/**
 * Signatures on webhook deliveries: HMAC-SHA256 with the user's webhook secret over
 * "<unix seconds>.<body>", sent as "v1=<hex>". The timestamp is signed too, so a captured
 * delivery cannot be replayed later with a fresh timestamp. Pure: "now" is an input.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-habit-tracker-signature";
export const TIMESTAMP_HEADER = "x-habit-tracker-timestamp";
export const DELIVERY_HEADER = "x-habit-tracker-delivery";

const SIGNATURE_PATTERN = /^v1=([0-9a-f]{64})$/;
const TIMESTAMP_PATTERN = /^\d{1,15}$/;

/** Over the timestamp as sent (its header text), so any receiver can recompute it from the headers. */
function hmacHex(secret: string, timestamp: string, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`, "utf8").digest("hex");
}

/** The signature header's value for a body sent at `timestampSeconds` (whole Unix seconds). */
export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new RangeError(`webhook timestamp must be whole Unix seconds, got ${timestampSeconds}`);
  }
  return `v1=${hmacHex(secret, String(timestampSeconds), body)}`;
}

/**
 * Whether `signature` and `timestamp` (the two headers, as received) sign `body` with `secret`,
 * and the timestamp is within `toleranceSeconds` of `nowSeconds` either way. Missing or
 * malformed headers fail; the digests are compared in constant time.
 */
export function verifyWebhook(
  secret: string,
  signature: string | undefined,
  timestamp: string | undefined,
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  if (typeof signature !== "string" || typeof timestamp !== "string") return false;
  const match = SIGNATURE_PATTERN.exec(signature);
  if (!match || !TIMESTAMP_PATTERN.test(timestamp)) return false;
  if (!(Math.abs(nowSeconds - Number(timestamp)) <= toleranceSeconds)) return false;
  const expected = Buffer.from(hmacHex(secret, timestamp, body), "hex");
  const given = Buffer.from(match[1], "hex");
  // timingSafeEqual throws on different lengths; the pattern fixes the length, this keeps it so.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
