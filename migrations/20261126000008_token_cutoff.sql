-- Access tokens issued before an account was disabled stay dead when it is
-- enabled again: enabling records the moment it had been disabled, and
-- tokens issued (iat) before then are refused.
ALTER TABLE users ADD COLUMN tokens_not_before timestamptz;
