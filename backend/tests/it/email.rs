//! Black-box tests of email summaries: the real server (`support/app.rs`) with its mailer
//! running every 50 ms, sending to a real SMTP server on a loopback port
//! (`support/smtp.rs`), which records what it accepts and fails on demand. Each scenario
//! runs on SQLite and on PostgreSQL.
//!
//! Digest periods are driven with explicit times (`Mailer::queue_due_digests(now)`), so a
//! test never waits for an hour to come round; everything else goes through the API.

use crate::support::{app, smtp};

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use app::{spawn_app, spawn_app_with_mail, Backend, TestApp};
use rampart::mail::{MailSettings, RetryPolicy, Sent};
use rampart::store::accounts::Role;
use rampart::store::{now_millis, Store};
use reqwest::StatusCode;
use serde_json::{json, Value};
use smtp::SmtpServer;

const PUBLIC_URL: &str = "https://rampart.example.test";
const HOUR_MILLIS: i64 = 60 * 60 * 1000;
const DAY_MILLIS: i64 = 24 * HOUR_MILLIS;

/// A `kubectl get … -o json` export of these objects.
fn export(items: &[Value]) -> String {
    json!({ "apiVersion": "v1", "kind": "List", "items": items }).to_string()
}

fn deployment(name: &str, namespace: &str, pod_spec: Value) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": name, "namespace": namespace },
        "spec": { "template": { "spec": pod_spec } },
    })
}

/// Before: a plain Deployment and one on the host's network.
fn before() -> String {
    export(&[
        deployment("web", "prod", json!({ "containers": [{ "name": "app", "image": "nginx:1.27" }] })),
        deployment(
            "worker",
            "jobs",
            json!({ "hostNetwork": true, "containers": [{ "name": "worker", "image": "busybox:1.36" }] }),
        ),
    ])
}

/// After: `web` runs privileged (new critical findings), `worker` is gone (resolved).
fn after() -> String {
    let privileged = json!({ "name": "app", "image": "nginx:1.27", "securityContext": { "privileged": true } });
    export(&[deployment("web", "prod", json!({ "containers": [privileged] }))])
}

fn mail_settings(smtp: &SmtpServer) -> MailSettings {
    MailSettings {
        smtp_url: Some(smtp.url()),
        from: "Rampart <rampart@example.test>".to_string(),
        public_url: Some(PUBLIC_URL.to_string()),
        interval: Duration::from_millis(50),
        retry: RetryPolicy {
            first_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(400),
            max_attempts: 10,
        },
    }
}

/// The critical findings the engine reports in a snapshot: (rule, object name, path).
fn critical_findings(snapshot: &str) -> BTreeSet<(String, String, String)> {
    app::check_snapshot(snapshot)
        .findings
        .iter()
        .filter(|finding| finding.severity == rampart_core::Severity::Critical && !finding.exempted)
        .map(|finding| (finding.rule.to_string(), finding.resource.name.clone(), finding.path.clone()))
        .collect()
}

/// Moves a scan and the findings it opened back in time.
async fn backdate_scan(store: &Store, scan_id: i64, by_millis: i64) {
    const SCANS: &str = "UPDATE scans SET queued_at = queued_at - $1, started_at = started_at - $1, \
         finished_at = finished_at - $1 WHERE id = $2";
    const FINDINGS: &str = "UPDATE findings SET first_seen = first_seen - $1 WHERE first_scan_id = $2";
    match store {
        Store::Sqlite(pool) => {
            for sql in [SCANS, FINDINGS] {
                sqlx::query(sql).bind(by_millis).bind(scan_id).execute(pool).await.unwrap();
            }
        }
        Store::Postgres(pool) => {
            for sql in [SCANS, FINDINGS] {
                sqlx::query(sql).bind(by_millis).bind(scan_id).execute(pool).await.unwrap();
            }
        }
    }
}

impl TestApp {
    /// A global admin's token.
    async fn admin(&self) -> String {
        let admin_id = self.store.create_user("root@example.test", None, true).await.unwrap();
        self.store.create_token(admin_id, "admin").await.unwrap().1
    }

    async fn subscribe(&self, token: &str, body: Value) -> i64 {
        let (status, subscription) = self.post(token, "/api/v1/subscriptions", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{subscription}");
        subscription["id"].as_i64().unwrap()
    }

    /// Queues a subscription's digest now (`POST /subscriptions/{id}/send`): the email's id.
    async fn send_now(&self, token: &str, subscription: i64) -> i64 {
        let (status, body) = self.post(token, &format!("/api/v1/subscriptions/{subscription}/send"), &json!({})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        body["id"].as_i64().unwrap()
    }

    /// Polls an email in the outbox until `done` holds of it.
    async fn wait_for_email(&self, admin: &str, email: i64, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (status, body) = self.get(admin, &format!("/api/v1/outbox/{email}")).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            if done(&body) {
                return body;
            }
            assert!(Instant::now() < deadline, "email {email} never got there: {body}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn digest_arrives_with_its_content(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_mail(backend, &mail_settings(&smtp)).await;
    let ana = app.user("ana@example.test", "red", Role::Editor).await;
    let admin = app.admin().await;
    let cluster = app.snapshot_cluster(&ana, "prod").await;

    // Two days ago: the results the period starts from. Now: new critical findings, the
    // worker's findings resolved, then a partial scan.
    let first = app.scan_snapshot(&ana, cluster, &before()).await;
    backdate_scan(&app.store, first["id"].as_i64().unwrap(), 2 * DAY_MILLIS).await;
    let second = app.scan_snapshot(&ana, cluster, &after()).await;
    assert!(second["resolved"].as_i64().unwrap() > 0, "{second}");
    let partial = app.scan_snapshot(&ana, cluster, &format!("{}\n---\nkind: [unclosed\n", after())).await;
    assert_eq!(partial["status"], "partial", "{partial}");
    let new_critical: BTreeSet<_> =
        critical_findings(&after()).difference(&critical_findings(&before())).cloned().collect();
    assert!(new_critical.iter().any(|(rule, _, _)| rule == "pss-privileged"), "{new_critical:?}");

    // A daily digest at this hour: the period that ends at this hour tomorrow holds the
    // scans just made, and the one of two days ago is its baseline.
    let hour = (now_millis() / HOUR_MILLIS) % 24;
    let subscription = app.subscribe(&ana, json!({ "clusters": [cluster], "frequency": "daily", "hour": hour })).await;
    let tomorrow = now_millis() + DAY_MILLIS;

    // The mailer's own rounds (at the real time) find nothing due: the period that ended
    // last began before the subscription. Two replicas racing for tomorrow's queue it once,
    // and a later round does not queue it again.
    assert_eq!(app.mailer.queue_due_digests(now_millis()).await.unwrap(), 0);
    let (one_replica, another) =
        tokio::join!(app.mailer.queue_due_digests(tomorrow), app.mailer.queue_due_digests(tomorrow));
    assert_eq!(one_replica.unwrap() + another.unwrap(), 1, "the period is queued exactly once");
    assert_eq!(app.mailer.queue_due_digests(tomorrow).await.unwrap(), 0);
    assert_eq!(app.mailer.queue_due_digests(tomorrow + HOUR_MILLIS).await.unwrap(), 0);
    let (_, outbox) = app.get(&admin, "/api/v1/outbox").await;
    let outbox = outbox.as_array().unwrap();
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    assert_eq!(outbox[0]["kind"], "digest");
    assert_eq!(outbox[0]["subscription"], subscription);

    let messages = smtp.wait_for_messages(1).await;
    let message = &messages[0];
    assert_eq!(message.from, "rampart@example.test");
    assert_eq!(message.to, ["ana@example.test"]);
    let subject = message.header("Subject").unwrap();
    assert!(subject.starts_with("Rampart daily digest: 1 cluster"), "{subject}");
    assert!(subject.contains(&format!("{} new critical", new_critical.len())), "{subject}");
    let unsubscribe = format!("{PUBLIC_URL}/unsubscribe?token={subscription}.");
    let list_unsubscribe = message.header("List-Unsubscribe").unwrap();
    assert!(list_unsubscribe.starts_with(&format!("<{unsubscribe}")), "{list_unsubscribe}");

    let text = message.part("text/plain").expect("a plain-text part");
    let html = message.part("text/html").expect("an HTML part");
    let (score, grade) = (partial["score"].as_i64().unwrap(), partial["grade"].as_str().unwrap());
    let change = score - first["score"].as_i64().unwrap();
    assert!(change < 0, "running privileged lowers the score: {first} {partial}");
    let remediation = rampart_core::rules::find("pss-privileged").unwrap().remediation;
    for expected in [
        "== prod (team red) ==".to_string(),
        format!("Score {score} {grade} ({change} in this period)"),
        format!("New: {} critical", new_critical.len()),
        "[critical] Deployment prod/web - pss-privileged".to_string(),
        format!("Fix: {remediation}"),
        format!("Resolved: {}", second["resolved"]),
        format!("Scan {} partial", partial["id"]),
        format!("Details: {PUBLIC_URL}/clusters/{cluster}"),
        format!("Dashboard: {PUBLIC_URL}/clusters"),
        format!("Unsubscribe: {unsubscribe}"),
    ] {
        assert!(text.contains(&expected), "{expected:?} in:\n{text}");
    }
    for expected in [
        ">prod</a>".to_string(),
        format!(">{score}</span>"),
        "pss-privileged".to_string(),
        format!("href=\"{unsubscribe}"),
        format!("href=\"{PUBLIC_URL}/clusters\""),
    ] {
        assert!(html.contains(&expected), "{expected:?} in:\n{html}");
    }
    assert!(!html.contains("<script") && !html.contains("<img"), "{html}");

    // Sent once: the row is sent, and another sender finds nothing to send.
    let email = app.wait_for_email(&admin, outbox[0]["id"].as_i64().unwrap(), |email| email["status"] == "sent").await;
    assert_eq!(email["attempts"], 1, "{email}");
    assert_eq!(app.mailer.send_due(now_millis()).await.unwrap(), Sent::default());
    assert_eq!(smtp.messages().len(), 1);
}

async fn an_outage_is_retried_and_delivers_once(backend: Backend) {
    let smtp = SmtpServer::start().await;
    smtp.stop();
    let app = spawn_app_with_mail(backend, &mail_settings(&smtp)).await;
    let ana = app.user("ana@example.test", "red", Role::Editor).await;
    let admin = app.admin().await;
    app.snapshot_cluster(&ana, "prod").await;
    let subscription = app.subscribe(&ana, json!({ "team": "red", "frequency": "weekly" })).await;

    // The port is closed: attempts fail and the email waits, queued, for the next one.
    let email = app.send_now(&ana, subscription).await;
    let waiting = app.wait_for_email(&admin, email, |email| email["attempts"].as_i64() >= Some(1)).await;
    assert_eq!(waiting["status"], "queued", "{waiting}");
    assert!(waiting["last_error"].is_string() && waiting["next_attempt_at"].is_string(), "{waiting}");
    assert!(smtp.messages().is_empty());

    // Back up, but refusing: the next connection is greeted with 421, the next message
    // with 451 at the end of DATA. Both are retried; the third try delivers.
    smtp.greet_next_with(&[421]);
    smtp.answer_next_data_with(&[451]);
    smtp.restart().await;
    let messages = smtp.wait_for_messages(1).await;
    assert_eq!(messages[0].to, ["ana@example.test"]);
    assert!(messages[0].header("Subject").unwrap().starts_with("Rampart digest: 1 cluster"), "{messages:?}");
    let sent = app.wait_for_email(&admin, email, |email| email["status"] == "sent").await;
    assert!(sent["attempts"].as_i64().unwrap() >= 4, "refused at least thrice, then sent: {sent}");
    assert!(sent["last_error"].as_str().unwrap().contains("451"), "{sent}");
    assert!(sent["sent_at"].is_string() && sent["next_attempt_at"].is_null(), "{sent}");
    assert!(smtp.connections() >= 3);

    // Exactly once, even with more senders: two more race the server's own loop for a
    // second email, and each email arrives once.
    assert_eq!(app.mailer.send_due(now_millis() + DAY_MILLIS).await.unwrap(), Sent::default());
    let second = app.send_now(&ana, subscription).await;
    let (first_sender, second_sender) =
        tokio::join!(app.mailer.send_due(now_millis()), app.mailer.send_due(now_millis()));
    assert!(first_sender.unwrap().sent + second_sender.unwrap().sent <= 1);
    app.wait_for_email(&admin, second, |email| email["status"] == "sent").await;
    assert_eq!(app.mailer.send_due(now_millis() + DAY_MILLIS).await.unwrap(), Sent::default());
    assert_eq!(smtp.messages().len(), 2, "{:#?}", smtp.messages());
}

async fn a_refused_email_fails_and_can_be_sent_again(backend: Backend) {
    let smtp = SmtpServer::start().await;
    smtp.answer_next_data_with(&[550]);
    let app = spawn_app_with_mail(backend, &mail_settings(&smtp)).await;
    let ana = app.user("ana@example.test", "red", Role::Editor).await;
    let admin = app.admin().await;
    let subscription = app.subscribe(&ana, json!({ "team": "red", "frequency": "daily" })).await;

    // A permanent refusal (5xx) is not retried: the email is failed at once, and kept.
    let email = app.send_now(&ana, subscription).await;
    let failed = app.wait_for_email(&admin, email, |email| email["status"] == "failed").await;
    assert_eq!(failed["attempts"], 1, "{failed}");
    assert!(failed["last_error"].as_str().unwrap().contains("550"), "{failed}");
    let (status, listed) = app.get(&admin, "/api/v1/outbox?status=failed").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed[0]["id"], email, "{listed}");
    let (status, body) = app.get(&admin, "/api/v1/outbox?status=lost").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // Sent again on an admin's word only, and then it goes.
    let (status, _) = app.post(&ana, &format!("/api/v1/outbox/{email}/retry"), &json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app.post(&admin, &format!("/api/v1/outbox/{email}/retry"), &json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    smtp.wait_for_messages(1).await;
    app.wait_for_email(&admin, email, |email| email["status"] == "sent").await;
    let (status, body) = app.post(&admin, &format!("/api/v1/outbox/{email}/retry"), &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "a sent email is not sent twice: {body}");
    let (status, _) = app.post(&admin, "/api/v1/outbox/999999/retry", &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn alerts_come_for_new_critical_findings(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_mail(backend, &mail_settings(&smtp)).await;
    let ana = app.user("ana@example.test", "red", Role::Editor).await;
    let cluster = app.snapshot_cluster(&ana, "prod").await;
    let other = app.snapshot_cluster(&ana, "staging").await;
    assert!(critical_findings(&before()).is_empty(), "the first snapshot has no critical finding");
    let subscription = app.subscribe(&ana, json!({ "clusters": [cluster], "frequency": "immediate" })).await;

    let looked_at = |scan: i64| {
        let store = app.store.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(60);
            while store.subscription(subscription).await.unwrap().unwrap().last_scan_id < scan {
                assert!(Instant::now() < deadline, "scan {scan} was never looked at");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };

    // No critical finding, and critical findings in a cluster not subscribed to: no alert.
    app.scan_snapshot(&ana, other, &after()).await;
    let quiet = app.scan_snapshot(&ana, cluster, &before()).await;
    looked_at(quiet["id"].as_i64().unwrap()).await;
    // New critical findings: one alert, listing them.
    let alarming = app.scan_snapshot(&ana, cluster, &after()).await;
    let messages = smtp.wait_for_messages(1).await;
    let new_critical = critical_findings(&after());
    let subject = messages[0].header("Subject").unwrap();
    let count = new_critical.len();
    let noun = if count == 1 { "finding" } else { "findings" };
    assert_eq!(subject, format!("Rampart alert: {count} new critical {noun} in cluster prod"));
    let text = messages[0].part("text/plain").unwrap();
    assert!(text.contains(&format!("scan {}", alarming["id"])), "{text}");
    assert!(text.contains("[critical] Deployment prod/web - pss-privileged"), "{text}");
    assert!(text.contains(&format!("Unsubscribe: {PUBLIC_URL}/unsubscribe?token={subscription}.")), "{text}");

    // The same findings again are not new: no second alert.
    let again = app.scan_snapshot(&ana, cluster, &after()).await;
    looked_at(again["id"].as_i64().unwrap()).await;
    assert_eq!(app.mailer.queue_alerts().await.unwrap(), 0);
    assert_eq!(app.store.list_emails(None, 100).await.unwrap().len(), 1, "one alert in the outbox");
    assert_eq!(smtp.messages().len(), 1, "{:#?}", smtp.messages());
}

async fn without_smtp_emails_wait_for_preview_and_links_unsubscribe(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.test", "red", Role::Editor).await;
    let admin = app.admin().await;
    app.snapshot_cluster(&ana, "prod").await;
    let subscription = app.subscribe(&ana, json!({ "team": "red", "frequency": "daily", "hour": 6 })).await;
    let email = app.send_now(&ana, subscription).await;

    // Nothing sends: the email waits, never attempted, and admins read it.
    assert!(!app.mailer.sends());
    assert_eq!(app.mailer.send_due(now_millis() + DAY_MILLIS).await.unwrap(), Sent::default());
    for path in ["/api/v1/outbox".to_string(), format!("/api/v1/outbox/{email}")] {
        let (status, body) = app.get(&ana, &path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
    }
    let (status, preview) = app.get(&admin, &format!("/api/v1/outbox/{email}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((preview["status"].as_str(), preview["attempts"].as_i64()), (Some("queued"), Some(0)), "{preview}");
    assert_eq!(preview["recipient"], "ana@example.test");
    assert!(preview["html"].as_str().unwrap().contains(">prod</a>"), "{preview}");
    // Links point at the server itself when no public URL is set.
    let text = preview["text"].as_str().unwrap();
    assert!(text.contains(&format!("Dashboard: {}/clusters", app.base)), "{text}");
    let link = text.lines().find_map(|line| line.strip_prefix("Unsubscribe: ")).unwrap().to_string();
    assert!(link.starts_with(&format!("{}/unsubscribe?token=", app.base)), "{link}");

    // A link that was tampered with, or cut, is refused with a page saying what to do.
    let mut tampered = link.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    let cut = link.rsplit_once('.').unwrap().0.to_string();
    let missing = format!("{}/unsubscribe", app.base);
    for bad in [&tampered, &cut, &missing] {
        for post in [false, true] {
            let request = if post { app.client.post(bad) } else { app.client.get(bad) };
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
            assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
            assert!(response.text().await.unwrap().contains("not valid"));
        }
    }
    let (_, subscriptions) = app.get(&ana, "/api/v1/subscriptions").await;
    assert_eq!(subscriptions.as_array().unwrap().len(), 1);

    // The real link needs no login. Opening it (what a mail scanner does too) only asks to
    // confirm; the confirmation posts back to the same URL.
    let response = app.client.get(&link).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("Unsubscribe from these emails?"), "{page}");
    assert!(page.contains("<form method=\"post\" action=\"\""), "{page}");
    let (_, subscriptions) = app.get(&ana, "/api/v1/subscriptions").await;
    assert_eq!(subscriptions.as_array().unwrap().len(), 1, "a GET unsubscribes nobody");
    // POST unsubscribes: the page's button, or RFC 8058's one-click POST of mail clients.
    // The email stays in the outbox.
    let response = app.client.post(&link).body("List-Unsubscribe=One-Click").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("You are unsubscribed"));
    let (_, subscriptions) = app.get(&ana, "/api/v1/subscriptions").await;
    assert_eq!(subscriptions, json!([]));
    let response = app.client.get(&link).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("already unsubscribed"));
    let (_, preview) = app.get(&admin, &format!("/api/v1/outbox/{email}")).await;
    assert_eq!(preview["subscription"], Value::Null, "{preview}");
    // A queued digest of a subscription that is gone still waits to be read.
    assert_eq!(preview["status"], "queued");
}

/// A finding opened and resolved within the period is no news: the digest counts it apart,
/// and new ones are those still open at the period's end.
async fn digests_net_the_period(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.test", "red", Role::Editor).await;
    let admin = app.admin().await;
    let cluster = app.snapshot_cluster(&ana, "prod").await;
    let first = app.scan_snapshot(&ana, cluster, &before()).await;
    backdate_scan(&app.store, first["id"].as_i64().unwrap(), 2 * DAY_MILLIS).await;
    // Within the day: `web` runs privileged, then no longer; `worker` goes, then comes back.
    let churning = app.scan_snapshot(&ana, cluster, &after()).await;
    let opened = churning["new"].as_i64().unwrap();
    let criticals = critical_findings(&after()).difference(&critical_findings(&before())).count();
    assert!(opened > 0 && criticals > 0, "{churning}");
    let back = app.scan_snapshot(&ana, cluster, &before()).await;
    assert_eq!(back["resolved"], opened, "{back}");

    let subscription = app.subscribe(&ana, json!({ "clusters": [cluster], "frequency": "daily", "hour": 6 })).await;
    let email = app.send_now(&ana, subscription).await;
    let (status, preview) = app.get(&admin, &format!("/api/v1/outbox/{email}")).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let subject = preview["subject"].as_str().unwrap();
    let text = preview["text"].as_str().unwrap();
    // The scans' own counts say `opened` new: the digest says none, and counts the churn
    // (the worker's findings, resolved and seen again, are neither new nor resolved).
    assert!(!subject.contains("new critical"), "{subject}");
    assert!(subject.contains(&format!("{opened} resolved")), "{subject}");
    for expected in [
        "0 new critical, 0 new high (first seen in the period, still open at its end)".to_string(),
        format!("{opened} opened and resolved within the period"),
        format!("New: 0 critical, 0 high. Resolved: {opened}. Opened and resolved within the period: {opened}"),
    ] {
        assert!(text.contains(&expected), "{expected:?} in:\n{text}");
    }
    assert!(!text.contains("pss-privileged"), "a finding already resolved is not listed as new: {text}");
}

async fn subscriptions_cover_only_your_clusters(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.test", "red", Role::Editor).await;
    let bo = app.user("bo@example.test", "blue", Role::Editor).await;
    let prod = app.snapshot_cluster(&ana, "prod").await;
    let theirs = app.snapshot_cluster(&bo, "theirs").await;

    // Another team's cluster is refused as one that does not exist; so is another team.
    for body in [
        json!({ "clusters": [theirs], "frequency": "daily" }),
        json!({ "clusters": [prod, theirs], "frequency": "daily" }),
        json!({ "clusters": [999_999], "frequency": "daily" }),
    ] {
        let (status, error) = app.post(&ana, "/api/v1/subscriptions", &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {error}");
        assert!(error["error"].as_str().unwrap().starts_with("no cluster "), "{error}");
    }
    let (status, error) =
        app.post(&ana, "/api/v1/subscriptions", &json!({ "team": "blue", "frequency": "daily" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    // Bad input gets a message saying what is expected.
    for (body, says) in [
        (json!({ "team": "red", "frequency": "hourly" }), "daily, weekly or immediate"),
        (json!({ "team": "red", "frequency": "daily", "hour": 24 }), "0 to 23"),
        (json!({ "team": "red", "frequency": "weekly", "weekday": "funday" }), "monday"),
        (json!({ "team": "red", "clusters": [prod], "frequency": "daily" }), "not both"),
        (json!({ "frequency": "daily" }), "say what to cover"),
        (json!({ "clusters": [], "frequency": "daily" }), "1 to 500"),
        (json!({ "team": "red", "frequency": "daily", "colour": "red" }), "unknown field"),
    ] {
        let (status, error) = app.post(&ana, "/api/v1/subscriptions", &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {error}");
        assert!(error["error"].as_str().unwrap().contains(says), "{body}: {error}");
    }

    let (status, subscription) = app
        .post(&ana, "/api/v1/subscriptions", &json!({ "team": "red", "frequency": "weekly", "weekday": "friday" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{subscription}");
    assert_eq!(subscription["weekday"], "friday");
    assert_eq!(subscription["hour"], 8);
    assert_eq!(subscription["team"]["name"], "red");
    assert_eq!(subscription["clusters"], json!([{ "id": prod, "name": "prod", "team": "red" }]));
    let id = subscription["id"].as_i64().unwrap();
    let (status, listed) = app.get(&ana, "/api/v1/subscriptions").await;
    assert_eq!((status, listed), (StatusCode::OK, json!([subscription])));

    // Someone else's subscription is not found, whatever they try.
    let (_, listed) = app.get(&bo, "/api/v1/subscriptions").await;
    assert_eq!(listed, json!([]));
    let (status, _) = app.get(&bo, &format!("/api/v1/subscriptions/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.post(&bo, &format!("/api/v1/subscriptions/{id}/send"), &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&bo, &format!("/api/v1/subscriptions/{id}")).await, StatusCode::NOT_FOUND);
    let response = app.client.get(app.url("/api/v1/subscriptions")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(app.delete(&ana, &format!("/api/v1/subscriptions/{id}")).await, StatusCode::NO_CONTENT);
    assert_eq!(app.delete(&ana, &format!("/api/v1/subscriptions/{id}")).await, StatusCode::NOT_FOUND);
}

on_both_backends!(
    digest_arrives_with_its_content,
    an_outage_is_retried_and_delivers_once,
    a_refused_email_fails_and_can_be_sent_again,
    alerts_come_for_new_critical_findings,
    without_smtp_emails_wait_for_preview_and_links_unsubscribe,
    digests_net_the_period,
    subscriptions_cover_only_your_clusters,
);
