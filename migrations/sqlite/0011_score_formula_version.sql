-- The version of the score formula (`rampart_core::score::FORMULA_VERSION`) each scan's
-- score was computed with; scans stored before the column were scored with version 1. The
-- trend marks where the version changes, so a jump there reads as a change of formula, not
-- as the cluster getting better or worse. Kept in step with
-- migrations/postgres/0011_score_formula_version.sql.
ALTER TABLE scans ADD COLUMN formula_version BIGINT NOT NULL DEFAULT 1;
