-- The life of a registered product: acts on its certificate (licenses,
-- pledges, transfers, changes, renewals, cancellation, revocation), filed by
-- the holder and decided by the registry.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TYPE act_kind AS ENUM (
    'license', 'pledge', 'pledge_release', 'transfer', 'change', 'renewal', 'cancellation', 'revocation'
);
CREATE TYPE act_state AS ENUM ('pending', 'approved', 'rejected');

CREATE TABLE certificate_acts (
    id              uuid PRIMARY KEY,
    certificate_id  uuid NOT NULL REFERENCES certificates (id),
    -- The certificate's holder organization (moves with it on a transfer).
    org_id          uuid NOT NULL REFERENCES organizations (id),
    kind            act_kind NOT NULL,
    state           act_state NOT NULL,
    -- The act's own fields, as filed (and, once applied, what it changed).
    details         jsonb NOT NULL,
    filed_by        uuid,
    filed_at        timestamptz NOT NULL,
    decided_by      uuid REFERENCES users (id),
    decided_at      timestamptz,
    decision_reason text,
    -- The act's leaf in the ledger, once appended.
    ledger_index    bigint
);
CREATE INDEX certificate_acts_certificate_idx ON certificate_acts (certificate_id, id);
CREATE INDEX certificate_acts_pending_idx ON certificate_acts (id) WHERE state = 'pending';

CREATE TABLE licenses (
    act_id              uuid PRIMARY KEY REFERENCES certificate_acts (id),
    certificate_id      uuid NOT NULL REFERENCES certificates (id),
    org_id              uuid NOT NULL REFERENCES organizations (id),
    licensee_name       text NOT NULL,
    licensee_credit_code text NOT NULL,
    exclusive           boolean NOT NULL,
    scope               text NOT NULL,
    -- [starts_on, ends_on], both days included.
    term                daterange NOT NULL,
    -- Two exclusive licenses of one certificate never overlap, whatever
    -- runs concurrently.
    CONSTRAINT licenses_exclusive_overlap EXCLUDE USING gist (certificate_id WITH =, term WITH &&) WHERE (exclusive)
);
CREATE INDEX licenses_certificate_idx ON licenses (certificate_id);

CREATE TABLE pledges (
    act_id             uuid PRIMARY KEY REFERENCES certificate_acts (id),
    certificate_id     uuid NOT NULL REFERENCES certificates (id),
    org_id             uuid NOT NULL REFERENCES organizations (id),
    pledgee_name       text NOT NULL,
    pledgee_credit_code text NOT NULL,
    -- A decimal string, as filed (e.g. "5000000.00").
    amount             text NOT NULL,
    currency           text NOT NULL,
    term               daterange NOT NULL,
    released_at        timestamptz,
    released_by_act    uuid REFERENCES certificate_acts (id)
);
CREATE INDEX pledges_unreleased_idx ON pledges (certificate_id) WHERE released_at IS NULL;

-- Outbox entries that record an act: the appender fills in its ledger index.
ALTER TABLE ledger_outbox ADD COLUMN act_id uuid REFERENCES certificate_acts (id);
