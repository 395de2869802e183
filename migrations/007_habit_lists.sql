-- The revision of each user's habits as a whole (issue: fast hot paths). Bumped by the habits
-- service in every transaction that changes any of a user's habits, whose row lock also
-- serialises those changes (it replaces a per-user advisory lock). The habits service publishes
-- each user's habits to the shared store with this revision (src/habit-lists.ts), so that reads
-- of a user's habits on the hot paths cost no database round trip, and a slower, older copy
-- never replaces a newer one.
CREATE TABLE habit_lists (
  user_id  uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  revision bigint NOT NULL DEFAULT 0
);
