-- The request id of the change each event describes (docs/architecture.md, "Request ids"): the
-- relay publishes the event in it and outbox consumers handle it in it, so the log lines of every
-- node an API request reaches, also through its events, carry the client's X-Request-Id.
ALTER TABLE outbox ADD COLUMN request_id text;
