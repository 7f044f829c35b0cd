-- One enum per vocabulary (issue 27): the words the service writes as text
-- are each one Rust enum (domain::HistoryAction, domain::AuditAction,
-- domain::AuditTarget, db::outbox::Channel), and the columns hold nothing
-- else. outbox.channel has listed its words since the webhooks' migration.
-- A new word is a new variant and a migration replacing the constraint;
-- tests/api/vocabularies.rs compares each constraint with its enum.

-- The history of an application: the procedure's steps, the applicant's
-- and the public's other doings, and the acts on its certificate (named as
-- their ledger entries).
ALTER TABLE application_events ADD CONSTRAINT application_events_action_check CHECK (action IN (
    'submit', 'claim', 'request_supplement', 'reject', 'approve', 'withdraw', 'lapse_supplement',
    'close_announcement', 'await_objections', 'uphold_objection', 'dismiss_objections',
    'lapse_agreement', 'create', 'update', 'upload_material', 'delete_material', 'object',
    'withdraw_objection', 'respond_objection', 'add_objection_evidence', 'dismiss_objection',
    'close_objections', 'license.recorded', 'pledge.recorded', 'pledge.released',
    'certificate.transferred', 'certificate.changed', 'certificate.renewed',
    'certificate.cancelled', 'certificate.revoked'
));

-- The audit log's actions, and the kinds of record they act on.
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
    'application.claim', 'application.request_supplement', 'application.reject',
    'application.approve', 'objection.decide', 'act.approve', 'act.reject', 'certificate.revoke',
    'organization.verify', 'organization.refuse', 'organization.grant_refile_exception',
    'user.reset_password', 'staff.add', 'staff.disable', 'staff.enable'
));
ALTER TABLE audit_log ADD CONSTRAINT audit_log_target_type_check CHECK (target_type IN (
    'application', 'objection', 'act', 'certificate', 'user', 'organization'
));
