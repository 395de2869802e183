-- Notifications, deliveries, reminders and outbox consumers (issue: notifications).

-- The relay stamps each row with `published_seq` while it holds a cluster-wide lock, so the
-- stamps follow commit order: a consumer that has seen stamp s has seen every row stamped
-- before it, and a per-consumer cursor over the stamp never skips a row committed late.
CREATE SEQUENCE outbox_published_seq;
ALTER TABLE outbox ADD COLUMN published_seq bigint;
CREATE UNIQUE INDEX outbox_by_published_seq ON outbox (published_seq) WHERE published_seq IS NOT NULL;

-- Each event's own time, not its transaction's: events recorded together keep their order in
-- `occurredAt` (published with microseconds), and so in the inbox.
ALTER TABLE outbox ALTER COLUMN created_at SET DEFAULT clock_timestamp();

-- One row per outbox consumer (notifications, kafka-bridge): the last stamp it has handled.
-- The row is also the consumer's lock: one node consumes at a time, in order.
CREATE TABLE outbox_cursors (
  consumer   text PRIMARY KEY,
  position   bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A user's own secret for signing webhook deliveries (HMAC-SHA256), made when a webhook URL is set.
ALTER TABLE users ADD COLUMN webhook_secret text;

CREATE TABLE notifications (
  id          uuid PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  type        text NOT NULL CHECK (type IN ('welcome', 'milestone', 'reminder')),
  -- The event it was made from: a redelivered event makes nothing new.
  event_id    uuid NOT NULL,
  title       text NOT NULL,
  body        text NOT NULL,
  html        text NOT NULL,
  data        jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  read_at     timestamptz,
  UNIQUE (event_id, type)
);
CREATE INDEX notifications_inbox ON notifications (user_id, created_at DESC, id DESC);

-- One row per (notification, channel) besides the inbox, which is the notification itself.
-- `next_attempt_at` is also the lease: a worker claiming a row pushes it forward, so a row
-- whose worker died is taken again once the lease runs out.
CREATE TABLE deliveries (
  id              bigserial PRIMARY KEY,
  notification_id uuid NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
  channel         text NOT NULL CHECK (channel IN ('log', 'email', 'webhook')),
  target          text NOT NULL,
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  last_error      text,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz,
  UNIQUE (notification_id, channel)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_dead ON deliveries (updated_at DESC) WHERE state = 'dead';

-- One row per reminder that fired: the primary key is the claim, so each reminder fires once
-- per habit, local date and time, however many reminders nodes race for it.
CREATE TABLE reminder_fires (
  habit_id   uuid NOT NULL REFERENCES habits (id) ON DELETE CASCADE,
  local_date date NOT NULL,
  local_time text NOT NULL,
  fired_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (habit_id, local_date, local_time)
);
CREATE INDEX habits_with_reminders ON habits (id) WHERE NOT archived AND reminders <> '[]'::jsonb;
