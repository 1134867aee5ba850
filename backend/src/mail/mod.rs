//! Email summaries: digests and alerts, queued in the store's outbox and sent over SMTP.
//!
//! [`Mailer::round`] runs every [`MailSettings::interval`] beside the HTTP server
//! ([`Mailer::spawn`], started by `startup`). A round queues the daily and weekly digests
//! that are due (each period once: its dedup key is unique, so replicas racing to queue it
//! queue it once), queues an alert for each new scan that opened critical findings in a
//! cluster an alert subscription covers, then claims due emails of the outbox and sends
//! them. A failed attempt is retried with exponential backoff, and after
//! [`RetryPolicy::max_attempts`] (or at once for a permanent SMTP refusal) the email is
//! `failed`: still in the outbox for admins, who can queue it again. Without
//! `RAMPART_SMTP_URL` nothing is sent: emails wait in the outbox, where admins preview them.
//!
//! [`compose`] reads and renders an email, [`period`] says which digest period is due,
//! [`links`] signs unsubscribe links, [`smtp`] sends.

pub mod compose;
pub mod links;
pub mod period;
pub mod smtp;
pub mod webhook;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;

use crate::secrets::random_hex;
use crate::secrets::SecretBox;
use crate::store::mail::{Email, Frequency, NewEmail, Subscription};
use crate::store::webhooks::Webhook;
use crate::store::{now_millis, redact_url, Store};
use compose::Audience;
use links::UnsubscribeTokens;
use period::Period;
use webhook::WebhookClient;

/// The sender address unless `RAMPART_MAIL_FROM` names another.
pub const DEFAULT_FROM: &str = "Rampart <rampart@localhost>";

/// Emails one sender claims at a time.
const CLAIM_BATCH: i64 = 10;

/// When to try a failed email again, and when to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failed attempt; it doubles with each further one.
    pub first_delay: Duration,
    /// The longest wait between attempts.
    pub max_delay: Duration,
    /// Attempts before the email is marked failed.
    pub max_attempts: i64,
}

impl Default for RetryPolicy {
    /// 30 s, 1 min, 2 min … up to an hour apart; failed after 10 attempts (about 3 hours
    /// of outage).
    fn default() -> RetryPolicy {
        RetryPolicy { first_delay: Duration::from_secs(30), max_delay: Duration::from_secs(3600), max_attempts: 10 }
    }
}

impl RetryPolicy {
    /// The wait after `attempts` failed attempts (1 or more).
    pub fn delay(&self, attempts: i64) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        self.first_delay.saturating_mul(2u32.saturating_pow(doublings)).min(self.max_delay)
    }
}

/// How the server sends email.
#[derive(Clone)]
pub struct MailSettings {
    /// `RAMPART_SMTP_URL`; `None`: emails stay in the outbox.
    pub smtp_url: Option<String>,
    /// `RAMPART_MAIL_FROM`: `Name <address>` or an address.
    pub from: String,
    /// `RAMPART_PUBLIC_URL`: where people reach the server, for links in emails; by
    /// default `http://` and the listening address.
    pub public_url: Option<String>,
    /// How often the mailer looks for due digests, new alerts and emails to send.
    pub interval: Duration,
    pub retry: RetryPolicy,
}

impl Default for MailSettings {
    fn default() -> MailSettings {
        MailSettings {
            smtp_url: None,
            from: DEFAULT_FROM.to_string(),
            public_url: None,
            interval: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

// The SMTP URL may carry a password.
impl std::fmt::Debug for MailSettings {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("MailSettings")
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("from", &self.from)
            .field("public_url", &self.public_url)
            .field("interval", &self.interval)
            .field("retry", &self.retry)
            .finish()
    }
}

/// Why the mail settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error(
        "RAMPART_SMTP_URL cannot be used: {0} — write smtp://HOST:PORT (plain), smtp://HOST:587?tls=required \
         (STARTTLS) or smtps://HOST:465 (TLS), with USER:PASSWORD@ before the host to log in"
    )]
    SmtpUrl(String),
    #[error("RAMPART_MAIL_FROM '{0}' is not an address: write rampart@example.com or 'Rampart <rampart@example.com>'")]
    From(String),
    #[error("RAMPART_PUBLIC_URL '{0}' must start with http:// or https://, such as https://rampart.example.com")]
    PublicUrl(String),
}

/// What every email needs, shared by the mailer and the API: the sender, the links'
/// base and the unsubscribe signer.
#[derive(Clone, Debug)]
pub struct Mail {
    public_url: String,
    from: Mailbox,
    tokens: UnsubscribeTokens,
}

impl Mail {
    /// `listen` is the address the server is bound to: the links' default base.
    pub fn new(settings: &MailSettings, secrets: &SecretBox, listen: SocketAddr) -> Result<Mail, MailError> {
        let public_url = match &settings.public_url {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                url.trim_end_matches('/').to_string()
            }
            Some(url) => return Err(MailError::PublicUrl(url.clone())),
            None => format!("http://{listen}"),
        };
        let from = settings.from.parse::<Mailbox>().map_err(|_| MailError::From(settings.from.clone()))?;
        Ok(Mail { public_url, from, tokens: UnsubscribeTokens::new(secrets) })
    }

    /// The default settings, for a state built without the server's own (its links point
    /// at the default listening address).
    pub fn fallback(secrets: &SecretBox) -> Mail {
        let listen = crate::settings::DEFAULT_LISTEN.parse().expect("the default address parses");
        Mail::new(&MailSettings::default(), secrets, listen).expect("the default mail settings are valid")
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    pub fn dashboard_url(&self) -> String {
        format!("{}/clusters", self.public_url)
    }

    pub fn cluster_url(&self, cluster_id: i64) -> String {
        format!("{}/clusters/{cluster_id}", self.public_url)
    }

    pub fn settings_url(&self) -> String {
        format!("{}/settings", self.public_url)
    }

    /// The signed link that removes the subscription, no login needed.
    pub fn unsubscribe_url(&self, subscription_id: i64) -> String {
        format!("{}/unsubscribe?token={}", self.public_url, self.tokens.token(subscription_id))
    }

    /// The subscription an unsubscribe token names, if this server signed it.
    pub fn verify_unsubscribe(&self, token: &str) -> Option<i64> {
        self.tokens.verify(token)
    }
}

/// What went wrong while queueing an email.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Store(#[from] sqlx::Error),
    #[error("the email could not be rendered")]
    Render(#[from] askama::Error),
}

/// Renders a subscription's digest for a period and queues it under `dedup_key`,
/// recording `period_key` as the subscription's last period when given. The email's id, or
/// `None` when that key was queued before.
async fn queue_digest(
    store: &Store,
    mail: &Mail,
    subscription: &Subscription,
    period: &Period,
    kind: &'static str,
    dedup_key: String,
    period_key: Option<&str>,
) -> Result<Option<i64>, QueueError> {
    let audience = Audience::of_subscription(store, mail, subscription).await?;
    let view = compose::digest_view(store, mail, &audience, period).await?;
    let rendered = compose::render_digest(&view)?;
    let email = NewEmail {
        subscription_id: Some(subscription.id),
        webhook_id: None,
        kind,
        dedup_key,
        recipient: subscription.email.clone(),
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
        unsubscribe_url: Some(view.unsubscribe_url),
    };
    Ok(store.queue_email(&email, period_key, None).await?)
}

/// Queues a subscription's digest now, for the time up to now (the "send a test email"
/// button): the email's id.
pub async fn queue_digest_now(store: &Store, mail: &Mail, subscription: &Subscription) -> Result<i64, QueueError> {
    let period = period::manual_period(subscription.frequency, now_millis());
    let dedup_key = format!("manual:{}:{}", subscription.id, random_hex(8));
    let id = queue_digest(store, mail, subscription, &period, "manual", dedup_key, None).await?;
    // The key is fresh, so the insert cannot have been a duplicate.
    Ok(id.unwrap_or_default())
}

/// The context of a webhook's delivery: the sealed URL and secret are opened with it.
pub fn webhook_url_context(webhook_id: i64) -> String {
    format!("webhook:{webhook_id}:url")
}

pub fn webhook_secret_context(webhook_id: i64) -> String {
    format!("webhook:{webhook_id}:secret")
}

/// A webhook's URL and signing secret, opened; the error says which cannot be.
pub fn open_webhook(secrets: &SecretBox, webhook: &Webhook) -> Result<(String, Option<Vec<u8>>), String> {
    let url = secrets
        .open(&webhook.url, &webhook_url_context(webhook.id))
        .ok()
        .and_then(|url| String::from_utf8(url).ok())
        .ok_or("the webhook's URL cannot be opened with this server's key")?;
    let secret = match &webhook.secret {
        Some(sealed) => Some(
            secrets
                .open(sealed, &webhook_secret_context(webhook.id))
                .map_err(|_| "the webhook's secret cannot be opened with this server's key")?,
        ),
        None => None,
    };
    Ok((url, secret))
}

/// The mailer: queues due digests and alerts (emails and webhooks), and sends the outbox.
#[derive(Clone)]
pub struct Mailer {
    store: Store,
    mail: Arc<Mail>,
    transport: Option<smtp::Transport>,
    interval: Duration,
    retry: RetryPolicy,
    /// Opens webhooks' sealed URLs and secrets.
    secrets: SecretBox,
    webhooks: WebhookClient,
}

/// What a round of sending did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sent {
    pub sent: usize,
    /// Attempts that failed (to be retried, or given up).
    pub failed: usize,
}

impl Mailer {
    pub fn new(
        store: Store,
        mail: Arc<Mail>,
        settings: &MailSettings,
        secrets: SecretBox,
        webhooks: WebhookClient,
    ) -> Result<Mailer, MailError> {
        let transport = match settings.smtp_url.as_deref().filter(|url| !url.trim().is_empty()) {
            Some(url) => Some(smtp::transport(url).map_err(MailError::SmtpUrl)?),
            None => None,
        };
        Ok(Mailer { store, mail, transport, interval: settings.interval, retry: settings.retry, secrets, webhooks })
    }

    /// Whether an SMTP server is configured.
    pub fn sends(&self) -> bool {
        self.transport.is_some()
    }

    /// Queues the digests whose latest period has ended by `now` and was not queued yet
    /// (and ended after the subscription was made). How many were queued here. A
    /// subscription whose digest cannot be made is logged and skipped (tried again next
    /// round); the others go on.
    pub async fn queue_due_digests(&self, now: i64) -> Result<usize, sqlx::Error> {
        let mut queued = 0;
        for subscription in self.store.all_subscriptions().await? {
            match self.queue_digest_if_due(&subscription, now).await {
                Ok(true) => queued += 1,
                Ok(false) => {}
                Err(error) => tracing::error!(subscription = subscription.id, error = %error_chain(&error),
                    "the digest could not be queued; trying again next round"),
            }
        }
        Ok(queued)
    }

    async fn queue_digest_if_due(&self, subscription: &Subscription, now: i64) -> Result<bool, QueueError> {
        let Some(period) = period::latest_period(subscription.frequency, subscription.hour, subscription.weekday, now)
        else {
            return Ok(false);
        };
        if subscription.last_period.as_deref() == Some(period.key.as_str()) || period.end < subscription.created_at {
            return Ok(false);
        }
        let dedup_key = format!("digest:{}:{}", subscription.id, period.key);
        let id = queue_digest(&self.store, &self.mail, subscription, &period, "digest", dedup_key, Some(&period.key))
            .await?;
        if let Some(id) = id {
            tracing::info!(subscription = subscription.id, email = id, period = %period.key, "digest queued");
        }
        Ok(id.is_some())
    }

    /// Queues an alert for each scan, finished since an alert subscription last looked,
    /// that opened critical findings in a cluster it covers. How many were queued here;
    /// a subscription that fails is logged and looked at again next round.
    pub async fn queue_alerts(&self) -> Result<usize, sqlx::Error> {
        let mut queued = 0;
        for subscription in self.store.all_subscriptions().await? {
            if subscription.frequency != Frequency::Immediate {
                continue;
            }
            match self.queue_alerts_of(&subscription).await {
                Ok(count) => queued += count,
                Err(error) => tracing::error!(subscription = subscription.id, error = %error_chain(&error),
                    "alerts could not be queued; trying again next round"),
            }
        }
        Ok(queued)
    }

    /// A scan still queued or running stops the look: it is looked at once it ends.
    async fn queue_alerts_of(&self, subscription: &Subscription) -> Result<usize, QueueError> {
        let mut queued = 0;
        let audience = Audience::of_subscription(&self.store, &self.mail, subscription).await?;
        let cluster_ids: Vec<i64> = audience.clusters.iter().map(|cluster| cluster.id).collect();
        for (scan_id, cluster_id, status) in self.store.scans_after(&cluster_ids, subscription.last_scan_id).await? {
            if matches!(status.as_str(), "queued" | "running") {
                break;
            }
            let cluster = audience.clusters.iter().find(|cluster| cluster.id == cluster_id);
            let alert = match cluster {
                Some(cluster) if matches!(status.as_str(), "succeeded" | "partial") => {
                    compose::alert_view(&self.store, &self.mail, &audience, cluster, scan_id).await?
                }
                _ => None,
            };
            let Some(alert) = alert else {
                self.store.advance_last_scan(subscription.id, scan_id).await?;
                continue;
            };
            let rendered = compose::render_alert(&alert)?;
            let email = NewEmail {
                subscription_id: Some(subscription.id),
                webhook_id: None,
                kind: "immediate",
                dedup_key: format!("immediate:{}:{scan_id}", subscription.id),
                recipient: subscription.email.clone(),
                subject: rendered.subject,
                html: rendered.html,
                text: rendered.text,
                unsubscribe_url: Some(alert.unsubscribe_url),
            };
            if let Some(id) = self.store.queue_email(&email, None, Some(scan_id)).await? {
                tracing::info!(subscription = subscription.id, scan = scan_id, email = id, "alert queued");
                queued += 1;
            }
        }
        Ok(queued)
    }

    /// The audience of a team's webhook: the team's clusters as they are now.
    async fn webhook_audience(&self, webhook: &Webhook) -> Result<Audience, sqlx::Error> {
        Ok(Audience {
            clusters: self.store.team_clusters(webhook.team_id).await?,
            route: webhook.route.clone(),
            frequency: webhook.frequency,
            covers: format!("the clusters of team {}{}", webhook.team, compose::route_words(&webhook.route)),
            unsubscribe_url: self.mail.settings_url(),
        })
    }

    /// Queues a notice for a webhook, shaped for its format, under `dedup_key`, recording
    /// the webhook's progress with it; the delivery's id, or `None` when queued before.
    async fn queue_notice(
        &self,
        webhook: &Webhook,
        notice: &webhook::Notice,
        kind: &'static str,
        dedup_key: String,
        period_key: Option<&str>,
        scan_id: Option<i64>,
    ) -> Result<Option<i64>, sqlx::Error> {
        let body = webhook::body(webhook.format, notice, &dedup_key, &webhook.team, &webhook.name, now_millis());
        let delivery = NewEmail {
            subscription_id: None,
            webhook_id: Some(webhook.id),
            kind,
            dedup_key,
            recipient: webhook.url_host.clone(),
            subject: notice.title.clone(),
            html: String::new(),
            text: body,
            unsubscribe_url: None,
        };
        self.store.queue_email(&delivery, period_key, scan_id).await
    }

    /// Queues the webhooks' digests whose latest period has ended by `now` and was not
    /// queued yet, as [`queue_due_digests`](Self::queue_due_digests) does for emails.
    pub async fn queue_webhook_digests(&self, now: i64) -> Result<usize, sqlx::Error> {
        let mut queued = 0;
        for webhook in self.store.all_webhooks().await? {
            if !webhook.events.digest {
                continue;
            }
            match self.queue_webhook_digest_if_due(&webhook, now).await {
                Ok(true) => queued += 1,
                Ok(false) => {}
                Err(error) => tracing::error!(webhook = webhook.id, error = %error_chain(&error),
                    "the webhook's digest could not be queued; trying again next round"),
            }
        }
        Ok(queued)
    }

    async fn queue_webhook_digest_if_due(&self, webhook: &Webhook, now: i64) -> Result<bool, QueueError> {
        let Some(period) = period::latest_period(webhook.frequency, webhook.hour, webhook.weekday, now) else {
            return Ok(false);
        };
        if webhook.last_period.as_deref() == Some(period.key.as_str()) || period.end < webhook.created_at {
            return Ok(false);
        }
        let audience = self.webhook_audience(webhook).await?;
        let view = compose::digest_view(&self.store, &self.mail, &audience, &period).await?;
        let notice = webhook::digest_notice(&view, compose::digest_subject(&view));
        let dedup_key = format!("webhook-digest:{}:{}", webhook.id, period.key);
        let id = self.queue_notice(webhook, &notice, "digest", dedup_key, Some(&period.key), None).await?;
        if let Some(id) = id {
            tracing::info!(webhook = webhook.id, delivery = id, period = %period.key, "webhook digest queued");
        }
        Ok(id.is_some())
    }

    /// Queues, for each webhook, a notice of each scan finished since it last looked: new
    /// critical findings in its namespaces, or the scan's failure. How many were queued.
    pub async fn queue_webhook_alerts(&self) -> Result<usize, sqlx::Error> {
        let mut queued = 0;
        for webhook in self.store.all_webhooks().await? {
            if !webhook.events.critical && !webhook.events.scan_failed {
                continue;
            }
            match self.queue_webhook_alerts_of(&webhook).await {
                Ok(count) => queued += count,
                Err(error) => tracing::error!(webhook = webhook.id, error = %error_chain(&error),
                    "webhook alerts could not be queued; trying again next round"),
            }
        }
        Ok(queued)
    }

    /// A scan still queued or running stops the look: it is looked at once it ends.
    async fn queue_webhook_alerts_of(&self, webhook: &Webhook) -> Result<usize, QueueError> {
        let mut queued = 0;
        let audience = self.webhook_audience(webhook).await?;
        let cluster_ids: Vec<i64> = audience.clusters.iter().map(|cluster| cluster.id).collect();
        for (scan_id, cluster_id, status) in self.store.scans_after(&cluster_ids, webhook.last_scan_id).await? {
            if matches!(status.as_str(), "queued" | "running") {
                break;
            }
            let Some(cluster) = audience.clusters.iter().find(|cluster| cluster.id == cluster_id) else {
                continue;
            };
            let notice = match status.as_str() {
                "succeeded" | "partial" if webhook.events.critical => {
                    compose::alert_view(&self.store, &self.mail, &audience, cluster, scan_id)
                        .await?
                        .map(|alert| ("immediate", webhook::critical_notice(&alert, compose::alert_subject(&alert))))
                }
                "failed" if webhook.events.scan_failed => self.store.troubled_scan(scan_id).await?.map(|scan| {
                    let url = self.mail.cluster_url(cluster.id);
                    ("scan_failed", webhook::scan_failed_notice(&cluster.name, &cluster.team, &url, &scan))
                }),
                _ => None,
            };
            let Some((kind, notice)) = notice else {
                self.store.advance_webhook_last_scan(webhook.id, scan_id).await?;
                continue;
            };
            let dedup_key = format!("webhook-{}:{}:{scan_id}", notice.event, webhook.id);
            if let Some(id) = self.queue_notice(webhook, &notice, kind, dedup_key, None, Some(scan_id)).await? {
                tracing::info!(
                    webhook = webhook.id,
                    scan = scan_id,
                    delivery = id,
                    event = notice.event,
                    "webhook notice queued"
                );
                queued += 1;
            }
        }
        Ok(queued)
    }

    /// One attempt at a webhook's delivery.
    async fn post_webhook(&self, webhook_id: i64, delivery: &Email) -> Result<(), webhook::PostError> {
        let gone =
            |message: &str| webhook::PostError { message: message.to_string(), permanent: true, answered: false };
        let webhook = match self.store.webhook(webhook_id).await {
            Ok(Some(webhook)) => webhook,
            Ok(None) => return Err(gone("the webhook was deleted")),
            Err(error) => {
                return Err(webhook::PostError {
                    message: format!("the webhook could not be read: {error}"),
                    permanent: false,
                    answered: false,
                })
            }
        };
        let (url, secret) = open_webhook(&self.secrets, &webhook).map_err(|message| gone(&message))?;
        let event = match delivery.kind.as_str() {
            "immediate" => "critical",
            "manual" => "test",
            other => other,
        };
        self.webhooks.post(&url, &delivery.text, secret.as_deref(), event, &delivery.id.to_string()).await
    }

    /// Claims the emails and webhook deliveries due at `now` and sends them; without an
    /// SMTP server, webhook deliveries only (emails wait in the outbox).
    pub async fn send_due(&self, now: i64) -> Result<Sent, sqlx::Error> {
        let webhooks_only = self.transport.is_none();
        let mut outcome = Sent::default();
        loop {
            // Long enough for every delivery of the batch to time out one after the other.
            let slowest = smtp::SMTP_TIMEOUT.max(webhook::WEBHOOK_TIMEOUT);
            let lease = (slowest * (CLAIM_BATCH as u32 + 2)).as_millis() as i64;
            let claimer = random_hex(8);
            let emails = self.store.claim_emails(&claimer, now, now + lease, CLAIM_BATCH, webhooks_only).await?;
            if emails.is_empty() {
                return Ok(outcome);
            }
            for email in &emails {
                let attempt = match (email.webhook_id, &self.transport) {
                    (Some(webhook_id), _) => {
                        self.post_webhook(webhook_id, email).await.map_err(|error| (error.message, error.permanent))
                    }
                    (None, Some(transport)) => smtp::send(transport, &self.mail.from, email)
                        .await
                        .map_err(|error| (error.message, error.permanent)),
                    // Not claimed without a transport.
                    (None, None) => Err(("no SMTP server is set".to_string(), false)),
                };
                match attempt {
                    Ok(()) => {
                        if !self.store.mark_email_sent(email.id, &claimer).await? {
                            tracing::warn!(email = email.id, "delivered after its lease ran out");
                        }
                        tracing::info!(email = email.id, kind = %email.kind, webhook = email.webhook_id,
                            attempts = email.attempts + 1, "delivered");
                        outcome.sent += 1;
                    }
                    Err((message, permanent)) => {
                        let attempts = email.attempts + 1;
                        let give_up = permanent || attempts >= self.retry.max_attempts;
                        let delay = i64::try_from(self.retry.delay(attempts).as_millis()).unwrap_or(i64::MAX);
                        let next_attempt_at = now_millis().saturating_add(delay);
                        self.store
                            .mark_email_attempt_failed(email.id, &claimer, &message, next_attempt_at, give_up)
                            .await?;
                        if give_up {
                            tracing::error!(email = email.id, webhook = email.webhook_id, attempts, error = %message,
                                "not delivered, given up: it stays in the outbox, failed (POST /api/v1/outbox/{}/retry sends it again)",
                                email.id);
                        } else {
                            tracing::warn!(email = email.id, webhook = email.webhook_id, attempts, error = %message,
                                retry_in_ms = delay, "not delivered, will retry");
                        }
                        outcome.failed += 1;
                    }
                }
            }
            if emails.len() < CLAIM_BATCH as usize {
                return Ok(outcome);
            }
        }
    }

    /// One round: due digests, new alerts, then sending. Errors are logged, and the next
    /// round tries again.
    pub async fn round(&self, now: i64) {
        if let Err(error) = self.queue_due_digests(now).await {
            tracing::error!(error = %error_chain(&error), "digests could not be queued");
        }
        if let Err(error) = self.queue_alerts().await {
            tracing::error!(error = %error_chain(&error), "alerts could not be queued");
        }
        if let Err(error) = self.queue_webhook_digests(now).await {
            tracing::error!(error = %error_chain(&error), "webhook digests could not be queued");
        }
        if let Err(error) = self.queue_webhook_alerts().await {
            tracing::error!(error = %error_chain(&error), "webhook alerts could not be queued");
        }
        if let Err(error) = self.send_due(now).await {
            tracing::error!(error = %error_chain(&error), "the outbox could not be sent");
        }
    }

    /// Runs rounds every interval until stopped.
    pub fn spawn(self) -> MailerHandle {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            if self.transport.is_none() {
                tracing::info!("no RAMPART_SMTP_URL: emails stay in the outbox (GET /api/v1/outbox)");
            }
            loop {
                self.round(now_millis()).await;
                tokio::select! {
                    () = tokio::time::sleep(self.interval) => {}
                    _ = stopped.changed() => return,
                }
            }
        });
        MailerHandle { stop, task }
    }
}

/// The running mailer.
pub struct MailerHandle {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl MailerHandle {
    /// Stops after the round in progress, waiting for it a little (an SMTP exchange may
    /// be under way), then for no longer: an email cut off is sent again once its lease
    /// runs out.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(Duration::from_secs(10), &mut task).await.is_err() {
            task.abort();
        }
    }
}

/// An error and its causes on one line (a cause already quoted by its error is not
/// repeated, as lettre's errors quote theirs).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_a_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(1), Duration::from_secs(30));
        assert_eq!(policy.delay(2), Duration::from_secs(60));
        assert_eq!(policy.delay(4), Duration::from_secs(240));
        assert_eq!(policy.delay(9), Duration::from_secs(3600));
        assert_eq!(policy.delay(1000), Duration::from_secs(3600));
    }

    #[test]
    fn settings_are_checked() {
        let secrets = SecretBox::from_key(&[1; 32]);
        let listen: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let mail = Mail::fallback(&secrets);
        assert_eq!(mail.dashboard_url(), "http://127.0.0.1:8080/clusters");
        assert_eq!(mail.from.to_string(), DEFAULT_FROM);
        let settings =
            MailSettings { public_url: Some("https://rampart.example.com/".into()), ..MailSettings::default() };
        let mail = Mail::new(&settings, &secrets, listen).unwrap();
        assert_eq!(mail.cluster_url(3), "https://rampart.example.com/clusters/3");
        let token = mail.unsubscribe_url(7).split_once("token=").unwrap().1.to_string();
        assert_eq!(mail.verify_unsubscribe(&token), Some(7));

        let settings = MailSettings { public_url: Some("rampart.example.com".into()), ..MailSettings::default() };
        assert!(matches!(Mail::new(&settings, &secrets, listen), Err(MailError::PublicUrl(_))));
        let settings = MailSettings { from: "not an address".into(), ..MailSettings::default() };
        assert!(matches!(Mail::new(&settings, &secrets, listen), Err(MailError::From(_))));
        let settings =
            MailSettings { smtp_url: Some("http://user:hunter2@mail.example.com".into()), ..MailSettings::default() };
        let error = MailError::SmtpUrl(smtp::transport(settings.smtp_url.as_deref().unwrap()).unwrap_err());
        assert!(error.to_string().contains("smtps://"), "{error}");
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(format!("{settings:?}").contains("user:***@"), "{settings:?}");
    }
}
