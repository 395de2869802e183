/**
 * Accounts and sessions: register, login, refresh-token rotation with reuse detection, logout,
 * logout-all, and the caller's profile. A session is one refresh-token family; every access
 * token names its session (`sid`), so revoking the session revokes them all. Revocations are
 * committed in Postgres, then copied to the shared store the gateways check (src/denylist.ts);
 * time zones are copied there too (src/user-timezones.ts), so a request carries its user's zone.
 * Account management: password change (the other sessions end), reset by an e-mailed single-use
 * token, deletion of the account with all its data (`user.deleted`), and `auth.setPassword` for
 * operators. Every end of a session is also broadcast as `session.revoked`, so gateways close
 * that session's sockets and forget it at once.
 * Owns `users`, `sessions`, `refresh_tokens` and `password_resets` (src/data/accounts.ts); other
 * services ask it for time zones (`auth.timezones`) and recipients (`auth.recipients`).
 */
import type { Context, ServiceSchema, ServiceSettingSchema } from "moleculer";
import { isUniqueViolation } from "../src/sql";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { DbMixin, type DbMethods } from "../mixins/db.mixin";
import { OutboxMixin, type OutboxMethods } from "../mixins/outbox.mixin";
import { canonicalTimeZone } from "../lib/timezones";
import { checkedRule } from "../src/params";
import { requireDatabase, type Runtime } from "../src/runtime";
import { Denylist } from "../src/denylist";
import { AccessTokens, TOKEN_CLOCK_TOLERANCE_SECONDS, newRefreshToken, parseRefreshToken, secretMatches } from "../src/tokens";
import { Passwords } from "../src/passwords";
import { namesNonPublicHost } from "../src/public-address";
import { publishTimezone } from "../src/user-timezones";
import { requireUserId, type CallMeta } from "../src/caller";
import type { SessionFacts } from "../src/session-guard";
import {
  SESSION_REVOKED,
  type PasswordResetMail,
  type SessionRevokedEvent,
  type UserDeletedEvent,
  type UserRegisteredEvent,
} from "../src/events";
import { forgetUserEvents } from "../src/data/outbox";
import * as accounts from "../src/data/accounts";
import { toUser, type User } from "../src/data/accounts";
import { SCHEMAS } from "../src/api-schemas";
import {
  ConflictError,
  ERR_EMAIL_TAKEN,
  ERR_INVALID_CREDENTIALS,
  ERR_INVALID_REFRESH_TOKEN,
  ERR_INVALID_TOKEN,
  ERR_REFRESH_TOKEN_REUSED,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  UnauthorizedError,
  validationError,
} from "../src/errors";

export interface AuthResult {
  user: User;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export interface RegisterParams {
  email: string;
  password: string;
  displayName?: string;
  timezone?: string;
}
export interface LoginParams {
  email: string;
  password: string;
}
export interface RefreshParams {
  refreshToken: string;
}
export interface LogoutParams {
  refreshToken?: string;
}
export interface UpdateProfileParams {
  displayName?: string;
  timezone?: string;
  webhookUrl?: string | null;
}

export interface ChangePasswordParams {
  currentPassword: string;
  newPassword: string;
}
export interface ConfirmPasswordResetParams {
  token: string;
  newPassword: string;
}

export interface WebhookSettings {
  url: string | null;
  /** Signs each delivery; null while no webhook is set. */
  secret: string | null;
}

interface AuthLocals {
  passwords: Passwords;
  tokens: AccessTokens;
  denylist: Denylist;
}

interface AuthMethods extends DbMethods, OutboxMethods {
  account(id: string): Promise<accounts.UserRecord>;
  startSession(user: accounts.UserRecord, transaction?: import("sequelize").Transaction): Promise<AuthResult>;
  recentlyRevoked(userId: string | null): Promise<string[]>;
  /** The account, when `password` is its password; counts as a login attempt on it (403 when wrong). */
  confirmPassword(userId: string, password: string): Promise<accounts.UserRecord>;
  /** Copies ended sessions to the denylist and tells the gateways (sockets, session caches). */
  sessionsEnded(userId: string, sessionIds: string[], all: boolean): Promise<void>;
  sendResetLink(user: accounts.UserRecord): Promise<void>;
}

/** A reset request is answered no sooner than this, account or not, so timing tells nothing. */
const RESET_ANSWER_FLOOR_MS = 250;
const hashResetToken = (token: string) => createHash("sha256").update(token).digest();
const invalidResetToken = () =>
  validationError([{ field: "token", type: "invalid", message: "The reset link is invalid, expired, already used or superseded." }]);

const email = { type: "email", normalize: true, max: 254 } as const;
const password = { type: "string", min: 8, max: 128 } as const;
const displayName = { type: "string", trim: true, min: 1, max: 100 } as const;
const timezone = checkedRule(
  "timezone",
  { type: "string", max: 64 },
  (value: string) => (canonicalTimeZone(value) === null ? "must be an IANA time zone name such as Europe/Berlin" : null),
  (value: string) => canonicalTimeZone(value),
);
const WEBHOOK_URL_MAX = 2048;
// fastest-validator's url rule has no length limit of its own: the check comes first here.
const webhookUrl = checkedRule("urlHttp", { type: "url", nullable: true }, (value: string) =>
  value.length > WEBHOOK_URL_MAX
    ? `must be at most ${WEBHOOK_URL_MAX} characters long`
    : /^https?:\/\//i.test(value)
      ? null
      : "must be an http(s) URL",
);
const refreshToken = { type: "string", min: 1, max: 200 } as const;
const resetToken = { type: "string", min: 1, max: 200 } as const;
const uuids = { type: "array", items: { type: "uuid" }, max: 1000 } as const;

function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

export default function AuthService(runtime: Runtime): ServiceSchema<ServiceSettingSchema, AuthMethods, AuthLocals> {
  const { config } = runtime;
  const isAdminEmail = (address: string) => config.adminEmails.includes(address.toLowerCase());

  return {
    name: "auth",

    mixins: [DbMixin({ table: "users", database: () => requireDatabase(runtime) }), OutboxMixin()],

    actions: {
      register: {
        rest: "POST /auth/register",
        auth: "public",
        response: { status: 201, schema: SCHEMAS.authTokens, errors: [409] },
        // Not idempotent: a retry after a lost reply would answer 409 for a created account.
        retryPolicy: { enabled: false },
        params: {
          $$strict: true,
          email,
          password,
          displayName: { ...displayName, optional: true },
          timezone: { ...timezone, optional: true },
        },
        async handler(ctx: Context<RegisterParams, CallMeta>): Promise<AuthResult> {
          const { email, password, timezone = "UTC" } = ctx.params;
          const db = this.sequelize();
          if (await accounts.findUserByEmail(db, email))
            throw new ConflictError("An account with this email already exists", ERR_EMAIL_TAKEN);
          const passwordHash = await this.passwords.hash(password);
          const result = await db
            .transaction(async (transaction) => {
              const user = await accounts.insertUser(db, transaction, {
                id: randomUUID(),
                email,
                passwordHash,
                displayName: ctx.params.displayName ?? email.split("@")[0],
                timezone,
                role: isAdminEmail(email) ? "admin" : "user",
              });
              const session = await this.startSession(user, transaction);
              // Stored with the account, so the welcome is never lost (docs/contract.md, "Guarantees").
              await this.recordEvent(transaction, "user.registered", user.id, { user: session.user } satisfies UserRegisteredEvent);
              return session;
            })
            .catch((err: unknown) => {
              // Lost a race with a concurrent registration of the same email.
              if (isUniqueViolation(err)) throw new ConflictError("An account with this email already exists", ERR_EMAIL_TAKEN);
              throw err;
            });
          await publishTimezone(runtime.store, result.user.id, result.user.timezone);
          ctx.meta.$statusCode = 201;
          ctx.meta.$location = "/api/v1/me";
          return result;
        },
      },

      login: {
        rest: "POST /auth/login",
        auth: "public",
        response: { status: 200, schema: SCHEMAS.authTokens, errors: [401] },
        params: { $$strict: true, email, password: { type: "string", min: 1, max: 1024 } },
        async handler(ctx: Context<LoginParams, CallMeta>): Promise<AuthResult> {
          const db = this.sequelize();
          let user = await accounts.findUserByEmail(db, ctx.params.email);
          // Always verify (against a dummy hash when there is no account): equal timing either way.
          const ok = await this.passwords.verify(user?.passwordHash ?? null, ctx.params.password);
          if (!user || !ok) throw new UnauthorizedError(ERR_INVALID_CREDENTIALS, "Invalid email or password");
          // ADMIN_EMAILS makes admins of existing accounts too, at their next login.
          if (user.role !== "admin" && isAdminEmail(user.email)) user = (await accounts.updateUser(db, user.id, { role: "admin" })) ?? user;
          return this.startSession(user);
        },
      },

      refresh: {
        rest: "POST /auth/refresh",
        auth: "public",
        response: { status: 200, schema: SCHEMAS.authTokens, errors: [401] },
        // Rotation spends the presented token: a blind retry would look like reuse.
        retryPolicy: { enabled: false },
        params: { $$strict: true, refreshToken },
        async handler(ctx: Context<RefreshParams, CallMeta>): Promise<AuthResult> {
          const presented = parseRefreshToken(ctx.params.refreshToken);
          if (!presented) throw new UnauthorizedError(ERR_INVALID_REFRESH_TOKEN, "Invalid refresh token");
          const db = this.sequelize();
          const outcome = await db.transaction(async (transaction) => {
            const row = await accounts.lockRefreshToken(db, transaction, presented.id);
            if (!row || !secretMatches(presented.secret, row.tokenHash)) return { kind: "invalid" as const };
            if (row.revokedAt || row.expiresAt.getTime() <= Date.now()) return { kind: "invalid" as const };
            if (row.usedAt) return { kind: "reused" as const, sessionId: row.sessionId };
            await accounts.markRefreshTokenUsed(db, transaction, presented.id);
            const next = newRefreshToken();
            await accounts.insertRefreshToken(db, transaction, { id: next.id, sessionId: row.sessionId, hash: next.hash });
            const user = await accounts.findUser(db, row.userId, transaction);
            if (!user) return { kind: "invalid" as const };
            return { kind: "rotated" as const, user, sessionId: row.sessionId, refreshToken: next.token };
          });
          if (outcome.kind === "invalid") throw new UnauthorizedError(ERR_INVALID_REFRESH_TOKEN, "Invalid refresh token");
          if (outcome.kind === "reused") {
            // A spent token came back: someone holds a copy. End the whole family.
            await this.denylist.revoke(await accounts.revokeSessions(db, [outcome.sessionId], "refresh-token-reuse"));
            this.logger.warn(`Refresh token reuse detected; session ${outcome.sessionId} revoked`);
            throw new UnauthorizedError(ERR_REFRESH_TOKEN_REUSED, "Refresh token already used; session revoked");
          }
          await publishTimezone(runtime.store, outcome.user.id, outcome.user.timezone);
          return {
            user: toUser(outcome.user),
            accessToken: this.tokens.sign({ userId: outcome.user.id, role: outcome.user.role, sessionId: outcome.sessionId }),
            refreshToken: outcome.refreshToken,
            expiresIn: this.tokens.ttlSeconds,
          };
        },
      },

      logout: {
        rest: "POST /auth/logout",
        auth: "user",
        response: { status: 204 },
        params: { $$strict: true, refreshToken: { ...refreshToken, optional: true } },
        async handler(ctx: Context<LogoutParams, CallMeta>): Promise<null> {
          const userId = requireUserId(ctx);
          const sessionIds = ctx.meta.user?.sessionId ? [ctx.meta.user.sessionId] : [];
          const presented = ctx.params.refreshToken ? parseRefreshToken(ctx.params.refreshToken) : null;
          if (presented) {
            // Only the caller's own refresh token may name a session to end.
            const row = await accounts.userRefreshToken(this.sequelize(), presented.id, userId);
            if (row && secretMatches(presented.secret, row.tokenHash)) sessionIds.push(row.sessionId);
          }
          await this.denylist.revoke(await accounts.revokeSessions(this.sequelize(), sessionIds, "logout"));
          // The session may have been revoked already (a repeated logout): make sure the hot copy has it.
          await this.sessionsEnded(userId, sessionIds, false);
          ctx.meta.$statusCode = 204;
          return null;
        },
      },

      logoutAll: {
        rest: "POST /auth/logout-all",
        auth: "user",
        response: { status: 204 },
        params: { $$strict: true },
        async handler(ctx: Context<Record<string, never>, CallMeta>): Promise<null> {
          const userId = requireUserId(ctx);
          await this.denylist.revoke(await accounts.revokeUserSessions(this.sequelize(), userId, "logout-all"));
          // Mark every recently revoked session of the user again: if a previous attempt committed
          // but failed to reach the store, this retry still completes the hot copy.
          const current = ctx.meta.user?.sessionId ? [ctx.meta.user.sessionId] : [];
          await this.sessionsEnded(userId, [...current, ...(await this.recentlyRevoked(userId))], true);
          ctx.meta.$statusCode = 204;
          return null;
        },
      },

      me: {
        rest: "GET /me",
        auth: "user",
        response: { status: 200, schema: SCHEMAS.user },
        params: { $$strict: true },
        async handler(ctx: Context<Record<string, never>, CallMeta>): Promise<User> {
          return toUser(await this.account(requireUserId(ctx)));
        },
      },

      updateProfile: {
        rest: "PATCH /me",
        auth: "user",
        response: { status: 200, schema: SCHEMAS.user },
        params: {
          $$strict: true,
          displayName: { ...displayName, optional: true },
          timezone: { ...timezone, optional: true },
          webhookUrl: { ...webhookUrl, optional: true },
        },
        async handler(ctx: Context<UpdateProfileParams, CallMeta>): Promise<User> {
          const user = await this.account(requireUserId(ctx));
          const { displayName, timezone, webhookUrl } = ctx.params;
          const changes: accounts.UserChanges = { displayName, timezone };
          if (webhookUrl !== undefined) {
            if (webhookUrl !== null && !config.notifications.webhookAllowPrivate && namesNonPublicHost(webhookUrl)) {
              throw validationError([
                {
                  field: "webhookUrl",
                  type: "privateAddress",
                  message: "The 'webhookUrl' field must not point to a local or private address.",
                },
              ]);
            }
            changes.webhookUrl = webhookUrl;
            // The first webhook gets a signing secret; later URL changes keep it (rotate explicitly).
            if (webhookUrl !== null && !user.webhookSecret) changes.webhookSecret = newWebhookSecret();
          }
          const updated = (await accounts.updateUser(this.sequelize(), user.id, changes)) ?? user;
          // Before answering: the next request, through any gateway, carries the new zone.
          if (timezone !== undefined) await publishTimezone(runtime.store, updated.id, updated.timezone);
          return toUser(updated);
        },
      },

      /** The webhook URL and the secret its deliveries are signed with (lib/webhook-signature.ts). */
      webhook: {
        rest: "GET /me/webhook",
        auth: "user",
        response: { status: 200, schema: SCHEMAS.webhookSettings },
        params: { $$strict: true },
        async handler(ctx: Context<Record<string, never>, CallMeta>): Promise<WebhookSettings> {
          const user = await this.account(requireUserId(ctx));
          return { url: user.webhookUrl, secret: user.webhookUrl ? user.webhookSecret : null };
        },
      },

      rotateWebhookSecret: {
        rest: "POST /me/webhook/rotate-secret",
        auth: "user",
        response: { status: 200, schema: SCHEMAS.webhookSettings },
        params: { $$strict: true },
        async handler(ctx: Context<Record<string, never>, CallMeta>): Promise<WebhookSettings> {
          const user = await this.account(requireUserId(ctx));
          if (!user.webhookUrl) throw validationError([{ field: "webhookUrl", type: "required", message: "Set a webhookUrl first." }]);
          const updated = (await accounts.updateUser(this.sequelize(), user.id, { webhookSecret: newWebhookSecret() })) ?? user;
          return { url: updated.webhookUrl, secret: updated.webhookSecret };
        },
      },

      changePassword: {
        rest: "POST /auth/password",
        auth: "user",
        response: { status: 204, errors: [403, 429] },
        params: { $$strict: true, currentPassword: { type: "string", min: 1, max: 1024 }, newPassword: password },
        async handler(ctx: Context<ChangePasswordParams, CallMeta>): Promise<null> {
          const user = await this.confirmPassword(requireUserId(ctx), ctx.params.currentPassword);
          const db = this.sequelize();
          await accounts.setPasswordHash(db, user.id, await this.passwords.hash(ctx.params.newPassword));
          const current = ctx.meta.user?.sessionId ?? null;
          await this.sessionsEnded(user.id, await accounts.revokeOtherSessions(db, user.id, current, "password changed"), false);
          ctx.meta.$statusCode = 204;
          return null;
        },
      },

      requestPasswordReset: {
        rest: "POST /auth/password-reset",
        auth: "public",
        response: { status: 202, schema: SCHEMAS.accepted },
        params: { $$strict: true, email },
        async handler(ctx: Context<{ email: string }, CallMeta>): Promise<Record<string, never>> {
          const began = Date.now();
          const user = await accounts.findUserByEmail(this.sequelize(), ctx.params.email);
          // Sent after the answer: its time (and any SMTP failure) must not tell whether the account exists.
          if (user) await this.sendResetLink(user);
          await sleep(Math.max(0, RESET_ANSWER_FLOOR_MS - (Date.now() - began)));
          ctx.meta.$statusCode = 202;
          return {};
        },
      },

      confirmPasswordReset: {
        rest: "POST /auth/password-reset/confirm",
        auth: "public",
        response: { status: 204 },
        // Spends the token: a blind retry would find it used.
        retryPolicy: { enabled: false },
        params: { $$strict: true, token: resetToken, newPassword: password },
        async handler(ctx: Context<ConfirmPasswordResetParams, CallMeta>): Promise<null> {
          const db = this.sequelize();
          const passwordHash = await this.passwords.hash(ctx.params.newPassword);
          const userId = await db.transaction(async (transaction) => {
            const owner = await accounts.spendPasswordReset(db, transaction, hashResetToken(ctx.params.token), runtime.clock.now());
            if (owner) await accounts.setPasswordHash(db, owner, passwordHash, transaction);
            return owner;
          });
          if (!userId) throw invalidResetToken();
          await this.sessionsEnded(userId, await accounts.revokeUserSessions(db, userId, "password reset"), true);
          ctx.meta.$statusCode = 204;
          return null;
        },
      },

      deleteAccount: {
        rest: "DELETE /me",
        auth: "user",
        response: { status: 204, errors: [403, 429] },
        retryPolicy: { enabled: false },
        params: { $$strict: true, password: { type: "string", min: 1, max: 1024 } },
        async handler(ctx: Context<{ password: string }, CallMeta>): Promise<null> {
          const user = await this.confirmPassword(requireUserId(ctx), ctx.params.password);
          const db = this.sequelize();
          const sessionIds = await db.transaction(async (transaction) => {
            const sessions = await accounts.userSessionIds(db, user.id, transaction);
            await forgetUserEvents(db, transaction, user.id);
            await accounts.deleteUser(db, transaction, user.id);
            await this.recordEvent(transaction, "user.deleted", user.id, { userId: user.id } satisfies UserDeletedEvent);
            return sessions;
          });
          this.logger.info(`Account ${user.id} deleted with all its data`);
          await this.sessionsEnded(user.id, sessionIds, true);
          ctx.meta.$statusCode = 204;
          return null;
        },
      },

      /** Operators only (no REST route): `call auth.setPassword --email a@b.c --password …` from the REPL. */
      setPassword: {
        visibility: "public",
        params: { $$strict: true, email, password },
        async handler(ctx: Context<{ email: string; password: string }, CallMeta>): Promise<User> {
          if (ctx.meta.user) throw new ForbiddenError("Operators only");
          const db = this.sequelize();
          const user = await accounts.findUserByEmail(db, ctx.params.email);
          if (!user) throw new NotFoundError("Account");
          await accounts.setPasswordHash(db, user.id, await this.passwords.hash(ctx.params.password));
          await this.sessionsEnded(user.id, await accounts.revokeUserSessions(db, user.id, "password set by an operator"), true);
          return toUser(user);
        },
      },

      /** Operators only (no REST route): `call auth.setRole --email a@b.c --role admin` from the REPL. */
      setRole: {
        visibility: "public",
        params: { $$strict: true, email, role: { type: "enum", values: ["user", "admin"] } },
        async handler(ctx: Context<{ email: string; role: accounts.Role }, CallMeta>): Promise<User> {
          if (ctx.meta.user) throw new ForbiddenError("Operators only");
          const db = this.sequelize();
          const user = await accounts.findUserByEmail(db, ctx.params.email);
          if (!user) throw new NotFoundError("Account");
          const updated = (await accounts.updateUser(db, user.id, { role: ctx.params.role })) ?? user;
          // Tokens carry the role: end the sessions so the next login carries the new one.
          await this.denylist.revoke(await accounts.revokeUserSessions(db, user.id, "role changed"));
          return toUser(updated);
        },
      },

      /**
       * The gateway's check of a signed token: whether the session exists, is not revoked and is
       * the user's; if so the user's time zone (also copied to the store for the next requests).
       */
      isSessionLive: {
        visibility: "public",
        params: { $$strict: true, sessionId: { type: "uuid" }, userId: { type: "uuid" } },
        async handler(ctx: Context<{ sessionId: string; userId: string }>): Promise<SessionFacts | null> {
          const zone = await accounts.liveSessionTimezone(this.sequelize(), ctx.params.sessionId, ctx.params.userId);
          if (zone === null) return null;
          await publishTimezone(runtime.store, ctx.params.userId, zone);
          return { timezone: zone };
        },
      },

      /** Users' time zones by id (unknown ids are left out): for services acting for a user. */
      timezones: {
        visibility: "public",
        params: { $$strict: true, userIds: uuids },
        async handler(ctx: Context<{ userIds: string[] }>): Promise<Record<string, string>> {
          return Object.fromEntries(await accounts.userTimezones(this.sequelize(), ctx.params.userIds));
        },
      },

      /** Where to reach users (e-mail, webhook and its secret): for the notifications service. */
      recipients: {
        visibility: "public",
        params: { $$strict: true, userIds: uuids },
        handler(ctx: Context<{ userIds: string[] }>): Promise<accounts.Recipient[]> {
          return accounts.recipients(this.sequelize(), ctx.params.userIds);
        },
      },

      /** The durable denylist: sessions revoked recently enough to still have live access tokens. */
      revokedSessions: {
        visibility: "public",
        params: { $$strict: true },
        handler(): Promise<string[]> {
          return this.recentlyRevoked(null);
        },
      },
    },

    methods: {
      async account(id: string) {
        const user = await accounts.findUser(this.sequelize(), id);
        // A valid token for an account that no longer exists.
        if (!user) throw new UnauthorizedError(ERR_INVALID_TOKEN, "Account not found");
        return user;
      },

      async startSession(user: accounts.UserRecord, transaction?: import("sequelize").Transaction) {
        const sessionId = randomUUID();
        const refresh = newRefreshToken();
        await accounts.insertSession(this.sequelize(), transaction, {
          id: sessionId,
          userId: user.id,
          ttlSeconds: config.refreshTokenTtlSeconds,
          refreshTokenId: refresh.id,
          refreshTokenHash: refresh.hash,
        });
        if (!transaction) await publishTimezone(runtime.store, user.id, user.timezone);
        return {
          user: toUser(user),
          accessToken: this.tokens.sign({ userId: user.id, role: user.role, sessionId }),
          refreshToken: refresh.token,
          expiresIn: this.tokens.ttlSeconds,
        };
      },

      async confirmPassword(userId: string, password: string) {
        const user = await this.account(userId);
        // As a login attempt on the account: the same limit, shared with POST /auth/login.
        const limit = config.rateLimits.login;
        const { count, resetMs } = await runtime.store.hit(`ratelimit:login:account:${user.email.toLowerCase()}`, limit.windowSeconds);
        if (count > limit.limit) throw new RateLimitedError(Math.max(1, Math.ceil(resetMs / 1000)));
        if (!(await this.passwords.verify(user.passwordHash, password))) throw new ForbiddenError("The password is not correct");
        return user;
      },

      async sessionsEnded(userId: string, sessionIds: string[], all: boolean) {
        await this.denylist.revoke(sessionIds);
        // Durable and in the hot copy: now the gateways close the sessions' sockets (src/realtime.ts).
        // A lost broadcast is caught by their periodic re-check.
        await this.broker
          .broadcast(SESSION_REVOKED, { userId, sessionIds: all ? null : sessionIds } satisfies SessionRevokedEvent)
          .catch((err: Error) => this.logger.warn(`Could not broadcast ${SESSION_REVOKED}: ${err.message}`));
      },

      async sendResetLink(user: accounts.UserRecord) {
        const token = randomBytes(32).toString("base64url");
        const now = runtime.clock.now();
        const ttl = config.passwordResetTtlSeconds;
        await accounts.startPasswordReset(this.sequelize(), user.id, hashResetToken(token), now, new Date(now.getTime() + ttl * 1000));
        const mail: PasswordResetMail = {
          email: user.email,
          displayName: user.displayName,
          link: `${config.publicUrl}/reset-password?token=${token}`,
          validMinutes: Math.ceil(ttl / 60),
        };
        this.broker
          .call("notifications.sendPasswordReset", mail)
          .catch((err: Error) => this.logger.warn(`Could not send a password-reset e-mail: ${err.message}`));
      },

      /** Sessions (of one user, or everyone's) revoked recently enough to have unexpired access tokens. */
      recentlyRevoked(userId: string | null) {
        return accounts.recentlyRevokedSessions(this.sequelize(), this.tokens.ttlSeconds + TOKEN_CLOCK_TOLERANCE_SECONDS, userId);
      },
    },

    created() {
      this.passwords = new Passwords(config.passwordHash);
      this.tokens = new AccessTokens(runtime.jwtSecret, config.accessTokenTtlSeconds);
      this.denylist = new Denylist(runtime.store, config.accessTokenTtlSeconds + TOKEN_CLOCK_TOLERANCE_SECONDS, () =>
        this.recentlyRevoked(null),
      );
    },
  };
}
