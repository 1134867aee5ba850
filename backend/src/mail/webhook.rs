//! Webhooks: the digests, alerts and failed scans of a team, posted as JSON to a URL of the
//! team's, in one of three shapes ([`WebhookFormat`]): Rampart's own (signed), a Slack
//! incoming webhook's message, or a Microsoft Teams incoming webhook's Adaptive Card.
//!
//! A [`Notice`] says what happened (a title, lines for people, a link, and the details as
//! JSON); [`body`] shapes it for the webhook's format when it is queued, so the outbox holds
//! exactly what is posted. [`WebhookClient::post`] sends it at each attempt, through the
//! operator's outbound policy (the URL's address is checked after it is resolved, and the
//! connection goes to the address checked), with no redirects and no proxy.
//!
//! # Signature of a generic webhook
//!
//! Each attempt carries:
//!
//! - `X-Rampart-Event`: `digest`, `critical`, `scan_failed` or `test`;
//! - `X-Rampart-Delivery`: the delivery's id, the same on every attempt (a receiver that
//!   has seen it can ignore a repeat);
//! - `X-Rampart-Timestamp`: the attempt's time, Unix seconds;
//! - `X-Rampart-Signature`: `sha256=` and the lowercase hex HMAC-SHA256, keyed with the
//!   webhook's secret, of the string `{timestamp}.{body}` (the timestamp header, a full
//!   stop, the raw request body).
//!
//! A receiver recomputes the HMAC over the raw body, compares in constant time, and
//! refuses a timestamp more than five minutes from its clock: a captured request cannot be
//! replayed later, and its timestamp cannot be changed without the secret.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use super::compose::{AlertView, DigestView, FindingView};
use crate::outbound::OutboundPolicy;
use crate::store::mail::TroubledScan;
use crate::store::webhooks::WebhookFormat;

/// How long one attempt may take, connection included.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes of a refusing receiver's answer read, for the error it is reported with.
const ANSWER_READ: usize = 1024;

/// Lines a chat message lists at most (the rest are counted).
const CHAT_LINES: usize = 30;

/// How far from the receiver's clock a timestamp may be, as the README's check uses it.
pub const TOLERANCE_SECONDS: i64 = 300;

/// What happened, as a webhook tells it.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    /// `digest`, `critical`, `scan_failed` or `test`.
    pub event: &'static str,
    pub title: String,
    /// Lines for people (chat messages).
    pub lines: Vec<String>,
    /// Where to look in Rampart.
    pub url: String,
    /// The details, for programs (the generic format's `data`).
    pub data: Value,
}

fn finding_json(finding: &FindingView) -> Value {
    json!({
        "severity": finding.severity,
        "rule": finding.rule,
        "title": finding.title,
        "object": finding.object,
        "message": finding.message,
        "remediation": finding.remediation,
    })
}

fn finding_line(finding: &FindingView) -> String {
    format!("[{}] {} - {}: {}", finding.severity, finding.object, finding.rule, finding.message)
}

/// The notice of a digest; `title` is the email's subject.
pub fn digest_notice(digest: &DigestView, title: String) -> Notice {
    let mut lines = vec![format!("{} ({})", digest.period, digest.covers)];
    for cluster in &digest.clusters {
        let score = match cluster.score {
            Some(score) => format!("score {score} {} ({})", cluster.grade, cluster.change),
            None => format!("not scanned ({})", cluster.change),
        };
        lines.push(format!(
            "{} (team {}): {score}; new: {} critical, {} high; resolved: {}",
            cluster.name, cluster.team, cluster.new_critical, cluster.new_high, cluster.resolved
        ));
        lines.extend(cluster.new_findings.iter().take(5).map(|finding| format!("  {}", finding_line(finding))));
        lines.extend(
            cluster.troubled_scans.iter().map(|scan| format!("  scan {} {}: {}", scan.id, scan.status, scan.detail)),
        );
    }
    let clusters: Vec<Value> = digest
        .clusters
        .iter()
        .map(|cluster| {
            json!({
                "name": cluster.name,
                "team": cluster.team,
                "url": cluster.url,
                "score": cluster.score,
                "grade": (!cluster.grade.is_empty()).then_some(&cluster.grade),
                "change": cluster.change,
                "open": {
                    "critical": cluster.counts[0], "high": cluster.counts[1], "medium": cluster.counts[2],
                    "low": cluster.counts[3], "info": cluster.counts[4],
                },
                "new_critical": cluster.new_critical,
                "new_high": cluster.new_high,
                "new_findings": cluster.new_findings.iter().map(finding_json).collect::<Vec<_>>(),
                "more_findings": cluster.more_findings,
                "resolved": cluster.resolved,
                "churned": cluster.churned,
                "troubled_scans": cluster.troubled_scans.iter().map(|scan| json!({
                    "id": scan.id, "status": scan.status, "finished": scan.when, "detail": scan.detail,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Notice {
        event: "digest",
        title,
        lines,
        url: digest.dashboard_url.clone(),
        data: json!({
            "period": digest.period,
            "covers": digest.covers,
            "new_critical": digest.new_critical,
            "new_high": digest.new_high,
            "resolved": digest.resolved,
            "churned": digest.churned,
            "clusters": clusters,
        }),
    }
}

/// The notice of a scan's new critical findings; `title` is the email's subject.
pub fn critical_notice(alert: &AlertView, title: String) -> Notice {
    let mut lines: Vec<String> = alert.findings.iter().map(finding_line).collect();
    if alert.more_findings > 0 {
        lines.push(format!("and {} more", alert.more_findings));
    }
    Notice {
        event: "critical",
        title,
        lines,
        url: alert.cluster_url.clone(),
        data: json!({
            "cluster": { "name": alert.cluster, "team": alert.team, "url": alert.cluster_url },
            "scan": alert.scan_id,
            "findings": alert.findings.iter().map(finding_json).collect::<Vec<_>>(),
            "more_findings": alert.more_findings,
        }),
    }
}

/// The notice of a scan that failed or was interrupted.
pub fn scan_failed_notice(cluster: &str, team: &str, cluster_url: &str, scan: &TroubledScan) -> Notice {
    let mut detail = scan.message.clone().unwrap_or_default();
    if detail.is_empty() {
        detail = scan.errors.iter().take(3).map(|error| error.message.clone()).collect::<Vec<_>>().join("; ");
    }
    Notice {
        event: "scan_failed",
        title: format!("Rampart: scan {} of cluster {cluster} {}", scan.id, scan.status),
        lines: vec![if detail.is_empty() { "no message".to_string() } else { detail.clone() }],
        url: cluster_url.to_string(),
        data: json!({
            "cluster": { "name": cluster, "team": team, "url": cluster_url },
            "scan": { "id": scan.id, "status": scan.status, "finished": scan.finished_at.map(super::period::utc),
                      "message": detail },
        }),
    }
}

/// The notice a "send a test" posts.
pub fn test_notice(webhook: &str, settings_url: &str) -> Notice {
    Notice {
        event: "test",
        title: format!("Rampart: test of webhook {webhook}"),
        lines: vec!["This webhook works: digests, alerts and failed scans will arrive here.".to_string()],
        url: settings_url.to_string(),
        data: json!({}),
    }
}

/// Escapes text for Slack's mrkdwn (`&`, `<`, `>`).
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The lines a chat message shows: at most [`CHAT_LINES`], then how many more.
fn chat_lines(notice: &Notice) -> Vec<String> {
    let mut lines: Vec<String> = notice.lines.iter().take(CHAT_LINES).cloned().collect();
    if notice.lines.len() > CHAT_LINES {
        lines.push(format!("… and {} more lines", notice.lines.len() - CHAT_LINES));
    }
    lines
}

/// The body posted for a notice. `id` names the event once and for all (the outbox's
/// dedup key); `team` and `webhook` say whose it is.
pub fn body(format: WebhookFormat, notice: &Notice, id: &str, team: &str, webhook: &str, now_millis: i64) -> String {
    let value = match format {
        WebhookFormat::Generic => json!({
            "id": id,
            "event": notice.event,
            "created_at": crate::clock::timestamp(now_millis),
            "team": team,
            "webhook": webhook,
            "title": notice.title,
            "url": notice.url,
            "text": notice.lines.join("\n"),
            "data": notice.data,
        }),
        WebhookFormat::Slack => {
            // A section's text holds 3,000 characters at most.
            let mut text: String =
                chat_lines(notice).iter().map(|line| slack_escape(line)).collect::<Vec<_>>().join("\n");
            if text.chars().count() > 2900 {
                text = text.chars().take(2900).collect::<String>() + "…";
            }
            json!({
                "text": notice.title,
                "blocks": [
                    { "type": "header", "text": { "type": "plain_text", "text": notice.title.chars().take(150).collect::<String>() } },
                    { "type": "section", "text": { "type": "mrkdwn", "text": if text.is_empty() { " ".to_string() } else { text } } },
                    { "type": "context", "elements": [
                        { "type": "mrkdwn", "text": format!("<{}|Open in Rampart> · team {}", notice.url, slack_escape(team)) },
                    ] },
                ],
            })
        }
        WebhookFormat::Teams => {
            let mut card_body = vec![json!({
                "type": "TextBlock", "text": notice.title, "weight": "Bolder", "size": "Medium", "wrap": true,
            })];
            card_body.extend(
                chat_lines(notice)
                    .into_iter()
                    .map(|line| json!({ "type": "TextBlock", "text": line, "wrap": true, "spacing": "Small" })),
            );
            json!({
                "type": "message",
                "summary": notice.title,
                "attachments": [{
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": null,
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": card_body,
                        "actions": [{ "type": "Action.OpenUrl", "title": "Open in Rampart", "url": notice.url }],
                    },
                }],
            })
        }
    };
    value.to_string()
}

/// `sha256=` and the hex HMAC-SHA256 of `{timestamp}.{body}` under `secret`.
pub fn signature(secret: &[u8], timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Why an attempt failed, and whether trying again can help.
#[derive(Debug)]
pub struct PostError {
    pub message: String,
    /// The receiver refused for good (a 4xx other than 408 and 429), or the URL is not one
    /// this server may reach.
    pub permanent: bool,
    /// Whether the receiver answered over HTTP (else the connection failed, or timed out).
    pub answered: bool,
}

impl PostError {
    /// What a team admin is told: a failed connection says only that no HTTP answer came
    /// (the same whatever the reason, so the test cannot map a network's ports); the rest
    /// as it is.
    pub fn for_people(&self, url: &str) -> String {
        if self.answered || self.permanent {
            self.message.clone()
        } else {
            let host = check_url(url, &OutboundPolicy::lab()).unwrap_or_default();
            format!(
                "no HTTP answer from {host}: check the URL, and that the receiver is up and reachable from this server"
            )
        }
    }
}

/// Resolves names for `reqwest` through the outbound policy: only allowed addresses come
/// back, so the connection goes to an address that was checked.
struct PolicyResolve(Arc<OutboundPolicy>);

impl reqwest::dns::Resolve for PolicyResolve {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = policy.resolve(name.as_str(), 0).await?;
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Checks a webhook URL before it is stored: http or https (plain http only where the
/// operator allows it, as for tokens), a host, no credentials. The URL's scheme and host,
/// to show in its place.
pub fn check_url(url: &str, policy: &OutboundPolicy) -> Result<String, String> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|error| format!("the URL cannot be read: {error}"))?;
    match parsed.scheme() {
        "https" => {}
        "http" if policy.allows_plain_http() => {}
        "http" => {
            return Err("the URL must start with https:// (plain http:// only where the operator runs a lab)".into())
        }
        other => return Err(format!("the URL must start with https://, not {other}://")),
    }
    let Some(host) = parsed.host_str() else { return Err("the URL has no host".into()) };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("the URL must not carry a user name or password".into());
    }
    if let Ok(address) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        policy.check(address).map_err(|refused| format!("{host}: {refused}"))?;
    }
    Ok(match parsed.port() {
        Some(port) => format!("{}://{host}:{port}", parsed.scheme()),
        None => format!("{}://{host}", parsed.scheme()),
    })
}

/// Posts webhook bodies, through the outbound policy.
#[derive(Clone, Debug)]
pub struct WebhookClient {
    http: reqwest::Client,
    policy: Arc<OutboundPolicy>,
}

impl WebhookClient {
    pub fn new(policy: OutboundPolicy) -> WebhookClient {
        let policy = Arc::new(policy);
        let http = reqwest::Client::builder()
            .timeout(WEBHOOK_TIMEOUT)
            .connect_timeout(WEBHOOK_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would connect on the server's behalf to an address never checked.
            .no_proxy()
            .dns_resolver(Arc::new(PolicyResolve(policy.clone())))
            .user_agent(concat!("Rampart-Webhook/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the webhook client builds");
        WebhookClient { http, policy }
    }

    pub fn policy(&self) -> &OutboundPolicy {
        &self.policy
    }

    /// Posts `body` to `url`, signed when `secret` is given (see the module's
    /// documentation), as delivery `delivery` of `event`.
    pub async fn post(
        &self,
        url: &str,
        body: &str,
        secret: Option<&[u8]>,
        event: &str,
        delivery: &str,
    ) -> Result<(), PostError> {
        let permanent = |message: String| PostError { message, permanent: true, answered: false };
        check_url(url, &self.policy).map_err(permanent)?;
        let timestamp = crate::store::now_millis() / 1000;
        let mut request = self
            .http
            .post(url.trim())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Rampart-Event", event)
            .header("X-Rampart-Delivery", delivery)
            .body(body.to_string());
        if let Some(secret) = secret {
            request = request
                .header("X-Rampart-Timestamp", timestamp.to_string())
                .header("X-Rampart-Signature", signature(secret, timestamp, body));
        }
        match request.send().await {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(mut response) => {
                let status = response.status();
                // The start of the answer says why; the rest is not read (a receiver could
                // answer without end).
                let mut start: Vec<u8> = Vec::new();
                while start.len() < ANSWER_READ {
                    match response.chunk().await {
                        Ok(Some(chunk)) => {
                            start.extend_from_slice(&chunk[..chunk.len().min(ANSWER_READ - start.len())])
                        }
                        _ => break,
                    }
                }
                let text: String = String::from_utf8_lossy(&start).chars().take(200).collect();
                let retry = status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429;
                Err(PostError {
                    message: format!("the receiver answered HTTP {status}: {text}"),
                    permanent: !retry,
                    answered: true,
                })
            }
            Err(error) if crate::outbound::is_refused(&error) => Err(permanent(format!(
                "cannot post to {}: {}",
                check_url(url, &OutboundPolicy::lab()).unwrap_or_default(),
                crate::outbound::Refused
            ))),
            Err(error) => {
                let mut message = error.to_string();
                let mut source = std::error::Error::source(&error);
                while let Some(cause) = source {
                    message.push_str(": ");
                    message.push_str(&cause.to_string());
                    source = cause.source();
                }
                // The URL may carry a token (Slack's, Teams'): only its host is told.
                let host = check_url(url, &OutboundPolicy::lab()).unwrap_or_default();
                Err(PostError { message: message.replace(url.trim(), &host), permanent: false, answered: false })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> Notice {
        Notice {
            event: "critical",
            title: "Rampart alert: 1 new critical finding in cluster prod".into(),
            lines: vec!["[critical] Deployment prod/web<1> - pss-privileged: runs privileged".into()],
            url: "https://rampart.example/clusters/1".into(),
            data: json!({ "scan": 4 }),
        }
    }

    #[test]
    fn signatures_are_hmac_sha256_of_timestamp_dot_body() {
        // RFC 4231-style check against an independent computation of the same string.
        let body = r#"{"event":"test"}"#;
        let signed = signature(b"s3cret", 1_700_000_000, body);
        let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
        mac.update(b"1700000000.{\"event\":\"test\"}");
        assert_eq!(signed, format!("sha256={}", hex::encode(mac.finalize().into_bytes())));
        assert_ne!(signed, signature(b"s3cret", 1_700_000_001, body), "the timestamp is signed");
        assert_ne!(signed, signature(b"other", 1_700_000_000, body));
        assert_eq!(signed.len(), "sha256=".len() + 64);
    }

    #[test]
    fn bodies_take_each_format_shape() {
        let generic: Value =
            serde_json::from_str(&body(WebhookFormat::Generic, &notice(), "k", "red", "ops", 0)).unwrap();
        assert_eq!(generic["event"], "critical");
        assert_eq!(generic["id"], "k");
        assert_eq!(generic["data"]["scan"], 4);
        assert_eq!(generic["created_at"], "1970-01-01T00:00:00Z");

        let slack: Value = serde_json::from_str(&body(WebhookFormat::Slack, &notice(), "k", "red", "ops", 0)).unwrap();
        assert_eq!(slack["text"], notice().title);
        let section = slack["blocks"][1]["text"]["text"].as_str().unwrap();
        assert!(section.contains("prod/web&lt;1&gt;"), "{section}");
        assert!(slack["blocks"][2]["elements"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("<https://rampart.example/clusters/1|"));

        let teams: Value = serde_json::from_str(&body(WebhookFormat::Teams, &notice(), "k", "red", "ops", 0)).unwrap();
        assert_eq!(teams["type"], "message");
        let card = &teams["attachments"][0];
        assert_eq!(card["contentType"], "application/vnd.microsoft.card.adaptive");
        assert_eq!(card["content"]["type"], "AdaptiveCard");
        assert_eq!(card["content"]["body"][0]["text"], notice().title);
        assert_eq!(card["content"]["actions"][0]["url"], "https://rampart.example/clusters/1");

        // A long notice is cut to what chat shows.
        let long = Notice { lines: vec!["x".repeat(200); 100], ..notice() };
        let slack: Value = serde_json::from_str(&body(WebhookFormat::Slack, &long, "k", "red", "ops", 0)).unwrap();
        assert!(slack["blocks"][1]["text"]["text"].as_str().unwrap().chars().count() <= 2901);
        let teams: Value = serde_json::from_str(&body(WebhookFormat::Teams, &long, "k", "red", "ops", 0)).unwrap();
        assert_eq!(teams["attachments"][0]["content"]["body"].as_array().unwrap().len(), 1 + CHAT_LINES + 1);
    }

    #[test]
    fn urls_are_checked_before_they_are_stored() {
        let public = OutboundPolicy::default();
        assert_eq!(
            check_url("https://hooks.slack.com/services/T0/B0/xyz", &public).unwrap(),
            "https://hooks.slack.com"
        );
        assert_eq!(check_url("https://example.com:8443/h", &public).unwrap(), "https://example.com:8443");
        for (url, says) in [
            ("http://example.com/h", "https://"),
            ("ftp://example.com/h", "https://"),
            ("https://user:pw@example.com/h", "user name"),
            ("https://127.0.0.1/h", "outbound-lab"),
            ("https://[::1]/h", "outbound-lab"),
            ("https://169.254.169.254/latest", "outbound-lab"),
            ("https://10.0.0.8/h", "outbound-allow"),
            ("not a url", "cannot be read"),
        ] {
            let error = check_url(url, &public).unwrap_err();
            assert!(error.contains(says), "{url}: {error}");
        }
        assert!(check_url("http://127.0.0.1:9/h", &OutboundPolicy::lab()).is_ok());
    }
}
