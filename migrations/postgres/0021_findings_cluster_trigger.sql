-- Findings rows without a per-row foreign key check. Kept in step with
-- migrations/sqlite/0021_findings_cluster_trigger.sql.
--
-- A first scan of a large cluster inserts hundreds of thousands of findings, and the
-- foreign key on `findings.cluster_id` checked each of them against `clusters` (a lookup
-- and a row lock per inserted row: a fifth of the insert's time at 20,000 rows per
-- statement). Scans are the only writers of findings, and each of a scan's transactions
-- already makes sure of its cluster: it updates its scan's row (which deleting the cluster
-- deletes) and then locks the cluster's row until it commits (`begin_batch` in
-- backend/src/store/recording.rs). So the key goes, and a trigger keeps what its
-- ON DELETE CASCADE did: deleting a cluster (or its team) deletes its findings.
ALTER TABLE findings DROP CONSTRAINT findings_cluster_id_fkey;

CREATE FUNCTION delete_cluster_findings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM findings WHERE cluster_id = OLD.id;
    RETURN OLD;
END
$$;

CREATE TRIGGER clusters_delete_findings AFTER DELETE ON clusters
    FOR EACH ROW EXECUTE FUNCTION delete_cluster_findings();
