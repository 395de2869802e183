/**
 * argon2id password hashing at the minimum cost the configuration allows.
 */
import { Passwords } from "../../src/passwords";

jest.setTimeout(30_000);

describe("Passwords", () => {
  const passwords = new Passwords({ timeCost: 2, memoryKiB: 19456 });
  const password = "correct horse battery staple";
  let hash: string;

  beforeAll(async () => {
    hash = await passwords.hash(password);
  });

  describe("hash", () => {
    it("should produce an argon2id (v=19) hash with m=19456, t=2, p=1", () => {
      // PHC string: $argon2id$v=19$<params>$<salt>$<hash>. node-argon2 writes the parameters
      // in the order m, p, t, so they are compared as a set rather than as a fixed prefix.
      const [empty, algorithm, version, params, salt, digest] = hash.split("$");
      expect(empty).toBe("");
      expect(algorithm).toBe("argon2id");
      expect(version).toBe("v=19");
      expect(Object.fromEntries(params.split(",").map((pair) => pair.split("=")))).toEqual({ m: "19456", t: "2", p: "1" });
      expect(salt.length).toBeGreaterThan(0);
      expect(digest.length).toBeGreaterThan(0);
    });

    it("should salt each hash", async () => {
      expect(await passwords.hash(password)).not.toBe(hash);
    });

    it("should not contain the password", () => {
      expect(hash).not.toContain(password);
    });
  });

  describe("verify", () => {
    it("should accept the right password", async () => {
      await expect(passwords.verify(hash, password)).resolves.toBe(true);
    });

    it("should reject a wrong password", async () => {
      await expect(passwords.verify(hash, password + "!")).resolves.toBe(false);
    });

    it.each(["", "anything", "not-a-real-password-", "correct horse battery staple"])(
      "should return false when there is no hash (no such account), even for %p",
      async (candidate) => {
        await expect(passwords.verify(null, candidate)).resolves.toBe(false);
      },
    );

    it("should return false for a garbage hash instead of throwing", async () => {
      await expect(passwords.verify("not-a-hash", password)).resolves.toBe(false);
    });

    it("should return false for a hash in another format", async () => {
      await expect(passwords.verify("$2b$10$abcdefghijklmnopqrstuuQ7Yl9W1Qx8Jk2sZb3iLr1z6p8q9n0m2", password)).resolves.toBe(false);
    });
  });
});
