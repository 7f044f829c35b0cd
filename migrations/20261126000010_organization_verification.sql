-- Verified applicants: an organization speaks for the company its credit
-- code names only once registry staff have checked its business licence.
--
-- unverified: signed up, no licence yet; pending: a licence awaits staff;
-- verified: checked (final); refused: staff refused the licence, with a
-- reason (uploading another makes it pending again).
CREATE TYPE organization_verification AS ENUM ('unverified', 'pending', 'verified', 'refused');

-- Organizations registered before verification existed keep speaking for
-- their companies: they are verified as of their signup.
ALTER TABLE organizations
    ADD COLUMN verification organization_verification NOT NULL DEFAULT 'verified',
    -- When it entered its current state: the queue's order (oldest first).
    ADD COLUMN verification_changed_at timestamptz,
    -- The staff member who verified or refused it; null when an operator
    -- did from the command line, or for the organizations verified here.
    ADD COLUMN verification_decided_by uuid REFERENCES users (id),
    ADD COLUMN refusal_reason text CHECK (char_length(refusal_reason) BETWEEN 1 AND 2000),
    ADD CONSTRAINT organizations_refusal_has_reason
        CHECK ((verification = 'refused') = (refusal_reason IS NOT NULL));
UPDATE organizations SET verification_changed_at = created_at;
ALTER TABLE organizations
    ALTER COLUMN verification_changed_at SET NOT NULL,
    ALTER COLUMN verification SET DEFAULT 'unverified';

-- A credit code is held by at most one verified organization; several
-- unverified ones may claim it meanwhile (all but one will be refused).
ALTER TABLE organizations DROP CONSTRAINT organizations_credit_code_key;
CREATE UNIQUE INDEX organizations_verified_credit_code_key ON organizations (credit_code)
    WHERE verification = 'verified';
CREATE INDEX organizations_credit_code_idx ON organizations (credit_code);
-- Staff's queue: by state, oldest change first.
CREATE INDEX organizations_verification_idx ON organizations (verification, verification_changed_at, id);

-- Each organization's business licence, the latest uploaded (a new upload
-- replaces it). Its contents are stored as materials' are, once per
-- SHA-256 in `blobs`; staff download it; it is never public.
CREATE TABLE business_licences (
    org_id      uuid PRIMARY KEY REFERENCES organizations (id),
    filename    text NOT NULL,
    media_type  text NOT NULL,
    size        bigint NOT NULL,
    sha256      bytea NOT NULL,
    blob_id     uuid NOT NULL REFERENCES blobs (id),
    uploaded_by uuid NOT NULL REFERENCES users (id),
    uploaded_at timestamptz NOT NULL
);
CREATE INDEX business_licences_blob_idx ON business_licences (blob_id);
