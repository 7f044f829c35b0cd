-- Watches: a user asks to be told when an announcement opens for a product
-- whose name contains a phrase, from a credit code, or with a material of a
-- given SHA-256, so that copies of their data are found during the window.

CREATE TABLE watches (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id     uuid NOT NULL REFERENCES organizations (id),
    kind       text NOT NULL CHECK (kind IN ('name', 'credit_code', 'sha256')),
    -- As given, and as compared: a name NFKC-normalised, white space
    -- removed and case-folded; a credit code in capitals; a hash in hex.
    value      text NOT NULL,
    normalized text NOT NULL,
    channels   text[] NOT NULL,
    created_at timestamptz NOT NULL,
    deleted_at timestamptz
);
CREATE INDEX watches_user_idx ON watches (user_id, id) WHERE deleted_at IS NULL;
CREATE INDEX watches_match_idx ON watches (kind, normalized) WHERE deleted_at IS NULL;
