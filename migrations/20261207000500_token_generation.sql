-- Every credential carries the generation of its user's credentials when it
-- was issued, and is accepted only while that is still the user's: a
-- password change or reset, and a disabling, advance it, so that access
-- tokens (the `gen` claim) and refresh tokens issued before stop working at
-- once, even those of the same second (the whole-second `tokens_not_before`
-- it replaces let those through). A refresh token passes its generation on
-- to the pair it is exchanged for; a login takes the generation it read
-- with the password it checked, so a login racing a reset loses.
ALTER TABLE users ADD COLUMN token_generation integer NOT NULL DEFAULT 0;
-- Accounts disabled and enabled again refused their earlier tokens by time;
-- now by generation (tokens issued before this migration carry none, which
-- reads as 0: on these few accounts they end, minutes early).
UPDATE users SET token_generation = 1 WHERE tokens_not_before IS NOT NULL;
ALTER TABLE users DROP COLUMN tokens_not_before;

ALTER TABLE refresh_tokens ADD COLUMN token_generation integer NOT NULL DEFAULT 0;
UPDATE refresh_tokens SET token_generation = users.token_generation
FROM users WHERE users.id = refresh_tokens.user_id;
