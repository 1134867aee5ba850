-- Custom policies (ValidatingAdmissionPolicy YAML) of a team, applied on every scan of its
-- clusters, and the versions each scan used. Kept column for column in step with
-- migrations/postgres/0009_policies.sql.

-- One policy document of a team: a ValidatingAdmissionPolicy with its bindings and params
-- (one YAML stream). `version` starts at 1 and grows with every change of `source`;
-- the versions table keeps each source, so a scan's findings can be traced to the text
-- that produced them.
CREATE TABLE policies (
    id INTEGER PRIMARY KEY,
    team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    version BIGINT NOT NULL DEFAULT 1,
    -- Who last changed it; NULL once that user is deleted.
    author_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (team_id, name)
);

CREATE TABLE policy_versions (
    policy_id BIGINT NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    source TEXT NOT NULL,
    author_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (policy_id, version)
);

-- The policies a scan applied, as JSON: [{"id", "name", "version"}] ordered by id; NULL for
-- scans from before policies existed. Two scans with different values ran different rules:
-- the trend says so.
ALTER TABLE scans ADD COLUMN policies TEXT;
