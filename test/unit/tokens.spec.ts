/**
 * Access tokens (HS256 JWTs with issuer, audience, expiry and a session id) and opaque
 * refresh tokens "<uuid>.<secret>" checked against a SHA-256 of the secret.
 */
import { randomUUID } from "node:crypto";
import jwt from "jsonwebtoken";
import {
  AccessTokens,
  InvalidTokenError,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  newRefreshToken,
  parseRefreshToken,
  secretMatches,
} from "../../src/tokens";

const SECRET = "0123456789abcdef0123456789abcdef";
const CLAIMS = { userId: randomUUID(), role: "admin", sessionId: randomUUID() };

/** A token signed with the shared secret; each option can be overridden to break one thing. */
function forge(
  payload: Record<string, unknown> = { role: "user", sid: CLAIMS.sessionId },
  options: jwt.SignOptions = {},
  secret: string = SECRET,
): string {
  const merged: Record<string, unknown> = {
    algorithm: "HS256",
    issuer: TOKEN_ISSUER,
    audience: TOKEN_AUDIENCE,
    subject: CLAIMS.userId,
    expiresIn: 60,
    jwtid: randomUUID(),
    ...options,
  };
  // An option set to undefined means "leave this claim out".
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  return jwt.sign(payload, secret, merged as jwt.SignOptions);
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("AccessTokens", () => {
  const tokens = new AccessTokens(SECRET, 900);

  describe("sign / verify", () => {
    it("should return the userId, role and sessionId it signed", () => {
      expect(tokens.verify(tokens.sign(CLAIMS))).toEqual(CLAIMS);
    });

    it("should sign HS256 with issuer, audience, expiry and a token id", () => {
      const decoded = jwt.decode(tokens.sign(CLAIMS), { complete: true }) as jwt.Jwt;
      const payload = decoded.payload as jwt.JwtPayload;
      expect(decoded.header.alg).toBe("HS256");
      expect(payload.iss).toBe(TOKEN_ISSUER);
      expect(payload.aud).toBe(TOKEN_AUDIENCE);
      expect(payload.sub).toBe(CLAIMS.userId);
      expect(payload.sid).toBe(CLAIMS.sessionId);
      expect(payload.exp! - payload.iat!).toBe(900);
      expect(typeof payload.jti).toBe("string");
    });

    it("should accept a token forged with all the right parts (control for the cases below)", () => {
      expect(tokens.verify(forge())).toEqual({ userId: CLAIMS.userId, role: "user", sessionId: CLAIMS.sessionId });
    });
  });

  describe("verify rejects", () => {
    const header = { alg: "none", typ: "JWT" };
    const now = Math.floor(Date.now() / 1000);
    const unsignedPayload = {
      role: "admin",
      sid: CLAIMS.sessionId,
      sub: CLAIMS.userId,
      iss: TOKEN_ISSUER,
      aud: TOKEN_AUDIENCE,
      iat: now,
      exp: now + 60,
      jti: randomUUID(),
    };

    const cases: Array<[string, () => string]> = [
      ["an unsigned token (alg none)", () => `${base64url(header)}.${base64url(unsignedPayload)}.`],
      ["a token signed with another key", () => new AccessTokens("another-secret-of-at-least-32-bytes", 900).sign(CLAIMS)],
      ["a token from another issuer", () => forge(undefined, { issuer: "someone-else" })],
      ["a token for another audience", () => forge(undefined, { audience: "another-api" })],
      [
        "an expired token (beyond the clock tolerance)",
        () => forge({ role: "user", sid: CLAIMS.sessionId, exp: now - 60 }, { expiresIn: undefined }),
      ],
      ["a token signed with HS512", () => forge(undefined, { algorithm: "HS512" })],
      ["a token without a session id", () => forge({ role: "user" })],
      ["a token with a non-string session id", () => forge({ role: "user", sid: 42 })],
      ["a token without a token id", () => forge(undefined, { jwtid: undefined })],
      ["a token whose signature was tampered with", () => forge().slice(0, -2) + "xx"],
      // Validly signed, but not as we sign (issue 8, findings 3 and 10).
      ["a token with no expiry", () => forge(undefined, { expiresIn: undefined })],
      ["a token living longer than the configured lifetime", () => forge(undefined, { expiresIn: 901 })],
      ["a token expiring in 2500", () => forge({ role: "user", sid: CLAIMS.sessionId, exp: 16725225600 }, { expiresIn: undefined })],
      ["a token with no issue time", () => forge(undefined, { noTimestamp: true })],
      ["a token issued in the future", () => forge({ role: "user", sid: CLAIMS.sessionId, iat: now + 3600 })],
      ["a token whose subject is not a UUID", () => forge(undefined, { subject: "admin" })],
      ["a token whose session id is not a UUID", () => forge({ role: "user", sid: "x" })],
      ["a token with an unknown role", () => forge({ role: "root", sid: CLAIMS.sessionId })],
      ["garbage", () => "not.a.jwt"],
    ];

    it.each(cases)("should reject %s with InvalidTokenError", (_label, make) => {
      const token = make();
      expect(() => tokens.verify(token)).toThrow(InvalidTokenError);
    });
  });

  describe("remembering verified tokens", () => {
    it("refuses a remembered token once it expires (beyond the clock tolerance), as an unremembered one", () => {
      let now = Date.parse("2026-12-01T10:00:00Z");
      const clocked = new AccessTokens(SECRET, 900, () => now);
      const token = clocked.sign(CLAIMS);
      expect(clocked.verify(token)).toEqual(CLAIMS);
      now += 900_000 + 5_000; // exp plus the tolerance: still accepted
      expect(clocked.verify(token)).toEqual(CLAIMS);
      now += 1_000;
      expect(() => clocked.verify(token)).toThrow(InvalidTokenError);
      // A fresh instance, which never saw the token, says the same.
      expect(() => new AccessTokens(SECRET, 900, () => now).verify(token)).toThrow(InvalidTokenError);
    });

    it("refuses every variant of a remembered token: the memory is keyed by the exact text", () => {
      const token = tokens.sign(CLAIMS);
      expect(tokens.verify(token)).toEqual(CLAIMS);
      const [head, body, signature] = token.split(".");
      const otherRole = Buffer.from(JSON.stringify({ ...(jwt.decode(token) as object), role: "user" })).toString("base64url");
      for (const variant of [
        `${head}.${otherRole}.${signature}`,
        `${head}.${body}.${signature.slice(0, -2)}AA`,
        `${token} `,
        token.slice(0, -1),
      ]) {
        expect(() => tokens.verify(variant)).toThrow(InvalidTokenError);
      }
      expect(tokens.verify(token)).toEqual(CLAIMS);
    });
  });
});

describe("refresh tokens", () => {
  describe("newRefreshToken / parseRefreshToken / secretMatches", () => {
    it("should parse a new token into its id and a secret matching its hash", () => {
      const refresh = newRefreshToken();
      const parsed = parseRefreshToken(refresh.token);
      expect(parsed).not.toBeNull();
      expect(parsed!.id).toBe(refresh.id);
      expect(secretMatches(parsed!.secret, refresh.hash)).toBe(true);
    });

    it("should store a 32-byte hash, never the secret itself", () => {
      const refresh = newRefreshToken();
      const { secret } = parseRefreshToken(refresh.token)!;
      expect(refresh.hash).toHaveLength(32);
      expect(refresh.hash.toString("base64url")).not.toBe(secret);
    });

    it("should make a different token each time", () => {
      const a = newRefreshToken();
      const b = newRefreshToken();
      expect(a.id).not.toBe(b.id);
      expect(a.token).not.toBe(b.token);
      expect(a.hash.equals(b.hash)).toBe(false);
    });

    it("should not match a tampered secret", () => {
      const refresh = newRefreshToken();
      const { secret } = parseRefreshToken(refresh.token)!;
      const tampered = (secret[0] === "A" ? "B" : "A") + secret.slice(1);
      expect(secretMatches(tampered, refresh.hash)).toBe(false);
    });

    it("should not match another token's hash", () => {
      const { secret } = parseRefreshToken(newRefreshToken().token)!;
      expect(secretMatches(secret, newRefreshToken().hash)).toBe(false);
    });

    it("should not match a hash of the wrong length", () => {
      const refresh = newRefreshToken();
      const { secret } = parseRefreshToken(refresh.token)!;
      expect(secretMatches(secret, refresh.hash.subarray(0, 16))).toBe(false);
    });
  });

  describe("parseRefreshToken on malformed input", () => {
    const uuid = randomUUID();
    it.each([
      ["an empty string", ""],
      ["a token without a dot", `${uuid}secret`],
      ["an id that is not a UUID", "not-a-uuid.secret"],
      ["an empty secret", `${uuid}.`],
      ["an empty id", ".secret"],
      ["a UUID with extra characters", `${uuid}x.secret`],
    ])("should return null for %s", (_label, token) => {
      expect(parseRefreshToken(token)).toBeNull();
    });
  });
});
