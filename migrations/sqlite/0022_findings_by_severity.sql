-- Findings of a cluster by status, severity rank and id, whatever their status: what the
-- findings list reads for its default order (most severe first) with any status, or with
-- none (one walk per status, merged). It replaces `findings_open_by_severity`, the same
-- index over open findings alone, so a scan's inserts maintain as many indexes as before
-- (the rows a scan inserts are open, and were in that index already). Kept in step with
-- migrations/postgres/0022_findings_by_severity.sql; the expression is
-- `store::scans::SEVERITY_RANK`, which queries must repeat exactly.
DROP INDEX findings_open_by_severity;
CREATE INDEX findings_by_severity ON findings (cluster_id, status,
    (CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END), id);
