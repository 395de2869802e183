/**
 * Access tokens: HS256 JWTs signed and verified with a KeyObject (several times faster than a
 * string secret) and always with an explicit algorithm, issuer, audience and expiry. A token
 * once verified is remembered (by its exact text) until it expires: a client sends the same
 * token with every request for its whole lifetime, and verifying it again would only repeat the
 * same answer. Revocation is not a property of the token; the gateway checks it on every request.
 * Refresh tokens are opaque: "<tokenId>.<secret>", stored only as a SHA-256 of the secret.
 */
import { createHash, createSecretKey, randomBytes, randomUUID, timingSafeEqual, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import { UUID_PATTERN } from "./params";

export const TOKEN_ISSUER = "habit-tracker";
export const TOKEN_AUDIENCE = "habit-tracker-api";
const ALGORITHM = "HS256";
/** Clock skew allowed between nodes when checking expiry; revocations outlive tokens by as much. */
export const TOKEN_CLOCK_TOLERANCE_SECONDS = 5;

export interface AccessClaims {
  userId: string;
  role: string;
  sessionId: string;
}

export class InvalidTokenError extends Error {}

/** Verified tokens remembered at most (the oldest go first): a few MB. */
const REMEMBERED_TOKENS = 20_000;

export class AccessTokens {
  private readonly key: KeyObject;
  /** Verified tokens by their text, with the instant (ms) after which they are refused. */
  private readonly verified = new Map<string, { claims: AccessClaims; refusedAfter: number }>();

  constructor(
    secret: string,
    readonly ttlSeconds: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.key = createSecretKey(Buffer.from(secret, "utf8"));
  }

  sign(claims: AccessClaims): string {
    return jwt.sign({ role: claims.role, sid: claims.sessionId, iat: Math.floor(this.clock() / 1000) }, this.key, {
      algorithm: ALGORITHM,
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      subject: claims.userId,
      expiresIn: this.ttlSeconds,
      jwtid: randomUUID(),
    });
  }

  /**
   * @throws InvalidTokenError for any token not signed by us, for us, unexpired, with every claim
   *   we put in it, and a lifetime no longer than ours (a token with no `exp`, or one signed to
   *   live for years, is refused even with a valid signature).
   */
  verify(token: string): AccessClaims {
    const known = this.verified.get(token);
    if (known !== undefined) {
      if (this.clock() <= known.refusedAfter) return known.claims;
      this.verified.delete(token);
    }
    const { claims, exp } = this.verifyAnew(token);
    if (this.verified.size >= REMEMBERED_TOKENS) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, { claims, refusedAfter: (exp + TOKEN_CLOCK_TOLERANCE_SECONDS) * 1000 });
    return claims;
  }

  private verifyAnew(token: string): { claims: AccessClaims; exp: number } {
    let payload: string | jwt.JwtPayload;
    try {
      payload = jwt.verify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        clockTolerance: TOKEN_CLOCK_TOLERANCE_SECONDS,
        clockTimestamp: Math.floor(this.clock() / 1000),
      });
    } catch (err) {
      throw new InvalidTokenError((err as Error).message);
    }
    if (typeof payload === "string") throw new InvalidTokenError("token lacks required claims");
    const { sub, sid, jti, role, iat, exp } = payload;
    if (
      typeof sub !== "string" ||
      !UUID_PATTERN.test(sub) ||
      typeof sid !== "string" ||
      !UUID_PATTERN.test(sid) ||
      typeof jti !== "string" ||
      (role !== "user" && role !== "admin") ||
      typeof iat !== "number" ||
      typeof exp !== "number"
    ) {
      throw new InvalidTokenError("token lacks required claims");
    }
    if (exp - iat > this.ttlSeconds) throw new InvalidTokenError("token lifetime is longer than allowed");
    if (iat > this.clock() / 1000 + TOKEN_CLOCK_TOLERANCE_SECONDS) throw new InvalidTokenError("token issued in the future");
    return { claims: { userId: sub, role, sessionId: sid }, exp };
  }
}

export interface RefreshToken {
  id: string;
  token: string;
  hash: Buffer;
}

export function newRefreshToken(): RefreshToken {
  const id = randomUUID();
  const secret = randomBytes(32).toString("base64url");
  return { id, token: `${id}.${secret}`, hash: hashSecret(secret) };
}

/** Splits a presented refresh token; null when it cannot be one of ours. */
export function parseRefreshToken(token: string): { id: string; secret: string } | null {
  const dot = token.indexOf(".");
  if (dot < 0) return null;
  const id = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  return UUID_PATTERN.test(id) && secret.length > 0 ? { id, secret } : null;
}

export function secretMatches(secret: string, storedHash: Buffer): boolean {
  const presented = hashSecret(secret);
  return presented.length === storedHash.length && timingSafeEqual(presented, storedHash);
}

function hashSecret(secret: string): Buffer {
  return createHash("sha256").update(secret).digest();
}
