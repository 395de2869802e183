-- Habits, check-ins and the transactional outbox (issue: habits and streaks).

CREATE TABLE habits (
  id          uuid PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name        text NOT NULL,
  description text NOT NULL DEFAULT '',
  color       text,
  schedule    jsonb NOT NULL,
  target      jsonb NOT NULL,
  reminders   jsonb NOT NULL DEFAULT '[]',
  start_date  date NOT NULL,
  archived    boolean NOT NULL DEFAULT false,
  -- 0..n-1 over all of the user's habits, without gaps.
  position    integer NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX habits_by_user_position ON habits (user_id, position);

-- One check-in per habit and local date.
CREATE TABLE checkins (
  habit_id    uuid NOT NULL REFERENCES habits (id) ON DELETE CASCADE,
  date        date NOT NULL,
  status      text NOT NULL CHECK (status IN ('done', 'skipped')),
  value       double precision,
  note        text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (habit_id, date)
);

-- Domain events, written in the same transaction as the change they describe; a relay
-- publishes them and marks them published only after the send succeeded.
CREATE TABLE outbox (
  id           bigserial PRIMARY KEY,
  event_id     uuid NOT NULL UNIQUE,
  event        text NOT NULL,
  user_id      uuid,
  payload      jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
