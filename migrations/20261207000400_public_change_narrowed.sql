-- Only changes the public can see notify `dataip_public`: every notification
-- starts a new generation of every process's public cache, so a write the
-- public cannot see (an account signing up, an act filed and still pending)
-- must not flush it.

-- An organization is public only as the holder of an announced application
-- or a certificate, by its name, credit code and whether it is verified
-- (see the public queries in db/announcements.rs and db/certificates.rs).
-- A new one holds nothing public yet: what it later holds notifies itself.
DROP TRIGGER organizations_public_change ON organizations;
CREATE TRIGGER organizations_public_change_update
    AFTER UPDATE ON organizations
    FOR EACH ROW WHEN ((OLD.name, OLD.credit_code, OLD.verification = 'verified')
                       IS DISTINCT FROM (NEW.name, NEW.credit_code, NEW.verification = 'verified'))
    EXECUTE FUNCTION notify_public_change();
CREATE TRIGGER organizations_public_change_delete
    AFTER DELETE ON organizations
    FOR EACH ROW EXECUTE FUNCTION notify_public_change();

-- Acts are public once approved (services/acts/public.rs): pending and
-- rejected ones are the holder's and the reviewers' business.
DROP TRIGGER certificate_acts_public_change ON certificate_acts;
CREATE TRIGGER certificate_acts_public_change
    AFTER INSERT ON certificate_acts
    FOR EACH ROW WHEN (NEW.state = 'approved')
    EXECUTE FUNCTION notify_public_change();
CREATE TRIGGER certificate_acts_public_change_update
    AFTER UPDATE ON certificate_acts
    FOR EACH ROW WHEN (OLD.state = 'approved' OR NEW.state = 'approved')
    EXECUTE FUNCTION notify_public_change();
CREATE TRIGGER certificate_acts_public_change_delete
    AFTER DELETE ON certificate_acts
    FOR EACH ROW WHEN (OLD.state = 'approved')
    EXECUTE FUNCTION notify_public_change();
