-- Webhooks: an organization's HTTPS endpoints and the events they receive.
-- Their deliveries are outbox rows of channel 'webhook' (one outbox).

CREATE TABLE webhooks (
    id                    uuid PRIMARY KEY,
    org_id                uuid NOT NULL REFERENCES organizations (id),
    url                   text NOT NULL,
    -- Exact kinds, 'prefix.*' or '*'.
    events                text[] NOT NULL,
    -- The signing secret (it must be kept to sign); the previous one signs
    -- too until previous_secret_until, while a rotation is under way.
    secret                bytea NOT NULL,
    previous_secret       bytea,
    previous_secret_until timestamptz,
    created_at            timestamptz NOT NULL,
    -- Set when a delivery ran out of retries: nothing more is sent until
    -- the owner enables the endpoint again. A success clears it.
    failing_since         timestamptz,
    deleted_at            timestamptz
);
CREATE INDEX webhooks_org_idx ON webhooks (org_id, id) WHERE deleted_at IS NULL;

ALTER TABLE outbox DROP CONSTRAINT outbox_channel_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_channel_check CHECK (channel IN ('email', 'webhook'));
ALTER TABLE outbox ADD COLUMN webhook_id uuid REFERENCES webhooks (id),
                   ADD COLUMN response_status integer,
                   ADD COLUMN latency_ms integer;
CREATE INDEX outbox_webhook_idx ON outbox (webhook_id, id) WHERE webhook_id IS NOT NULL;
