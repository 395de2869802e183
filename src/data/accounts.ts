/**
 * The `auth` service's tables: `users`, `sessions`, `refresh_tokens` and `password_resets`
 * (migrations/001, 004, 009).
 * Every SQL statement on them is here; other services learn about accounts through `auth`'s
 * actions (time zones, recipients) or the user carried in a request.
 */
import type { Sequelize, Transaction } from "sequelize";
import { run, sql, type Statement } from "../sql";

export type Role = "user" | "admin";

/** An account as stored. */
export interface UserRecord {
  id: string;
  email: string;
  passwordHash: string;
  displayName: string;
  timezone: string;
  role: Role;
  webhookUrl: string | null;
  webhookSecret: string | null;
  createdAt: Date;
}

/** The public shape of an account (docs/contract.md, "Auth and profile"). */
export interface User {
  id: string;
  email: string;
  displayName: string;
  timezone: string;
  role: Role;
  createdAt: string;
}

export function toUser(row: UserRecord): User {
  return {
    id: row.id,
    email: row.email,
    displayName: row.displayName,
    timezone: row.timezone,
    role: row.role,
    createdAt: row.createdAt.toISOString(),
  };
}

export type UserChanges = Partial<Pick<UserRecord, "displayName" | "timezone" | "role" | "webhookUrl" | "webhookSecret">>;

/** What the notification service needs to reach a user. */
export interface Recipient {
  id: string;
  email: string;
  displayName: string;
  webhookUrl: string | null;
  webhookSecret: string | null;
}

const USER_COLUMNS = `id, email, password_hash AS "passwordHash", display_name AS "displayName", timezone, role,
  webhook_url AS "webhookUrl", webhook_secret AS "webhookSecret", created_at AS "createdAt"`;

const COLUMN_OF: Record<keyof UserChanges, string> = {
  displayName: "display_name",
  timezone: "timezone",
  role: "role",
  webhookUrl: "webhook_url",
  webhookSecret: "webhook_secret",
};

async function oneUser(db: Sequelize, statement: Statement, values: unknown[], transaction?: Transaction): Promise<UserRecord | null> {
  const [row] = await run<UserRecord>(db, statement, values, transaction);
  return row ?? null;
}

const USER_BY_EMAIL = sql(`SELECT ${USER_COLUMNS} FROM users WHERE lower(email) = lower($1)`);
/** By e-mail (stored lower-cased; the unique index is on lower(email)). */
export function findUserByEmail(db: Sequelize, email: string): Promise<UserRecord | null> {
  return oneUser(db, USER_BY_EMAIL, [email]);
}

const USER_BY_ID = sql(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`);
export function findUser(db: Sequelize, id: string, transaction?: Transaction): Promise<UserRecord | null> {
  return oneUser(db, USER_BY_ID, [id], transaction);
}

const INSERT_USER = sql(`INSERT INTO users (id, email, password_hash, display_name, timezone, role) VALUES ($1, $2, $3, $4, $5, $6)
  RETURNING ${USER_COLUMNS}`);
/** @throws a unique violation (`isUniqueViolation`) when the e-mail is taken. */
export async function insertUser(
  db: Sequelize,
  transaction: Transaction,
  user: Omit<UserRecord, "createdAt" | "webhookUrl" | "webhookSecret">,
): Promise<UserRecord> {
  const values = [user.id, user.email, user.passwordHash, user.displayName, user.timezone, user.role];
  const [row] = await run<UserRecord>(db, INSERT_USER, values, transaction);
  return row;
}

/** Applies the changes given; returns the account as it is now (null: no such account). */
export async function updateUser(db: Sequelize, id: string, changes: UserChanges): Promise<UserRecord | null> {
  const entries = Object.entries(changes).filter(([, value]) => value !== undefined) as Array<[keyof UserChanges, unknown]>;
  if (entries.length === 0) return findUser(db, id);
  const assignments = entries.map(([field], i) => `${COLUMN_OF[field]} = $${i + 2}`).join(", ");
  // One statement per set of columns changed: a handful of texts, each prepared once.
  const update = sql(`UPDATE users SET ${assignments}, updated_at = now() WHERE id = $1 RETURNING ${USER_COLUMNS}`);
  const [row] = await run<UserRecord>(db, update, [id, ...entries.map(([, value]) => value)]);
  return row ?? null;
}

const TIMEZONES = sql("SELECT id, timezone FROM users WHERE id = ANY($1::uuid[])");
/** The time zones of the users given that exist. */
export async function userTimezones(db: Sequelize, ids: string[]): Promise<Map<string, string>> {
  const rows = await run<{ id: string; timezone: string }>(db, TIMEZONES, [ids]);
  return new Map(rows.map((row) => [row.id, row.timezone]));
}

const RECIPIENTS = sql(`SELECT id, email, display_name AS "displayName", webhook_url AS "webhookUrl", webhook_secret AS "webhookSecret"
  FROM users WHERE id = ANY($1::uuid[])`);
export function recipients(db: Sequelize, ids: string[]): Promise<Recipient[]> {
  return run<Recipient>(db, RECIPIENTS, [ids]);
}

// ------------------------------------------------------------------------- sessions and tokens

const INSERT_SESSION = sql("INSERT INTO sessions (id, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))");
export async function insertSession(
  db: Sequelize,
  transaction: Transaction | undefined,
  session: { id: string; userId: string; ttlSeconds: number; refreshTokenId: string; refreshTokenHash: Buffer },
): Promise<void> {
  await run(db, INSERT_SESSION, [session.id, session.userId, session.ttlSeconds], transaction);
  await insertRefreshToken(db, transaction, { id: session.refreshTokenId, sessionId: session.id, hash: session.refreshTokenHash });
}

const INSERT_REFRESH_TOKEN = sql("INSERT INTO refresh_tokens (id, session_id, token_hash) VALUES ($1, $2, $3)");
export async function insertRefreshToken(
  db: Sequelize,
  transaction: Transaction | undefined,
  token: { id: string; sessionId: string; hash: Buffer },
): Promise<void> {
  await run(db, INSERT_REFRESH_TOKEN, [token.id, token.sessionId, token.hash], transaction);
}

/** A refresh token and its session, locked for the rotation that follows. */
export interface LockedRefreshToken {
  tokenHash: Buffer;
  usedAt: Date | null;
  sessionId: string;
  userId: string;
  revokedAt: Date | null;
  expiresAt: Date;
}

const LOCK_REFRESH_TOKEN =
  sql(`SELECT t.token_hash AS "tokenHash", t.used_at AS "usedAt", t.session_id AS "sessionId", s.user_id AS "userId",
    s.revoked_at AS "revokedAt", s.expires_at AS "expiresAt"
  FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
  WHERE t.id = $1 FOR UPDATE OF t, s`);
export async function lockRefreshToken(db: Sequelize, transaction: Transaction, tokenId: string): Promise<LockedRefreshToken | null> {
  const [row] = await run<LockedRefreshToken>(db, LOCK_REFRESH_TOKEN, [tokenId], transaction);
  return row ?? null;
}

const MARK_REFRESH_TOKEN_USED = sql("UPDATE refresh_tokens SET used_at = now() WHERE id = $1");
export async function markRefreshTokenUsed(db: Sequelize, transaction: Transaction, tokenId: string): Promise<void> {
  await run(db, MARK_REFRESH_TOKEN_USED, [tokenId], transaction);
}

const USER_REFRESH_TOKEN = sql(`SELECT t.session_id AS "sessionId", t.token_hash AS "tokenHash"
  FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.id = $1 AND s.user_id = $2`);
/** The session and hash of a refresh token, if it is one of the user's. */
export async function userRefreshToken(
  db: Sequelize,
  tokenId: string,
  userId: string,
): Promise<{ sessionId: string; tokenHash: Buffer } | null> {
  const [row] = await run<{ sessionId: string; tokenHash: Buffer }>(db, USER_REFRESH_TOKEN, [tokenId, userId]);
  return row ?? null;
}

const revoking = (where: string) =>
  sql(`UPDATE sessions SET revoked_at = now(), revoke_reason = $2 WHERE ${where} AND revoked_at IS NULL RETURNING id`);
const REVOKE_SESSIONS = revoking("id = ANY($1::uuid[])");
const REVOKE_USER_SESSIONS = revoking("user_id = $1");
const REVOKE_OTHER_SESSIONS = revoking("user_id = $1 AND id IS DISTINCT FROM $3::uuid");

/** Revokes every live session of a user but `keep` (the caller's own); returns those it revoked. */
export async function revokeOtherSessions(db: Sequelize, userId: string, keep: string | null, reason: string): Promise<string[]> {
  return (await run<{ id: string }>(db, REVOKE_OTHER_SESSIONS, [userId, reason, keep])).map((row) => row.id);
}

const SET_PASSWORD_HASH = sql("UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1");
export async function setPasswordHash(db: Sequelize, userId: string, passwordHash: string, transaction?: Transaction): Promise<void> {
  await run(db, SET_PASSWORD_HASH, [userId, passwordHash], transaction);
}

const USER_SESSION_IDS = sql("SELECT id FROM sessions WHERE user_id = $1");
/** Every session of the user, revoked or not. */
export async function userSessionIds(db: Sequelize, userId: string, transaction?: Transaction): Promise<string[]> {
  return (await run<{ id: string }>(db, USER_SESSION_IDS, [userId], transaction)).map((row) => row.id);
}

const DELETE_USER = sql("DELETE FROM users WHERE id = $1");
/**
 * Deletes the account. Every table holding a user's data references `users` with ON DELETE
 * CASCADE (migrations/), so its sessions, habits, check-ins, milestones, notifications,
 * deliveries, reminder claims and settings go in the same statement.
 */
export async function deleteUser(db: Sequelize, transaction: Transaction, userId: string): Promise<void> {
  await run(db, DELETE_USER, [userId], transaction);
}

const START_PASSWORD_RESET = sql(`WITH superseded AS (
    UPDATE password_resets SET superseded_at = $3 WHERE user_id = $1 AND used_at IS NULL AND superseded_at IS NULL
  )
  INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($2, $1, $3, $4)`);
/** Stores a reset token's hash, valid until `expiresAt`; the user's earlier tokens stop working. */
export async function startPasswordReset(db: Sequelize, userId: string, tokenHash: Buffer, now: Date, expiresAt: Date): Promise<void> {
  await run(db, START_PASSWORD_RESET, [userId, tokenHash, now, expiresAt]);
}

const SPEND_PASSWORD_RESET = sql(`UPDATE password_resets SET used_at = $2
  WHERE token_hash = $1 AND used_at IS NULL AND superseded_at IS NULL AND expires_at > $2 RETURNING user_id AS "userId"`);
/** Spends a reset token: its user when it was unused, not superseded and not expired at `now`; else null. */
export async function spendPasswordReset(db: Sequelize, transaction: Transaction, tokenHash: Buffer, now: Date): Promise<string | null> {
  const [row] = await run<{ userId: string }>(db, SPEND_PASSWORD_RESET, [tokenHash, now], transaction);
  return row?.userId ?? null;
}

/** Revokes the sessions given that are not revoked yet; returns those it revoked. */
export async function revokeSessions(db: Sequelize, sessionIds: string[], reason: string): Promise<string[]> {
  return (await run<{ id: string }>(db, REVOKE_SESSIONS, [sessionIds, reason])).map((row) => row.id);
}

/** Revokes every live session of a user; returns those it revoked. */
export async function revokeUserSessions(db: Sequelize, userId: string, reason: string): Promise<string[]> {
  return (await run<{ id: string }>(db, REVOKE_USER_SESSIONS, [userId, reason])).map((row) => row.id);
}

export const RECENTLY_REVOKED = sql(`SELECT id FROM sessions
  WHERE revoked_at > now() - make_interval(secs => $1) AND ($2::uuid IS NULL OR user_id = $2::uuid)`);
/** Sessions (of one user, or everyone's) revoked within the last `withinSeconds`. */
export async function recentlyRevokedSessions(db: Sequelize, withinSeconds: number, userId: string | null): Promise<string[]> {
  const rows = await run<{ id: string }>(db, RECENTLY_REVOKED, [withinSeconds, userId]);
  return rows.map((row) => row.id);
}

export const LIVE_SESSION_TIMEZONE = sql(`SELECT u.timezone FROM sessions s JOIN users u ON u.id = s.user_id
  WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL`);
/** The time zone of the user, when `sessionId` is a live (not revoked) session of theirs. */
export async function liveSessionTimezone(db: Sequelize, sessionId: string, userId: string): Promise<string | null> {
  const [row] = await run<{ timezone: string }>(db, LIVE_SESSION_TIMEZONE, [sessionId, userId]);
  return row?.timezone ?? null;
}
