-- Account management and inbox settings (docs/contract.md, "Auth and profile", "Notifications").

-- Password-reset tokens, stored only as a SHA-256 hash. A newer request supersedes the older
-- ones; a token works once. Gone with the account.
CREATE TABLE password_resets (
  token_hash    bytea PRIMARY KEY,
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  used_at       timestamptz,
  superseded_at timestamptz
);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- Which notification types are made and which channels send them; no row = everything on.
CREATE TABLE notification_settings (
  user_id    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  email      boolean NOT NULL DEFAULT true,
  webhook    boolean NOT NULL DEFAULT true,
  welcome    boolean NOT NULL DEFAULT true,
  milestone  boolean NOT NULL DEFAULT true,
  reminder   boolean NOT NULL DEFAULT true,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The unread count and the unread filter read only these.
CREATE INDEX notifications_unread ON notifications (user_id, created_at DESC, id DESC) WHERE read_at IS NULL;
