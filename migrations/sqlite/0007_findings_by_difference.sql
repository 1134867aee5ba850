-- Findings kept by difference, SQLite flavour. Kept column for column in step with
-- migrations/postgres/0007_findings_by_difference.sql, which says why each column changed:
-- an 8-byte fingerprint (object hash in the high 32 bits, finding hash in the low 32),
-- `last_seen` NULL while the latest finished scan saw the finding, no `last_scan_id`.
CREATE TABLE findings_next (
    id INTEGER PRIMARY KEY,
    cluster_id BIGINT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    fingerprint BIGINT,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
    kind TEXT NOT NULL,
    -- '' for cluster-scoped objects.
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    message TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'exempted')),
    exemption_reason TEXT,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT,
    resolved_at BIGINT,
    first_scan_id BIGINT NOT NULL
);

INSERT INTO findings_next (id, cluster_id, fingerprint, rule, severity, kind, namespace, name, path, message,
    status, exemption_reason, first_seen, last_seen, resolved_at, first_scan_id)
SELECT f.id, f.cluster_id, NULL, f.rule, f.severity, f.kind, f.namespace, f.name, f.path, f.message, f.status,
    f.exemption_reason, f.first_seen,
    CASE WHEN f.status <> 'resolved' AND f.last_scan_id = (SELECT MAX(s.id) FROM scans s
        WHERE s.cluster_id = f.cluster_id AND s.status IN ('succeeded', 'partial')) THEN NULL ELSE f.last_seen END,
    f.resolved_at, f.first_scan_id
FROM findings f;

DROP TABLE findings;
ALTER TABLE findings_next RENAME TO findings;

-- One finding per fingerprint of a cluster, and every finding of an object found by its
-- prefix (`fingerprint >> 32`, the object's hash): what a scan reads for each batch. The
-- prefix is part of the key so that the lookup needs no statistics to use the index.
CREATE UNIQUE INDEX findings_fingerprint ON findings (cluster_id, (fingerprint >> 32), fingerprint);
CREATE INDEX findings_cluster_status ON findings (cluster_id, status, id);
-- Open findings of a cluster, most severe first, then by id: the expression is
-- `store::scans::SEVERITY_RANK`, which queries must repeat exactly.
CREATE INDEX findings_open_by_severity ON findings (cluster_id,
    (CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END), id)
    WHERE status = 'open';

ALTER TABLE scans ADD COLUMN findings_written BIGINT NOT NULL DEFAULT 0;
