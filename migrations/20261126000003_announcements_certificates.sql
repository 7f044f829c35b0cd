-- The public announcement (search), objections, and certificates.

-- Trigram search over product names, holder names and abstracts; works for
-- Chinese text in a UTF-8 database.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX applications_product_name_trgm_idx ON applications USING gin (product_name gin_trgm_ops);
CREATE INDEX applications_abstract_trgm_idx ON applications USING gin (abstract gin_trgm_ops);
CREATE INDEX organizations_name_trgm_idx ON organizations USING gin (name gin_trgm_ops);
-- The public lists and the worker's closing of announcements.
CREATE INDEX applications_announcement_idx ON applications (announcement_ends_at)
    WHERE state = 'in_announcement';
CREATE INDEX applications_public_idx ON applications (state, announcement_starts_at DESC, id DESC);

ALTER TABLE applications ADD COLUMN certificate_number text;

CREATE TYPE objection_state AS ENUM ('open', 'upheld', 'dismissed');

-- Objections from the public during an announcement. The objector reads
-- its state with a token of which only the hash is kept.
CREATE TABLE objections (
    id              uuid PRIMARY KEY,
    application_id  uuid NOT NULL REFERENCES applications (id),
    -- The holder organization, whose application is objected to.
    org_id          uuid NOT NULL REFERENCES organizations (id),
    objector_name   text NOT NULL,
    objector_email  text NOT NULL,
    interest        text NOT NULL,
    grounds         text NOT NULL,
    token_hash      bytea NOT NULL,
    state           objection_state NOT NULL,
    decision_reason text,
    decided_by      uuid REFERENCES users (id),
    decided_at      timestamptz,
    created_at      timestamptz NOT NULL
);
CREATE INDEX objections_application_idx ON objections (application_id, id);
CREATE INDEX objections_open_idx ON objections (id) WHERE state = 'open';

-- The holder's answers to an objection.
CREATE TABLE objection_responses (
    id           uuid PRIMARY KEY,
    objection_id uuid NOT NULL REFERENCES objections (id),
    org_id       uuid NOT NULL REFERENCES organizations (id),
    author_id    uuid NOT NULL,
    text         text NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX objection_responses_objection_idx ON objection_responses (objection_id, id);

CREATE TYPE certificate_status AS ENUM ('active', 'expired', 'revoked', 'cancelled');
CREATE SEQUENCE certificate_serial_seq;

CREATE TABLE certificates (
    id                  uuid PRIMARY KEY,
    -- The current holder organization.
    org_id              uuid NOT NULL REFERENCES organizations (id),
    application_id      uuid NOT NULL REFERENCES applications (id),
    certificate_number  text NOT NULL,
    registration_number text NOT NULL,
    -- The product as the register shows it now (a change act may rename it).
    product_name        text NOT NULL,
    category            product_category NOT NULL,
    abstract            text NOT NULL,
    status              certificate_status NOT NULL,
    valid_from          timestamptz NOT NULL,
    valid_until         timestamptz NOT NULL,
    -- The immutable issuance record, exactly as signed: RFC 8785 canonical JSON.
    document            text NOT NULL,
    -- {alg, key_id, value}: Ed25519 over the document's bytes.
    signature           jsonb NOT NULL,
    -- The ledger receipt, once anchored.
    ledger              jsonb,
    issued_at           timestamptz NOT NULL,
    status_changed_at   timestamptz NOT NULL,
    -- One application, one certificate: never issued twice, whatever runs.
    CONSTRAINT certificates_application_key UNIQUE (application_id),
    CONSTRAINT certificates_number_key UNIQUE (certificate_number)
);
CREATE INDEX certificates_org_idx ON certificates (org_id, id);
CREATE INDEX certificates_expiry_idx ON certificates (valid_until) WHERE status = 'active';
CREATE INDEX certificates_registry_idx ON certificates (issued_at DESC, id DESC);
CREATE INDEX certificates_product_name_trgm_idx ON certificates USING gin (product_name gin_trgm_ops);
CREATE INDEX certificates_abstract_trgm_idx ON certificates USING gin (abstract gin_trgm_ops);
