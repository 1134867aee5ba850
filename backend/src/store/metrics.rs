//! What `/metrics` reports, read from stored data (never by running a scan): scans by
//! status, how long finished scans took, open findings by cluster and severity.

use super::{on_pool, Store};

/// Upper bounds (seconds) of the scan-duration histogram's buckets.
pub const DURATION_BUCKETS: [f64; 8] = [0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

#[derive(Clone, Debug, Default)]
pub struct Metrics {
    /// `(status, count)`.
    pub scans_by_status: Vec<(String, i64)>,
    /// Finished scans with both times: cumulative counts per bucket of
    /// [`DURATION_BUCKETS`], the count and the sum of durations in milliseconds.
    pub duration_buckets: Vec<i64>,
    pub duration_count: i64,
    pub duration_sum_millis: i64,
    /// `(team, cluster, severity, count)`.
    pub open_findings: Vec<(String, String, String, i64)>,
    pub clusters: i64,
}

impl Store {
    pub async fn metrics(&self) -> Result<Metrics, sqlx::Error> {
        let mut buckets = String::new();
        for (index, bound) in DURATION_BUCKETS.iter().enumerate() {
            let millis = (bound * 1000.0) as i64;
            buckets.push_str(&format!(
                ", CAST(COALESCE(SUM(CASE WHEN finished_at - started_at <= {millis} THEN 1 ELSE 0 END), 0) AS BIGINT) \
                 AS b{index}"
            ));
        }
        let durations = format!(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(finished_at - started_at), 0) AS BIGINT) AS total{buckets} \
             FROM scans WHERE finished_at IS NOT NULL AND started_at IS NOT NULL"
        );
        on_pool!(self, |pool| {
            use sqlx::Row;
            let scans_by_status = sqlx::query_as::<_, (String, i64)>(
                "SELECT status, COUNT(*) FROM scans GROUP BY status ORDER BY status",
            )
            .fetch_all(pool)
            .await?;
            let row = sqlx::query(&durations).fetch_one(pool).await?;
            let mut duration_buckets = Vec::with_capacity(DURATION_BUCKETS.len());
            for index in 0..DURATION_BUCKETS.len() {
                duration_buckets.push(row.try_get::<i64, _>(format!("b{index}").as_str())?);
            }
            let open_findings = sqlx::query_as::<_, (String, String, String, i64)>(
                "SELECT t.name, c.name, f.severity, COUNT(*) FROM findings f \
                 JOIN clusters c ON c.id = f.cluster_id JOIN teams t ON t.id = c.team_id \
                 WHERE f.status = 'open' GROUP BY t.name, c.name, f.severity ORDER BY t.name, c.name, f.severity",
            )
            .fetch_all(pool)
            .await?;
            let clusters = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM clusters").fetch_one(pool).await?;
            Ok(Metrics {
                scans_by_status,
                duration_buckets,
                duration_count: row.try_get("n")?,
                duration_sum_millis: row.try_get("total")?,
                open_findings,
                clusters,
            })
        })
    }
}
