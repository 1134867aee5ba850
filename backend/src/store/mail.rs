//! Email: users' subscriptions (digests and alerts), the outbox every email goes through,
//! and the reads a digest is made of.
//!
//! The outbox makes sending safe to retry and to run on several replicas: an email is
//! queued once (its dedup key is unique: a subscription and a period, or a subscription
//! and a scan), claimed by one sender at a time with a lease (PostgreSQL skips rows another
//! replica has locked; SQLite, one writer, claims with a conditional UPDATE), then marked
//! sent, or retried later with its attempts counted, or failed for good and kept.

use super::routing::{namespace_condition, NamespaceRoute};
use super::scans::{Counts, ScanError};
use super::{now_millis, on_pool, Store};

/// How often a subscription writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frequency {
    Daily,
    Weekly,
    /// An email per scan that opens new critical findings.
    Immediate,
}

impl Frequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Immediate => "immediate",
        }
    }

    pub fn parse(text: &str) -> Option<Frequency> {
        match text {
            "daily" => Some(Frequency::Daily),
            "weekly" => Some(Frequency::Weekly),
            "immediate" => Some(Frequency::Immediate),
            _ => None,
        }
    }
}

/// A subscription with its owner's address.
#[derive(Clone, Debug)]
pub struct Subscription {
    pub id: i64,
    pub user_id: i64,
    pub email: String,
    /// A whole team (`(id, name)`), or else the clusters in `cluster_ids`.
    pub team: Option<(i64, String)>,
    pub cluster_ids: Vec<i64>,
    pub frequency: Frequency,
    pub hour: i64,
    /// 0 Monday … 6 Sunday.
    pub weekday: i64,
    pub last_period: Option<String>,
    pub last_scan_id: i64,
    pub created_at: i64,
    /// The namespaces it hears of.
    pub route: NamespaceRoute,
}

/// A subscription to create; exactly one of `team_id` and `cluster_ids` says what it covers.
#[derive(Clone, Debug)]
pub struct NewSubscription {
    pub user_id: i64,
    pub team_id: Option<i64>,
    pub cluster_ids: Vec<i64>,
    pub frequency: Frequency,
    pub hour: i64,
    pub weekday: i64,
    pub route: NamespaceRoute,
}

/// A cluster a subscription covers, as its owner may see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoveredCluster {
    pub id: i64,
    pub name: String,
    pub team: String,
}

/// A scan's results, for a digest's score and change.
#[derive(Clone, Debug)]
pub struct ScanResult {
    pub scan_id: i64,
    pub finished_at: i64,
    pub score: Option<i64>,
    pub grade: Option<String>,
    pub counts: Counts,
}

/// A scan that failed, was cut short or could not read everything.
#[derive(Clone, Debug)]
pub struct TroubledScan {
    pub id: i64,
    pub status: String,
    pub finished_at: Option<i64>,
    pub message: Option<String>,
    pub errors: Vec<ScanError>,
}

/// A finding as an email lists it.
#[derive(Clone, Debug)]
pub struct MailFinding {
    pub rule: String,
    pub severity: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub message: String,
}

/// An email to queue.
#[derive(Clone, Debug)]
pub struct NewEmail {
    pub subscription_id: Option<i64>,
    /// A webhook's delivery: `recipient` is the URL's host, `text` the body to post.
    pub webhook_id: Option<i64>,
    /// `digest`, `immediate`, `manual` or (webhooks) `scan_failed`.
    pub kind: &'static str,
    pub dedup_key: String,
    pub recipient: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    pub unsubscribe_url: Option<String>,
}

/// An email in the outbox (a row of [`EMAIL_COLUMNS`]).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Email {
    pub id: i64,
    pub subscription_id: Option<i64>,
    pub webhook_id: Option<i64>,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    #[sqlx(rename = "html_body")]
    pub html: String,
    #[sqlx(rename = "text_body")]
    pub text: String,
    pub unsubscribe_url: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

const SUBSCRIPTION_SQL: &str = "SELECT s.id, s.user_id, u.email, s.team_id, t.name AS team, s.frequency, s.hour, \
     s.weekday, s.last_period, s.last_scan_id, s.created_at, s.namespaces, s.namespace_selector FROM subscriptions s JOIN users u ON u.id = s.user_id \
     LEFT JOIN teams t ON t.id = s.team_id";

const EMAIL_COLUMNS: &str =
    "id, subscription_id, webhook_id, kind, recipient, subject, html_body, text_body, unsubscribe_url, \
     status, attempts, next_attempt_at, last_error, created_at, sent_at";

/// A row of [`SUBSCRIPTION_SQL`].
#[derive(sqlx::FromRow)]
struct SubscriptionRow {
    id: i64,
    user_id: i64,
    email: String,
    team_id: Option<i64>,
    team: Option<String>,
    frequency: String,
    hour: i64,
    weekday: i64,
    last_period: Option<String>,
    last_scan_id: i64,
    created_at: i64,
    namespaces: Option<String>,
    namespace_selector: Option<String>,
}

impl SubscriptionRow {
    fn into_subscription(self, cluster_ids: Vec<i64>) -> Subscription {
        Subscription {
            id: self.id,
            user_id: self.user_id,
            email: self.email,
            team: self.team_id.zip(self.team),
            cluster_ids,
            frequency: Frequency::parse(&self.frequency).unwrap_or(Frequency::Daily),
            hour: self.hour,
            weekday: self.weekday,
            last_period: self.last_period,
            last_scan_id: self.last_scan_id,
            created_at: self.created_at,
            route: NamespaceRoute::from_columns(self.namespaces.as_deref(), self.namespace_selector.as_deref()),
        }
    }
}

/// The condition of an email a sender may claim at the time in parameter `now`: queued,
/// due, and not leased (or its lease ran out: the sender died); only webhook deliveries
/// when `webhooks_only` (no SMTP server to send emails).
fn claimable(now: &str, webhooks_only: bool) -> String {
    let channel = if webhooks_only { " AND webhook_id IS NOT NULL" } else { "" };
    format!(
        "status = 'queued' AND next_attempt_at <= {now} AND (claimed_until IS NULL OR claimed_until < {now}){channel}"
    )
}

impl Store {
    /// Creates a subscription. An alert subscription looks only at scans after this one
    /// was made: its watermark starts at the newest scan.
    pub async fn create_subscription(&self, subscription: &NewSubscription) -> Result<i64, sqlx::Error> {
        let now = now_millis();
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let (namespaces, selector) = subscription.route.to_columns();
            let id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO subscriptions (user_id, team_id, frequency, hour, weekday, last_scan_id, created_at, \
                 namespaces, namespace_selector) \
                 VALUES ($1, $2, $3, $4, $5, (SELECT COALESCE(MAX(id), 0) FROM scans), $6, $7, $8) RETURNING id",
            )
            .bind(subscription.user_id)
            .bind(subscription.team_id)
            .bind(subscription.frequency.as_str())
            .bind(subscription.hour)
            .bind(subscription.weekday)
            .bind(now)
            .bind(namespaces)
            .bind(selector)
            .fetch_one(&mut *tx)
            .await?;
            for cluster_id in &subscription.cluster_ids {
                sqlx::query(
                    "INSERT INTO subscription_clusters (subscription_id, cluster_id) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(cluster_id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Subscriptions, all of them or one user's, by id.
    async fn subscriptions_where(&self, condition: &str, value: Option<i64>) -> Result<Vec<Subscription>, sqlx::Error> {
        let sql = format!("{SUBSCRIPTION_SQL} {condition} ORDER BY s.id");
        on_pool!(self, |pool| {
            let mut query = sqlx::query_as::<_, SubscriptionRow>(&sql);
            if let Some(value) = value {
                query = query.bind(value);
            }
            let rows = query.fetch_all(pool).await?;
            let mut subscriptions = Vec::with_capacity(rows.len());
            for row in rows {
                let cluster_ids = sqlx::query_scalar::<_, i64>(
                    "SELECT cluster_id FROM subscription_clusters WHERE subscription_id = $1 ORDER BY cluster_id",
                )
                .bind(row.id)
                .fetch_all(pool)
                .await?;
                subscriptions.push(row.into_subscription(cluster_ids));
            }
            Ok(subscriptions)
        })
    }

    /// The user's subscriptions.
    pub async fn list_subscriptions(&self, user_id: i64) -> Result<Vec<Subscription>, sqlx::Error> {
        self.subscriptions_where("WHERE s.user_id = $1", Some(user_id)).await
    }

    /// Every subscription (the mailer's round).
    pub async fn all_subscriptions(&self) -> Result<Vec<Subscription>, sqlx::Error> {
        self.subscriptions_where("", None).await
    }

    pub async fn subscription(&self, id: i64) -> Result<Option<Subscription>, sqlx::Error> {
        Ok(self.subscriptions_where("WHERE s.id = $1", Some(id)).await?.pop())
    }

    /// Deletes a subscription; false when there was none. Its emails stay in the outbox.
    pub async fn delete_subscription(&self, id: i64) -> Result<bool, sqlx::Error> {
        on_pool!(self, |pool| {
            let done = sqlx::query("DELETE FROM subscriptions WHERE id = $1").bind(id).execute(pool).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// The clusters a subscription covers that its owner may still see, by name: a team's
    /// clusters as they are now, or the listed ones. Someone who left a team stops hearing
    /// about its clusters.
    pub async fn covered_clusters(&self, subscription: &Subscription) -> Result<Vec<CoveredCluster>, sqlx::Error> {
        const SQL: &str = "SELECT c.id, c.name, t.name AS team FROM clusters c JOIN teams t ON t.id = c.team_id \
             JOIN memberships m ON m.team_id = c.team_id AND m.user_id = $1 \
             WHERE c.team_id = $2 OR c.id IN (SELECT cluster_id FROM subscription_clusters WHERE subscription_id = $3) \
             ORDER BY c.name, c.id";
        on_pool!(self, |pool| {
            let rows = sqlx::query_as::<_, (i64, String, String)>(SQL)
                .bind(subscription.user_id)
                .bind(subscription.team.as_ref().map(|(id, _)| *id))
                .bind(subscription.id)
                .fetch_all(pool)
                .await?;
            Ok(rows.into_iter().map(|(id, name, team)| CoveredCluster { id, name, team }).collect())
        })
    }

    /// The newest results (a succeeded or partial scan) that finished before `before`.
    pub async fn latest_result_before(&self, cluster_id: i64, before: i64) -> Result<Option<ScanResult>, sqlx::Error> {
        type Row = (i64, i64, Option<i64>, Option<String>, i64, i64, i64, i64, i64);
        const SQL: &str = "SELECT id, finished_at, score, grade, critical, high, medium, low, info FROM scans \
             WHERE cluster_id = $1 AND status IN ('succeeded', 'partial') AND finished_at < $2 \
             ORDER BY finished_at DESC, id DESC LIMIT 1";
        let row = on_pool!(self, |pool| {
            sqlx::query_as::<_, Row>(SQL).bind(cluster_id).bind(before).fetch_optional(pool).await
        })?;
        Ok(row.map(|(scan_id, finished_at, score, grade, critical, high, medium, low, info)| ScanResult {
            scan_id,
            finished_at,
            score,
            grade,
            counts: [critical, high, medium, low, info],
        }))
    }

    /// Critical and high findings new in `[from, to)`: first seen within it, not exempted,
    /// and still open at its end (one opened and resolved within the period is no news),
    /// most severe first, at most `limit`; of `namespaces` only, when given.
    pub async fn new_serious_findings(
        &self,
        cluster_id: i64,
        from: i64,
        to: i64,
        limit: i64,
        namespaces: Option<&[String]>,
    ) -> Result<Vec<MailFinding>, sqlx::Error> {
        let sql = format!(
            "SELECT rule, severity, kind, namespace, name, message FROM findings \
             WHERE cluster_id = $1 AND first_seen >= $2 AND first_seen < $3 AND severity IN ('critical', 'high') \
             AND (status = 'open' OR (status = 'resolved' AND resolved_at >= $3)){} \
             ORDER BY CASE severity WHEN 'critical' THEN 0 ELSE 1 END, namespace, kind, name, rule, id LIMIT $4",
            namespace_condition(namespaces, 5)
        );
        self.mail_findings(&sql, &[cluster_id, from, to, limit], namespaces).await
    }

    /// The critical findings a scan opened that are still open, at most `limit`; of
    /// `namespaces` only, when given.
    pub async fn new_critical_findings_of_scan(
        &self,
        cluster_id: i64,
        scan_id: i64,
        limit: i64,
        namespaces: Option<&[String]>,
    ) -> Result<Vec<MailFinding>, sqlx::Error> {
        let sql = format!(
            "SELECT rule, severity, kind, namespace, name, message FROM findings \
             WHERE cluster_id = $1 AND first_scan_id = $2 AND severity = 'critical' AND status = 'open'{} \
             ORDER BY namespace, kind, name, rule, id LIMIT $3",
            namespace_condition(namespaces, 4)
        );
        self.mail_findings(&sql, &[cluster_id, scan_id, limit], namespaces).await
    }

    async fn mail_findings(
        &self,
        sql: &str,
        parameters: &[i64],
        namespaces: Option<&[String]>,
    ) -> Result<Vec<MailFinding>, sqlx::Error> {
        let rows = on_pool!(self, |pool| {
            let mut query = sqlx::query_as::<_, (String, String, String, String, String, String)>(sql);
            for parameter in parameters {
                query = query.bind(*parameter);
            }
            for namespace in namespaces.unwrap_or_default() {
                query = query.bind(namespace);
            }
            query.fetch_all(pool).await
        })?;
        Ok(rows
            .into_iter()
            .map(|(rule, severity, kind, namespace, name, message)| MailFinding {
                rule,
                severity,
                kind,
                namespace,
                name,
                message,
            })
            .collect())
    }

    /// How many critical and how many high findings are new in `[from, to)`: first seen
    /// within it, not exempted, and still open at its end; of `namespaces` only, when given.
    pub async fn count_new_serious_findings(
        &self,
        cluster_id: i64,
        from: i64,
        to: i64,
        namespaces: Option<&[String]>,
    ) -> Result<(i64, i64), sqlx::Error> {
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(CASE WHEN severity = 'critical' THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN severity = 'high' THEN 1 ELSE 0 END), 0) AS BIGINT) FROM findings \
             WHERE cluster_id = $1 AND first_seen >= $2 AND first_seen < $3 \
             AND severity IN ('critical', 'high') \
             AND (status = 'open' OR (status = 'resolved' AND resolved_at >= $3)){}",
            namespace_condition(namespaces, 4)
        );
        on_pool!(self, |pool| {
            let mut query = sqlx::query_as::<_, (i64, i64)>(&sql).bind(cluster_id).bind(from).bind(to);
            for namespace in namespaces.unwrap_or_default() {
                query = query.bind(namespace);
            }
            query.fetch_one(pool).await
        })
    }

    /// How many findings were first seen and resolved within `[from, to)` (and are still
    /// resolved): churn, which the digest counts apart from news.
    pub async fn count_churned_findings(
        &self,
        cluster_id: i64,
        from: i64,
        to: i64,
        namespaces: Option<&[String]>,
    ) -> Result<i64, sqlx::Error> {
        self.count_resolved("first_seen", cluster_id, from, to, namespaces).await
    }

    /// How many findings were resolved in `[from, to)` and are still resolved (open at its
    /// start or opened within it; churn included).
    pub async fn count_resolved_findings(
        &self,
        cluster_id: i64,
        from: i64,
        to: i64,
        namespaces: Option<&[String]>,
    ) -> Result<i64, sqlx::Error> {
        self.count_resolved("resolved_at", cluster_id, from, to, namespaces).await
    }

    /// How many of the cluster's resolved findings have `since` (a column) at or after
    /// `from` and were resolved before `to`.
    async fn count_resolved(
        &self,
        since: &str,
        cluster_id: i64,
        from: i64,
        to: i64,
        namespaces: Option<&[String]>,
    ) -> Result<i64, sqlx::Error> {
        let sql = format!(
            "SELECT COUNT(*) FROM findings WHERE cluster_id = $1 AND status = 'resolved' \
             AND {since} >= $2 AND resolved_at < $3{}",
            namespace_condition(namespaces, 4)
        );
        on_pool!(self, |pool| {
            let mut query = sqlx::query_scalar::<_, i64>(&sql).bind(cluster_id).bind(from).bind(to);
            for namespace in namespaces.unwrap_or_default() {
                query = query.bind(namespace);
            }
            query.fetch_one(pool).await
        })
    }

    /// Scans that ended failed, partial or interrupted in `[from, to)`, oldest first.
    pub async fn troubled_scans(&self, cluster_id: i64, from: i64, to: i64) -> Result<Vec<TroubledScan>, sqlx::Error> {
        type Row = (i64, String, Option<i64>, Option<String>, String);
        const SQL: &str = "SELECT id, status, finished_at, message, errors FROM scans WHERE cluster_id = $1 \
             AND status IN ('failed', 'partial', 'interrupted') AND finished_at >= $2 AND finished_at < $3 \
             ORDER BY finished_at, id";
        let rows = on_pool!(self, |pool| {
            sqlx::query_as::<_, Row>(SQL).bind(cluster_id).bind(from).bind(to).fetch_all(pool).await
        })?;
        Ok(rows
            .into_iter()
            .map(|(id, status, finished_at, message, errors)| TroubledScan {
                id,
                status,
                finished_at,
                message,
                errors: serde_json::from_str(&errors).unwrap_or_default(),
            })
            .collect())
    }

    /// One scan that ended failed or interrupted (or partial), for a failed scan's notice.
    pub async fn troubled_scan(&self, scan_id: i64) -> Result<Option<TroubledScan>, sqlx::Error> {
        type Row = (i64, String, Option<i64>, Option<String>, String);
        const SQL: &str = "SELECT id, status, finished_at, message, errors FROM scans WHERE id = $1 \
             AND status IN ('failed', 'partial', 'interrupted')";
        let row = on_pool!(self, |pool| sqlx::query_as::<_, Row>(SQL).bind(scan_id).fetch_optional(pool).await)?;
        Ok(row.map(|(id, status, finished_at, message, errors)| TroubledScan {
            id,
            status,
            finished_at,
            message,
            errors: serde_json::from_str(&errors).unwrap_or_default(),
        }))
    }

    /// Scans of the given clusters after `after_id`, oldest first: `(id, cluster, status)`.
    pub async fn scans_after(
        &self,
        cluster_ids: &[i64],
        after_id: i64,
    ) -> Result<Vec<(i64, i64, String)>, sqlx::Error> {
        if cluster_ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (0..cluster_ids.len()).map(|index| format!("${}", index + 2)).collect();
        let sql = format!(
            "SELECT id, cluster_id, status FROM scans WHERE id > $1 AND cluster_id IN ({}) ORDER BY id",
            placeholders.join(", ")
        );
        on_pool!(self, |pool| {
            let mut query = sqlx::query_as::<_, (i64, i64, String)>(&sql).bind(after_id);
            for cluster_id in cluster_ids {
                query = query.bind(*cluster_id);
            }
            query.fetch_all(pool).await
        })
    }

    /// Queues an email unless one with its dedup key exists, and records the
    /// subscription's progress (`last_period`, `last_scan_id`) in the same transaction.
    /// The new email's id, or `None` when it was already queued.
    pub async fn queue_email(
        &self,
        email: &NewEmail,
        period: Option<&str>,
        last_scan_id: Option<i64>,
    ) -> Result<Option<i64>, sqlx::Error> {
        let now = now_millis();
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO outbox (subscription_id, kind, dedup_key, recipient, subject, html_body, text_body, \
                 unsubscribe_url, next_attempt_at, created_at, webhook_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) \
                 ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
            )
            .bind(email.subscription_id)
            .bind(email.kind)
            .bind(&email.dedup_key)
            .bind(&email.recipient)
            .bind(&email.subject)
            .bind(&email.html)
            .bind(&email.text)
            .bind(&email.unsubscribe_url)
            .bind(now)
            .bind(email.webhook_id)
            .fetch_optional(&mut *tx)
            .await?;
            // The progress is the webhook's, or else the subscription's.
            let (table, owner) = match email.webhook_id {
                Some(webhook_id) => ("webhooks", Some(webhook_id)),
                None => ("subscriptions", email.subscription_id),
            };
            if let (Some(owner), Some(period)) = (owner, period) {
                sqlx::query(&format!("UPDATE {table} SET last_period = $1 WHERE id = $2"))
                    .bind(period)
                    .bind(owner)
                    .execute(&mut *tx)
                    .await?;
            }
            if let (Some(owner), Some(scan_id)) = (owner, last_scan_id) {
                sqlx::query(&format!("UPDATE {table} SET last_scan_id = $1 WHERE id = $2 AND last_scan_id < $1"))
                    .bind(scan_id)
                    .bind(owner)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Records that an alert subscription has looked at scans up to `scan_id`.
    pub async fn advance_last_scan(&self, subscription_id: i64, scan_id: i64) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE subscriptions SET last_scan_id = $1 WHERE id = $2 AND last_scan_id < $1")
                .bind(scan_id)
                .bind(subscription_id)
                .execute(pool)
                .await
                .map(drop)
        })
    }

    /// Claims up to `limit` queued emails that are due and not leased by another sender,
    /// leasing them to `claimer` until `lease_until`.
    pub async fn claim_emails(
        &self,
        claimer: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
        webhooks_only: bool,
    ) -> Result<Vec<Email>, sqlx::Error> {
        match self {
            Store::Postgres(pool) => {
                // Rows another replica is claiming are skipped, not waited for.
                let sql = format!(
                    "UPDATE outbox SET claimed_by = $1, claimed_until = $2 WHERE id IN (SELECT id FROM outbox \
                     WHERE {} ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
                     RETURNING {EMAIL_COLUMNS}",
                    claimable("$3", webhooks_only)
                );
                let mut emails = sqlx::query_as::<_, Email>(&sql)
                    .bind(claimer)
                    .bind(lease_until)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?;
                emails.sort_by_key(|email| (email.next_attempt_at, email.id));
                Ok(emails)
            }
            Store::Sqlite(pool) => {
                // One writer at a time: each claim is an UPDATE that holds only while the
                // row is still claimable, so of two senders one gets the row.
                let candidates = sqlx::query_scalar::<_, i64>(&format!(
                    "SELECT id FROM outbox WHERE {} ORDER BY next_attempt_at, id LIMIT $2",
                    claimable("$1", webhooks_only)
                ))
                .bind(now)
                .bind(limit)
                .fetch_all(pool)
                .await?;
                let mut emails = Vec::with_capacity(candidates.len());
                for id in candidates {
                    let claimed = sqlx::query_as::<_, Email>(&format!(
                        "UPDATE outbox SET claimed_by = $1, claimed_until = $2 WHERE id = $4 AND {} \
                         RETURNING {EMAIL_COLUMNS}",
                        claimable("$3", webhooks_only)
                    ))
                    .bind(claimer)
                    .bind(lease_until)
                    .bind(now)
                    .bind(id)
                    .fetch_optional(pool)
                    .await?;
                    emails.extend(claimed);
                }
                Ok(emails)
            }
        }
    }

    /// Marks a claimed email sent; false when the claim was lost (the lease ran out and
    /// another sender took it).
    pub async fn mark_email_sent(&self, id: i64, claimer: &str) -> Result<bool, sqlx::Error> {
        let now = now_millis();
        on_pool!(self, |pool| {
            let done = sqlx::query(
                "UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, claimed_by = NULL, \
                 claimed_until = NULL WHERE id = $2 AND claimed_by = $3",
            )
            .bind(now)
            .bind(id)
            .bind(claimer)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Records a failed attempt at a claimed email: queued again for `next_attempt_at`, or
    /// `failed` when `give_up`.
    pub async fn mark_email_attempt_failed(
        &self,
        id: i64,
        claimer: &str,
        error: &str,
        next_attempt_at: i64,
        give_up: bool,
    ) -> Result<(), sqlx::Error> {
        let status = if give_up { "failed" } else { "queued" };
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE outbox SET status = $1, attempts = attempts + 1, last_error = $2, next_attempt_at = $3, \
                 claimed_by = NULL, claimed_until = NULL WHERE id = $4 AND claimed_by = $5",
            )
            .bind(status)
            .bind(error)
            .bind(next_attempt_at)
            .bind(id)
            .bind(claimer)
            .execute(pool)
            .await
            .map(drop)
        })
    }

    /// Queues a failed email again, with its attempts reset; false when it is not failed.
    pub async fn retry_email(&self, id: i64) -> Result<bool, sqlx::Error> {
        let now = now_millis();
        on_pool!(self, |pool| {
            let done = sqlx::query(
                "UPDATE outbox SET status = 'queued', attempts = 0, next_attempt_at = $1, claimed_by = NULL, \
                 claimed_until = NULL WHERE id = $2 AND status = 'failed'",
            )
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// The outbox, newest first, optionally of one status.
    pub async fn list_emails(&self, status: Option<&str>, limit: i64) -> Result<Vec<Email>, sqlx::Error> {
        let sql =
            format!("SELECT {EMAIL_COLUMNS} FROM outbox WHERE ($1 IS NULL OR status = $1) ORDER BY id DESC LIMIT $2");
        on_pool!(self, |pool| { sqlx::query_as::<_, Email>(&sql).bind(status).bind(limit).fetch_all(pool).await })
    }

    pub async fn email(&self, id: i64) -> Result<Option<Email>, sqlx::Error> {
        let sql = format!("SELECT {EMAIL_COLUMNS} FROM outbox WHERE id = $1");
        on_pool!(self, |pool| { sqlx::query_as::<_, Email>(&sql).bind(id).fetch_optional(pool).await })
    }
}
