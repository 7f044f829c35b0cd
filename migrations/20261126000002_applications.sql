-- Applications to register data products, their materials (stored once per
-- content, by hash), their history, and idempotent creation.

CREATE TYPE product_category AS ENUM ('data_collection', 'data_product', 'data_algorithm');
CREATE TYPE application_state AS ENUM (
    'draft', 'submitted', 'under_review', 'supplement_requested', 'rejected',
    'withdrawn', 'in_announcement', 'objection_review', 'registered'
);
CREATE TYPE material_kind AS ENUM (
    'application_form', 'summary', 'processing_innovation', 'application_scenarios',
    'data_source_proof', 'sample'
);

-- Numbers are drawn from sequences: unique and never reused; a rolled-back
-- transaction leaves a gap, which is harmless.
CREATE SEQUENCE application_number_seq;
CREATE SEQUENCE registration_serial_seq;

CREATE TABLE applications (
    id                    uuid PRIMARY KEY,
    org_id                uuid NOT NULL REFERENCES organizations (id),
    state                 application_state NOT NULL,
    -- Grows on every change; clients send it back in If-Match.
    version               integer NOT NULL,
    product_name          text NOT NULL,
    category              product_category NOT NULL,
    abstract              text NOT NULL,
    data_sources          jsonb NOT NULL,
    data_format           text,
    data_scale            text,
    update_frequency      text,
    application_number    text,
    registration_number   text,
    submitted_at          timestamptz,
    reviewer_id           uuid REFERENCES users (id),
    supplement_reason     text,
    supplement_due_at     timestamptz,
    decision_reason       text,
    announcement_starts_at timestamptz,
    announcement_ends_at  timestamptz,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    CONSTRAINT applications_application_number_key UNIQUE (application_number),
    CONSTRAINT applications_registration_number_key UNIQUE (registration_number)
);
CREATE INDEX applications_org_idx ON applications (org_id, id);
-- The review queue: by state, oldest submission first.
CREATE INDEX applications_queue_idx ON applications (state, submitted_at, id);
-- The worker's due supplement requests.
CREATE INDEX applications_supplement_due_idx ON applications (supplement_due_at)
    WHERE state = 'supplement_requested';

-- File contents, stored once per SHA-256 however many applications carry
-- them. Chunked, so that neither upload nor download holds a file whole.
CREATE TABLE blobs (
    id         uuid PRIMARY KEY,
    sha256     bytea NOT NULL,
    size       bigint NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT blobs_sha256_key UNIQUE (sha256)
);

-- Chunks are written as an upload streams in, each on its own, before the
-- blob they belong to exists (so no foreign key); chunks of an upload that
-- never finished are purged after a while.
CREATE TABLE blob_chunks (
    blob_id    uuid NOT NULL,
    seq        integer NOT NULL,
    data       bytea NOT NULL,
    written_at timestamptz NOT NULL,
    PRIMARY KEY (blob_id, seq)
);

CREATE TABLE materials (
    application_id uuid NOT NULL REFERENCES applications (id),
    org_id         uuid NOT NULL REFERENCES organizations (id),
    kind           material_kind NOT NULL,
    filename       text NOT NULL,
    media_type     text NOT NULL,
    size           bigint NOT NULL,
    sha256         bytea NOT NULL,
    blob_id        uuid NOT NULL REFERENCES blobs (id),
    uploaded_at    timestamptz NOT NULL,
    PRIMARY KEY (application_id, kind)
);
CREATE INDEX materials_blob_idx ON materials (blob_id);

-- The complete history of an application, oldest first.
CREATE TABLE application_events (
    id             uuid PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id),
    org_id         uuid NOT NULL REFERENCES organizations (id),
    at             timestamptz NOT NULL,
    actor_kind     text NOT NULL CHECK (actor_kind IN ('applicant', 'reviewer', 'public', 'system')),
    actor_id       uuid,
    action         text NOT NULL,
    from_state     application_state,
    to_state       application_state,
    note           text
);
CREATE INDEX application_events_application_idx ON application_events (application_id, id);

-- Idempotency-Key: the first answer to a creating request, replayed for a
-- repeat of the same request.
CREATE TABLE idempotency_keys (
    org_id          uuid NOT NULL REFERENCES organizations (id),
    key             text NOT NULL,
    request_hash    bytea NOT NULL,
    response_status smallint NOT NULL,
    response_body   jsonb NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (org_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
