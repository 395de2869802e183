/**
 * Each user's habits, every one with what its streak is computed from, as one document in the
 * shared store (src/versioned-documents.ts): the habits service writes it in each change to the
 * user's habits (at the revision of `habit_lists`) and when asked for it (`habits.ofUser`);
 * `tracking` reads it on the hot paths, so that a streak, the day's dashboard or a check-in
 * costs no call to `habits` and no database read for the habit. A habit not in its owner's list
 * is not theirs (404).
 */
import type { HabitDefinition } from "./data/habits";
import type { SharedStore } from "./store";
import { VersionedDocuments, type Found } from "./versioned-documents";

/** A user's habits, archived ones too, in position order. */
export type HabitList = Found<HabitDefinition[]>;

export function habitLists(store: SharedStore, warn: (message: string) => void): VersionedDocuments<HabitDefinition[]> {
  return new VersionedDocuments<HabitDefinition[]>(store, "habits:user:", warn);
}
