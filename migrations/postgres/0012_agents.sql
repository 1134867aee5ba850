-- Clusters whose objects an in-cluster agent delivers, and the agent's token. Kept column
-- for column in step with migrations/sqlite/0012_agents.sql.

ALTER TABLE clusters DROP CONSTRAINT clusters_kind_check;
ALTER TABLE clusters ADD CONSTRAINT clusters_kind_check CHECK (kind IN ('snapshot', 'api', 'kubeconfig', 'agent'));

-- The agent of an agent cluster: one token per cluster (SHA-256 of it; shown once), which
-- can only read the cluster's instructions and deliver its scans. Revoked: refused (401)
-- until a new token is issued. Last contact and version as the agent last reported them.
CREATE TABLE agents (
    cluster_id BIGINT PRIMARY KEY REFERENCES clusters (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_contact_at BIGINT,
    version TEXT
);
