/**
 * Accounts and sessions: register, login, refresh-token rotation with reuse detection, logout,
 * logout-all, and the caller's profile. A session is one refresh-token family; every access
 * token names its session (`sid`), so revoking the session revokes them all. Revocations are
 * committed in Postgres, then copied to the shared store the gateways check (src/denylist.ts).
 */
import type { Context, ServiceSchema, ServiceSettingSchema } from "moleculer";
import { DataTypes, QueryTypes, UniqueConstraintError, type Model, type Transaction } from "sequelize";
import { randomBytes, randomUUID } from "node:crypto";
import { DbMixin, type DbMethods } from "../mixins/db.mixin";
import { OutboxMixin, type OutboxMethods } from "../mixins/outbox.mixin";
import { canonicalTimeZone } from "../lib/timezones";
import { checkedRule } from "../src/params";
import { getRuntime } from "../src/runtime";
import { Denylist } from "../src/denylist";
import { AccessTokens, TOKEN_CLOCK_TOLERANCE_SECONDS, newRefreshToken, parseRefreshToken, secretMatches } from "../src/tokens";
import { Passwords } from "../src/passwords";
import { namesNonPublicHost } from "../src/public-address";
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

/** The public shape of an account (DESIGN.md §3). */
export interface User {
  id: string;
  email: string;
  displayName: string;
  timezone: string;
  role: "user" | "admin";
  createdAt: string;
}

export interface AuthResult {
  user: User;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/** Set by the gateway from a verified access token. */
export interface AuthMeta {
  user?: { id: string; role: string; sessionId: string } | null;
  $statusCode?: number;
  $location?: string;
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

/** Payload of `user.registered`. */
export interface UserRegisteredEvent {
  user: User;
}

interface UserRow extends Model {
  id: string;
  email: string;
  passwordHash: string;
  displayName: string;
  timezone: string;
  role: "user" | "admin";
  webhookUrl: string | null;
  webhookSecret: string | null;
  createdAt: Date;
}

interface AuthLocals {
  passwords: Passwords;
  tokens: AccessTokens;
  denylist: Denylist;
}

interface AuthMethods extends DbMethods, OutboxMethods {
  users(): import("sequelize").ModelStatic<UserRow>;
  findUser(id: string): Promise<UserRow>;
  startSession(user: UserRow, transaction?: Transaction): Promise<AuthResult>;
  revokeSessions(where: string, bind: unknown[], reason: string): Promise<string[]>;
  recentlyRevokedSessions(userId: string | null): Promise<string[]>;
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

export interface WebhookSettings {
  url: string | null;
  /** Signs each delivery; null while no webhook is set. */
  secret: string | null;
}

function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    displayName: row.displayName,
    timezone: row.timezone,
    role: row.role,
    createdAt: row.createdAt.toISOString(),
  };
}

const AuthService: ServiceSchema<ServiceSettingSchema, AuthMethods, AuthLocals> = {
  name: "auth",

  mixins: [
    DbMixin({
      model: {
        name: "user",
        define: {
          id: { type: DataTypes.UUID, primaryKey: true },
          email: { type: DataTypes.TEXT, allowNull: false },
          passwordHash: { type: DataTypes.TEXT, allowNull: false },
          displayName: { type: DataTypes.TEXT, allowNull: false },
          timezone: { type: DataTypes.TEXT, allowNull: false },
          role: { type: DataTypes.TEXT, allowNull: false },
          webhookUrl: { type: DataTypes.TEXT, allowNull: true },
          webhookSecret: { type: DataTypes.TEXT, allowNull: true },
        },
        options: { tableName: "users", underscored: true, timestamps: true },
      },
    }),
    OutboxMixin(),
  ],

  actions: {
    register: {
      rest: "POST /auth/register",
      // Not idempotent: a retry after a lost reply would answer 409 for a created account.
      retryPolicy: { enabled: false },
      params: { $$strict: true, email, password, displayName: { ...displayName, optional: true }, timezone: { ...timezone, optional: true } },
      async handler(ctx: Context<RegisterParams, AuthMeta>): Promise<AuthResult> {
        const { email, password, timezone = "UTC" } = ctx.params;
        if (await this.users().findOne({ where: { email }, attributes: ["id"] })) {
          throw new ConflictError("An account with this email already exists", ERR_EMAIL_TAKEN);
        }
        const passwordHash = await this.passwords.hash(password);
        const result = await this.sequelize()
          .transaction(async (transaction) => {
            const user = await this.users().create(
              {
                id: randomUUID(),
                email,
                passwordHash,
                displayName: ctx.params.displayName ?? email.split("@")[0],
                timezone,
                role: getRuntime().config.adminEmails.includes(email.toLowerCase()) ? "admin" : "user",
                webhookUrl: null,
                webhookSecret: null,
              },
              { transaction },
            );
            const session = await this.startSession(user, transaction);
            // Stored with the account, so the welcome is never lost (DESIGN.md §6).
            await this.recordEvent(transaction, "user.registered", user.id, { user: session.user } satisfies UserRegisteredEvent);
            return session;
          })
          .catch((err: unknown) => {
            // Lost a race with a concurrent registration of the same email.
            if (err instanceof UniqueConstraintError) {
              throw new ConflictError("An account with this email already exists", ERR_EMAIL_TAKEN);
            }
            throw err;
          });
        ctx.meta.$statusCode = 201;
        ctx.meta.$location = "/api/v1/me";
        return result;
      },
    },

    login: {
      rest: "POST /auth/login",
      params: { $$strict: true, email, password: { type: "string", min: 1, max: 1024 } },
      async handler(ctx: Context<LoginParams, AuthMeta>): Promise<AuthResult> {
        const user = await this.users().findOne({ where: { email: ctx.params.email } });
        // Always verify (against a dummy hash when there is no account): equal timing either way.
        const ok = await this.passwords.verify(user?.passwordHash ?? null, ctx.params.password);
        if (!user || !ok) throw new UnauthorizedError(ERR_INVALID_CREDENTIALS, "Invalid email or password");
        // ADMIN_EMAILS makes admins of existing accounts too, at their next login.
        if (user.role !== "admin" && getRuntime().config.adminEmails.includes(user.email.toLowerCase())) {
          await user.update({ role: "admin" });
        }
        return this.startSession(user);
      },
    },

    refresh: {
      rest: "POST /auth/refresh",
      // Rotation spends the presented token: a blind retry would look like reuse.
      retryPolicy: { enabled: false },
      params: { $$strict: true, refreshToken },
      async handler(ctx: Context<RefreshParams, AuthMeta>): Promise<AuthResult> {
        const presented = parseRefreshToken(ctx.params.refreshToken);
        if (!presented) throw new UnauthorizedError(ERR_INVALID_REFRESH_TOKEN, "Invalid refresh token");
        const outcome = await this.sequelize().transaction(async (transaction) => {
          const [row] = await this.sequelize().query<{
            token_hash: Buffer;
            used_at: Date | null;
            session_id: string;
            user_id: string;
            revoked_at: Date | null;
            expires_at: Date;
          }>(
            `SELECT t.token_hash, t.used_at, t.session_id, s.user_id, s.revoked_at, s.expires_at
               FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
              WHERE t.id = $1 FOR UPDATE OF t, s`,
            { bind: [presented.id], type: QueryTypes.SELECT, transaction },
          );
          if (!row || !secretMatches(presented.secret, row.token_hash)) return { kind: "invalid" as const };
          if (row.revoked_at || row.expires_at.getTime() <= Date.now()) return { kind: "invalid" as const };
          if (row.used_at) return { kind: "reused" as const, sessionId: row.session_id };
          await this.sequelize().query("UPDATE refresh_tokens SET used_at = now() WHERE id = $1", {
            bind: [presented.id],
            transaction,
          });
          const next = newRefreshToken();
          await this.sequelize().query("INSERT INTO refresh_tokens (id, session_id, token_hash) VALUES ($1, $2, $3)", {
            bind: [next.id, row.session_id, next.hash],
            transaction,
          });
          const user = await this.users().findByPk(row.user_id, { transaction });
          if (!user) return { kind: "invalid" as const };
          return { kind: "rotated" as const, user, sessionId: row.session_id, refreshToken: next.token };
        });
        if (outcome.kind === "invalid") throw new UnauthorizedError(ERR_INVALID_REFRESH_TOKEN, "Invalid refresh token");
        if (outcome.kind === "reused") {
          // A spent token came back: someone holds a copy. End the whole family.
          await this.revokeSessions("id = $1 AND revoked_at IS NULL", [outcome.sessionId], "refresh-token-reuse");
          this.logger.warn(`Refresh token reuse detected; session ${outcome.sessionId} revoked`);
          throw new UnauthorizedError(ERR_REFRESH_TOKEN_REUSED, "Refresh token already used; session revoked");
        }
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
      params: { $$strict: true, refreshToken: { ...refreshToken, optional: true } },
      async handler(ctx: Context<LogoutParams, AuthMeta>): Promise<null> {
        const caller = ctx.meta.user;
        if (!caller) throw new UnauthorizedError(ERR_INVALID_TOKEN);
        const sessionIds = [caller.sessionId];
        const presented = ctx.params.refreshToken ? parseRefreshToken(ctx.params.refreshToken) : null;
        if (presented) {
          // Only the caller's own refresh token may name a session to end.
          const [row] = await this.sequelize().query<{ session_id: string; token_hash: Buffer }>(
            `SELECT t.session_id, t.token_hash FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
              WHERE t.id = $1 AND s.user_id = $2`,
            { bind: [presented.id, caller.id], type: QueryTypes.SELECT },
          );
          if (row && secretMatches(presented.secret, row.token_hash)) sessionIds.push(row.session_id);
        }
        await this.revokeSessions("id = ANY($1::uuid[]) AND revoked_at IS NULL", [sessionIds], "logout");
        // The session may have been revoked already (a repeated logout): make sure the hot copy has it.
        await this.denylist.revoke(sessionIds);
        ctx.meta.$statusCode = 204;
        return null;
      },
    },

    logoutAll: {
      rest: "POST /auth/logout-all",
      params: { $$strict: true },
      async handler(ctx: Context<Record<string, never>, AuthMeta>): Promise<null> {
        const caller = ctx.meta.user;
        if (!caller) throw new UnauthorizedError(ERR_INVALID_TOKEN);
        await this.revokeSessions("user_id = $1 AND revoked_at IS NULL", [caller.id], "logout-all");
        // Mark every recently revoked session of the user again: if a previous attempt committed
        // but failed to reach the store, this retry still completes the hot copy.
        await this.denylist.revoke([caller.sessionId, ...(await this.recentlyRevokedSessions(caller.id))]);
        ctx.meta.$statusCode = 204;
        return null;
      },
    },

    me: {
      rest: "GET /me",
      params: { $$strict: true },
      async handler(ctx: Context<Record<string, never>, AuthMeta>): Promise<User> {
        return toUser(await this.findUser(ctx.meta.user?.id ?? ""));
      },
    },

    updateProfile: {
      rest: "PATCH /me",
      params: {
        $$strict: true,
        displayName: { ...displayName, optional: true },
        timezone: { ...timezone, optional: true },
        webhookUrl: { ...webhookUrl, optional: true },
      },
      async handler(ctx: Context<UpdateProfileParams, AuthMeta>): Promise<User> {
        const user = await this.findUser(ctx.meta.user?.id ?? "");
        const changes: Partial<Pick<UserRow, "displayName" | "timezone" | "webhookUrl" | "webhookSecret">> = {};
        if (ctx.params.displayName !== undefined) changes.displayName = ctx.params.displayName;
        if (ctx.params.timezone !== undefined) changes.timezone = ctx.params.timezone;
        if (ctx.params.webhookUrl !== undefined) {
          if (ctx.params.webhookUrl !== null && !getRuntime().config.notifications.webhookAllowPrivate && namesNonPublicHost(ctx.params.webhookUrl)) {
            throw validationError([
              { field: "webhookUrl", type: "privateAddress", message: "The 'webhookUrl' field must not point to a local or private address." },
            ]);
          }
          changes.webhookUrl = ctx.params.webhookUrl;
          // The first webhook gets a signing secret; later URL changes keep it (rotate explicitly).
          if (ctx.params.webhookUrl !== null && !user.webhookSecret) changes.webhookSecret = newWebhookSecret();
        }
        if (Object.keys(changes).length > 0) await user.update(changes);
        return toUser(user);
      },
    },

    /** The webhook URL and the secret its deliveries are signed with (lib/webhook-signature.ts). */
    webhook: {
      rest: "GET /me/webhook",
      params: { $$strict: true },
      async handler(ctx: Context<Record<string, never>, AuthMeta>): Promise<WebhookSettings> {
        const user = await this.findUser(ctx.meta.user?.id ?? "");
        return { url: user.webhookUrl, secret: user.webhookUrl ? user.webhookSecret : null };
      },
    },

    rotateWebhookSecret: {
      rest: "POST /me/webhook/rotate-secret",
      params: { $$strict: true },
      async handler(ctx: Context<Record<string, never>, AuthMeta>): Promise<WebhookSettings> {
        const user = await this.findUser(ctx.meta.user?.id ?? "");
        if (!user.webhookUrl) throw validationError([{ field: "webhookUrl", type: "required", message: "Set a webhookUrl first." }]);
        await user.update({ webhookSecret: newWebhookSecret() });
        return { url: user.webhookUrl, secret: user.webhookSecret };
      },
    },

    /** Operators only (no REST route): `call auth.setRole --email a@b.c --role admin` from the REPL. */
    setRole: {
      visibility: "public",
      params: { $$strict: true, email, role: { type: "enum", values: ["user", "admin"] } },
      async handler(ctx: Context<{ email: string; role: "user" | "admin" }, AuthMeta>): Promise<User> {
        if (ctx.meta.user) throw new ForbiddenError("Operators only");
        const user = await this.users().findOne({ where: { email: ctx.params.email } });
        if (!user) throw new NotFoundError("Account");
        await user.update({ role: ctx.params.role });
        // Tokens carry the role: end the sessions so the next login carries the new one.
        await this.revokeSessions("user_id = $1 AND revoked_at IS NULL", [user.id], "role changed");
        return toUser(user);
      },
    },

    /** Whether a session exists, is not revoked, and is the user's: the gateway's check of a signed token. */
    isSessionLive: {
      visibility: "public",
      params: { $$strict: true, sessionId: { type: "uuid" }, userId: { type: "uuid" } },
      async handler(ctx: Context<{ sessionId: string; userId: string }>): Promise<boolean> {
        const [row] = await this.sequelize().query(
          "SELECT 1 FROM sessions WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
          { bind: [ctx.params.sessionId, ctx.params.userId], type: QueryTypes.SELECT },
        );
        return row !== undefined;
      },
    },

    /** The durable denylist: sessions revoked recently enough to still have live access tokens. */
    revokedSessions: {
      visibility: "public",
      params: { $$strict: true },
      handler(): Promise<string[]> {
        return this.recentlyRevokedSessions(null);
      },
    },
  },

  methods: {
    users() {
      return this.dbModel<UserRow>();
    },

    async findUser(id: string) {
      const user = id ? await this.users().findByPk(id) : null;
      // A valid token for an account that no longer exists.
      if (!user) throw new UnauthorizedError(ERR_INVALID_TOKEN, "Account not found");
      return user;
    },

    async startSession(user: UserRow, transaction?: Transaction): Promise<AuthResult> {
      const { config } = getRuntime();
      const sessionId = randomUUID();
      const refresh = newRefreshToken();
      const db = this.sequelize();
      await db.query(
        "INSERT INTO sessions (id, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))",
        { bind: [sessionId, user.id, config.refreshTokenTtlSeconds], transaction },
      );
      await db.query("INSERT INTO refresh_tokens (id, session_id, token_hash) VALUES ($1, $2, $3)", {
        bind: [refresh.id, sessionId, refresh.hash],
        transaction,
      });
      return {
        user: toUser(user),
        accessToken: this.tokens.sign({ userId: user.id, role: user.role, sessionId }),
        refreshToken: refresh.token,
        expiresIn: this.tokens.ttlSeconds,
      };
    },

    /** Sessions (of one user, or everyone's) revoked recently enough to have unexpired access tokens. */
    async recentlyRevokedSessions(userId: string | null) {
      const rows = await this.sequelize().query<{ id: string }>(
        `SELECT id FROM sessions
          WHERE revoked_at > now() - make_interval(secs => $1) AND ($2::uuid IS NULL OR user_id = $2::uuid)`,
        { bind: [this.tokens.ttlSeconds + TOKEN_CLOCK_TOLERANCE_SECONDS, userId], type: QueryTypes.SELECT },
      );
      return rows.map((row) => row.id);
    },

    /** Revokes the sessions matching `where` (fixed SQL, values in `bind`) durably, then in the hot copy. */
    async revokeSessions(where: string, bind: unknown[], reason: string) {
      const [rows] = (await this.sequelize().query(
        `UPDATE sessions SET revoked_at = now(), revoke_reason = $${bind.length + 1} WHERE ${where} RETURNING id`,
        { bind: [...bind, reason] },
      )) as [Array<{ id: string }>, unknown];
      const ids = rows.map((row) => row.id);
      await this.denylist.revoke(ids);
      return ids;
    },
  },

  created() {
    const { config, store, jwtSecret } = getRuntime();
    this.passwords = new Passwords(config.passwordHash);
    this.tokens = new AccessTokens(jwtSecret, config.accessTokenTtlSeconds);
    this.denylist = new Denylist(store, config.accessTokenTtlSeconds + TOKEN_CLOCK_TOLERANCE_SECONDS, () =>
      this.actions.revokedSessions({}),
    );
  },
};

export default AuthService;
