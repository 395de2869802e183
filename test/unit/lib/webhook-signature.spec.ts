/**
 * Webhook signatures: "v1=" + hex HMAC-SHA256 over "<timestamp>.<body>"; verification fails on
 * any change to body, secret or timestamp, on a timestamp out of tolerance, and on malformed
 * or missing headers.
 */
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook, verifyWebhook } from "../../../lib/webhook-signature";

const SECRET = "whsec_0123456789abcdef";
const NOW = 1_790_000_000;
const BODY = JSON.stringify({ type: "reminder", habit: "Read", date: "2026-11-21" });

describe("signWebhook", () => {
  it("signs '<timestamp>.<body>' with HMAC-SHA256, as v1=<hex>", () => {
    const expected = createHmac("sha256", SECRET).update(`${NOW}.${BODY}`).digest("hex");
    expect(signWebhook(SECRET, NOW, BODY)).toBe(`v1=${expected}`);
    expect(signWebhook(SECRET, NOW, BODY)).toMatch(/^v1=[0-9a-f]{64}$/);
  });

  it("matches a known vector", () => {
    // printf '%s' '1700000000.{"ok":true}' | openssl dgst -sha256 -hmac secret
    expect(signWebhook("secret", 1_700_000_000, '{"ok":true}')).toBe("v1=c1afc7c2df3db0690d7d75954610ed1a1d959ce96355ccb8c0a8bc09fd0cfc27");
  });

  it.each([1.5, -1, Number.NaN, Number.POSITIVE_INFINITY])("rejects the timestamp %p", (timestamp) => {
    expect(() => signWebhook(SECRET, timestamp, BODY)).toThrow(RangeError);
  });

  it("names its headers in lower case", () => {
    expect([SIGNATURE_HEADER, TIMESTAMP_HEADER, DELIVERY_HEADER]).toEqual([
      "x-habit-tracker-signature",
      "x-habit-tracker-timestamp",
      "x-habit-tracker-delivery",
    ]);
  });
});

describe("verifyWebhook", () => {
  const signature = signWebhook(SECRET, NOW, BODY);

  it("accepts its own signature (round trip)", () => {
    expect(verifyWebhook(SECRET, signature, String(NOW), BODY, NOW)).toBe(true);
  });

  it("accepts a timestamp at the edge of the tolerance, either way", () => {
    expect(verifyWebhook(SECRET, signature, String(NOW), BODY, NOW + 300)).toBe(true);
    expect(verifyWebhook(SECRET, signature, String(NOW), BODY, NOW - 300)).toBe(true);
    expect(verifyWebhook(SECRET, signature, String(NOW), BODY, NOW + 60, 60)).toBe(true);
  });

  it("rejects a tampered body", () => {
    expect(verifyWebhook(SECRET, signature, String(NOW), BODY.replace("Read", "Rest"), NOW)).toBe(false);
    expect(verifyWebhook(SECRET, signature, String(NOW), `${BODY} `, NOW)).toBe(false);
  });

  it("rejects a wrong secret", () => {
    expect(verifyWebhook(`${SECRET}x`, signature, String(NOW), BODY, NOW)).toBe(false);
    expect(verifyWebhook("", signature, String(NOW), BODY, NOW)).toBe(false);
  });

  it("rejects a stale timestamp", () => {
    expect(verifyWebhook(SECRET, signature, String(NOW), BODY, NOW + 301)).toBe(false);
    expect(verifyWebhook(SECRET, signature, String(NOW), BODY, NOW + 61, 60)).toBe(false);
  });

  it("rejects a timestamp from the future", () => {
    expect(verifyWebhook(SECRET, signature, String(NOW), BODY, NOW - 301)).toBe(false);
  });

  it("rejects a timestamp other than the signed one, even within tolerance", () => {
    expect(verifyWebhook(SECRET, signature, String(NOW + 1), BODY, NOW)).toBe(false);
    expect(verifyWebhook(SECRET, signature, `0${NOW}`, BODY, NOW)).toBe(false);
  });

  it.each([
    ["a missing signature", undefined, String(NOW)],
    ["a missing timestamp", signature, undefined],
    ["an empty signature", "", String(NOW)],
    ["no version prefix", signature.slice(3), String(NOW)],
    ["an unknown version", signature.replace("v1=", "v2="), String(NOW)],
    ["a short digest", signature.slice(0, -2), String(NOW)],
    ["a long digest", `${signature}00`, String(NOW)],
    ["upper-case hex", signature.toUpperCase().replace("V1=", "v1="), String(NOW)],
    ["non-hex digits", `v1=${"z".repeat(64)}`, String(NOW)],
    ["several signatures", `${signature},${signature}`, String(NOW)],
    ["a non-numeric timestamp", signature, "yesterday"],
    ["a fractional timestamp", signature, `${NOW}.0`],
    ["a negative timestamp", signature, `-${NOW}`],
    ["an empty timestamp", signature, ""],
    ["a padded timestamp", signature, ` ${NOW}`],
  ])("rejects %s", (_, sig, timestamp) => {
    expect(verifyWebhook(SECRET, sig, timestamp, BODY, NOW)).toBe(false);
  });

  it("round-trips any body and secret, and fails on any changed byte (200 runs)", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string({ unit: "binary" }),
        fc.nat({ max: 4_000_000_000 }),
        fc.nat(),
        (secret, body, at, flip) => {
          const sig = signWebhook(secret, at, body);
          expect(verifyWebhook(secret, sig, String(at), body, at + 10)).toBe(true);
          // Change one hex digit of the digest.
          const position = 3 + (flip % 64);
          const digit = sig[position] === "0" ? "1" : "0";
          const changed = sig.slice(0, position) + digit + sig.slice(position + 1);
          expect(verifyWebhook(secret, changed, String(at), body, at)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});
