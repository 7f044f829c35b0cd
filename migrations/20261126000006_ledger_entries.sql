-- Ledger entries show only what the public record shows: an act's private
-- fields are committed to on the ledger, and the registry keeps the
-- openings (value and salt) for the organization whose terms they are.

-- The signed issuance document, stored typed; its RFC 8785 bytes are
-- recomputed from it whenever they are signed, hashed or verified.
ALTER TABLE certificates ALTER COLUMN document TYPE jsonb USING document::jsonb;

-- The holder when the act was filed and recorded (org_id follows the
-- certificate to a new holder; this does not).
ALTER TABLE certificate_acts ADD COLUMN holder_org_id uuid REFERENCES organizations (id);
UPDATE certificate_acts SET holder_org_id = org_id;
ALTER TABLE certificate_acts ALTER COLUMN holder_org_id SET NOT NULL;

-- Field path -> {value, salt} for each commitment of the act's entry.
ALTER TABLE certificate_acts ADD COLUMN openings jsonb NOT NULL DEFAULT '{}';

-- Act details are typed JSON tagged with their kind; a transfer names its
-- transferee once.
UPDATE certificate_acts SET details = (details - 'transferee_credit_code') || jsonb_build_object('kind', kind::text);
