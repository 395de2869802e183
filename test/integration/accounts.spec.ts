/**
 * Account management (issue 12, check 2) and the inbox's unread count, read-all and settings,
 * against a real local SMTP receiver (smtp-server from npm). Both modes.
 */
import { receiveMail } from "../helpers/smtp-receiver";
import { nodeSuite } from "../helpers/node-suite";
import { waitFor } from "../helpers/processes";
import { addDays, todayIn } from "../../lib/dates";
import type { Notification } from "../../src/data/notifications";

jest.setTimeout(60_000);

const PASSWORD = "correct horse battery";

const env: Record<string, string> = {
  DELIVERY_POLL_MS: "100",
  MAIL_FROM: "habits@example.org",
  PUBLIC_URL: "https://habits.example.org/",
};
const mails = receiveMail(env);

const suite = nodeSuite(env);
let counter = 0;

async function register(): Promise<{ email: string; token: string; userId: string }> {
  const email = `acct${Date.now()}-${counter++}@example.com`;
  const reply = await suite.api.post("/auth/register", { email, password: PASSWORD });
  expect(reply.status).toBe(201);
  return { email, token: reply.body.accessToken, userId: reply.body.user.id };
}

async function login(email: string, password = PASSWORD) {
  return suite.api.post("/auth/login", { email, password });
}

const mailsTo = (email: string) => mails.filter((mail) => mail.to.includes(email));

/** The token in the newest reset e-mail to `email`, once it has arrived after `count` earlier ones. */
async function resetToken(email: string, count: number): Promise<string> {
  const mail = await waitFor(`reset e-mail ${count + 1} to ${email}`, async () =>
    mailsTo(email)
      .filter((one) => one.text.includes("reset-password?token="))
      .at(count),
  );
  const match = /https:\/\/habits\.example\.org\/reset-password\?token=([A-Za-z0-9_-]+)/.exec(mail.text);
  expect(match).not.toBeNull();
  return (match as RegExpExecArray)[1];
}

async function sevenDayStreak(token: string): Promise<string> {
  const today = todayIn("UTC", new Date());
  const habit = await suite.api.post("/habits", { name: "Walk", startDate: addDays(today, -6) }, token);
  expect(habit.status).toBe(201);
  for (let back = 6; back >= 0; back--) {
    const put = await suite.api.request("PUT", `/habits/${habit.body.id}/checkins/${addDays(today, -back)}`, { body: {}, token });
    expect(put.status).toBe(201);
  }
  return habit.body.id as string;
}

const inbox = async (token: string, query = "") => (await suite.api.get<Notification[]>(`/notifications${query}`, token)).body;

describe("POST /auth/password", () => {
  it("needs the current password (403), then ends every other session and keeps this one", async () => {
    const { email, token } = await register();
    const other = (await login(email)).body.accessToken as string;

    const wrong = await suite.api.post("/auth/password", { currentPassword: "not it at all", newPassword: "a new password" }, token);
    expect(wrong.status).toBe(403);
    expect((await suite.api.get("/me", other)).status).toBe(200);

    const short = await suite.api.post("/auth/password", { currentPassword: PASSWORD, newPassword: "short" }, token);
    expect(short.status).toBe(422);
    expect(JSON.stringify(short.body.data)).toContain("newPassword");

    const changed = await suite.api.post("/auth/password", { currentPassword: PASSWORD, newPassword: "a new password" }, token);
    expect(changed.status).toBe(204);
    expect((await suite.api.get("/me", token)).status).toBe(200);
    expect((await suite.api.get("/me", other)).status).toBe(401);
    expect((await login(email)).status).toBe(401);
    expect((await login(email, "a new password")).status).toBe(200);
  });
});

describe("POST /auth/password-reset", () => {
  it("answers the same 202 for an unknown address, in about the same time, and e-mails nobody", async () => {
    const { email } = await register();
    await waitFor("the welcome e-mail", async () => (mailsTo(email).length > 0 ? true : undefined));
    const before = mails.length;
    const timed = async (address: string) => {
      const began = Date.now();
      const reply = await suite.api.post("/auth/password-reset", { email: address });
      return { status: reply.status, body: reply.body, ms: Date.now() - began };
    };
    const known = await timed(email);
    const unknown = await timed(`nobody-${Date.now()}@example.com`);
    expect([known.status, known.body]).toEqual([202, {}]);
    expect([unknown.status, unknown.body]).toEqual([202, {}]);
    // Both wait out the same floor; the known address's work happens within it.
    expect(Math.min(known.ms, unknown.ms)).toBeGreaterThanOrEqual(240);
    expect(Math.abs(known.ms - unknown.ms)).toBeLessThan(150);
    await resetToken(email, 0);
    expect(mails.slice(before).flatMap((mail) => mail.to)).toEqual([email]);
  });

  it("resets once with the e-mailed token; the token then, and a superseded or expired one, is 422", async () => {
    const { email, token } = await register();
    expect((await suite.api.post("/auth/password-reset", { email })).status).toBe(202);
    const first = await resetToken(email, 0);
    expect((await suite.api.post("/auth/password-reset", { email })).status).toBe(202);
    const second = await resetToken(email, 1);
    expect(second).not.toBe(first);

    const superseded = await suite.api.post("/auth/password-reset/confirm", { token: first, newPassword: "reset password 1" });
    expect(superseded.status).toBe(422);
    expect(superseded.body.data).toEqual([expect.objectContaining({ field: "token" })]);

    const reset = await suite.api.post("/auth/password-reset/confirm", { token: second, newPassword: "reset password 1" });
    expect(reset.status).toBe(204);
    // Every session ended, the new password works.
    expect((await suite.api.get("/me", token)).status).toBe(401);
    expect((await login(email, "reset password 1")).status).toBe(200);
    expect((await login(email)).status).toBe(401);

    const again = await suite.api.post("/auth/password-reset/confirm", { token: second, newPassword: "reset password 2" });
    expect(again.status).toBe(422);
    expect((await login(email, "reset password 1")).status).toBe(200);

    // Expired: an hour and a minute later by the node's clock.
    expect((await suite.api.post("/auth/password-reset", { email })).status).toBe(202);
    const third = await resetToken(email, 2);
    const later = Date.now() + 61 * 60_000;
    suite.setClock(() => new Date(later));
    try {
      const expired = await suite.api.post("/auth/password-reset/confirm", { token: third, newPassword: "reset password 3" });
      expect(expired.status).toBe(422);
    } finally {
      suite.setClock(null);
    }
    expect((await login(email, "reset password 1")).status).toBe(200);
  });

  it("is rate-limited per address", async () => {
    const { email } = await register();
    const key = `ratelimit:passwordReset:account:${email}`;
    // The suite's limit is generous; use it up directly in the store, then one more is refused.
    for (let i = 0; i < 1000; i++) await suite.node.runtime.store.hit(key, 60);
    const reply = await suite.api.post("/auth/password-reset", { email });
    expect(reply.status).toBe(429);
    expect(reply.headers.get("retry-after")).toMatch(/^\d+$/);
  });
});

describe("DELETE /me", () => {
  it("needs the password, then removes the account and all its data; its tokens are 401 and the address is free", async () => {
    const { email, token, userId } = await register();
    const habitId = await sevenDayStreak(token);
    await suite.api.patch(`/habits/${habitId}`, { reminders: ["08:00"] }, token);
    await suite.api.patch("/me/notification-settings", { channels: { webhook: false } }, token);
    await suite.api.post("/auth/password-reset", { email });
    await waitFor("the milestone notification", async () =>
      (await inbox(token)).some((one) => one.type === "milestone") ? true : undefined,
    );
    const other = (await login(email)).body.accessToken as string;

    expect((await suite.api.request("DELETE", "/me", { body: { password: "not the password" }, token })).status).toBe(403);
    expect((await suite.api.get("/me", token)).status).toBe(200);

    const deleted = await suite.api.request("DELETE", "/me", { body: { password: PASSWORD }, token });
    expect(deleted.status).toBe(204);
    const deletedAt = Date.now();

    for (const used of [token, other]) {
      expect((await suite.api.get("/me", used)).status).toBe(401);
      expect((await suite.api.get("/habits", used)).status).toBe(401);
    }
    const left = await suite.query<{ table: string; count: number }>(
      `SELECT 'users' AS table, count(*)::int AS count FROM users WHERE id = $1
       UNION ALL SELECT 'sessions', count(*)::int FROM sessions WHERE user_id = $1
       UNION ALL SELECT 'refresh_tokens', count(*)::int FROM refresh_tokens t WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = t.session_id)
       UNION ALL SELECT 'password_resets', count(*)::int FROM password_resets WHERE user_id = $1
       UNION ALL SELECT 'habits', count(*)::int FROM habits WHERE user_id = $1
       UNION ALL SELECT 'habit_lists', count(*)::int FROM habit_lists WHERE user_id = $1
       UNION ALL SELECT 'checkins', count(*)::int FROM checkins WHERE habit_id = $2
       UNION ALL SELECT 'milestones', count(*)::int FROM milestones WHERE habit_id = $2
       UNION ALL SELECT 'habit_progress', count(*)::int FROM habit_progress WHERE habit_id = $2
       UNION ALL SELECT 'reminder_fires', count(*)::int FROM reminder_fires WHERE habit_id = $2
       UNION ALL SELECT 'notifications', count(*)::int FROM notifications WHERE user_id = $1
       UNION ALL SELECT 'deliveries', count(*)::int FROM deliveries d WHERE NOT EXISTS (SELECT 1 FROM notifications n WHERE n.id = d.notification_id)
       UNION ALL SELECT 'notification_settings', count(*)::int FROM notification_settings WHERE user_id = $1
       UNION ALL SELECT 'outbox', count(*)::int FROM outbox WHERE (user_id = $1 OR payload::text LIKE '%' || $1 || '%') AND event <> 'user.deleted'`,
      [userId, habitId],
    );
    expect(left.filter((row) => row.count > 0)).toEqual([]);
    // The one record kept: that the account was deleted.
    const recorded = await suite.query<{ event: string }>("SELECT event FROM outbox WHERE user_id = $1", [userId]);
    expect(recorded.map((row) => row.event)).toEqual(["user.deleted"]);

    // Nothing more goes to it: a new account's welcome arrives (the pipeline is live), none for the deleted one.
    const control = await register();
    await waitFor("the control's welcome e-mail", async () => (mailsTo(control.email).length > 0 ? true : undefined));
    expect(mailsTo(email).filter((mail) => mail.at > deletedAt)).toEqual([]);

    const again = await suite.api.post("/auth/register", { email, password: PASSWORD });
    expect(again.status).toBe(201);
    expect(again.body.user.id).not.toBe(userId);
  });
});

describe("operators", () => {
  it("auth.setPassword sets a password and ends the sessions; no user may call it", async () => {
    const { email, token } = await register();
    const broker = suite.node.broker;
    await broker.call("auth.setPassword", { email, password: "set by operator" });
    expect((await suite.api.get("/me", token)).status).toBe(401);
    expect((await login(email, "set by operator")).status).toBe(200);
    await expect(
      broker.call("auth.setPassword", { email, password: "set by a user" }, { meta: { user: { id: "x", role: "admin" } } }),
    ).rejects.toThrow(/Operators only/);
  });
});

describe("inbox: unread, read-all, settings", () => {
  it("counts and filters unread notifications, and read-all reads every one", async () => {
    const { token } = await register();
    await sevenDayStreak(token);
    await waitFor("welcome and milestone", async () => ((await inbox(token)).length >= 2 ? true : undefined));
    const all = await inbox(token);
    expect((await suite.api.get("/notifications/unread-count", token)).body).toEqual({ count: all.length });

    expect((await suite.api.post(`/notifications/${all[0].id}/read`, {}, token)).status).toBe(204);
    expect((await suite.api.get("/notifications/unread-count", token)).body).toEqual({ count: all.length - 1 });
    expect((await inbox(token, "?unread=true")).map((one) => one.id)).toEqual(all.slice(1).map((one) => one.id));

    expect((await suite.api.post("/notifications/read-all", {}, token)).status).toBe(204);
    expect((await suite.api.get("/notifications/unread-count", token)).body).toEqual({ count: 0 });
    expect(await inbox(token, "?unread=true")).toEqual([]);
    expect((await inbox(token)).every((one) => one.readAt !== null)).toBe(true);
    expect((await suite.api.get("/notifications?unread=maybe", token)).status).toBe(422);
  });

  it("settings default to on, change in part, reject unknown fields, and are honoured", async () => {
    const quiet = await register();
    const mailless = await register();
    const control = await register();
    // Each welcome e-mailed first: it is made from the outbox, after the registration answered.
    for (const user of [quiet, mailless, control])
      await waitFor(`${user.email}'s welcome e-mail`, async () => (mailsTo(user.email).length > 0 ? true : undefined));
    const defaults = await suite.api.get("/me/notification-settings", quiet.token);
    expect(defaults.body).toEqual({ channels: { email: true, webhook: true }, types: { welcome: true, milestone: true, reminder: true } });

    const off = await suite.api.patch("/me/notification-settings", { types: { milestone: false } }, quiet.token);
    expect(off.body).toEqual({ channels: { email: true, webhook: true }, types: { welcome: true, milestone: false, reminder: true } });
    const noMail = await suite.api.patch("/me/notification-settings", { channels: { email: false } }, mailless.token);
    expect(noMail.body.channels).toEqual({ email: false, webhook: true });
    for (const bad of [{ types: { password_reset: false } }, { channels: { email: "no" } }, { sound: true }]) {
      const reply = await suite.api.patch("/me/notification-settings", bad, quiet.token);
      expect([JSON.stringify(bad), reply.status]).toEqual([JSON.stringify(bad), 422]);
    }
    expect((await suite.api.get("/me/notification-settings", quiet.token)).body).toEqual(off.body);

    for (const user of [quiet, mailless, control]) await sevenDayStreak(user.token);
    // Positive controls first: the control's milestone is in its inbox and its mailbox.
    await waitFor("the control's milestone e-mail", async () =>
      (await inbox(control.token)).some((one) => one.type === "milestone") && mailsTo(control.email).length >= 2 ? true : undefined,
    );
    await waitFor("the mailless user's milestone in the inbox", async () =>
      (await inbox(mailless.token)).some((one) => one.type === "milestone") ? true : undefined,
    );
    expect((await inbox(quiet.token)).map((one) => one.type)).toEqual(["welcome"]);
    // Mailless got its welcome by e-mail (before the change) and nothing since; the control two.
    expect(mailsTo(mailless.email)).toHaveLength(1);
  });
});
