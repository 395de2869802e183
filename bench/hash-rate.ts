/**
 * The raw password-hash rate of this machine, for L1: argon2id verifications with the server's
 * default cost, as many at a time as libuv's thread pool runs, for a few seconds, in a process
 * doing nothing else. Prints the verifications per second.
 */
import { Passwords } from "../src/passwords";
import { loadConfig } from "../src/config";

async function main() {
  const seconds = Number(process.argv[2] ?? 5);
  const passwords = new Passwords(loadConfig({}).passwordHash);
  const hash = await passwords.hash("bench-password-1");
  const parallel = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  let done = 0;
  const until = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (Date.now() < until) {
        await passwords.verify(hash, "bench-password-1");
        done++;
      }
    }),
  );
  process.stdout.write(`${(done / ((Date.now() - started) / 1000)).toFixed(1)}\n`);
}

void main();
