/**
 * The small shared key-value store behind rate limits and the token denylist: Redis in a
 * cluster (so every gateway counts together), a process-local map in the embedded mode.
 */
import Redis from "ioredis";

export interface WindowHit {
  /** Hits in the current window, this one included. */
  count: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

export interface SharedStore {
  /** Counts one hit on `key` in a fixed window of `windowSeconds`. */
  hit(key: string, windowSeconds: number): Promise<WindowHit>;
  /** Sets each key to "1"; `ttlSeconds` 0 keeps them until removed or flushed. */
  mark(keys: string[], ttlSeconds: number): Promise<void>;
  /** For each key, whether it is set. */
  has(keys: string[]): Promise<boolean[]>;
  /** Text values by key (null where absent), in one round trip. */
  get(keys: string[]): Promise<Array<string | null>>;
  /** Sets a text value; `ttlSeconds` 0 keeps it until removed or flushed. */
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** JSON documents by key (null where absent). */
  getJson<T>(keys: string[]): Promise<Array<T | null>>;
  /**
   * Stores `value` unless the key holds a document with a higher `revision`: a slow writer
   * holding an older computation never overwrites a newer one.
   */
  putJsonIfNewer<T extends { revision: number }>(key: string, value: T, ttlSeconds: number): Promise<boolean>;
  delete(keys: string[]): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class MemoryStore implements SharedStore {
  private readonly counters = new Map<string, { value: number; expiresAt: number }>();
  private readonly values = new Map<string, { value: string; expiresAt: number }>();
  private readonly documents = new Map<string, { json: string; revision: number; expiresAt: number }>();

  private live<T extends { expiresAt: number }>(entries: Map<string, T>, key: string, now: number): T | undefined {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  async hit(key: string, windowSeconds: number): Promise<WindowHit> {
    const now = Date.now();
    let entry = this.live(this.counters, key, now);
    if (!entry) {
      entry = { value: 0, expiresAt: now + windowSeconds * 1000 };
      this.counters.set(key, entry);
    }
    entry.value += 1;
    return { count: entry.value, resetMs: entry.expiresAt - now };
  }

  async mark(keys: string[], ttlSeconds: number): Promise<void> {
    for (const key of keys) await this.set(key, "1", ttlSeconds);
  }

  async has(keys: string[]): Promise<boolean[]> {
    return (await this.get(keys)).map((value) => value !== null);
  }

  async get(keys: string[]): Promise<Array<string | null>> {
    const now = Date.now();
    return keys.map((key) => this.live(this.values, key, now)?.value ?? null);
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.values.set(key, { value, expiresAt: ttlSeconds > 0 ? Date.now() + ttlSeconds * 1000 : Number.POSITIVE_INFINITY });
  }

  async getJson<T>(keys: string[]): Promise<Array<T | null>> {
    const now = Date.now();
    return keys.map((key) => {
      const document = this.documents.get(key);
      if (!document || document.expiresAt <= now) return null;
      return JSON.parse(document.json) as T;
    });
  }

  async putJsonIfNewer<T extends { revision: number }>(key: string, value: T, ttlSeconds: number): Promise<boolean> {
    const current = this.documents.get(key);
    if (current && current.expiresAt > Date.now() && current.revision > value.revision) return false;
    this.documents.set(key, { json: JSON.stringify(value), revision: value.revision, expiresAt: Date.now() + ttlSeconds * 1000 });
    return true;
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) {
      this.counters.delete(key);
      this.values.delete(key);
      this.documents.delete(key);
    }
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.counters.clear();
    this.values.clear();
    this.documents.clear();
  }
}

// INCR and set the window's expiry in one step, so a crash between them cannot leave a
// counter that never expires.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}`;

// Compare-and-set on the stored document's revision, atomically.
const PUT_IF_NEWER_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current then
  local ok, doc = pcall(cjson.decode, current)
  if ok and type(doc) == 'table' and tonumber(doc.revision) and tonumber(doc.revision) > tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return 1`;

/** A Redis URL as the log may show it: no password. */
function describeRedis(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.username ? `${parsed.username}@` : ""}${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`;
}

/** The scripts as commands: sent once, then run by their digest (EVALSHA), not re-sent and re-hashed on every call. */
interface ScriptedRedis extends Redis {
  hitWindow(key: string, windowMs: number): Promise<[number, number]>;
  putIfNewer(key: string, json: string, revision: number, ttlSeconds: number): Promise<number>;
}

export function defineStoreScripts(redis: Redis): ScriptedRedis {
  redis.defineCommand("hitWindow", { numberOfKeys: 1, lua: HIT_SCRIPT });
  redis.defineCommand("putIfNewer", { numberOfKeys: 1, lua: PUT_IF_NEWER_SCRIPT });
  return redis as ScriptedRedis;
}

export class RedisStore implements SharedStore {
  private readonly redis: ScriptedRedis;

  private constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    this.redis = defineStoreScripts(redis);
  }

  /**
   * Connects and proves Redis answers before the node starts (fail fast, naming REDIS_URL),
   * saying where it connects and each retry.
   */
  static async connect(
    url: string,
    prefix: string,
    timeoutMs = 10_000,
    log: (message: string) => void = () => undefined,
  ): Promise<RedisStore> {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true, enableAutoPipelining: true });
    // Failures surface as rejected commands (and ioredis reconnects by itself); without a listener
    // ioredis would print every connection error to stderr, past the logger.
    redis.on("error", () => undefined);
    const where = describeRedis(url);
    log(`Connecting to Redis at ${where}`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await redis.connect();
        await redis.ping();
        return new RedisStore(redis, prefix);
      } catch (err) {
        redis.disconnect();
        const left = Math.ceil((deadline - Date.now()) / 1000);
        if (left <= 0) throw new Error(`REDIS_URL: cannot reach Redis at ${where} (${(err as Error).message})`, { cause: err });
        log(`Redis at ${where} is not reachable yet (${(err as Error).message}); trying again for ${left} s`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  async hit(key: string, windowSeconds: number): Promise<WindowHit> {
    const [count, ttl] = await this.redis.hitWindow(this.prefix + key, windowSeconds * 1000);
    return { count, resetMs: ttl };
  }

  async mark(keys: string[], ttlSeconds: number): Promise<void> {
    if (keys.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const key of keys) {
      if (ttlSeconds > 0) pipeline.set(this.prefix + key, "1", "EX", ttlSeconds);
      else pipeline.set(this.prefix + key, "1");
    }
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  async has(keys: string[]): Promise<boolean[]> {
    return (await this.get(keys)).map((value) => value !== null);
  }

  async get(keys: string[]): Promise<Array<string | null>> {
    if (keys.length === 0) return [];
    return this.redis.mget(keys.map((key) => this.prefix + key));
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    if (ttlSeconds > 0) await this.redis.set(this.prefix + key, value, "EX", ttlSeconds);
    else await this.redis.set(this.prefix + key, value);
  }

  async getJson<T>(keys: string[]): Promise<Array<T | null>> {
    return (await this.get(keys)).map((value) => (value === null ? null : (JSON.parse(value) as T)));
  }

  async putJsonIfNewer<T extends { revision: number }>(key: string, value: T, ttlSeconds: number): Promise<boolean> {
    const stored = await this.redis.putIfNewer(this.prefix + key, JSON.stringify(value), value.revision, ttlSeconds);
    return stored === 1;
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.redis.del(...keys.map((key) => this.prefix + key));
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
