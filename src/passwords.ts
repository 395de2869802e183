/**
 * argon2id hashing. The native library runs on libuv's thread pool, never the event loop.
 */
import argon2 from "argon2";

export interface PasswordCost {
  timeCost: number;
  memoryKiB: number;
}

export class Passwords {
  private readonly dummyHash: Promise<string>;

  constructor(private readonly cost: PasswordCost) {
    // Verified against when an account does not exist, so timing does not reveal which emails exist.
    this.dummyHash = this.hash("not-a-real-password-" + Math.random());
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, {
      type: argon2.argon2id,
      timeCost: this.cost.timeCost,
      memoryCost: this.cost.memoryKiB,
      parallelism: 1,
    });
  }

  /** `hash` null: no such account; the work is done anyway and the answer is false. */
  async verify(hash: string | null, password: string): Promise<boolean> {
    const matches = await argon2.verify(hash ?? (await this.dummyHash), password).catch(() => false);
    return hash !== null && matches;
  }
}
