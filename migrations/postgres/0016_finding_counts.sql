-- How many findings a cluster has of each (status, severity, rule, namespace): what the
-- findings list's total reads instead of counting the rows that match its filter (a count
-- over 500,000 findings took most of a second, on every page). Kept in step with
-- migrations/sqlite/0016_finding_counts.sql.
--
-- Scans are the only writers of findings. The first of a scan's steps that writes a
-- finding marks the cluster's counts stale (a row in `finding_counts_stale`), in the same
-- transaction; the scan's last step counts the cluster's findings again and removes the
-- mark. While they are stale (a scan is writing, or stopped part-way) the total is
-- counted from the findings themselves, as before.
CREATE TABLE finding_counts (
    cluster_id BIGINT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    severity TEXT NOT NULL,
    rule TEXT NOT NULL,
    namespace TEXT NOT NULL,
    findings BIGINT NOT NULL,
    PRIMARY KEY (cluster_id, status, severity, rule, namespace)
);

INSERT INTO finding_counts (cluster_id, status, severity, rule, namespace, findings)
SELECT cluster_id, status, severity, rule, namespace, COUNT(*) FROM findings
GROUP BY cluster_id, status, severity, rule, namespace;

CREATE TABLE finding_counts_stale (
    cluster_id BIGINT PRIMARY KEY REFERENCES clusters (id) ON DELETE CASCADE
);
