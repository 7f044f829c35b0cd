-- Counterparties confirm, the rest of it (issue 29). An act may await more
-- than one word: its own counterparty's (a transferee, a pledgee, a
-- licensee), and the consent of every pledgee of record when it would
-- outrank or defeat their pledge (a second pledge, a transfer, a
-- cancellation, an exclusive licence). Each word is one row, given by the
-- party registered here (through the API), by a single-use link mailed to
-- the contact the filer gave, or, for a pledge recorded before pledgees had
-- contacts, by the pledgee's written consent uploaded as the act's
-- document (then staff review it with the act).
ALTER TABLE act_confirmations DROP CONSTRAINT act_confirmations_pkey;
ALTER TABLE act_confirmations ADD COLUMN id uuid;
UPDATE act_confirmations SET id = act_id;
ALTER TABLE act_confirmations ALTER COLUMN id SET NOT NULL, ADD PRIMARY KEY (id);
ALTER TABLE act_confirmations ALTER COLUMN counterparty_org_id DROP NOT NULL;
ALTER TABLE act_confirmations
    -- Set when the word is a pledgee's consent: the pledge it speaks for.
    ADD COLUMN pledge_id uuid REFERENCES certificate_acts (id),
    -- Where the single-use link went, and the hash of its secret.
    ADD COLUMN contact_email text,
    ADD COLUMN token_hash bytea,
    -- How the answer came: 'party' (the API), 'link', or 'document'.
    ADD COLUMN answered_via text,
    ADD CONSTRAINT act_confirmations_link_whole CHECK ((contact_email IS NULL) = (token_hash IS NULL)),
    ADD CONSTRAINT act_confirmations_via_check CHECK (answered_via IN ('party', 'link', 'document')),
    ADD CONSTRAINT act_confirmations_one_word UNIQUE NULLS NOT DISTINCT (act_id, pledge_id);
UPDATE act_confirmations SET answered_via = 'party' WHERE answered_at IS NOT NULL;
ALTER TABLE act_confirmations ADD CONSTRAINT act_confirmations_via_whole
    CHECK ((answered_at IS NULL) = (answered_via IS NULL));

-- The document an act carries: a pledgee's written consent to the holder's
-- release of a pledge recorded before pledgees had contacts. Stored as
-- materials' contents are; the holder and staff see it, the public never.
CREATE TABLE act_documents (
    act_id      uuid PRIMARY KEY REFERENCES certificate_acts (id),
    filename    text NOT NULL,
    media_type  text NOT NULL,
    size        bigint NOT NULL,
    sha256      bytea NOT NULL,
    blob_id     uuid NOT NULL REFERENCES blobs (id),
    uploaded_by uuid NOT NULL REFERENCES users (id),
    uploaded_at timestamptz NOT NULL
);
CREATE INDEX act_documents_blob_idx ON act_documents (blob_id);

-- A pledge's rank among the certificate's pledges: 1 for the first; a
-- later pledge, recorded with every earlier pledgee's consent, ranks after
-- them. Pledges of record are ranked in the order they were recorded.
ALTER TABLE pledges ADD COLUMN rank integer NOT NULL DEFAULT 1 CONSTRAINT pledges_rank_check CHECK (rank >= 1);
UPDATE pledges p SET rank = r.rank
  FROM (SELECT act_id, row_number() OVER (PARTITION BY certificate_id ORDER BY act_id) AS rank
          FROM pledges WHERE released_at IS NULL) r
 WHERE p.act_id = r.act_id;
ALTER TABLE pledges ALTER COLUMN rank DROP DEFAULT;
