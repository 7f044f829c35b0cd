-- Refusal grounds, and objections as cases: evidence, withdrawal by the
-- objector, and a decision deadline.

-- The grounds on which the registry refuses a registration (Shanghai
-- measures, art. 7): named by a rejection and by an upheld objection.
CREATE TYPE refusal_ground AS ENUM (
    'public_interest', 'personal_information', 'unlawful_source', 'ownership_disputed', 'fraud',
    'duplicate', 'other'
);

-- Set when the application is rejected (by a reviewer, or on an upheld
-- objection); NULL otherwise.
ALTER TABLE applications ADD COLUMN refusal_grounds refusal_ground[];
-- The grounds a history entry recorded (a rejection, an upheld objection).
ALTER TABLE application_events ADD COLUMN refusal_grounds refusal_ground[];

-- The objector may withdraw an open objection. (A new enum value cannot be
-- used in the transaction that adds it: nothing below refers to it.)
ALTER TYPE objection_state ADD VALUE 'withdrawn';

ALTER TABLE objections
    ADD COLUMN refusal_grounds refusal_ground[],
    ADD COLUMN withdrawn_at timestamptz,
    -- workflow.objection_decision_period after filing, fixed at filing.
    -- Objections filed before this column existed get the default period.
    ADD COLUMN decision_due_at timestamptz;
UPDATE objections SET decision_due_at = created_at + interval '60 days';
ALTER TABLE objections ALTER COLUMN decision_due_at SET NOT NULL;
-- The reviewers' list: by state, the earliest deadline (so the overdue) first.
CREATE INDEX objections_due_idx ON objections (state, decision_due_at, id);

-- Files an objector attaches to an open objection: never public; the
-- holder organization and registry staff read them. Contents are blobs,
-- stored once per SHA-256 as materials are.
CREATE TABLE objection_evidence (
    id             uuid PRIMARY KEY,
    objection_id   uuid NOT NULL REFERENCES objections (id),
    -- The holder organization, whose users may read it.
    org_id         uuid NOT NULL REFERENCES organizations (id),
    filename       text NOT NULL,
    media_type     text NOT NULL,
    size           bigint NOT NULL,
    sha256         bytea NOT NULL,
    blob_id        uuid NOT NULL REFERENCES blobs (id),
    uploaded_at    timestamptz NOT NULL
);
CREATE INDEX objection_evidence_objection_idx ON objection_evidence (objection_id, id);
-- Housekeeping looks for blobs nothing refers to.
CREATE INDEX objection_evidence_blob_idx ON objection_evidence (blob_id);
