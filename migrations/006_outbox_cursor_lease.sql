-- An outbox consumer holds its cursor by a lease instead of a row lock for the length of a
-- transaction (issue: one owner per table): the host handles a batch outside any transaction,
-- free to call other services (which, in the embedded mode, share the one database connection),
-- and moves the cursor when done. One node holds the lease at a time; a node that dies lets it
-- run out, and the next takes over from the cursor (handlers are idempotent).
ALTER TABLE outbox_cursors ADD COLUMN lease_holder text;
ALTER TABLE outbox_cursors ADD COLUMN lease_until timestamptz;
