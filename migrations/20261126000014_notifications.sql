-- Notifications: each user's language and the kinds of mail they switched
-- off, and one outbox that every notification is written to in the same
-- transaction as its event, for the worker to deliver with retries.

ALTER TABLE users ADD COLUMN language text NOT NULL DEFAULT 'zh-CN'
    CHECK (language IN ('zh-CN', 'en'));

-- Objectors have no account: the language of their mail is the one they
-- filed in.
ALTER TABLE objections ADD COLUMN objector_language text NOT NULL DEFAULT 'zh-CN'
    CHECK (objector_language IN ('zh-CN', 'en'));

-- A row per (user, kind) the user does not want by e-mail; security mail
-- cannot be switched off (the service refuses it).
CREATE TABLE notification_optouts (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind    text NOT NULL,
    PRIMARY KEY (user_id, kind)
);

CREATE TABLE outbox (
    id              uuid PRIMARY KEY,
    kind            text NOT NULL,
    channel         text NOT NULL CHECK (channel IN ('email')),
    -- The address the message goes to.
    recipient       text NOT NULL,
    language        text NOT NULL,
    -- What the message says, rendered at delivery from its template.
    payload         jsonb NOT NULL,
    created_at      timestamptz NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    delivered_at    timestamptz,
    -- Set when the retries ran out.
    abandoned_at    timestamptz,
    last_error      text
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND abandoned_at IS NULL;
