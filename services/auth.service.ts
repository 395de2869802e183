/**
 * Accounts and sessions: register, login, refresh-token rotation with reuse detection, logout,
 * logout-all, and the caller's profile. A session is one refresh-token family; every access
 * token names its session (`sid`), so revoking the session revokes them all. Revocations are
 * committed in Postgres, then copied to the shared store the gateways check (src/denylist.ts);
 * time zones are copied there too (src/user-timezones.ts), so a request carries its user's zone.
 * Owns `users`, `sessions` and `refresh_tokens` (src/data/accounts.ts); other services ask it
 * for time zones (`auth.timezones`) and recipients (`auth.recipients`).
 */
import type { Context, ServiceSchema, ServiceSettingSchema } from "moleculer";
import { isUniqueViolation } from "../src/sql";
import { randomBytes, randomUUID } from "node:crypto";
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
import type { UserRegisteredEvent } from "../src/events";
import * as accounts from "../src/data/accounts";
import { toUser, type User } from "../src/data/accounts";
import {
  ConflictError,
  ERR_EMAIL_TAKEN,
  ERR_INVALID_CREDENTIALS,
  ERR_INVALID_REFRESH_TOKEN,
  ERR_INVALID_TOKEN,
  ERR_REFRESH_TOKEN_REUSED,
  ForbiddenError,
  NotFoundError,
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
}

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
          await this.denylist.revoke(sessionIds);
          ctx.meta.$statusCode = 204;
          return null;
        },
      },

      logoutAll: {
        rest: "POST /auth/logout-all",
        auth: "user",
        params: { $$strict: true },
        async handler(ctx: Context<Record<string, never>, CallMeta>): Promise<null> {
          const userId = requireUserId(ctx);
          await this.denylist.revoke(await accounts.revokeUserSessions(this.sequelize(), userId, "logout-all"));
          // Mark every recently revoked session of the user again: if a previous attempt committed
          // but failed to reach the store, this retry still completes the hot copy.
          const current = ctx.meta.user?.sessionId ? [ctx.meta.user.sessionId] : [];
          await this.denylist.revoke([...current, ...(await this.recentlyRevoked(userId))]);
          ctx.meta.$statusCode = 204;
          return null;
        },
      },

      me: {
        rest: "GET /me",
        auth: "user",
        params: { $$strict: true },
        async handler(ctx: Context<Record<string, never>, CallMeta>): Promise<User> {
          return toUser(await this.account(requireUserId(ctx)));
        },
      },

      updateProfile: {
        rest: "PATCH /me",
        auth: "user",
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
        params: { $$strict: true },
        async handler(ctx: Context<Record<string, never>, CallMeta>): Promise<WebhookSettings> {
          const user = await this.account(requireUserId(ctx));
          return { url: user.webhookUrl, secret: user.webhookUrl ? user.webhookSecret : null };
        },
      },

      rotateWebhookSecret: {
        rest: "POST /me/webhook/rotate-secret",
        auth: "user",
        params: { $$strict: true },
        async handler(ctx: Context<Record<string, never>, CallMeta>): Promise<WebhookSettings> {
          const user = await this.account(requireUserId(ctx));
          if (!user.webhookUrl) throw validationError([{ field: "webhookUrl", type: "required", message: "Set a webhookUrl first." }]);
          const updated = (await accounts.updateUser(this.sequelize(), user.id, { webhookSecret: newWebhookSecret() })) ?? user;
          return { url: updated.webhookUrl, secret: updated.webhookSecret };
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
