-- Duplicates and re-filing: product names compared in a normal form, and
-- the registry's exceptions to the re-filing bar. Validity bounded by the
-- data's authorization: a certificate keeps the data sources it was issued
-- on (a change act may extend an agreement) and what bounded its validity.

-- The product name's normal form (NFKC, white space removed, case folded),
-- written by the service (domain::normalized_product_name) with every name.
-- Rows from before are filled here with PostgreSQL's own NFKC; its lower()
-- follows the database's locale, which for names of Chinese characters,
-- digits and ASCII letters gives the same form.
ALTER TABLE applications ADD COLUMN normalized_product_name text;
UPDATE applications
    SET normalized_product_name = lower(regexp_replace(normalize(product_name, NFKC), '\s+', '', 'g'));
ALTER TABLE applications ALTER COLUMN normalized_product_name SET NOT NULL;
-- An organization's live applications of a name, and any organization's.
CREATE INDEX applications_normalized_name_idx ON applications (normalized_product_name, org_id);

-- The certificate's product name as the register shows it now (a change act
-- may rename it), in the same normal form.
ALTER TABLE certificates ADD COLUMN normalized_product_name text;
UPDATE certificates
    SET normalized_product_name = lower(regexp_replace(normalize(product_name, NFKC), '\s+', '', 'g'));
ALTER TABLE certificates ALTER COLUMN normalized_product_name SET NOT NULL;
CREATE INDEX certificates_normalized_name_idx ON certificates (normalized_product_name, org_id);

-- The data sources as the register holds them now: the application's at
-- issuance; a change act may record an extended agreement.
ALTER TABLE certificates ADD COLUMN data_sources jsonb;
UPDATE certificates c SET data_sources = a.data_sources FROM applications a WHERE a.id = c.application_id;
ALTER TABLE certificates ALTER COLUMN data_sources SET NOT NULL;
-- The day the data-source agreement that set the current valid_until ends,
-- when one did (at issuance or at a renewal); null when the full validity
-- period applies.
ALTER TABLE certificates ADD COLUMN validity_bound date;

-- An admin's exception to the re-filing bar, for one organization and one
-- product name (in normal form). Single use: the first submission it lets
-- through takes it (used_by), and it keeps covering that application's
-- later resubmissions.
CREATE TABLE refile_exceptions (
    id                      uuid PRIMARY KEY,
    org_id                  uuid NOT NULL REFERENCES organizations (id),
    product_name            text NOT NULL,
    normalized_product_name text NOT NULL,
    reason                  text NOT NULL,
    granted_by              uuid NOT NULL REFERENCES users (id),
    granted_at              timestamptz NOT NULL,
    used_by                 uuid REFERENCES applications (id),
    used_at                 timestamptz
);
CREATE INDEX refile_exceptions_lookup_idx ON refile_exceptions (org_id, normalized_product_name);
