/**
 * Documents in the shared store that their owner keeps current, so that a hot path can serve
 * one with no database read (docs/architecture.md, "Read models"). Each carries the revision of
 * the rows it was made from (a counter the owner bumps in every transaction that changes them),
 * and no write replaces a document of a higher revision (`putJsonIfNewer`). The owner marks the
 * document *pending* at that revision just before committing, and writes the new document after
 * the commit, before answering. So:
 * - a reader that finds no document (or a pending one) reads the database and fills it in; a
 *   fill made from rows older than a write under way is refused by that write's pending marker;
 * - a write whose document cannot be written after its commit leaves the pending marker, and
 *   readers go to the database until the next write (or the marker's expiry), never to an old
 *   document;
 * - a write that cannot set its pending marker (the store is down) does not commit.
 */
import { ServiceUnavailableError } from "./errors";
import type { SharedStore } from "./store";

type Stored<T> = { revision: number; pending: true } | { revision: number; value: T };

export interface Found<T> {
  revision: number;
  value: T;
}

/** How long a document is kept unread; a pending marker lasts longer than any transaction. */
const DOCUMENT_TTL_SECONDS = 24 * 3600;
const PENDING_TTL_SECONDS = 10 * 60;

export class VersionedDocuments<T> {
  constructor(
    private readonly store: SharedStore,
    private readonly prefix: string,
    private readonly warn: (message: string) => void,
  ) {}

  key(id: string): string {
    return this.prefix + id;
  }

  /** A stored document as read (`store.getJson`): null when absent or pending. */
  decode(stored: unknown): Found<T> | null {
    const document = stored as Stored<T> | null;
    return document !== null && "value" in document ? document : null;
  }

  /** The documents of these ids (null where absent, pending, or the store cannot answer: readers then use the database). */
  async get(ids: readonly string[]): Promise<Array<Found<T> | null>> {
    if (ids.length === 0) return [];
    try {
      return (await this.store.getJson<Stored<T>>(ids.map((id) => this.key(id)))).map((stored) => this.decode(stored));
    } catch (err) {
      this.warn(`Reading ${this.prefix}* failed: ${(err as Error).message}`);
      return ids.map(() => null);
    }
  }

  /** Before a commit that makes `revision`: throws when the store cannot take it, so the caller rolls back. */
  async markPending(id: string, revision: number): Promise<void> {
    try {
      await this.store.putJsonIfNewer(this.key(id), { revision, pending: true }, PENDING_TTL_SECONDS);
    } catch (err) {
      this.warn(`Marking ${this.key(id)} pending failed: ${(err as Error).message}`);
      throw new ServiceUnavailableError("The shared store is unavailable, try again shortly");
    }
  }

  /**
   * The document made from the rows at `revision`, after the commit that made them (or by a
   * reader that read them); a failure is only logged: a pending marker, if any, stays.
   */
  async put(id: string, revision: number, value: T): Promise<void> {
    try {
      await this.store.putJsonIfNewer(this.key(id), { revision, value } satisfies Stored<T>, DOCUMENT_TTL_SECONDS);
    } catch (err) {
      this.warn(`Writing ${this.key(id)} failed: ${(err as Error).message}`);
    }
  }
}

/** Two documents of two collections in one store round trip (null for either as `get` gives). */
export async function getPair<A, B>(
  store: SharedStore,
  first: [VersionedDocuments<A>, string],
  second: [VersionedDocuments<B>, string],
  warn: (message: string) => void,
): Promise<[Found<A> | null, Found<B> | null]> {
  try {
    const [a, b] = await store.getJson<unknown>([first[0].key(first[1]), second[0].key(second[1])]);
    return [first[0].decode(a), second[0].decode(b)];
  } catch (err) {
    warn(`Reading the shared store failed: ${(err as Error).message}`);
    return [null, null];
  }
}
