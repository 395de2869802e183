-- Check-in revisions move to a table of the tracking service's own (issue: one owner per table).
-- `habits.revision` now counts changes of a habit's rules only (schedule, target, start date),
-- bumped by the habits service; `habit_progress.revision` counts writes to the habit's check-ins,
-- bumped by the tracking service, whose row lock also serialises those writes. A cached streak is
-- current while both revisions are the ones it was computed at.
CREATE TABLE habit_progress (
  habit_id uuid PRIMARY KEY REFERENCES habits (id) ON DELETE CASCADE,
  revision bigint NOT NULL DEFAULT 0
);
