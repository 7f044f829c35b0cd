-- Public reads that stay fast as the registry grows: one search document per
-- announced application with one index over its characters and character
-- pairs, and a change feed that tells every replica when a public view may
-- have changed.

-- The distinct characters and character pairs of a text, lower-cased and
-- with whitespace as a separator: what a search term must all find in a
-- document before the document is read. Pairs rather than pg_trgm's
-- triples, because Chinese search terms are often two characters long
-- (物流, 医疗), and a triple index cannot narrow those down at all.
-- (Walking the characters once: substr() on multibyte text would be
-- quadratic.)
-- Its cost is set high because it is: the planner then never reads the
-- documents one by one when the index can answer (it plans without
-- statistics too).
CREATE FUNCTION search_grams(document text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 10000 AS $$
    SELECT coalesce(array_agg(DISTINCT gram) FILTER (WHERE gram IS NOT NULL), '{}')
    FROM (SELECT c, c || lead(c) OVER (ORDER BY n) AS pair
          FROM unnest(string_to_array(regexp_replace(lower(document), '\s+', ' ', 'g'), NULL))
               WITH ORDINALITY AS t(c, n)) AS chars,
         LATERAL (VALUES (c), (pair)) AS g(gram)
    WHERE position(' ' IN gram) = 0
$$;

-- The grams a query's terms require: each term's pairs, or the character
-- itself for a one-character term.
CREATE FUNCTION search_query_grams(terms text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT gram), '{}')
    FROM unnest(terms) AS t(term),
         generate_series(1, greatest(char_length(term) - 1, 1)) AS i,
         LATERAL (SELECT substr(lower(term), i, least(char_length(term), 2))) AS g(gram)
$$;

-- What the public searches of an application in its announcement: product
-- name, abstract and holder name. A table of its own, written when the
-- announcement opens and deleted when it closes, so that no other update of
-- an application (the worker's included) rewrites the index entries of its
-- text, and drafts cost no index work at all.
CREATE TABLE announcement_search (
    application_id uuid PRIMARY KEY REFERENCES applications (id) ON DELETE CASCADE,
    -- Lower-cased.
    document       text NOT NULL
);
-- The grams live in the index only: a query's grams are all found there,
-- and the index answers exactly, so the documents it returns are read
-- once each, for the terms themselves.
CREATE INDEX announcement_search_grams_idx ON announcement_search USING gin (search_grams(document));

CREATE FUNCTION announcement_search_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state <> 'in_announcement' THEN
        DELETE FROM announcement_search WHERE application_id = NEW.id;
    ELSE
        INSERT INTO announcement_search (application_id, document)
        SELECT NEW.id, lower(NEW.product_name || E'\n' || NEW.abstract || E'\n' || o.name)
          FROM organizations o WHERE o.id = NEW.org_id
        ON CONFLICT (application_id) DO UPDATE SET document = excluded.document;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER announcement_search_insert
    AFTER INSERT ON applications
    FOR EACH ROW WHEN (NEW.state = 'in_announcement')
    EXECUTE FUNCTION announcement_search_refresh();
CREATE TRIGGER announcement_search_update
    AFTER UPDATE ON applications
    FOR EACH ROW WHEN ((OLD.state = 'in_announcement') <> (NEW.state = 'in_announcement')
                       OR (NEW.state = 'in_announcement'
                           AND (OLD.product_name, OLD.abstract, OLD.org_id)
                               IS DISTINCT FROM (NEW.product_name, NEW.abstract, NEW.org_id)))
    EXECUTE FUNCTION announcement_search_refresh();

-- A holder renamed is found under its new name.
CREATE FUNCTION announcement_search_holder_renamed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE announcement_search s
       SET document = lower(a.product_name || E'\n' || a.abstract || E'\n' || NEW.name)
      FROM applications a
     WHERE s.application_id = a.id AND a.org_id = NEW.id AND a.state = 'in_announcement';
    RETURN NULL;
END $$;

CREATE TRIGGER announcement_search_holder_renamed
    AFTER UPDATE OF name ON organizations
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION announcement_search_holder_renamed();

INSERT INTO announcement_search (application_id, document)
SELECT a.id, lower(a.product_name || E'\n' || a.abstract || E'\n' || o.name)
  FROM applications a JOIN organizations o ON o.id = a.org_id
 WHERE a.state = 'in_announcement';

-- The search above replaces these; each also cost every insert and every
-- non-HOT update of its table hundreds of index entries (the worker's
-- certificates and state changes included).
DROP INDEX applications_product_name_trgm_idx;
DROP INDEX applications_abstract_trgm_idx;
DROP INDEX certificates_product_name_trgm_idx;
DROP INDEX certificates_abstract_trgm_idx;

-- The change feed: a notification on `dataip_public` when a transaction
-- changes what the public may read. Delivered at commit, to every replica
-- listening; identical notifications of one transaction arrive as one.
CREATE FUNCTION notify_public_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('dataip_public', '');
    RETURN NULL;
END $$;

-- Applications only once announced: drafts and the review are not public.
CREATE TRIGGER applications_public_change
    AFTER INSERT ON applications
    FOR EACH ROW WHEN (NEW.announcement_starts_at IS NOT NULL)
    EXECUTE FUNCTION notify_public_change();
CREATE TRIGGER applications_public_change_update
    AFTER UPDATE ON applications
    FOR EACH ROW WHEN (OLD.announcement_starts_at IS NOT NULL OR NEW.announcement_starts_at IS NOT NULL)
    EXECUTE FUNCTION notify_public_change();
CREATE TRIGGER applications_public_change_delete
    AFTER DELETE ON applications
    FOR EACH ROW WHEN (OLD.announcement_starts_at IS NOT NULL)
    EXECUTE FUNCTION notify_public_change();

-- Everything else the public pages, the public API and /tlog read. Per row,
-- not per statement: a statement that changes nothing (the worker's
-- periodic UPDATE ... WHERE due, most often) must not flush every cache.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['organizations', 'certificates', 'certificate_acts', 'licenses', 'pledges',
                             'ledger_leaves', 'ledger_nodes', 'ledger_checkpoints', 'ledger_cosignatures',
                             'ledger_anchors', 'ledger_witnesses']
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I
                        FOR EACH ROW EXECUTE FUNCTION notify_public_change()', t || '_public_change', t);
    END LOOP;
END $$;
