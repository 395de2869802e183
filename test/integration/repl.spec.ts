/**
 * `npm run repl` driven non-interactively: commands on stdin, results on stdout. An operator
 * acts on behalf of a user with `--#user.id`; a user-scoped action called without one says so.
 */
import fs from "node:fs";
import { baseEnv, tempDataDir } from "../helpers/env";
import { NodeProcess } from "../helpers/processes";
import { startNode } from "../../src/node";
import { Api } from "../helpers/http";

jest.setTimeout(90_000);

describe("REPL on stdin", () => {
  let dataDir: string;
  let userId: string;

  beforeAll(async () => {
    // An account with a habit, made by a node that has stopped again (one process per DATA_DIR).
    dataDir = tempDataDir();
    const node = await startNode(baseEnv({ DATA_DIR: dataDir }));
    try {
      const api = new Api(`http://127.0.0.1:${node.port}/api/v1`);
      const registered = await api.post("/auth/register", { email: "owner@example.com", password: "long enough pw" });
      userId = registered.body.user.id;
      expect((await api.post("/habits", { name: "Stretch before breakfast" }, registered.body.accessToken)).status).toBe(201);
    } finally {
      await node.stop();
    }
  });

  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  function runRepl(commands: string[]): Promise<{ code: number | null; out: string }> {
    const repl = NodeProcess.start("repl", baseEnv({ DATA_DIR: dataDir, LOG_LEVEL: "warn" }), ["--repl"]);
    for (const command of commands) repl.write(`${command}\n`);
    repl.endInput();
    return repl.exited.then((code) => ({ code, out: repl.log }));
  }

  it("runs `call auth.…` and the operator's admin actions, and prints the results without colour codes", async () => {
    const { code, out } = await runRepl([
      'call auth.register --email repl@example.com --password "long enough pw" --displayName Repl',
      "call auth.login --email repl@example.com --password wrong-password",
      // The operator's admin actions (issue: notifications).
      "call auth.setRole --email repl@example.com --role admin",
      "call notifications.deadLetters",
      "call notifications.retryDeadLetter --id 42",
      "call notifications.retryDeadLetters",
    ]);
    expect(code).toBe(0);
    // Piped output is plain text.
    expect(out).not.toContain("\u001b[");
    expect(out).toContain(">> Response:");
    expect(out).toMatch(/email: 'repl@example\.com'/);
    expect(out).toMatch(/displayName: 'Repl'/);
    expect(out).toMatch(/accessToken: 'ey/);
    expect(out).toContain("Invalid email or password");
    expect(out).toMatch(/role: 'admin'/);
    expect(out).toContain("Dead letter not found");
    expect(out).toMatch(/retried: 0/);
  });

  it("acts on behalf of a user with --#user.id, and says so when a user-scoped action gets none", async () => {
    const { code, out } = await runRepl([
      `call habits.list --#user.id ${userId}`,
      `call tracking.today --#user.id ${userId}`,
      `call tracking.streak --id 00000000-0000-4000-8000-000000000000 --#user.id ${userId}`,
      "call tracking.today",
    ]);
    expect(code).toBe(0);
    // That user's data: the habit, and today's dashboard in their zone.
    expect(out).toContain("name: 'Stretch before breakfast'");
    expect(out).toMatch(/habits: \[\s*\{/);
    expect(out).toContain("Habit not found");
    expect(out).toContain("tracking.today acts for a user and was called without one");
    expect(out).toContain("--#user.id <uuid>");
  });
});
