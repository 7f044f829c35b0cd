-- Preservation measures (issue 29): a court, procuratorate, public security
-- organ or administrative authority orders a certificate seized, frozen or
-- otherwise held (查封等保全措施). Staff record the measure and its order;
-- while it is in force the certificate is not transferred, pledged,
-- licensed or cancelled. Authority, kind, document number and dates are
-- public (the public record, the portal, the PDF, the ledger); the scanned
-- order never is.
CREATE TABLE preservation_measures (
    id              uuid PRIMARY KEY,
    certificate_id  uuid NOT NULL REFERENCES certificates (id),
    authority       text NOT NULL,
    kind            text NOT NULL CONSTRAINT preservation_measures_kind_check
                        CHECK (kind IN ('seizure', 'freeze', 'temporary_control', 'other')),
    document_number text NOT NULL,
    starts_on       date NOT NULL,
    -- None: until lifted.
    ends_on         date,
    recorded_by     uuid NOT NULL REFERENCES users (id),
    recorded_at     timestamptz NOT NULL,
    -- The scanned order, stored as materials' contents are (staff only).
    document_filename   text,
    document_media_type text,
    document_size       bigint,
    document_sha256     bytea,
    document_blob_id    uuid REFERENCES blobs (id),
    -- Lifted by staff (with the reason) or, once `ends_on` has passed, by
    -- the worker (`lifted_by` null).
    lifted_at       timestamptz,
    lifted_by       uuid REFERENCES users (id),
    lift_reason     text,
    CONSTRAINT preservation_measures_term CHECK (ends_on IS NULL OR ends_on >= starts_on),
    CONSTRAINT preservation_measures_document_whole CHECK (
        (document_blob_id IS NULL) = (document_sha256 IS NULL)
        AND (document_blob_id IS NULL) = (document_filename IS NULL))
);
CREATE INDEX preservation_measures_certificate_idx ON preservation_measures (certificate_id, recorded_at, id);
-- The worker's sweep: measures in force whose term ends.
CREATE INDEX preservation_measures_ending_idx ON preservation_measures (ends_on) WHERE lifted_at IS NULL;
CREATE INDEX preservation_measures_blob_idx ON preservation_measures (document_blob_id);

ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
    'application.claim', 'application.request_supplement', 'application.reject',
    'application.approve', 'objection.decide', 'act.approve', 'act.reject', 'certificate.revoke',
    'organization.verify', 'organization.refuse', 'organization.grant_refile_exception',
    'person.verify', 'person.refuse', 'person.download_document',
    'measure.record', 'measure.upload_document', 'measure.lift',
    'user.reset_password', 'staff.add', 'staff.disable', 'staff.enable'
));
ALTER TABLE audit_log DROP CONSTRAINT audit_log_target_type_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_target_type_check CHECK (target_type IN (
    'application', 'objection', 'act', 'certificate', 'user', 'organization', 'person', 'measure'
));

-- Measures are public (all but the order's scan): recording, lifting and
-- their removal change the public record.
CREATE TRIGGER preservation_measures_public_change
    AFTER INSERT OR DELETE ON preservation_measures
    FOR EACH ROW EXECUTE FUNCTION notify_public_change();
CREATE TRIGGER preservation_measures_public_change_update
    AFTER UPDATE ON preservation_measures
    FOR EACH ROW WHEN ((OLD.authority, OLD.kind, OLD.document_number, OLD.starts_on, OLD.ends_on, OLD.lifted_at)
                       IS DISTINCT FROM (NEW.authority, NEW.kind, NEW.document_number, NEW.starts_on, NEW.ends_on,
                                         NEW.lifted_at))
    EXECUTE FUNCTION notify_public_change();
