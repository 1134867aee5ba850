-- A scan's per-namespace summaries (`namespaces`) and rule results (`rule_results`) are
-- kept once for a run of scans that concluded the same: a scan whose text is the same as
-- the latest earlier scan of its cluster that has one refers to the scan holding that text
-- (`namespaces_of`, `rule_results_of`) instead of keeping a copy. A cluster of 1,000
-- namespaces has summaries of about 100 KB, so unchanged rescans grew the database by
-- that much each (10 MB per 100 rescans). Scans are never deleted but with their cluster,
-- so a referred scan outlives the scans that refer to it. Kept in step with
-- migrations/sqlite/0026_scan_summaries_shared.sql.
ALTER TABLE scans ADD COLUMN namespaces_of BIGINT;
ALTER TABLE scans ADD COLUMN rule_results_of BIGINT;
