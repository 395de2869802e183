/**
 * `npm run repl` driven non-interactively (issue check 7): commands on stdin, results on stdout.
 */
import fs from "node:fs";
import { baseEnv, tempDataDir } from "../helpers/env";
import { NodeProcess } from "../helpers/processes";

jest.setTimeout(60_000);

describe("REPL on stdin", () => {
  it("runs `call auth.…` and prints the result", async () => {
    const dataDir = tempDataDir();
    const repl = NodeProcess.start("repl", baseEnv({ DATA_DIR: dataDir, LOG_LEVEL: "warn" }), ["--repl"]);
    repl.write('call auth.register --email repl@example.com --password "long enough pw" --displayName Repl\n');
    repl.write("call auth.login --email repl@example.com --password wrong-password\n");
    repl.write("call tracking.streak --habitId 00000000-0000-4000-8000-000000000000\n");
    // The operator's admin actions (issue: notifications).
    repl.write("call auth.setRole --email repl@example.com --role admin\n");
    repl.write("call notifications.deadLetters\n");
    repl.write("call notifications.retryDeadLetter --id 42\n");
    repl.write("call notifications.retryDeadLetters\n");
    repl.endInput();
    const code = await repl.exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
    expect(code).toBe(0);
    // Strip colours before reading the printed objects.
    const out = repl.log.replace(/\u001b\[[0-9;]*m/g, "");
    expect(out).toContain(">> Response:");
    expect(out).toMatch(/email: 'repl@example\.com'/);
    expect(out).toMatch(/displayName: 'Repl'/);
    expect(out).toMatch(/accessToken: 'ey/);
    expect(out).toContain("Invalid email or password");
    expect(out).toContain("Habit not found");
    expect(out).toMatch(/role: 'admin'/);
    expect(out).toContain("Dead letter not found");
    expect(out).toMatch(/retried: 0/);
  });
});
