-- Kept in step with migrations/postgres/0021_findings_cluster_trigger.sql, which replaces
-- the foreign key of `findings.cluster_id` by a trigger on `clusters` to spare PostgreSQL a
-- check per inserted row. SQLite's check is a lookup in the primary key of `clusters`
-- (no row lock), too cheap to measure at 600,000 rows, and dropping a foreign key means
-- rebuilding the table: the key stays, with its ON DELETE CASCADE.
SELECT 1;
