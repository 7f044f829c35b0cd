-- Natural persons as licensees (issue 28). A licence names its licensee by
-- credit code (an organization) or, for a person, by kind alone: the
-- person's identity number is kept only as the opening of the ledger
-- entry's commitment (certificate_acts.openings, `licensee.id_number`),
-- never in a table the registry reads for other purposes.
ALTER TABLE licenses
    ALTER COLUMN licensee_credit_code DROP NOT NULL,
    ADD COLUMN licensee_kind text NOT NULL DEFAULT 'organization'
        CONSTRAINT licenses_licensee_kind_check CHECK (licensee_kind IN ('organization', 'person')),
    ADD CONSTRAINT licenses_licensee_identity_of_kind
        CHECK ((licensee_kind = 'organization') = (licensee_credit_code IS NOT NULL));
