-- Findings found by their object's id instead of by their hashed fingerprint. Kept in step
-- with migrations/postgres/0024_findings_by_object.sql.
--
-- A scan reads the stored findings of each batch's objects and inserts the new ones. The
-- index it read them through, `findings_fingerprint (cluster_id, fingerprint >> 32,
-- fingerprint)`, was keyed by hashes: a batch's inserts landed all over it, so every
-- transaction of a first scan wrote most of its pages again (half of what SQLite wrote for
-- a dense first scan, a third of its CPU; BENCHMARKS.md). An object now gets an id the
-- first time one of its findings is stored, in the order a scan records its objects, and
-- its findings are keyed by that id: a first scan's inserts append to the index.
--
-- `object_hash` is the object's 8-byte hash (kind, namespace, name), as in
-- `object_states`. Findings stored before get their object when the server starts
-- (`Store::rekey_findings`).
CREATE TABLE finding_objects (
    id INTEGER PRIMARY KEY,
    cluster_id BIGINT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    object_hash BIGINT NOT NULL,
    UNIQUE (cluster_id, object_hash)
);

ALTER TABLE findings ADD COLUMN object_id BIGINT;

-- One finding per fingerprint of an object, and an object's findings read together.
DROP INDEX findings_fingerprint;
CREATE UNIQUE INDEX findings_object ON findings (object_id, fingerprint);
