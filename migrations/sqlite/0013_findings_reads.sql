-- Findings of a cluster by namespace, then id: the findings list filtered by namespace
-- reads its page from here instead of walking the cluster's findings in id order until it
-- has met enough of the namespace's (a namespace holding 0.1 % of a cluster's findings made
-- a page read a thousand times its size). Kept in step with
-- migrations/postgres/0013_findings_reads.sql.
--
-- A severity filter on open findings needs no index of its own: it reads
-- `findings_open_by_severity` (cluster, severity rank, id) with the rank fixed.
CREATE INDEX findings_namespace ON findings (cluster_id, namespace, id);

-- A digest of what each finding says (its identity, severity, message and exemption
-- reason; `store::recording::digest`): a scan reads it instead of the text to tell a
-- finding seen again unchanged. Rows stored before get theirs when the server starts
-- (`Store::rekey_findings`).
ALTER TABLE findings ADD COLUMN digest BIGINT;
