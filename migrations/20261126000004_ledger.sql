-- The tamper-evident ledger: an RFC 9162 Merkle log. Leaves hold the exact
-- bytes hashed; nodes hold the hashes of complete (perfect) subtrees, so
-- appends and proofs read O(log n) rows; checkpoints are signed notes.

CREATE TABLE ledger_leaves (
    idx         bigint PRIMARY KEY CHECK (idx >= 0),
    entry       bytea NOT NULL,
    leaf_hash   bytea NOT NULL,
    appended_at timestamptz NOT NULL
);

-- The perfect subtree of 2^level leaves starting at leaf idx * 2^level.
CREATE TABLE ledger_nodes (
    level smallint NOT NULL CHECK (level >= 0),
    idx   bigint NOT NULL CHECK (idx >= 0),
    hash  bytea NOT NULL,
    PRIMARY KEY (level, idx)
);

CREATE TABLE ledger_checkpoints (
    tree_size  bigint PRIMARY KEY CHECK (tree_size > 0),
    root_hash  bytea NOT NULL,
    -- The C2SP signed note, exactly as served.
    note       text NOT NULL,
    created_at timestamptz NOT NULL
);

-- Entries waiting to be appended, written in the same transaction as the
-- act they record.
CREATE TABLE ledger_outbox (
    id             bigserial PRIMARY KEY,
    entry          bytea NOT NULL,
    -- The certificate whose receipt this entry's inclusion fills in.
    certificate_id uuid REFERENCES certificates (id),
    created_at     timestamptz NOT NULL
);

-- Checkpoints published to an external blockchain.
CREATE TABLE ledger_anchors (
    tree_size       bigint PRIMARY KEY REFERENCES ledger_checkpoints (tree_size),
    root_hash       bytea NOT NULL,
    chain_id        bigint NOT NULL,
    tx_hash         text,
    block_number    bigint,
    anchored_at     timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text
);
CREATE INDEX ledger_anchors_pending_idx ON ledger_anchors (next_attempt_at) WHERE tx_hash IS NULL;
