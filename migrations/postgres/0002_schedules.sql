-- Scheduled scans, shared by replicas. Kept column for column in step with
-- migrations/sqlite/0002_schedules.sql.

-- The process (replica) that runs a scan, and when it last said it still does: a queued or
-- running scan whose heartbeat is older than the lease belongs to a process that stopped,
-- and is marked interrupted and retried. NULL runner: queued for any replica to claim.
ALTER TABLE scans ADD COLUMN runner TEXT;
ALTER TABLE scans ADD COLUMN heartbeat_at BIGINT;
-- 1 for a first try; a retry of an interrupted scan counts on from it, up to a limit.
ALTER TABLE scans ADD COLUMN attempt BIGINT NOT NULL DEFAULT 1;
-- The interrupted scan a retry replaces.
ALTER TABLE scans ADD COLUMN retry_of BIGINT;

-- Scans left unfinished by a version without heartbeats belong to a process long gone.
UPDATE scans SET runner = 'before-schedules', heartbeat_at = COALESCE(started_at, queued_at)
    WHERE status IN ('queued', 'running');

-- Clusters registered before schedules existed get the default (every 6 hours) and a
-- first scheduled scan at once.
UPDATE clusters SET schedule = COALESCE(schedule, '0 */6 * * *'),
    next_scan_at = (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT
    WHERE kind <> 'snapshot' AND next_scan_at IS NULL;

CREATE INDEX clusters_next_scan ON clusters (next_scan_at);
