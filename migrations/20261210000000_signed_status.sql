-- Signed status (issue 30): statements computed from a certificate's ledger
-- entries, relying parties whose keys raise the status-query allowance, and
-- watches on certificates.

-- Each leaf and each queued entry names its certificate, so one
-- certificate's entries are read by index (every entry kind names one; an
-- issuance inside its document).
ALTER TABLE ledger_leaves ADD COLUMN certificate_number text;
UPDATE ledger_leaves SET certificate_number = COALESCE(
    convert_from(entry, 'UTF8')::jsonb ->> 'certificate_number',
    convert_from(entry, 'UTF8')::jsonb -> 'document' ->> 'certificate_number');
ALTER TABLE ledger_leaves ALTER COLUMN certificate_number SET NOT NULL;
CREATE INDEX ledger_leaves_certificate_idx ON ledger_leaves (certificate_number, idx);

ALTER TABLE ledger_outbox ADD COLUMN certificate_number text;
UPDATE ledger_outbox SET certificate_number = COALESCE(
    convert_from(entry, 'UTF8')::jsonb ->> 'certificate_number',
    convert_from(entry, 'UTF8')::jsonb -> 'document' ->> 'certificate_number');
ALTER TABLE ledger_outbox ALTER COLUMN certificate_number SET NOT NULL;
CREATE INDEX ledger_outbox_certificate_idx ON ledger_outbox (certificate_number);

-- An organization that relies on the registry's answers (a bank, an
-- exchange, a court) asks to be a relying party; staff verify it as they
-- verify organizations. pending -> verified | refused; a refused one may
-- ask again.
CREATE TABLE relying_parties (
    org_id         uuid PRIMARY KEY REFERENCES organizations (id),
    kind           text NOT NULL CHECK (kind IN ('bank', 'exchange', 'court', 'other')),
    -- What the organization says it relies on the registry for.
    purpose        text NOT NULL CHECK (char_length(purpose) BETWEEN 1 AND 500),
    state          text NOT NULL CHECK (state IN ('pending', 'verified', 'refused')),
    requested_by   uuid NOT NULL REFERENCES users (id),
    requested_at   timestamptz NOT NULL,
    decided_by     uuid REFERENCES users (id),
    decided_at     timestamptz,
    refusal_reason text CHECK (char_length(refusal_reason) BETWEEN 1 AND 2000),
    CONSTRAINT relying_parties_refusal_has_reason CHECK ((state = 'refused') = (refusal_reason IS NOT NULL))
);
CREATE INDEX relying_parties_queue_idx ON relying_parties (state, requested_at, org_id);

-- Status queries per relying party and day (numbers asked, a bulk query
-- counting each): for the party and staff to read, never a metric label.
CREATE TABLE status_queries (
    org_id  uuid NOT NULL REFERENCES organizations (id),
    day     date NOT NULL,
    numbers bigint NOT NULL,
    PRIMARY KEY (org_id, day)
);

-- Watches on a certificate belong to the party, not to the user who made
-- them (an API key may): user_id is who made it, if a person did.
ALTER TABLE watches ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE watches DROP CONSTRAINT watches_kind_check;
ALTER TABLE watches ADD CONSTRAINT watches_kind_check
    CHECK (kind IN ('name', 'credit_code', 'sha256', 'certificate'));
ALTER TABLE watches ADD CONSTRAINT watches_person_unless_certificate
    CHECK (kind = 'certificate' OR user_id IS NOT NULL);
CREATE UNIQUE INDEX watches_certificate_key ON watches (org_id, normalized)
    WHERE kind = 'certificate' AND deleted_at IS NULL;

-- Staff's decisions on relying parties are audited, on the organization's id.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
    'application.claim', 'application.request_supplement', 'application.reject',
    'application.approve', 'objection.decide', 'act.approve', 'act.reject', 'certificate.revoke',
    'organization.verify', 'organization.refuse', 'organization.grant_refile_exception',
    'person.verify', 'person.refuse', 'person.download_document',
    'user.reset_password', 'staff.add', 'staff.disable', 'staff.enable',
    'measure.record', 'measure.upload_document', 'measure.lift',
    'relying_party.verify', 'relying_party.refuse'
));
ALTER TABLE audit_log DROP CONSTRAINT audit_log_target_type_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_target_type_check CHECK (target_type IN (
    'application', 'objection', 'act', 'certificate', 'user', 'organization', 'person', 'measure',
    'relying_party'
));

-- How far watchers of certificates have been told: leaves below this tree
-- size were told once in a checkpoint statements are of. It starts at the
-- ledger's size, so what was recorded before watches existed is not told.
CREATE TABLE status_events_told (
    one        boolean PRIMARY KEY DEFAULT true CHECK (one),
    tree_size  bigint NOT NULL CHECK (tree_size >= 0),
    updated_at timestamptz NOT NULL
);
INSERT INTO status_events_told (tree_size, updated_at)
    SELECT COALESCE(max(idx) + 1, 0), now() FROM ledger_leaves;
