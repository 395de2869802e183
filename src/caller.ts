/**
 * Whom an action acts for. The gateway sets `ctx.meta.user` from a verified access token (id,
 * role, session, and the user's current time zone); an operator acts on behalf of a user from
 * the REPL with `--#user.id <uuid>` (the zone is then looked up with `auth`). Every user-scoped
 * action starts with `requireUser` (or `requireUserId` when the zone does not matter), so a call
 * without a user is a clear 401 naming what is missing, whoever makes it.
 */
import { Errors, type Context } from "moleculer";
import { UUID_PATTERN } from "./params";
import { ERR_INVALID_TOKEN, UnauthorizedError } from "./errors";

export type Role = "user" | "admin";

export interface CallerUser {
  id: string;
  role: Role;
  /** null for an operator's call on behalf of the user. */
  sessionId: string | null;
  timezone: string;
}

/** `ctx.meta` of calls through the gateway (and the HTTP answer's extras an action may set). */
export interface CallMeta {
  user?: { id: string; role?: Role; sessionId?: string | null; timezone?: string } | null;
  $statusCode?: number;
  $location?: string;
  $responseHeaders?: Record<string, string>;
}

export const ERR_USER_REQUIRED = "USER_REQUIRED";

export class UserRequiredError extends Errors.MoleculerClientError {
  constructor(action: string) {
    super(
      `${action} acts for a user and was called without one: pass the user's id in meta.user.id (from the REPL: call ${action} … --#user.id <uuid>)`,
      401,
      ERR_USER_REQUIRED,
      { action },
    );
    this.name = "UserRequiredError";
  }
}

/** The id of the user the call acts for. @throws UserRequiredError */
export function requireUserId(ctx: Context<unknown, CallMeta>): string {
  const id = ctx.meta.user?.id;
  if (typeof id !== "string" || !UUID_PATTERN.test(id)) throw new UserRequiredError(ctx.action?.name ?? "this action");
  return id;
}

/** The user the call acts for, with their time zone. @throws UserRequiredError, or 401 for no such account */
export async function requireUser(ctx: Context<unknown, CallMeta>): Promise<CallerUser> {
  const id = requireUserId(ctx);
  const user = ctx.meta.user as NonNullable<CallMeta["user"]>;
  let timezone = user.timezone;
  if (typeof timezone !== "string") {
    const zones = await ctx.call<Record<string, string>, { userIds: string[] }>("auth.timezones", { userIds: [id] });
    timezone = zones[id];
    if (timezone === undefined) throw new UnauthorizedError(ERR_INVALID_TOKEN, "No such account");
    // Calls this one makes carry it on.
    ctx.meta.user = { ...user, timezone };
  }
  return { id, role: user.role ?? "user", sessionId: user.sessionId ?? null, timezone };
}
