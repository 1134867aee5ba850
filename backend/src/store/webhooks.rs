//! A team's webhooks: where its notifications go beside email, in which format, for which
//! events and namespaces. The URL and the signing secret are stored sealed (see
//! [`crate::secrets`]) and never read back out through the API; deliveries go through the
//! outbox like emails (see [`super::mail`]).

use super::mail::{CoveredCluster, Frequency};
use super::routing::NamespaceRoute;
use super::{now_millis, on_pool, Store};

/// How a webhook's body is shaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookFormat {
    /// JSON of Rampart's own, signed with HMAC-SHA256.
    Generic,
    /// A Slack incoming webhook's message (`text` and `blocks`).
    Slack,
    /// A Microsoft Teams incoming webhook's message with an Adaptive Card.
    Teams,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Generic => "generic",
            WebhookFormat::Slack => "slack",
            WebhookFormat::Teams => "teams",
        }
    }

    pub fn parse(text: &str) -> Option<WebhookFormat> {
        match text {
            "generic" => Some(WebhookFormat::Generic),
            "slack" => Some(WebhookFormat::Slack),
            "teams" => Some(WebhookFormat::Teams),
            _ => None,
        }
    }
}

/// What a webhook is told of.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Events {
    /// The daily or weekly digest.
    pub digest: bool,
    /// A scan that opened critical findings.
    pub critical: bool,
    /// A scan that failed or was interrupted.
    pub scan_failed: bool,
}

impl Events {
    pub const NAMES: [&'static str; 3] = ["digest", "critical", "scan_failed"];

    /// The events of a list of names; the unknown name, if any.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Events, String> {
        let mut events = Events::default();
        for name in names {
            match name.trim() {
                "digest" => events.digest = true,
                "critical" => events.critical = true,
                "scan_failed" => events.scan_failed = true,
                "" => {}
                other => return Err(other.to_string()),
            }
        }
        Ok(events)
    }

    pub fn names(&self) -> Vec<&'static str> {
        let flags = [self.digest, self.critical, self.scan_failed];
        Events::NAMES.iter().zip(flags).filter(|(_, on)| *on).map(|(name, _)| *name).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.names().is_empty()
    }
}

/// A stored webhook, sealed parts included (for the sender only).
#[derive(Clone, Debug)]
pub struct Webhook {
    pub id: i64,
    pub team_id: i64,
    pub team: String,
    pub name: String,
    pub format: WebhookFormat,
    /// The sealed URL.
    pub url: Vec<u8>,
    /// The URL's scheme and host, shown in its place.
    pub url_host: String,
    /// The sealed signing secret (generic webhooks).
    pub secret: Option<Vec<u8>>,
    pub events: Events,
    /// Of the digest: daily or weekly.
    pub frequency: Frequency,
    pub hour: i64,
    pub weekday: i64,
    pub route: NamespaceRoute,
    pub last_period: Option<String>,
    pub last_scan_id: i64,
    pub created_at: i64,
}

/// A webhook to create.
#[derive(Clone, Debug)]
pub struct NewWebhook {
    pub team_id: i64,
    pub name: String,
    pub format: WebhookFormat,
    pub url_host: String,
    pub events: Events,
    pub frequency: Frequency,
    pub hour: i64,
    pub weekday: i64,
    pub route: NamespaceRoute,
    pub created_by: i64,
}

const WEBHOOK_SQL: &str = "SELECT w.id, w.team_id, t.name AS team, w.name, w.format, w.url, w.url_host, w.secret, \
     w.events, w.frequency, w.hour, w.weekday, w.namespaces, w.namespace_selector, w.last_period, w.last_scan_id, \
     w.created_at FROM webhooks w JOIN teams t ON t.id = w.team_id";

/// A row of [`WEBHOOK_SQL`].
#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: i64,
    team_id: i64,
    team: String,
    name: String,
    format: String,
    url: Vec<u8>,
    url_host: String,
    secret: Option<Vec<u8>>,
    events: String,
    frequency: String,
    hour: i64,
    weekday: i64,
    namespaces: Option<String>,
    namespace_selector: Option<String>,
    last_period: Option<String>,
    last_scan_id: i64,
    created_at: i64,
}

impl From<WebhookRow> for Webhook {
    fn from(row: WebhookRow) -> Webhook {
        Webhook {
            id: row.id,
            team_id: row.team_id,
            team: row.team,
            name: row.name,
            format: WebhookFormat::parse(&row.format).unwrap_or(WebhookFormat::Generic),
            url: row.url,
            url_host: row.url_host,
            secret: row.secret,
            events: Events::parse(row.events.split(',')).unwrap_or_default(),
            frequency: Frequency::parse(&row.frequency).unwrap_or(Frequency::Daily),
            hour: row.hour,
            weekday: row.weekday,
            route: NamespaceRoute::from_columns(row.namespaces.as_deref(), row.namespace_selector.as_deref()),
            last_period: row.last_period,
            last_scan_id: row.last_scan_id,
            created_at: row.created_at,
        }
    }
}

impl Store {
    /// Creates a webhook, its URL and secret sealed by `seal` with the new id (so a sealed
    /// value opens only as the row it was written for), in one transaction. It looks only
    /// at scans after it was made: its watermark starts at the newest scan. A name the team
    /// already uses is a unique violation. `None`, and nothing written, when the team
    /// already has `most` webhooks: the team's row is locked first (an update that changes
    /// nothing), so that concurrent creations count one after the other.
    pub async fn create_webhook(
        &self,
        webhook: &NewWebhook,
        most: i64,
        seal: impl Fn(i64) -> (Vec<u8>, Option<Vec<u8>>),
    ) -> Result<Option<i64>, sqlx::Error> {
        let (namespaces, selector) = webhook.route.to_columns();
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE teams SET id = id WHERE id = $1").bind(webhook.team_id).execute(&mut *tx).await?;
            let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhooks WHERE team_id = $1")
                .bind(webhook.team_id)
                .fetch_one(&mut *tx)
                .await?;
            if held >= most {
                tx.rollback().await?;
                return Ok(None);
            }
            let id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO webhooks (team_id, name, format, url, url_host, secret, events, frequency, hour, \
                 weekday, namespaces, namespace_selector, last_scan_id, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
                 (SELECT COALESCE(MAX(id), 0) FROM scans), $13, $14) RETURNING id",
            )
            .bind(webhook.team_id)
            .bind(&webhook.name)
            .bind(webhook.format.as_str())
            .bind(Vec::<u8>::new())
            .bind(&webhook.url_host)
            .bind(None::<Vec<u8>>)
            .bind(webhook.events.names().join(","))
            .bind(webhook.frequency.as_str())
            .bind(webhook.hour)
            .bind(webhook.weekday)
            .bind(namespaces)
            .bind(selector)
            .bind(webhook.created_by)
            .bind(now_millis())
            .fetch_one(&mut *tx)
            .await?;
            let (url, secret) = seal(id);
            sqlx::query("UPDATE webhooks SET url = $1, secret = $2 WHERE id = $3")
                .bind(url)
                .bind(secret)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Some(id))
        })
    }

    async fn webhooks_where(&self, condition: &str, value: Option<i64>) -> Result<Vec<Webhook>, sqlx::Error> {
        let sql = format!("{WEBHOOK_SQL} {condition} ORDER BY w.id");
        on_pool!(self, |pool| {
            let mut query = sqlx::query_as::<_, WebhookRow>(&sql);
            if let Some(value) = value {
                query = query.bind(value);
            }
            Ok(query.fetch_all(pool).await?.into_iter().map(Webhook::from).collect())
        })
    }

    /// A team's webhooks.
    pub async fn list_webhooks(&self, team_id: i64) -> Result<Vec<Webhook>, sqlx::Error> {
        self.webhooks_where("WHERE w.team_id = $1", Some(team_id)).await
    }

    /// Every webhook (the outbox's rounds).
    pub async fn all_webhooks(&self) -> Result<Vec<Webhook>, sqlx::Error> {
        self.webhooks_where("", None).await
    }

    pub async fn webhook(&self, id: i64) -> Result<Option<Webhook>, sqlx::Error> {
        Ok(self.webhooks_where("WHERE w.id = $1", Some(id)).await?.pop())
    }

    /// Deletes a webhook and its deliveries still in the outbox; false when there was none.
    pub async fn delete_webhook(&self, id: i64) -> Result<bool, sqlx::Error> {
        on_pool!(self, |pool| {
            let done = sqlx::query("DELETE FROM webhooks WHERE id = $1").bind(id).execute(pool).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// A team's clusters, as a webhook of the team covers them.
    pub async fn team_clusters(&self, team_id: i64) -> Result<Vec<CoveredCluster>, sqlx::Error> {
        on_pool!(self, |pool| {
            let rows = sqlx::query_as::<_, (i64, String, String)>(
                "SELECT c.id, c.name, t.name FROM clusters c JOIN teams t ON t.id = c.team_id \
                 WHERE c.team_id = $1 ORDER BY c.name, c.id",
            )
            .bind(team_id)
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().map(|(id, name, team)| CoveredCluster { id, name, team }).collect())
        })
    }

    /// Records that a webhook has looked at scans up to `scan_id`.
    pub async fn advance_webhook_last_scan(&self, webhook_id: i64, scan_id: i64) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE webhooks SET last_scan_id = $1 WHERE id = $2 AND last_scan_id < $1")
                .bind(scan_id)
                .bind(webhook_id)
                .execute(pool)
                .await
                .map(drop)
        })
    }
}
