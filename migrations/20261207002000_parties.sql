-- Parties (issue 28): whoever applies for and holds registrations is an
-- organization (named by its unified social credit code) or a natural
-- person (named by a resident identity number, which stays private). The
-- table keeps its name and its ids: a party's id is the organization id
-- every foreign key, token and public identifier already uses, and every
-- existing row is an organization, unchanged.
ALTER TABLE organizations
    ADD COLUMN kind text NOT NULL DEFAULT 'organization'
        CONSTRAINT organizations_kind_check CHECK (kind IN ('organization', 'person')),
    -- GB 11643-1999, checked by the service (domain::IdNumber); in clear
    -- only here, for the person and staff.
    ADD COLUMN id_number text CHECK (id_number ~ '^[0-9]{17}[0-9X]$'),
    ALTER COLUMN credit_code DROP NOT NULL,
    ADD CONSTRAINT organizations_identity_of_kind CHECK (CASE kind
        WHEN 'organization' THEN credit_code IS NOT NULL AND id_number IS NULL
        WHEN 'person' THEN id_number IS NOT NULL AND credit_code IS NULL
    END);
-- Every insert names its kind.
ALTER TABLE organizations ALTER COLUMN kind DROP DEFAULT;

-- A number is held by at most one verified person, as a credit code by at
-- most one verified organization; several unverified claims may wait.
CREATE UNIQUE INDEX organizations_verified_id_number_key ON organizations (id_number)
    WHERE verification = 'verified';
CREATE INDEX organizations_id_number_idx ON organizations (id_number) WHERE id_number IS NOT NULL;
-- Staff's queue of one kind.
CREATE INDEX organizations_kind_verification_idx ON organizations (kind, verification, verification_changed_at, id);

-- The audit log names parties of either kind, staff's decisions on a
-- person's identity document, and each download of it by staff.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
    'application.claim', 'application.request_supplement', 'application.reject',
    'application.approve', 'objection.decide', 'act.approve', 'act.reject', 'certificate.revoke',
    'organization.verify', 'organization.refuse', 'organization.grant_refile_exception',
    'person.verify', 'person.refuse', 'person.download_document',
    'user.reset_password', 'staff.add', 'staff.disable', 'staff.enable'
));
ALTER TABLE audit_log DROP CONSTRAINT audit_log_target_type_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_target_type_check CHECK (target_type IN (
    'application', 'objection', 'act', 'certificate', 'user', 'organization', 'person'
));

-- The openings of a certificate document's commitments (field path ->
-- {value, salt}): a person holder's `holder.id_number`. Only the holder it
-- was issued to and staff read them; organizations' documents have none.
CREATE TABLE certificate_openings (
    certificate_id uuid PRIMARY KEY REFERENCES certificates (id),
    openings       jsonb NOT NULL
);
