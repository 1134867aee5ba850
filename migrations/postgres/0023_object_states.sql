-- What a rescan needs of each object the cluster's last scan saw, to skip the engine for
-- an object whose content did not change (see backend/src/skipping.rs): the digest of its
-- content, the anchors it had (first object of the scan, first of its namespace), its score
-- when a medium-or-higher rule judged it, what its findings add to the scan's summaries
-- and its part of the scan's rule results (`results`, as skipping::ObjectState encodes it).
-- `object_hash` is the object's 8-byte hash (kind, namespace, name), whose high 32 bits
-- lead the fingerprints of its findings. Kept in step with
-- migrations/sqlite/0023_object_states.sql.
CREATE TABLE object_states (
    cluster_id BIGINT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    object_hash BIGINT NOT NULL,
    content_digest BIGINT NOT NULL,
    anchors INTEGER NOT NULL,
    score INTEGER,
    results TEXT NOT NULL,
    PRIMARY KEY (cluster_id, object_hash)
);

-- The digest of everything besides an object that its findings depend on (the engine, the
-- options, exemptions and policies, the context index) as the scan that left
-- `object_states` saw it. The row exists only while those states are exact: a scan
-- removes it when it starts and writes it when it ends complete, so a scan that stopped
-- part-way, or saw less than the whole cluster, leaves the next one checking everything.
CREATE TABLE object_states_inputs (
    cluster_id BIGINT PRIMARY KEY REFERENCES clusters (id) ON DELETE CASCADE,
    inputs_digest BIGINT NOT NULL
);

-- Objects a scan did not check, their state replayed (NULL: the scan kept no states).
ALTER TABLE scans ADD COLUMN objects_skipped BIGINT;
