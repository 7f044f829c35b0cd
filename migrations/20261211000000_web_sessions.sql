-- The workbench's sessions (issue 31): a browser signed in to the pages
-- holds a random id in a cookie; the registry keeps only its SHA-256, so a
-- copy of this table signs no one in. The cookie never authenticates the
-- API, which stays Bearer-only.
CREATE TABLE web_sessions (
    -- Names the session on the "sessions" page and in logs; not a credential.
    id               uuid PRIMARY KEY,
    -- SHA-256 of the cookie's random id.
    id_hash          bytea NOT NULL UNIQUE CHECK (octet_length(id_hash) = 32),
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The user's credential generation at sign-in: a password change or
    -- reset, disabling, or "sign out everywhere" moves it on and so ends
    -- the session.
    token_generation integer NOT NULL,
    -- The token every state-changing form of the session carries.
    csrf_token       text NOT NULL,
    -- What the sessions page shows to tell one browser from another.
    user_agent       text NOT NULL DEFAULT '' CHECK (char_length(user_agent) <= 200),
    created_at       timestamptz NOT NULL,
    last_seen_at     timestamptz NOT NULL,
    -- created_at + auth.session_lifetime.
    expires_at       timestamptz NOT NULL,
    ended_at         timestamptz
);
CREATE INDEX web_sessions_user_idx ON web_sessions (user_id) WHERE ended_at IS NULL;
CREATE INDEX web_sessions_expiry_idx ON web_sessions (expires_at);
