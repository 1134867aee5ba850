-- The cluster's finding counts and object states without a per-row foreign key check, as
-- migration 0021 did for findings. Kept in step with
-- migrations/sqlite/0027_counts_and_states_cluster_trigger.sql.
--
-- A first scan of a large cluster inserts a row of `object_states` per object and tens of
-- thousands of `finding_counts` rows, and the foreign key on their `cluster_id` checked
-- each of them against `clusters` (a lookup and a row lock per inserted row: about half of
-- the time of inserting the 39,325 counts of a cluster of 614,445 findings, and 89,000 of
-- the first scan's 125,000 checks). Scans are the only writers of both tables, always in a
-- step's transaction, which makes sure of its cluster (`begin_batch` in
-- backend/src/store/recording.rs locks the cluster's row until it commits). So the keys
-- go, and the trigger of migration 0021 keeps what their ON DELETE CASCADE did: deleting a
-- cluster (or its team) deletes its counts and states with its findings.
ALTER TABLE finding_counts DROP CONSTRAINT finding_counts_cluster_id_fkey;
ALTER TABLE object_states DROP CONSTRAINT object_states_cluster_id_fkey;

CREATE OR REPLACE FUNCTION delete_cluster_findings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM findings WHERE cluster_id = OLD.id;
    DELETE FROM finding_counts WHERE cluster_id = OLD.id;
    DELETE FROM object_states WHERE cluster_id = OLD.id;
    RETURN OLD;
END
$$;
