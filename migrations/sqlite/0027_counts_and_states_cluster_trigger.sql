-- Kept in step with migrations/postgres/0027_counts_and_states_cluster_trigger.sql, which
-- replaces the foreign keys of `finding_counts.cluster_id` and `object_states.cluster_id`
-- by the trigger on `clusters` of migration 0021, to spare PostgreSQL a check per inserted
-- row. As in 0021, SQLite's check is a lookup in the primary key of `clusters` (no row
-- lock), and dropping a foreign key means rebuilding the table: the keys stay, with their
-- ON DELETE CASCADE.
SELECT 1;
