-- Addresses are plain and proven, and evidence is bounded (issue 26).

-- An address receives security mail, watches and an added member's mail
-- only once its owner proved it receives mail there. Everyone who had an
-- account before the rule counts as confirmed: they were never asked.
ALTER TABLE users ADD COLUMN email_confirmed_at timestamptz;
UPDATE users SET email_confirmed_at = created_at;

-- Who added the account (an owner adding a member, an admin adding staff);
-- NULL for an account its holder made (signup) or the command line made.
-- Until confirmed, only the first kind is told of its own filings.
ALTER TABLE users ADD COLUMN added_by uuid REFERENCES users (id);

-- One-time tokens mailed to prove an address, as password resets are kept:
-- only the SHA-256 of the secret; the id is part of the token. A token
-- proves the address it was mailed to, so a changed address needs a new one.
CREATE TABLE email_confirmations (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email       text NOT NULL,
    secret_hash bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX email_confirmations_user_idx ON email_confirmations (user_id);
CREATE INDEX email_confirmations_expires_idx ON email_confirmations (expires_at);

-- Addresses are addr-specs only. One stored with a display name
-- ("Name <a@b.example>") keeps its address, lower-cased, unless another
-- account holds that address already: then it stays as it was and, no
-- longer confirmed, receives no mail until an operator sorts it out (find
-- them with: SELECT id, email FROM users WHERE email LIKE '%<%').
WITH normalised AS (
    SELECT id, lower(trim(substring(email FROM '<([^<>]+)>\s*$'))) AS address
      FROM users WHERE email ~ '<[^<>]+>\s*$'
), unclaimed AS (
    SELECT n.id, n.address FROM normalised n
     WHERE (SELECT count(*) FROM normalised m WHERE m.address = n.address) = 1
       AND NOT EXISTS (SELECT 1 FROM users other WHERE other.email = n.address)
)
UPDATE users u SET email = unclaimed.address FROM unclaimed WHERE u.id = unclaimed.id;
UPDATE users SET email_confirmed_at = NULL WHERE email LIKE '%<%';
UPDATE objections SET objector_email = lower(trim(substring(objector_email FROM '<([^<>]+)>\s*$')))
 WHERE objector_email ~ '<[^<>]+>\s*$';

-- Evidence is counted against quotas per objection, per announcement and
-- per 24 hours (evidence.*): the last of these sums by upload time.
CREATE INDEX objection_evidence_uploaded_idx ON objection_evidence (uploaded_at);
