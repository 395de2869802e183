/**
 * argon2id hashing. The native library runs on libuv's thread pool, never the event loop, and
 * at most one hash a core at a time: more only queue in the kernel instead of here, and starve
 * the event loop (health checks, every other request) without hashing any faster.
 */
import os from "node:os";
import argon2 from "argon2";
import { ConcurrencyLimit } from "./concurrency-limit";

export interface PasswordCost {
  timeCost: number;
  memoryKiB: number;
}

export class Passwords {
  private readonly dummyHash: Promise<string>;
  private readonly hashing: ConcurrencyLimit;

  constructor(
    private readonly cost: PasswordCost,
    maxConcurrent = os.availableParallelism(),
  ) {
    this.hashing = new ConcurrencyLimit(maxConcurrent);
    // Verified against when an account does not exist, so timing does not reveal which emails exist.
    this.dummyHash = this.hash("not-a-real-password-" + Math.random());
  }

  hash(password: string): Promise<string> {
    return this.hashing.run(() =>
      argon2.hash(password, { type: argon2.argon2id, timeCost: this.cost.timeCost, memoryCost: this.cost.memoryKiB, parallelism: 1 }),
    );
  }

  /** `hash` null: no such account; the work is done anyway and the answer is false. */
  async verify(hash: string | null, password: string): Promise<boolean> {
    const against = hash ?? (await this.dummyHash);
    const matches = await this.hashing.run(() => argon2.verify(against, password)).catch(() => false);
    return hash !== null && matches;
  }
}
