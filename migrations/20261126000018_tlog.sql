-- Transparency anyone can check: witness cosignatures on the registry's
-- checkpoints, and the state of `dataip witness` for the logs it witnesses.

-- Cosignatures the registry collected from its configured witnesses.
CREATE TABLE ledger_cosignatures (
    tree_size   bigint NOT NULL REFERENCES ledger_checkpoints (tree_size),
    -- The witness's key name, as its signature line gives it.
    witness     text NOT NULL,
    -- The signature line, exactly as the witness returned it.
    line        text NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (tree_size, witness)
);

-- How far each configured witness has cosigned the registry's log.
CREATE TABLE ledger_witnesses (
    -- The witness's verifier key.
    vkey        text PRIMARY KEY,
    tree_size   bigint NOT NULL DEFAULT 0 CHECK (tree_size >= 0),
    updated_at  timestamptz NOT NULL,
    last_error  text
);

-- `dataip witness`: the latest checkpoint cosigned per log. Checking the old
-- size and storing the new checkpoint happen under this row's lock, so two
-- sizes can never be cosigned out of order, nor two roots for one size.
CREATE TABLE witnessed_logs (
    origin     text PRIMARY KEY,
    tree_size  bigint NOT NULL CHECK (tree_size >= 0),
    root_hash  bytea NOT NULL,
    -- The checkpoint with the log's signature and this witness's cosignature.
    note       text NOT NULL,
    updated_at timestamptz NOT NULL
);
