-- Clusters whose objects an in-cluster agent delivers, and the agent's token. Kept column
-- for column in step with migrations/postgres/0012_agents.sql.
--
-- SQLite cannot change the CHECK constraint of clusters.kind in place, and rebuilding the
-- table needs foreign keys off, which a migration's transaction cannot do (dropping the
-- old table would delete every scan and finding through ON DELETE CASCADE): the store
-- rebuilds it with 'agent' among its kinds right after migrating
-- (`Store::widen_sqlite_cluster_kinds`).

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
