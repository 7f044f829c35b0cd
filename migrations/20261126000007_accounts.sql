-- Accounts that can be switched off, and one-time password resets.

-- A disabled user cannot log in, refresh or use an access token already
-- issued. Rows are kept, never deleted: histories and decisions name users.
ALTER TABLE users ADD COLUMN disabled_at timestamptz;

-- Owners are counted on every member removal (an organization keeps one).
CREATE INDEX users_active_owners_idx ON users (org_id) WHERE role = 'owner' AND disabled_at IS NULL;

-- Ending every session of a user (password changed or reset, account
-- disabled) finds their live refresh tokens by user.
CREATE INDEX refresh_tokens_live_user_idx ON refresh_tokens (user_id) WHERE revoked_at IS NULL;

-- One-time tokens an operator issues so that a user can set a new password.
-- Like refresh tokens, only the SHA-256 of the secret is stored; the id is
-- the token's own (it is part of the text handed out). Issuing a new one
-- ends the earlier unused ones by moving their expiry to that moment.
CREATE TABLE password_resets (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_hash bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX password_resets_user_idx ON password_resets (user_id);
CREATE INDEX password_resets_expires_idx ON password_resets (expires_at);
