-- Deliveries never hold the database: a worker claims a message with a lease
-- in one statement, sends it with no transaction or connection held, and
-- records the outcome only if the claim is still its own.

-- The latest claim on a message. An attempt's outcome is recorded only
-- under the claim that made it. While a message is claimed, next_attempt_at
-- is the end of its lease: a claim whose worker died lapses then, and the
-- message is due again.
ALTER TABLE outbox ADD COLUMN claim_id uuid;

-- One worker delivers to an endpoint at a time, one delivery after another:
-- it holds the endpoint's lease (lease_id until lease_until), renewed with
-- each delivery it claims. A circuit breaker pauses an endpoint after a
-- failed delivery (paused_until), longer with each consecutive failure; a
-- success closes it.
ALTER TABLE webhooks ADD COLUMN lease_id uuid,
                     ADD COLUMN lease_until timestamptz,
                     ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0,
                     ADD COLUMN paused_until timestamptz;

-- What each claim looks for: the oldest mail due, and each endpoint's
-- oldest delivery due.
CREATE INDEX outbox_mail_due_idx ON outbox (next_attempt_at, id)
    WHERE channel = 'email' AND delivered_at IS NULL AND abandoned_at IS NULL;
CREATE INDEX outbox_webhook_due_idx ON outbox (webhook_id, next_attempt_at, id)
    WHERE channel = 'webhook' AND delivered_at IS NULL AND abandoned_at IS NULL;
DROP INDEX outbox_due_idx;
