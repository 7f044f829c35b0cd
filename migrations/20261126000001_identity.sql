-- Organizations (the tenants), their users, registry staff, and the secrets
-- that let them in.

CREATE TYPE user_role AS ENUM ('owner', 'member', 'reviewer', 'admin');

CREATE TABLE organizations (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    -- Unified social credit code (GB 32100-2015), checked by the service.
    credit_code text NOT NULL CHECK (char_length(credit_code) = 18),
    created_at  timestamptz NOT NULL,
    CONSTRAINT organizations_credit_code_key UNIQUE (credit_code)
);

-- Applicant users belong to exactly one organization; staff (reviewers and
-- admins) belong to none. One table keeps e-mail addresses unique across both.
CREATE TABLE users (
    id            uuid PRIMARY KEY,
    org_id        uuid REFERENCES organizations (id),
    email         text NOT NULL,
    password_hash text NOT NULL,
    display_name  text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 100),
    role          user_role NOT NULL,
    created_at    timestamptz NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_staff_have_no_org
        CHECK ((role IN ('owner', 'member')) = (org_id IS NOT NULL))
);
CREATE INDEX users_org_id_idx ON users (org_id, id);

-- Refresh tokens rotate: each use marks the row used and issues a successor in
-- the same family. Presenting a used token again revokes the whole family.
CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY,
    family_id   uuid NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_hash bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES organizations (id),
    name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    secret_hash  bytea NOT NULL,
    created_by   uuid NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_org_idx ON api_keys (org_id, id);

-- Fixed-window counters for throttling (failed logins, signups). Kept in the
-- database so that several replicas share one budget. `key` is a hash, never
-- an e-mail address or IP in clear.
CREATE TABLE throttle_windows (
    bucket       text NOT NULL,
    key          bytea NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL,
    PRIMARY KEY (bucket, key, window_start)
);
CREATE INDEX throttle_windows_start_idx ON throttle_windows (window_start);
