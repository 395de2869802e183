/**
 * Notifications end to end on one in-process node (embedded, then real Postgres/Redis in the
 * cluster pass): welcome, milestone and reminder in the inbox and on the log channel, the inbox
 * routes, and redelivered events making nothing new (issue checks 1 and 4, broker path).
 */
import { nodeSuite } from "../helpers/node-suite";
import { waitFor } from "../helpers/processes";
import { addDays } from "../../lib/dates";
import type { Notification } from "../../src/data/notifications";

jest.setTimeout(60_000);

const suite = nodeSuite({ REMINDER_TICK_MS: "200", DELIVERY_POLL_MS: "100" });

async function inbox(token: string, query = ""): Promise<Notification[]> {
  const reply = await suite.api.get<Notification[]>(`/notifications${query}`, token);
  expect(reply.status).toBe(200);
  return reply.body;
}

function waitForInbox(token: string, count: number): Promise<Notification[]> {
  return waitFor(`${count} notifications`, async () => {
    const found = await inbox(token);
    return found.length >= count ? found : undefined;
  });
}

/** The lines the log channel printed, by watching the notifications service's logger. */
function watchLogChannel(): string[] {
  const lines: string[] = [];
  const logger = suite.node.broker.getLocalService("notifications")!.logger as unknown as { info: (...args: unknown[]) => void };
  const original = logger.info.bind(logger);
  logger.info = (...args: unknown[]) => {
    if (typeof args[0] === "string" && args[0].startsWith("Notification ")) lines.push(args[0]);
    original(...args);
  };
  return lines;
}

async function userId(token: string): Promise<string> {
  return (await suite.api.get("/me", token)).body.id;
}

describe("notifications", () => {
  afterEach(() => suite.setClock(null));

  it("register, reach a 7-day streak, pass a reminder time: one welcome, one milestone, one reminder, each logged once", async () => {
    const logged = watchLogChannel();
    // 11:00 in Berlin; the streak is built on the seven days before today.
    const morning = new Date("2026-11-21T10:00:00Z");
    suite.setClock(() => morning);
    const token = await suite.newUser("Europe/Berlin");
    const id = await userId(token);
    const habit = await suite.api.post("/habits", { name: "Read", startDate: "2026-11-14", reminders: ["20:00"] }, token);
    expect(habit.status).toBe(201);
    for (let date = "2026-11-14"; date <= "2026-11-20"; date = addDays(date, 1)) {
      const put = await suite.api.request("PUT", `/habits/${habit.body.id}/checkins/${date}`, { body: {}, token });
      expect(put.status).toBe(201);
    }
    // A completed habit and an archived one with the same reminder stay silent.
    const done = await suite.api.post("/habits", { name: "Done already", reminders: ["20:00"] }, token);
    expect((await suite.api.request("PUT", `/habits/${done.body.id}/checkins/2026-11-21`, { body: {}, token })).status).toBe(201);
    const archived = await suite.api.post("/habits", { name: "Shelved", reminders: ["20:00"] }, token);
    expect((await suite.api.patch(`/habits/${archived.body.id}`, { archived: true }, token)).status).toBe(200);
    const deleted = await suite.api.post("/habits", { name: "Gone", reminders: ["20:00"] }, token);
    expect((await suite.api.request("DELETE", `/habits/${deleted.body.id}`, { token })).status).toBe(204);

    await waitForInbox(token, 2);
    // 20:05 in Berlin: the reminder's minute has passed.
    suite.setClock(() => new Date("2026-11-21T19:05:00Z"));
    const found = await waitForInbox(token, 3);
    // More scans, each finished when its call returns: nothing else fires.
    for (let tick = 0; tick < 3; tick++) {
      expect(await suite.node.broker.call("reminders.tick", {})).toEqual({ fired: 0 });
    }
    const final = await inbox(token);
    expect(final).toHaveLength(3);
    expect(final.map((n) => n.type).sort()).toEqual(["milestone", "reminder", "welcome"]);
    const byType = Object.fromEntries(found.map((n) => [n.type, n]));
    expect(byType.milestone.title).toContain("Read");
    expect(byType.milestone.body).toMatch(/7/);
    expect(byType.reminder.title).toContain("Read");
    expect(byType.reminder.body).toContain("20:00");
    expect(byType.reminder.body).toMatch(/7/);
    for (const notification of final) {
      expect(Object.keys(notification).sort()).toEqual(["body", "createdAt", "id", "readAt", "title", "type"]);
      expect(notification.readAt).toBeNull();
    }

    await waitFor("each notification logged", async () =>
      final.every((n) => logged.some((line) => line.includes(n.id))) ? true : undefined,
    );
    for (const notification of final) {
      expect(logged.filter((line) => line.includes(notification.id))).toEqual([
        expect.stringContaining(`Notification ${notification.type} ${notification.id} for user ${id}`),
      ]);
    }
  });

  it("lists newest first with limit/before paging, marks read with 204, and hides other users' notifications", async () => {
    const token = await suite.newUser();
    const other = await suite.newUser();
    const habit = await suite.api.post("/habits", { name: "Walk", startDate: addDays(new Date().toISOString().slice(0, 10), -6) }, token);
    for (let i = -6; i <= 0; i++) {
      const date = addDays(new Date().toISOString().slice(0, 10), i);
      await suite.api.request("PUT", `/habits/${habit.body.id}/checkins/${date}`, { body: {}, token });
    }
    const all = await waitForInbox(token, 2);
    expect(all.map((n) => n.type)).toEqual(["milestone", "welcome"]);
    expect(all[0].createdAt >= all[1].createdAt).toBe(true);

    expect((await inbox(token, "?limit=1")).map((n) => n.id)).toEqual([all[0].id]);
    expect((await inbox(token, `?limit=1&before=${all[0].id}`)).map((n) => n.id)).toEqual([all[1].id]);
    expect((await inbox(token, `?before=${encodeURIComponent(all[0].createdAt)}`)).map((n) => n.id)).toEqual([all[1].id]);

    for (const query of ["?limit=0", "?limit=101", "?limit=x", "?before=yesterday", "?before=2026-13-45T00:00:00Z", "?color=red"]) {
      const reply = await suite.api.get(`/notifications${query}`, token);
      expect([query, reply.status]).toEqual([query, 422]);
    }

    const foreign = await suite.api.post(`/notifications/${all[0].id}/read`, undefined, other);
    expect(foreign.status).toBe(404);
    expect((await suite.api.post(`/notifications/not-a-uuid/read`, undefined, token)).status).toBe(422);
    const read = await suite.api.post(`/notifications/${all[0].id}/read`, undefined, token);
    expect(read.status).toBe(204);
    const readAt = (await inbox(token))[0].readAt;
    expect(readAt).not.toBeNull();
    // Reading again keeps the first time.
    expect((await suite.api.post(`/notifications/${all[0].id}/read`, undefined, token)).status).toBe(204);
    expect((await inbox(token))[0].readAt).toBe(readAt);
    expect((await inbox(other)).map((n) => n.type)).toEqual(["welcome"]);
    expect((await suite.api.get("/notifications")).status).toBe(401);
  });

  it("the same event redelivered 10 times on the broker (and to notifications.consume) makes one notification", async () => {
    const token = await suite.newUser();
    const id = await userId(token);
    const [welcome] = await waitForInbox(token, 1);
    const [row] = await outboxRow(id);
    const payload = { ...row.payload, eventId: row.event_id, userId: id, occurredAt: row.created_at.toISOString() };
    // Every hand-over ends in consumeEvents: watch them settle (the broker's are not awaited by anyone).
    const service = suite.node.broker.getLocalService("notifications") as unknown as {
      consumeEvents: (events: unknown[]) => Promise<number>;
    };
    const consume = service.consumeEvents;
    const outcomes: Array<Promise<number>> = [];
    let handedOver = 0;
    service.consumeEvents = (events: unknown[]) => {
      const outcome = consume.call(service, events);
      handedOver += events.length;
      outcomes.push(outcome);
      return outcome;
    };
    try {
      for (let i = 0; i < 10; i++) {
        await suite.node.broker.emit("user.registered", payload);
        const result = await suite.node.broker.call<{ created: number }, object>("notifications.consume", {
          event: "user.registered",
          payload,
        });
        expect(result.created).toBe(0);
      }
      await waitFor("20 hand-overs", async () => (handedOver >= 20 ? true : undefined));
      expect(await Promise.all(outcomes)).toEqual(Array(outcomes.length).fill(0));
    } finally {
      service.consumeEvents = consume;
    }
    expect((await inbox(token)).map((n) => n.id)).toEqual([welcome.id]);
  });
});

async function outboxRow(userId: string) {
  const rows = await suite.query<{ event_id: string; payload: Record<string, unknown>; created_at: Date }>(
    "SELECT event_id, payload, created_at FROM outbox WHERE event = 'user.registered' AND user_id = $1",
    [userId],
  );
  expect(rows).toHaveLength(1);
  return rows;
}
