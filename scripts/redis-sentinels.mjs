// Guards the Redis the tests are given (issue 9, check 5): `write URL FILE` puts keys of
// "another application" into it (another prefix in the test database index, and a key in
// another index), `check URL FILE` fails unless every one is still there, unchanged, after the
// cluster-mode pass. Tests may touch their own key prefix only.
import fs from "node:fs";
import { randomBytes } from "node:crypto";
import Redis from "ioredis";

const [command, url, file] = process.argv.slice(2);
if (!["write", "check"].includes(command) || !url || !file) {
  process.stderr.write("usage: redis-sentinels.mjs write|check REDIS_URL FILE\n");
  process.exit(2);
}

const base = new URL(url);
const index = Number(base.pathname.slice(1) || 0);
const places = [
  { db: index, key: "another-app:sentinel:string" },
  { db: index, key: "another-app:sentinel:hash" },
  { db: (index + 3) % 16, key: "another-app:sentinel:other-db" },
];
const clientFor = (db) =>
  new Redis({ host: base.hostname, port: Number(base.port || 6379), password: base.password || undefined, db, lazyConnect: true });

async function main() {
  if (command === "write") {
    const written = [];
    for (const place of places) {
      const redis = clientFor(place.db);
      await redis.connect();
      const value = randomBytes(8).toString("hex");
      if (place.key.endsWith(":hash")) await redis.hset(place.key, "value", value);
      else await redis.set(place.key, value);
      written.push({ ...place, value });
      await redis.quit();
    }
    fs.writeFileSync(file, JSON.stringify(written));
    return;
  }
  const lost = [];
  for (const place of JSON.parse(fs.readFileSync(file, "utf8"))) {
    const redis = clientFor(place.db);
    await redis.connect();
    const value = place.key.endsWith(":hash") ? await redis.hget(place.key, "value") : await redis.get(place.key);
    if (value !== place.value) lost.push(`db ${place.db} ${place.key}: ${value === null ? "gone" : "changed"}`);
    await redis.del(place.key);
    await redis.quit();
  }
  if (lost.length > 0) {
    process.stderr.write(`The tests touched data they must not: ${lost.join("; ")}\n`);
    process.exit(1);
  }
  process.stdout.write(`Redis outside the tests' prefix: ${places.length} keys intact\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
