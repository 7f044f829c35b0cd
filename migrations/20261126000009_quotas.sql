-- Quotas (config [quota]): an organization's open drafts are counted at
-- each creation, and its materials' bytes at each upload; both read only
-- that organization's rows.
CREATE INDEX applications_open_drafts_idx ON applications (org_id) WHERE state = 'draft';
CREATE INDEX materials_org_idx ON materials (org_id);
