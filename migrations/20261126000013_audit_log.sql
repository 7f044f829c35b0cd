-- Every action of registry staff and operators, append-only: who (a staff
-- user, or `cli` for the command line), when, what, on which record, and
-- the record's relevant fields before and after.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor       text NOT NULL CHECK (actor IN ('staff', 'cli')),
    actor_id    uuid REFERENCES users (id),
    action      text NOT NULL,
    target_type text NOT NULL,
    target_id   uuid NOT NULL,
    before      jsonb,
    after       jsonb,
    CHECK ((actor = 'staff') = (actor_id IS NOT NULL))
);
CREATE INDEX audit_log_target_idx ON audit_log (target_id, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id);

-- Append-only, whatever the application does: rows are never changed or
-- removed (TRUNCATE included).
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
