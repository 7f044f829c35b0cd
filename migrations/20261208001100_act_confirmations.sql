-- Who must confirm an act, by when, and who did, when and from where. One
-- row per act that needs a counterparty's word; the act's state says where
-- it stands (awaiting_confirmation, then pending, rejected when declined,
-- lapsed when the period passed).
CREATE TABLE act_confirmations (
    act_id              uuid PRIMARY KEY REFERENCES certificate_acts (id),
    -- The party whose word is awaited (a transferee registered here).
    counterparty_org_id uuid NOT NULL REFERENCES organizations (id),
    due_at              timestamptz NOT NULL,
    -- Set when the counterparty answered: confirmed or declined.
    answered_at         timestamptz,
    answered_by         uuid REFERENCES users (id),
    -- The client address the answer came from.
    answered_from       text,
    confirmed           boolean,
    CONSTRAINT act_confirmations_answer_whole CHECK (
        (answered_at IS NULL) = (confirmed IS NULL) AND (answered_at IS NULL) = (answered_from IS NULL))
);
CREATE INDEX act_confirmations_counterparty_idx ON act_confirmations (counterparty_org_id, act_id)
    WHERE answered_at IS NULL;
CREATE INDEX act_confirmations_due_idx ON act_confirmations (due_at) WHERE answered_at IS NULL;
