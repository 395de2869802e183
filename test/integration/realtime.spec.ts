/**
 * The realtime WebSocket (`GET /api/v1/ws`, src/realtime.ts) in the current mode (embedded, or
 * on real Postgres and Redis): the auth handshake and its close codes, expiry, renewal and
 * revocation, every pushed event type, the per-user cap, the send-buffer cap for a client that
 * stops reading, and shutdown. In cluster mode the last suite runs separate gateway processes:
 * a user's sockets on two gateways both get the event, another user's socket nothing, and a
 * logout closes the session's sockets on every gateway.
 */
import { randomUUID } from "node:crypto";
import type net from "node:net";
import jwt from "jsonwebtoken";
import { WebSocket } from "ws";
import { nodeSuite } from "../helpers/node-suite";
import { describeCluster, freshDatabase, baseEnv, suiteEnv, MODE, TEST_JWT_SECRET, type Env } from "../helpers/env";
import { NodeProcess, freePort, reportsReady, waitFor } from "../helpers/processes";
import { Api } from "../helpers/http";
import { AccessTokens } from "../../src/tokens";
import { startNode } from "../../src/node";
import { CLOSE_CODES, REALTIME_LIMITS, REALTIME_PATH, type RealtimeHub } from "../../src/realtime";
import { addDays, todayIn } from "../../lib/dates";

jest.setTimeout(60_000);

interface Pushed {
  type: string;
  data?: any;
  /** When it arrived (ms). */
  at: number;
}

interface Closed {
  code: number;
  reason: string;
  at: number;
}

/** A test client: every message it got, in order, and how it was closed. */
class Client {
  readonly messages: Pushed[] = [];
  readonly closed: Promise<Closed>;
  private wake: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.messages.push({ ...JSON.parse(data.toString()), at: Date.now() });
      for (const wake of this.wake.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })));
  }

  send(message: unknown): void {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** The first message (already received or still to come) that matches; fails after `timeoutMs`. */
  async next(match: (message: Pushed) => boolean, timeoutMs = 3_000): Promise<Pushed> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages.map((m) => m.type))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** How the socket was closed; fails if it is still open after `timeoutMs`. */
  closedWithin(timeoutMs: number): Promise<Closed> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`still open after ${timeoutMs} ms`)), timeoutMs)),
    );
    return Promise.race([this.closed, late]).finally(() => clearTimeout(timer));
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }
}

/** Clients opened by a test, cut afterwards. */
const opened: Client[] = [];

async function connect(port: number, path = REALTIME_PATH): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const client = new Client(ws);
  opened.push(client);
  return client;
}

/** A socket of the token's user, past `ready`. */
async function authed(port: number, token: string): Promise<Client> {
  const client = await connect(port);
  client.send({ type: "auth", accessToken: token });
  await client.next((message) => message.type === "ready");
  return client;
}

/** The status of an upgrade the server refuses (the handshake never opens). */
function refusedUpgrade(port: number, path: string): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
  return new Promise((resolve, reject) => {
    ws.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once("open", () => reject(new Error("the upgrade was accepted")));
    ws.once("error", () => undefined);
  });
}

const claimsOf = (token: string) => jwt.decode(token) as { sub: string; sid: string; role: string };

/** A token for the same user and session as `token`, signed with `secret`, living `ttlSeconds` from `issuedAt`. */
function tokenLike(token: string, secret: string, ttlSeconds: number, issuedAt = Date.now()): string {
  const { sub, sid, role } = claimsOf(token);
  return new AccessTokens(secret, ttlSeconds, () => issuedAt).sign({ userId: sub, role, sessionId: sid });
}

afterEach(() => {
  for (const client of opened.splice(0)) client.ws.terminate();
});

describe(`realtime WebSocket (${MODE})`, () => {
  const suite = nodeSuite();
  const port = () => suite.node.port as number;
  const today = () => todayIn("UTC", new Date());
  const hub = () => (suite.node.broker.getLocalService("api") as unknown as { realtime: RealtimeHub }).realtime;

  const newHabit = async (token: string, body: Record<string, unknown> = {}) => {
    const reply = await suite.api.post("/habits", { name: "Read", ...body }, token);
    expect(reply.status).toBe(201);
    return reply.body as { id: string };
  };

  const checkIn = async (token: string, habitId: string, date = today()) => {
    const reply = await suite.api.request("PUT", `/habits/${habitId}/checkins/${date}`, { body: {}, token });
    expect(reply.status).toBe(201);
    return Date.now();
  };

  describe("events", () => {
    it("two sockets of one user both get checkin.recorded, with the streak, within 1 s of the response; another user's socket gets nothing of it", async () => {
      const ann = await suite.newUser();
      const bob = await suite.newUser();
      const annHabit = await newHabit(ann);
      const bobHabit = await newHabit(bob);
      const [first, second, bobs] = await Promise.all([authed(port(), ann), authed(port(), ann), authed(port(), bob)]);

      const answered = await checkIn(ann, annHabit.id);
      const isAnns = (message: Pushed) => message.type === "checkin.recorded" && message.data.habitId === annHabit.id;
      for (const socket of [first, second]) {
        const pushed = await socket.next(isAnns);
        expect(pushed.at - answered).toBeLessThan(1_000);
        expect(pushed.data).toEqual({
          habitId: annHabit.id,
          date: today(),
          checkin: expect.objectContaining({ date: today(), status: "done" }),
          streak: expect.objectContaining({ current: 1, completedToday: true }),
        });
      }
      // Ann's sockets have theirs; a little margin for Bob's to have had it too, had it been sent.
      // (Bob's socket may get his own habit.created: the outbox relays it after he connected.)
      await new Promise((resolve) => setTimeout(resolve, 300));
      const ofAnn = (message: Pushed) => JSON.stringify(message).includes(annHabit.id);
      expect(bobs.messages.filter(ofAnn)).toEqual([]);

      // Bob's socket is live: it gets Bob's own event, and still nothing of Ann's.
      await checkIn(bob, bobHabit.id);
      await bobs.next((message) => message.type === "checkin.recorded" && message.data.habitId === bobHabit.id);
      const checkins = bobs.messages.filter((message) => message.type === "checkin.recorded");
      expect(checkins.map((message) => message.data.habitId)).toEqual([bobHabit.id]);
      expect(bobs.messages.filter(ofAnn)).toEqual([]);
    });

    it("habit.created, habit.updated, habit.archived, checkin.removed and habit.deleted reach the socket, without the envelope", async () => {
      const token = await suite.newUser();
      const socket = await authed(port(), token);
      const habit = await newHabit(token, { name: "Run" });
      const created = await socket.next((message) => message.type === "habit.created");
      expect(created.data).toEqual({ habit: expect.objectContaining({ id: habit.id, name: "Run", archived: false }) });

      expect((await suite.api.patch(`/habits/${habit.id}`, { name: "Run far" }, token)).status).toBe(200);
      const updated = await socket.next((message) => message.type === "habit.updated");
      expect(updated.data.habit).toMatchObject({ id: habit.id, name: "Run far" });

      expect((await suite.api.patch(`/habits/${habit.id}`, { archived: true }, token)).status).toBe(200);
      const archived = await socket.next((message) => message.type === "habit.archived");
      expect(archived.data.habit).toMatchObject({ id: habit.id, archived: true });

      await checkIn(token, habit.id);
      expect((await suite.api.request("DELETE", `/habits/${habit.id}/checkins/${today()}`, { token })).status).toBe(204);
      const removed = await socket.next((message) => message.type === "checkin.removed");
      expect(removed.data).toEqual({ habitId: habit.id, date: today(), checkin: null, streak: expect.objectContaining({ current: 0 }) });

      expect((await suite.api.request("DELETE", `/habits/${habit.id}`, { token })).status).toBe(204);
      const deleted = await socket.next((message) => message.type === "habit.deleted");
      expect(deleted.data.habit).toMatchObject({ id: habit.id });

      for (const message of socket.messages.filter((one) => one.type !== "ready")) {
        expect(message.data).not.toHaveProperty("eventId");
        expect(message.data).not.toHaveProperty("userId");
        expect(message.data).not.toHaveProperty("occurredAt");
      }
    });

    it("notification.created reaches the socket: a 7-day streak's milestone", async () => {
      const token = await suite.newUser();
      const socket = await authed(port(), token);
      const habit = await newHabit(token, { startDate: addDays(today(), -6) });
      for (let day = -6; day <= 0; day++) await checkIn(token, habit.id, addDays(today(), day));
      // (The welcome notification may come first: it is made from the registration, after the socket opened.)
      const pushed = await socket.next(
        (message) => message.type === "notification.created" && message.data.notification.type === "milestone",
        10_000,
      );
      expect(pushed.data).toEqual({
        notification: expect.objectContaining({
          id: expect.any(String),
          type: "milestone",
          title: expect.stringMatching(/7/),
          readAt: null,
        }),
      });
      // The same notification as the inbox holds.
      const inbox = await suite.api.get("/notifications", token);
      expect(inbox.body.map((one: { id: string }) => one.id)).toContain(pushed.data.notification.id);
    });
  });

  describe("auth", () => {
    it("a bad token is closed 4401, without `ready`", async () => {
      const socket = await connect(port());
      socket.send({ type: "auth", accessToken: "not.a.token" });
      expect((await socket.closedWithin(3_000)).code).toBe(CLOSE_CODES.unauthorized);
      const forged = await connect(port());
      forged.send({ type: "auth", accessToken: tokenLike(await suite.newUser(), "another secret", 60) });
      expect((await forged.closedWithin(3_000)).code).toBe(CLOSE_CODES.unauthorized);
      expect([...socket.messages, ...forged.messages]).toEqual([]);
    });

    it("a message that is not an auth message is closed 4400", async () => {
      const token = await suite.newUser();
      for (const message of [
        "hello",
        JSON.stringify({ type: "subscribe" }),
        JSON.stringify([token]),
        JSON.stringify({ type: "auth", accessToken: 42 }),
      ]) {
        const socket = await connect(port());
        socket.send(message);
        expect((await socket.closedWithin(3_000)).code).toBe(CLOSE_CODES.badMessage);
      }
      // After `ready` too.
      const ready = await authed(port(), token);
      ready.send("{");
      expect((await ready.closedWithin(3_000)).code).toBe(CLOSE_CODES.badMessage);
    });

    it("no auth message within 5 s is closed 4401", async () => {
      const opened = Date.now();
      const socket = await connect(port());
      const closed = await socket.closedWithin(8_000);
      expect(closed.code).toBe(CLOSE_CODES.unauthorized);
      expect(closed.at - opened).toBeGreaterThanOrEqual(REALTIME_LIMITS.authTimeoutMs - 100);
    });

    it("an expired token is closed 4401; a token expiring in 2 s is ready, then closed 4401 when it expires", async () => {
      const token = await suite.newUser();
      const secret = suite.node.runtime.jwtSecret;
      const expired = await connect(port());
      expired.send({ type: "auth", accessToken: tokenLike(token, secret, 2, Date.now() - 60_000) });
      expect((await expired.closedWithin(3_000)).code).toBe(CLOSE_CODES.unauthorized);
      expect(expired.messages).toEqual([]);

      const shortLived = tokenLike(token, secret, 2);
      const expiresAt = claimsOf(shortLived) as unknown as { exp: number };
      const socket = await authed(port(), shortLived);
      const closed = await socket.closedWithin(5_000);
      expect(closed.code).toBe(CLOSE_CODES.unauthorized);
      expect(closed.at).toBeGreaterThanOrEqual(expiresAt.exp * 1000 - 50);
    });

    it("an auth message with a fresh token renews the session: the socket outlives the old token", async () => {
      const token = await suite.newUser();
      const shortLived = tokenLike(token, suite.node.runtime.jwtSecret, 2);
      const [renewed, control] = await Promise.all([authed(port(), shortLived), authed(port(), shortLived)]);
      renewed.send({ type: "auth", accessToken: token });
      await renewed.next((message) => message.type === "ready" && message !== renewed.messages[0]);
      // The control, on the old token alone, is closed when it expires; the renewed socket is not.
      expect((await control.closedWithin(5_000)).code).toBe(CLOSE_CODES.unauthorized);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(renewed.isOpen).toBe(true);
      await newHabit(token);
      await renewed.next((message) => message.type === "habit.created");
    });

    it("renewing with another user's token is closed 4401", async () => {
      const socket = await authed(port(), await suite.newUser());
      socket.send({ type: "auth", accessToken: await suite.newUser() });
      expect((await socket.closedWithin(3_000)).code).toBe(CLOSE_CODES.unauthorized);
    });

    it("logout closes that session's sockets 4401 and no other; logout-all closes the rest", async () => {
      const first = await suite.newUser();
      const { email } = (await suite.api.get("/me", first)).body as { email: string };
      const login = await suite.api.post("/auth/login", { email, password: "correct horse battery" });
      expect(login.status).toBe(200);
      const second = login.body.accessToken as string;
      const [a, b, other] = await Promise.all([authed(port(), first), authed(port(), first), authed(port(), second)]);

      expect((await suite.api.post("/auth/logout", undefined, first)).status).toBe(204);
      for (const socket of [a, b]) expect((await socket.closedWithin(3_000)).code).toBe(CLOSE_CODES.unauthorized);
      // The other session's socket is still the user's: it gets the next event.
      await newHabit(second);
      await other.next((message) => message.type === "habit.created");
      expect(other.isOpen).toBe(true);

      expect((await suite.api.post("/auth/logout-all", undefined, second)).status).toBe(204);
      expect((await other.closedWithin(3_000)).code).toBe(CLOSE_CODES.unauthorized);
      // And the revoked token cannot open a new one.
      const again = await connect(port());
      again.send({ type: "auth", accessToken: second });
      expect((await again.closedWithin(3_000)).code).toBe(CLOSE_CODES.unauthorized);
    });
  });

  describe("limits", () => {
    it("an upgrade on another path is 404", async () => {
      expect(await refusedUpgrade(port(), "/api/v1/other")).toBe(404);
      expect(await refusedUpgrade(port(), "/api/v1/ws/more")).toBe(404);
      // The control: the realtime path upgrades.
      expect((await connect(port())).isOpen).toBe(true);
    });

    it(`a user's socket beyond ${REALTIME_LIMITS.maxSocketsPerUser} is closed 4429; once one closes there is room again`, async () => {
      const token = await suite.newUser();
      const sockets = await Promise.all(Array.from({ length: REALTIME_LIMITS.maxSocketsPerUser }, () => authed(port(), token)));
      const extra = await connect(port());
      extra.send({ type: "auth", accessToken: token });
      expect((await extra.closedWithin(3_000)).code).toBe(CLOSE_CODES.tooManySockets);
      // Another user is not limited by this one's sockets.
      await authed(port(), await suite.newUser());
      sockets[0].ws.close();
      await sockets[0].closed;
      await waitFor("the closed socket forgotten", async () =>
        hub().socketsOf(claimsOf(token).sub).length < REALTIME_LIMITS.maxSocketsPerUser ? true : undefined,
      );
      await authed(port(), token);
    });

    it("a client that stops reading is closed 1013 once its send buffer passes the cap, which it never exceeds by more than one message", async () => {
      const token = await suite.newUser();
      const userId = claimsOf(token).sub;
      const client = await authed(port(), token);
      (client.ws as unknown as { _socket: net.Socket })._socket.pause();
      const [server] = hub().socketsOf(userId);
      // notification.created, as the notifications service emits it, with a long body (only the gateway listens).
      const body = "x".repeat(32 * 1024);
      // Every send the hub makes, with the buffer it leaves.
      let peak = 0;
      let largest = 0;
      let sends = 0;
      const send = server.send.bind(server);
      server.send = ((data: string) => {
        send(data);
        // (The welcome notification, made from the registration, may be sent meanwhile too.)
        if (data.includes(body)) sends++;
        peak = Math.max(peak, server.bufferedAmount);
        largest = Math.max(largest, Buffer.byteLength(data));
      }) as typeof server.send;

      let pushed = 0;
      while (server.readyState === WebSocket.OPEN && pushed < 4_000) {
        const notification = { id: randomUUID(), type: "reminder", title: "Run", body, createdAt: new Date().toISOString(), readAt: null };
        await suite.node.broker.emit("notification.created", { userId, notification });
        // Let the socket hand what it can to the kernel, as between real events.
        if (++pushed % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      expect(server.readyState).not.toBe(WebSocket.OPEN);
      expect(hub().socketsOf(userId)).toEqual([]);
      expect(peak).toBeGreaterThan(REALTIME_LIMITS.sendBufferCapBytes);
      // The frame header is at most 14 bytes.
      expect(peak).toBeLessThanOrEqual(REALTIME_LIMITS.sendBufferCapBytes + largest + 14);

      (client.ws as unknown as { _socket: net.Socket })._socket.resume();
      expect((await client.closedWithin(5_000)).code).toBe(CLOSE_CODES.tryAgainLater);
      // It read everything sent before the cap, and the event that found the buffer full was not sent.
      expect(client.messages.filter((message) => message.data?.notification?.body === body)).toHaveLength(sends);
      expect(sends).toBeLessThan(pushed);
    });
  });
});

describe(`realtime WebSocket at shutdown (${MODE})`, () => {
  it("a stopping gateway closes its sockets 1001 at once rather than waiting for them", async () => {
    const suite = await suiteEnv();
    const node = await startNode(suite.env);
    let stopped = false;
    try {
      const api = new Api(`http://127.0.0.1:${node.port}/api/v1`);
      const reply = await api.post("/auth/register", { email: `s${Date.now()}@example.com`, password: "correct horse battery" });
      const socket = await authed(node.port as number, reply.body.accessToken as string);
      const began = Date.now();
      await node.stop();
      stopped = true;
      // closeHttpServer would otherwise wait its cap (5 s) for the upgraded connection.
      expect(Date.now() - began).toBeLessThan(2_500);
      expect((await socket.closedWithin(1_000)).code).toBe(CLOSE_CODES.goingAway);
    } finally {
      if (!stopped) await node.stop();
      await suite.cleanup();
    }
  });
});

describeCluster("realtime WebSocket across gateway node processes (real Redis and Postgres)", () => {
  jest.setTimeout(120_000);
  const nodes: NodeProcess[] = [];
  let env: Env;
  let drop: () => Promise<void>;
  const gateways: Array<{ port: number; api: Api }> = [];
  let counter = 0;

  const newUser = async () => {
    const reply = await gateways[0].api.post("/auth/register", {
      email: `r${Date.now()}-${counter++}@example.com`,
      password: "correct horse battery",
    });
    expect(reply.status).toBe(201);
    return reply.body.accessToken as string;
  };

  beforeAll(async () => {
    const fresh = await freshDatabase();
    drop = fresh.drop;
    env = baseEnv({ DATABASE_URL: fresh.url, REDIS_URL: process.env.TEST_REDIS_URL, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: "warn" });
    nodes.push(NodeProcess.start("core-1", { ...env, SERVICES: "auth,habits,tracking,notifications" }));
    for (const name of ["gateway-1", "gateway-2"]) {
      const port = await freePort();
      nodes.push(NodeProcess.start(name, { ...env, SERVICES: "api", PORT: String(port) }));
      gateways.push({ port, api: new Api(`http://127.0.0.1:${port}/api/v1`) });
    }
    for (const { port } of gateways) {
      await waitFor(`gateway on ${port} ready`, async () => ((await reportsReady(`http://127.0.0.1:${port}`)) ? true : undefined));
    }
  });

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await drop?.();
  });

  it("a user's sockets on two gateways both get checkin.recorded within 1 s of the response (made through a third connection); another user's gets nothing of it", async () => {
    const [one, two] = gateways;
    const ann = await newUser();
    const bob = await newUser();
    const habitOf = async (token: string) => (await one.api.post("/habits", { name: "Stretch" }, token)).body.id as string;
    const [annHabit, bobHabit] = [await habitOf(ann), await habitOf(bob)];
    const [onOne, onTwo, bobs] = await Promise.all([authed(one.port, ann), authed(two.port, ann), authed(two.port, bob)]);
    const today = todayIn("UTC", new Date());

    const put = await one.api.request("PUT", `/habits/${annHabit}/checkins/${today}`, { body: {}, token: ann });
    expect(put.status).toBe(201);
    const answered = Date.now();
    for (const socket of [onOne, onTwo]) {
      const pushed = await socket.next((message) => message.type === "checkin.recorded");
      expect(pushed.data).toMatchObject({ habitId: annHabit, date: today, streak: { current: 1 } });
      expect(pushed.at - answered).toBeLessThan(1_000);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bobs.messages.map((message) => message.type)).toEqual(["ready"]);

    // Bob's socket is live: his own check-in reaches it.
    expect((await two.api.request("PUT", `/habits/${bobHabit}/checkins/${today}`, { body: {}, token: bob })).status).toBe(201);
    await bobs.next((message) => message.type === "checkin.recorded");
    expect(bobs.messages.filter((message) => message.type !== "ready").map((message) => message.data.habitId)).toEqual([bobHabit]);
    // Each of Ann's sockets got her event once.
    for (const socket of [onOne, onTwo]) expect(socket.messages.map((message) => message.type)).toEqual(["ready", "checkin.recorded"]);
  });

  it("a logout through one gateway closes the session's sockets on both with 4401", async () => {
    const [one, two] = gateways;
    const token = await newUser();
    const [onOne, onTwo] = await Promise.all([authed(one.port, token), authed(two.port, token)]);
    expect((await one.api.post("/auth/logout", undefined, token)).status).toBe(204);
    const closed = await Promise.all([onOne.closedWithin(3_000), onTwo.closedWithin(3_000)]);
    expect(closed.map((one) => one.code)).toEqual([CLOSE_CODES.unauthorized, CLOSE_CODES.unauthorized]);
  });
});
