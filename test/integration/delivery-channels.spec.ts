/**
 * Delivery channels against real local receivers started here (issue check 2): an SMTP server
 * (smtp-server from npm) and HTTP webhook receivers that verify the signature; retries with
 * backoff, dead letters and the admin retry. Both modes (embedded, then real Postgres/Redis).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { decodeQuotedPrintable, receiveMail } from "../helpers/smtp-receiver";
import { nodeSuite } from "../helpers/node-suite";
import { waitFor } from "../helpers/processes";
import { addDays } from "../../lib/dates";
import { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhook } from "../../lib/webhook-signature";
import type { DeadLetter, Notification } from "../../src/data/notifications";

jest.setTimeout(60_000);

const ADMIN = `admin${Date.now()}@example.com`;

/** Env filled in once the SMTP server listens (nodeSuite reads it in its own beforeAll, after this one). */
const env: Record<string, string> = {
  DELIVERY_POLL_MS: "100",
  DELIVERY_RETRY_BASE_MS: "50",
  DELIVERY_RETRY_MAX_MS: "200",
  DELIVERY_MAX_ATTEMPTS: "5",
  WEBHOOK_ALLOW_PRIVATE: "true",
  MAIL_FROM: "habits@example.org",
  ADMIN_EMAILS: ADMIN,
};
const mails = receiveMail(env);

const suite = nodeSuite(env);

interface Hit {
  status: number;
  body: string;
  verified: boolean;
  deliveryId: string | undefined;
}

/** A webhook receiver: answers each request with the next status of `statuses` (the last repeats). */
async function receiver(secret: () => string, statuses: () => number) {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      const verified = verifyWebhook(
        secret(),
        req.headers[SIGNATURE_HEADER] as string | undefined,
        req.headers[TIMESTAMP_HEADER] as string | undefined,
        body,
        Math.floor(Date.now() / 1000),
      );
      const status = verified ? statuses() : 401;
      hits.push({ status, body, verified, deliveryId: req.headers[DELIVERY_HEADER] as string | undefined });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { hits, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, close: () => new Promise((r) => server.close(r)) };
}

async function email(token: string): Promise<string> {
  return (await suite.api.get("/me", token)).body.email;
}

/** A 7-day streak ending today: one milestone notification. */
async function reachMilestone(token: string): Promise<void> {
  const today = new Date().toISOString().slice(0, 10);
  const habit = await suite.api.post("/habits", { name: "Stretch <daily>", startDate: addDays(today, -6) }, token);
  for (let i = -6; i <= 0; i++) {
    expect((await suite.api.request("PUT", `/habits/${habit.body.id}/checkins/${addDays(today, i)}`, { body: {}, token })).status).toBe(
      201,
    );
  }
}

async function inbox(token: string): Promise<Notification[]> {
  return (await suite.api.get<Notification[]>("/notifications", token)).body;
}

async function withWebhook(token: string, url: string): Promise<string> {
  // The welcome goes out on the channels the user had when it was made: wait for it first.
  await waitFor("the welcome", async () => ((await inbox(token)).length > 0 ? true : undefined));
  expect((await suite.api.patch("/me", { webhookUrl: url }, token)).status).toBe(200);
  const settings = await suite.api.get("/me/webhook", token);
  expect(settings.status).toBe(200);
  expect(settings.body.url).toBe(url);
  expect(settings.body.secret).toMatch(/^whsec_/);
  return settings.body.secret as string;
}

/** A new user whose webhook is a receiver answering `statuses()`, with a 7-day milestone on its way. */
/**
 * Waits until the delivery to `target` is sent: from then on no worker attempts it again, so the
 * receiver's hits are final.
 */
function deliveredTo(target: string): Promise<true> {
  return waitFor(`the delivery to ${target} marked sent`, async () => {
    const rows = await suite.query<{ state: string }>("SELECT state FROM deliveries WHERE target = $1", [target]);
    return rows.length > 0 && rows.every((row) => row.state === "sent") ? true : undefined;
  });
}

async function milestoneToReceiver(statuses: () => number) {
  const token = await suite.newUser();
  let secret = "";
  const hook = await receiver(() => secret, statuses);
  secret = await withWebhook(token, hook.url);
  await reachMilestone(token);
  return { token, hook };
}

describe("delivery channels", () => {
  it("a real SMTP receiver gets the welcome and milestone e-mails: recipient, subject, text and HTML", async () => {
    const token = await suite.newUser();
    const address = await email(token);
    await reachMilestone(token);
    const mine = await waitFor("two e-mails", async () => {
      const found = mails.filter((mail) => mail.to.includes(address));
      return found.length >= 2 ? found : undefined;
    });
    const notes = await inbox(token);
    expect(mine).toHaveLength(2);
    for (const notification of notes) {
      const mail = mine.find((candidate) => decodeQuotedPrintable(candidate.raw).includes(notification.title));
      expect(mail).toBeDefined();
      const decoded = decodeQuotedPrintable(mail!.raw);
      expect(mail!.from).toBe("habits@example.org");
      expect(decoded).toMatch(new RegExp(`^To: ${address.replace(/[.]/g, "\\.")}`, "m"));
      expect(decoded).toContain(`Subject: ${notification.title}`);
      expect(decoded).toContain("text/plain");
      expect(decoded).toContain("text/html");
      expect(decoded).toContain(notification.body.split("\n")[0]);
    }
    const milestoneTitle = notes.find((n) => n.type === "milestone")!.title;
    const milestone = decodeQuotedPrintable(
      mine.find((mail) => decodeQuotedPrintable(mail.raw).includes(`Subject: ${milestoneTitle}`))!.raw,
    );
    // The habit's name is escaped in the HTML part, verbatim in the text part.
    expect(milestone).toContain("Stretch &lt;daily&gt;");
    expect(milestone).toContain("Stretch <daily>");
  });

  it("a real webhook receiver gets a signed JSON POST it can verify", async () => {
    const { token, hook } = await milestoneToReceiver(() => 200);
    await deliveredTo(hook.url);
    expect(hook.hits).toHaveLength(1);
    const [hit] = hook.hits;
    expect(hit.verified).toBe(true);
    const [milestone] = (await inbox(token)).filter((n) => n.type === "milestone");
    expect(JSON.parse(hit.body)).toMatchObject({ id: milestone.id, type: "milestone", title: milestone.title, body: milestone.body });
    expect(hit.deliveryId).toBe(milestone.id);
    // Signed with another secret, the same body would not verify.
    expect(verifyWebhook("whsec_other", undefined, undefined, hit.body, Math.floor(Date.now() / 1000))).toBe(false);
    await hook.close();
  });

  it("a receiver failing 3 times then answering 200 gets the notification exactly once", async () => {
    let calls = 0;
    const { hook } = await milestoneToReceiver(() => (++calls <= 3 ? 503 : 200));
    await deliveredTo(hook.url);
    expect(hook.hits.map((hit) => hit.status)).toEqual([503, 503, 503, 200]);
    expect(new Set(hook.hits.map((hit) => JSON.parse(hit.body).id)).size).toBe(1);
    await hook.close();
  });

  it("a receiver that always fails ends dead-lettered; an admin's retry after it recovers delivers once", async () => {
    let healthy = false;
    const { token, hook } = await milestoneToReceiver(() => (healthy ? 200 : 500));

    const admin = (await suite.api.post("/auth/register", { email: ADMIN, password: "correct horse battery" })).body.accessToken;
    const dead = await waitFor("a dead letter", async () => {
      const reply = await suite.api.get<DeadLetter[]>("/admin/dead-letters", admin);
      expect(reply.status).toBe(200);
      return reply.body.find((letter) => letter.target === hook.url);
    });
    expect(dead).toMatchObject({ channel: "webhook", type: "milestone", attempts: 5, lastError: "webhook answered HTTP 500" });
    expect(hook.hits).toHaveLength(5);
    expect(hook.hits.every((hit) => hit.status === 500 && hit.verified)).toBe(true);

    // Only admins: another user is refused, and nothing changes.
    expect((await suite.api.get("/admin/dead-letters", token)).status).toBe(403);
    expect((await suite.api.post(`/admin/dead-letters/${dead.id}/retry`, undefined, token)).status).toBe(403);
    expect((await suite.api.post("/admin/dead-letters/retry", undefined, token)).status).toBe(403);
    expect((await suite.api.post("/admin/dead-letters/abc/retry", undefined, admin)).status).toBe(422);
    expect((await suite.api.post("/admin/dead-letters/999999999/retry", undefined, admin)).status).toBe(404);

    healthy = true;
    const retried = await suite.api.post(`/admin/dead-letters/${dead.id}/retry`, undefined, admin);
    expect(retried.status).toBe(200);
    expect(retried.body).toEqual({ retried: 1 });
    await deliveredTo(hook.url);
    expect(hook.hits.filter((hit) => hit.status === 200)).toHaveLength(1);
    const remaining = (await suite.api.get<DeadLetter[]>("/admin/dead-letters", admin)).body;
    expect(remaining.find((letter) => letter.id === dead.id)).toBeUndefined();
    // Delivered, it is no longer a dead letter to retry.
    expect((await suite.api.post(`/admin/dead-letters/${dead.id}/retry`, undefined, admin)).status).toBe(404);
    await hook.close();
  });

  it("from the REPL's side (no user in the call), the admin actions list and retry all dead letters", async () => {
    let healthy = false;
    const { hook } = await milestoneToReceiver(() => (healthy ? 200 : 500));
    const broker = suite.node.broker;
    await waitFor("a dead letter", async () => {
      const letters = await broker.call<DeadLetter[], object>("notifications.deadLetters", {});
      return letters.find((letter) => letter.target === hook.url);
    });
    healthy = true;
    const result = await broker.call<{ retried: number }, object>("notifications.retryDeadLetters", {});
    expect(result.retried).toBeGreaterThanOrEqual(1);
    await deliveredTo(hook.url);
    expect(hook.hits.filter((hit) => hit.status === 200)).toHaveLength(1);
    await hook.close();
  });

  it("webhook settings: a secret appears with the first URL, rotates on request, and bad URLs are 422", async () => {
    const token = await suite.newUser();
    expect((await suite.api.get("/me/webhook", token)).body).toEqual({ url: null, secret: null });
    expect((await suite.api.post("/me/webhook/rotate-secret", undefined, token)).status).toBe(422);
    const first = await withWebhook(token, "http://127.0.0.1:9/one");
    const second = await withWebhook(token, "http://127.0.0.1:9/two");
    expect(second).toBe(first);
    const rotated = await suite.api.post("/me/webhook/rotate-secret", undefined, token);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(first);
    for (const webhookUrl of ["ftp://example.com/x", "not a url", 42]) {
      expect((await suite.api.patch("/me", { webhookUrl }, token)).status).toBe(422);
    }
    // The public user shape is unchanged: no secret in it.
    expect(Object.keys((await suite.api.get("/me", token)).body).sort()).toEqual([
      "createdAt",
      "displayName",
      "email",
      "id",
      "role",
      "timezone",
    ]);
  });
});
