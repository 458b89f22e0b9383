-- Links and outbox, second step: a bulk dispatch groups its outbox rows under one
-- batch id, so its progress, summary and retry of failures survive a restart.
ALTER TABLE mail_outbox ADD COLUMN batch_id TEXT;
CREATE INDEX mail_outbox_batch ON mail_outbox (batch_id, state);
-- The worker looks for due rows by state first.
CREATE INDEX mail_outbox_state_due ON mail_outbox (state, next_attempt_at);
UPDATE schema_version SET version = 2;
