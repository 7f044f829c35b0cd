-- Counterparties confirm (issue 29): an act that needs its counterparty's
-- word (a transfer, its transferee's acceptance) waits for it before review,
-- and lapses unconfirmed. Its own migration: a new enum value may only be
-- used once the transaction adding it has committed.
ALTER TYPE act_state ADD VALUE 'awaiting_confirmation' BEFORE 'pending';
ALTER TYPE act_state ADD VALUE 'lapsed';
