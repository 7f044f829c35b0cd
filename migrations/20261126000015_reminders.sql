-- Reminders sent once: a certificate's expiry, 90 and 30 days ahead (per
-- term: a renewal moves valid_until, and the new term is reminded again);
-- an objection's decision deadline, to staff.

CREATE TABLE certificate_reminders (
    certificate_id uuid NOT NULL REFERENCES certificates (id),
    valid_until    timestamptz NOT NULL,
    days_before    integer NOT NULL,
    sent_at        timestamptz NOT NULL,
    PRIMARY KEY (certificate_id, valid_until, days_before)
);

CREATE TABLE objection_reminders (
    objection_id uuid PRIMARY KEY REFERENCES objections (id),
    sent_at      timestamptz NOT NULL
);

-- The user a message is for (null for an objector's address): its one-click
-- unsubscribe link names them.
ALTER TABLE outbox ADD COLUMN user_id uuid REFERENCES users (id) ON DELETE CASCADE;
