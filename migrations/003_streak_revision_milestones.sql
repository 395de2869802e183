-- Streak cache versioning and milestone dedupe (issue: habits and streaks).

-- Bumped in every transaction that changes what a habit's streak is computed from (its
-- check-ins, schedule, target or start date). The streak cache keeps the revision it was
-- computed at and never lets an older computation overwrite a newer one.
ALTER TABLE habits ADD COLUMN revision bigint NOT NULL DEFAULT 0;

-- One row per habit, milestone and run (the run's first day): a milestone fires once per run.
CREATE TABLE milestones (
  habit_id   uuid NOT NULL REFERENCES habits (id) ON DELETE CASCADE,
  milestone  integer NOT NULL,
  unit       text NOT NULL CHECK (unit IN ('days', 'weeks')),
  run_start  date NOT NULL,
  reached_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (habit_id, unit, milestone, run_start)
);
