-- Rampart's store, SQLite flavour. Kept column for column in step with
-- migrations/postgres/0001_initial.sql: the server runs the same queries on both.
-- Times are Unix milliseconds (BIGINT) on both backends, so one query layer reads them.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    -- argon2id PHC string; NULL for a user who cannot log in with a password.
    password_hash TEXT,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    -- SHA-256 of the session cookie's value: a leaked database does not log anyone in.
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- SHA-256 of the token: it is shown once and never stored.
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT,
    UNIQUE (user_id, name)
);

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE clusters (
    id INTEGER PRIMARY KEY,
    team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('snapshot', 'api', 'kubeconfig')),
    server TEXT,
    context TEXT,
    -- Cron expression or interval; NULL: only scanned on demand (snapshot clusters).
    schedule TEXT,
    -- Encrypted credentials (kubeconfig, or token and CA); never returned by the API.
    credentials BLOB,
    next_scan_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (team_id, name)
);

CREATE TABLE scans (
    id INTEGER PRIMARY KEY,
    cluster_id BIGINT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    status TEXT NOT NULL
        CHECK (status IN ('queued', 'running', 'succeeded', 'partial', 'failed', 'interrupted')),
    source TEXT NOT NULL,
    queued_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    objects BIGINT NOT NULL DEFAULT 0,
    score BIGINT,
    grade TEXT,
    critical BIGINT NOT NULL DEFAULT 0,
    high BIGINT NOT NULL DEFAULT 0,
    medium BIGINT NOT NULL DEFAULT 0,
    low BIGINT NOT NULL DEFAULT 0,
    info BIGINT NOT NULL DEFAULT 0,
    new_findings BIGINT NOT NULL DEFAULT 0,
    resolved_findings BIGINT NOT NULL DEFAULT 0,
    -- JSON: [{"kind", "message"}], the kinds (or inputs) that could not be read.
    errors TEXT NOT NULL DEFAULT '[]',
    -- JSON: {"namespace": {"objects", "critical", "high", "medium", "low", "info"}}.
    namespaces TEXT NOT NULL DEFAULT '{}',
    message TEXT
);
CREATE INDEX scans_cluster ON scans (cluster_id, id);
CREATE INDEX scans_status ON scans (status);

-- One row per distinct finding of a cluster, updated scan after scan: storage grows with
-- distinct findings, not with scans.
CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    cluster_id BIGINT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    -- SHA-256 of (cluster, rule, kind, namespace, name, path).
    fingerprint TEXT NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
    kind TEXT NOT NULL,
    -- '' for cluster-scoped objects.
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    message TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'exempted')),
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    resolved_at BIGINT,
    first_scan_id BIGINT NOT NULL,
    last_scan_id BIGINT NOT NULL,
    UNIQUE (cluster_id, fingerprint)
);
CREATE INDEX findings_cluster_status ON findings (cluster_id, status, id);
