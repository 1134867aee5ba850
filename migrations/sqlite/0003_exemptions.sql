-- Central exemptions, the team setting that turns annotation exemptions off, and the
-- reason an exempted finding was exempted. Kept column for column in step with
-- migrations/postgres/0003_exemptions.sql.

-- FALSE: `rampart.dev/ignore` annotations are not honoured in this team's scans (the owners
-- of objects should not exempt them themselves); only central exemptions apply.
ALTER TABLE teams ADD COLUMN honor_annotation_exemptions BOOLEAN NOT NULL DEFAULT TRUE;

-- Why an exempted finding is exempted (the annotation's or the exemption's reason);
-- NULL for findings that are not.
ALTER TABLE findings ADD COLUMN exemption_reason TEXT;

-- An exemption exempts the findings it matches at each scan until it expires. Every
-- matching field that is NULL means "all": all clusters of the team, every rule, every
-- namespace, every kind, every name.
CREATE TABLE exemptions (
    id INTEGER PRIMARY KEY,
    team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    cluster_id BIGINT REFERENCES clusters (id) ON DELETE CASCADE,
    rule TEXT,
    namespace TEXT,
    kind TEXT,
    name TEXT,
    reason TEXT NOT NULL,
    -- Who granted it; NULL once that user is deleted.
    author_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    -- NULL: never expires. An expired exemption stays listed but no longer applies.
    expires_at BIGINT
);
CREATE INDEX exemptions_team ON exemptions (team_id, cluster_id);
