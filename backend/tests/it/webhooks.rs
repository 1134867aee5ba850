//! Black-box tests of a team's webhooks and of routing by namespace: the real server
//! (`support/app.rs`) with its outbox running every 50 ms and no SMTP server, posting to a
//! real HTTP receiver on a loopback port (`support/webhook_receiver.rs`) that checks
//! signatures as the README tells receivers to, counts deliveries, and can be stopped.
//! Each scenario runs on SQLite and on PostgreSQL.

use crate::support::app;
use crate::support::webhook_receiver as receiver;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use app::{spawn_app_configured, spawn_app_with_outbound, Backend, TestApp};
use rampart::mail::webhook::WebhookClient;
use rampart::mail::{MailSettings, RetryPolicy, Sent};
use rampart::outbound::OutboundPolicy;
use rampart::startup::{Application, Settings};
use rampart::store::accounts::Role;
use rampart::store::{now_millis, Store};
use receiver::Receiver;
use reqwest::StatusCode;
use serde_json::{json, Value};

const DAY_MILLIS: i64 = 24 * 60 * 60 * 1000;
const KEY: &str = "5d2a1c0f9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817060504";

fn mail_settings() -> MailSettings {
    MailSettings {
        smtp_url: None,
        interval: Duration::from_millis(50),
        retry: RetryPolicy {
            first_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(400),
            max_attempts: 20,
        },
        ..MailSettings::default()
    }
}

async fn spawn(backend: Backend) -> TestApp {
    spawn_app_configured(backend, &mail_settings(), |settings| settings.secret_key = Some(KEY.to_string())).await
}

fn export(items: &[Value]) -> String {
    json!({ "apiVersion": "v1", "kind": "List", "items": items }).to_string()
}

fn namespace(name: &str, owner: &str) -> Value {
    json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": name, "labels": { "owner": owner } } })
}

fn deployment(name: &str, namespace: &str, privileged: bool) -> Value {
    let mut container = json!({ "name": "app", "image": "nginx:1.27" });
    if privileged {
        container["securityContext"] = json!({ "privileged": true });
    }
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": name, "namespace": namespace },
        "spec": { "template": { "spec": { "containers": [container] } } },
    })
}

/// Two namespaces, one per owner, each with a Deployment; `privileged` ones run privileged.
fn cluster_state(privileged: bool) -> String {
    export(&[
        namespace("payments", "payments"),
        namespace("search", "search"),
        deployment("pay", "payments", privileged),
        deployment("find", "search", privileged),
    ])
}

/// How many critical findings the engine reports in a namespace of the privileged state.
fn criticals_in(namespace: &str) -> usize {
    app::check_snapshot(&cluster_state(true))
        .findings
        .iter()
        .filter(|finding| finding.severity == rampart_core::Severity::Critical && !finding.exempted)
        .filter(|finding| finding.resource.namespace.as_deref() == Some(namespace))
        .count()
}

impl TestApp {
    /// The team's id, by name.
    async fn team_id(&self, token: &str, name: &str) -> i64 {
        let (_, teams) = self.get(token, "/api/v1/teams").await;
        teams.as_array().unwrap().iter().find(|team| team["name"] == name).unwrap()["id"].as_i64().unwrap()
    }

    async fn add_webhook(&self, token: &str, team: i64, body: Value) -> Value {
        let (status, webhook) = self.post(token, &format!("/api/v1/teams/{team}/webhooks"), &body).await;
        assert_eq!(status, StatusCode::CREATED, "{body}: {webhook}");
        webhook
    }

    /// Polls the outbox until every delivery is sent; the outbox.
    async fn wait_until_all_sent(&self) -> Vec<rampart::store::mail::Email> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let emails = self.store.list_emails(None, 1000).await.unwrap();
            if emails.iter().all(|email| email.status == "sent") {
                return emails;
            }
            assert!(Instant::now() < deadline, "never all sent: {emails:#?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Waits until the webhook has looked at the scan.
async fn looked_at(store: &Store, webhook: i64, scan: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while store.webhook(webhook).await.unwrap().unwrap().last_scan_id < scan {
        assert!(Instant::now() < deadline, "scan {scan} was never looked at");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}")
}

/// New critical findings and a failed scan reach a generic webhook, signed, once each.
async fn alerts_arrive_signed_once(backend: Backend) {
    let receiver = Receiver::start().await;
    let app = spawn(backend).await;
    let admin = app.user("ana@example.test", "red", Role::Admin).await;
    let team = app.team_id(&admin, "red").await;
    let cluster = app.snapshot_cluster(&admin, "prod").await;
    let webhook = app
        .add_webhook(
            &admin,
            team,
            json!({ "name": "ops", "format": "generic", "url": receiver.url("/hook"), "events": ["critical", "scan_failed"] }),
        )
        .await;
    let secret = webhook["secret"].as_str().expect("a generated secret, shown once").to_string();
    assert_eq!(secret.len(), 64);
    receiver.expect_secret(&secret);
    let webhook_id = webhook["id"].as_i64().unwrap();

    // No critical finding: nothing. Then privileged Deployments: one notice.
    let quiet = app.scan_snapshot(&admin, cluster, &cluster_state(false)).await;
    looked_at(&app.store, webhook_id, quiet["id"].as_i64().unwrap()).await;
    assert!(receiver.received().is_empty());
    let alarming = app.scan_snapshot(&admin, cluster, &cluster_state(true)).await;
    let received = receiver.wait_for(1).await;
    let notice = &received[0];
    assert_eq!(notice.signature_valid, Some(true), "{notice:#?}");
    assert_eq!(notice.header("x-rampart-event"), Some("critical"));
    assert_eq!(notice.header("content-type"), Some("application/json"));
    let body = notice.json();
    assert_eq!(body["event"], "critical");
    assert_eq!(body["team"], "red");
    assert_eq!(body["webhook"], "ops");
    assert_eq!(body["data"]["scan"], alarming["id"]);
    assert_eq!(body["data"]["cluster"]["name"], "prod");
    let objects: BTreeSet<&str> = body["data"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["rule"] == "pss-privileged")
        .map(|finding| finding["object"].as_str().unwrap())
        .collect();
    assert_eq!(objects, BTreeSet::from(["Deployment payments/pay", "Deployment search/find"]));

    // The same findings again are no news.
    let again = app.scan_snapshot(&admin, cluster, &cluster_state(true)).await;
    looked_at(&app.store, webhook_id, again["id"].as_i64().unwrap()).await;
    assert_eq!(app.mailer.queue_webhook_alerts().await.unwrap(), 0);

    // A scan that fails: a notice of it, with the scan's message.
    let (status, gone) = app
        .post(&admin, "/api/v1/clusters", &json!({ "name": "gone", "server": closed_port_url(), "token": "t" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{gone}");
    let failed = app.scan_now(&admin, gone["id"].as_i64().unwrap()).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    let received = receiver.wait_for(2).await;
    let failure = &received[1];
    assert_eq!(failure.signature_valid, Some(true));
    assert_eq!(failure.header("x-rampart-event"), Some("scan_failed"));
    let body = failure.json();
    assert_eq!(body["data"]["scan"]["id"], failed["id"]);
    assert_eq!(body["data"]["scan"]["status"], "failed");
    assert_eq!(body["data"]["cluster"]["name"], "gone");
    assert!(!body["data"]["scan"]["message"].as_str().unwrap().is_empty(), "{body}");

    // Each once: the outbox is all sent, more senders find nothing, the receiver has two.
    let outbox = app.wait_until_all_sent().await;
    assert_eq!(outbox.len(), 2, "{outbox:#?}");
    assert!(outbox.iter().all(|delivery| delivery.webhook_id == Some(webhook_id) && delivery.attempts == 1));
    assert_eq!(app.mailer.send_due(now_millis() + DAY_MILLIS).await.unwrap(), Sent::default());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.received().len(), 2);
    let deliveries: BTreeSet<_> =
        receiver.received().iter().map(|r| r.header("x-rampart-delivery").unwrap().to_string()).collect();
    assert_eq!(deliveries.len(), 2, "each delivery has its own id");

    // A forged or replayed request fails the receiver's check: another secret, another
    // body, or a timestamp moved out of the window.
    let body = &received[0].body;
    let timestamp = received[0].header("x-rampart-timestamp").unwrap();
    let signature = received[0].header("x-rampart-signature").unwrap();
    assert!(receiver::verify(secret.as_bytes(), timestamp, body, signature));
    assert!(!receiver::verify(b"another secret of some length", timestamp, body, signature));
    assert!(!receiver::verify(secret.as_bytes(), timestamp, &body.replace("prod", "dev"), signature));
    let stale = (timestamp.parse::<i64>().unwrap() - 600).to_string();
    let resigned = rampart::mail::webhook::signature(secret.as_bytes(), stale.parse().unwrap(), body);
    assert!(!receiver::verify(secret.as_bytes(), &stale, body, &resigned), "a stale timestamp is refused");
}

/// The receiver is down: attempts fail and are retried with backoff; once it is up again
/// the digest arrives, once. Test sends say what went wrong.
async fn an_outage_is_retried_and_delivers_once(backend: Backend) {
    let mut receiver = Receiver::start().await;
    receiver.stop();
    let app = spawn(backend).await;
    let admin = app.user("ana@example.test", "red", Role::Admin).await;
    let team = app.team_id(&admin, "red").await;
    let cluster = app.snapshot_cluster(&admin, "prod").await;
    app.scan_snapshot(&admin, cluster, &cluster_state(true)).await;
    let secret = "a secret of the receiver's own";
    let webhook = app
        .add_webhook(
            &admin,
            team,
            json!({ "name": "digest", "format": "generic", "url": receiver.url("/in"), "secret": secret,
                    "events": ["digest"], "frequency": "daily", "hour": 0 }),
        )
        .await;
    assert!(webhook.get("secret").is_none(), "a secret given is not shown back: {webhook}");
    receiver.expect_secret(secret);
    let id = webhook["id"].as_i64().unwrap();

    // A test send while the receiver is down says so.
    let (status, test) = app.post(&admin, &format!("/api/v1/teams/{team}/webhooks/{id}/test"), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{test}");
    assert_eq!(test["delivered"], false, "{test}");
    assert_eq!(
        test["error"].as_str().unwrap(),
        format!(
            "no HTTP answer from http://127.0.0.1:{}: check the URL, and that the receiver is up and reachable from \
             this server",
            receiver.port()
        ),
        "the same whatever the reason: {test}"
    );

    // Tomorrow's digest, queued once however many replicas race for it.
    let tomorrow = now_millis() + DAY_MILLIS;
    let (one, another) =
        tokio::join!(app.mailer.queue_webhook_digests(tomorrow), app.mailer.queue_webhook_digests(tomorrow));
    assert_eq!(one.unwrap() + another.unwrap(), 1);
    assert_eq!(app.mailer.queue_webhook_digests(tomorrow).await.unwrap(), 0);
    let delivery = app.store.list_emails(None, 10).await.unwrap().pop().unwrap();
    assert_eq!(delivery.webhook_id, Some(id));
    let deadline = Instant::now() + Duration::from_secs(60);
    let waiting = loop {
        let email = app.store.email(delivery.id).await.unwrap().unwrap();
        if email.attempts >= 2 {
            break email;
        }
        assert!(Instant::now() < deadline, "never retried: {email:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(waiting.status, "queued");
    assert!(waiting.last_error.as_deref().unwrap().contains("127.0.0.1"), "{waiting:?}");
    assert!(receiver.received().is_empty());

    // Up again, but answering 503 first: retried; then delivered.
    receiver.answer_next_with(&[503]);
    receiver.restart().await;
    let received = receiver.wait_for(2).await;
    let emails = app.wait_until_all_sent().await;
    assert_eq!(emails.len(), 1);
    assert!(emails[0].attempts >= 4, "failed twice at least, refused once, then sent: {:?}", emails[0]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let received_now = receiver.received();
    assert_eq!(received_now.len(), 2, "one refused with 503, one delivered: {received_now:#?}");
    assert_eq!(received[0].status, 503);
    assert_eq!(received[1].status, 200);
    assert_eq!(received[0].header("x-rampart-delivery"), received[1].header("x-rampart-delivery"));
    assert_eq!(received[1].signature_valid, Some(true));
    let body = received[1].json();
    assert_eq!(body["event"], "digest");
    assert_eq!(body["data"]["clusters"][0]["name"], "prod");
    let criticals = criticals_in("payments") + criticals_in("search");
    assert!(criticals >= 2);
    assert_eq!(body["data"]["clusters"][0]["new_critical"], criticals, "{body}");

    // A test send now arrives, signed, as a test.
    let (_, test) = app.post(&admin, &format!("/api/v1/teams/{team}/webhooks/{id}/test"), &json!({})).await;
    assert_eq!(test, json!({ "delivered": true }));
    let received = receiver.wait_for(3).await;
    assert_eq!(received[2].header("x-rampart-event"), Some("test"));
    assert_eq!(received[2].signature_valid, Some(true));

    // A receiver that refuses for good (4xx): failed at once, kept in the outbox.
    receiver.answer_next_with(&[410]);
    let day_after = tomorrow + DAY_MILLIS;
    assert_eq!(app.mailer.queue_webhook_digests(day_after).await.unwrap(), 1);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let emails = app.store.list_emails(Some("failed"), 10).await.unwrap();
        if let Some(failed) = emails.first() {
            assert_eq!(failed.attempts, 1);
            assert!(failed.last_error.as_deref().unwrap().contains("410"), "{failed:?}");
            break;
        }
        assert!(Instant::now() < deadline, "never failed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Two server processes share one database, both running the outbox: every delivery
/// arrives once.
async fn two_replicas_deliver_each_once(backend: Backend) {
    let receiver = Receiver::start().await;
    let app = spawn(backend).await;
    let admin = app.user("ana@example.test", "red", Role::Admin).await;
    let team = app.team_id(&admin, "red").await;
    let cluster = app.snapshot_cluster(&admin, "prod").await;
    app.scan_snapshot(&admin, cluster, &cluster_state(true)).await;
    for index in 0..12 {
        app.add_webhook(
            &admin,
            team,
            json!({ "name": format!("hook {index}"), "format": "slack", "url": receiver.url(&format!("/slack/{index}")),
                    "events": ["digest"], "hour": 0 }),
        )
        .await;
    }

    // The second replica: its own pool, mailer and HTTP server on the same database.
    let mut settings = Settings::local(app.database.url(), std::env::temp_dir().join("rampart-unused-key"));
    settings.secret_key = Some(KEY.to_string());
    settings.outbound = OutboundPolicy::lab();
    let replica = Application::build_with_mail(&settings, &mail_settings()).await.unwrap();
    let replica_mailer = replica.mailer().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(replica.run_until(async move {
        let _ = stopped.await;
    }));

    // Both queue tomorrow's digests and both send, by their loops and by hand at once.
    let tomorrow = now_millis() + DAY_MILLIS;
    let (one, another) =
        tokio::join!(app.mailer.queue_webhook_digests(tomorrow), replica_mailer.queue_webhook_digests(tomorrow));
    assert_eq!(one.unwrap() + another.unwrap(), 12, "each webhook's digest is queued once");
    let (one, another) = tokio::join!(app.mailer.send_due(now_millis()), replica_mailer.send_due(now_millis()));
    let (one, another) = (one.unwrap(), another.unwrap());
    assert_eq!(one.failed + another.failed, 0);
    let received = receiver.wait_for(12).await;
    app.wait_until_all_sent().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = stop.send(());
    let _ = running.await;

    let received_now = receiver.received();
    assert_eq!(received_now.len(), 12, "{received_now:#?}");
    let mut per_path: BTreeMap<String, usize> = BTreeMap::new();
    for request in &received {
        *per_path.entry(request.path.clone()).or_default() += 1;
        // Slack's format: no signature, a text and blocks.
        assert_eq!(request.signature_valid, None);
        let body = request.json();
        assert!(body["text"].as_str().unwrap().starts_with("Rampart daily digest: 1 cluster"), "{body}");
        assert_eq!(body["blocks"][0]["type"], "header");
    }
    assert!(per_path.values().all(|count| *count == 1), "{per_path:?}");
    assert_eq!(per_path.len(), 12);
}

/// A subscription or webhook limited to namespaces hears of those only: by list, or by a
/// namespace label, so each namespace's owners get their own.
async fn routing_by_namespace(backend: Backend) {
    let receiver = Receiver::start().await;
    let app = spawn(backend).await;
    let admin = app.user("ana@example.test", "red", Role::Admin).await;
    let team = app.team_id(&admin, "red").await;
    let cluster = app.snapshot_cluster(&admin, "prod").await;
    app.scan_snapshot(&admin, cluster, &cluster_state(false)).await;
    let payments = app
        .add_webhook(
            &admin,
            team,
            json!({ "name": "payments", "format": "teams", "url": receiver.url("/payments"),
                    "events": ["critical", "digest"], "namespace_selector": "owner=payments", "hour": 0 }),
        )
        .await;
    assert_eq!(payments["namespace_selector"], "owner=payments");
    let search = app
        .add_webhook(
            &admin,
            team,
            json!({ "name": "search", "format": "generic", "url": receiver.url("/search"),
                    "events": ["critical"], "namespaces": ["search"] }),
        )
        .await;
    assert_eq!(search["namespaces"], json!(["search"]));
    let nobody = app
        .add_webhook(
            &admin,
            team,
            json!({ "name": "nobody", "format": "generic", "url": receiver.url("/nobody"),
                    "events": ["critical"], "namespace_selector": "owner=nobody" }),
        )
        .await;
    receiver.expect_secret(search["secret"].as_str().unwrap());
    let (status, subscription) = app
        .post(
            &admin,
            "/api/v1/subscriptions",
            &json!({ "team": "red", "frequency": "immediate", "namespaces": ["payments"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{subscription}");
    assert_eq!(subscription["namespaces"], json!(["payments"]));

    let alarming = app.scan_snapshot(&admin, cluster, &cluster_state(true)).await;
    let received = receiver.wait_for(2).await;
    looked_at(&app.store, nobody["id"].as_i64().unwrap(), alarming["id"].as_i64().unwrap()).await;
    let by_path: BTreeMap<&str, &receiver::Received> = received.iter().map(|r| (r.path.as_str(), r)).collect();
    assert_eq!(by_path.len(), 2, "the webhook of a label no namespace carries hears nothing: {received:#?}");

    // Teams' Adaptive Card, for the payments owners: their Deployment only.
    let card = by_path["/payments"].json();
    assert_eq!(card["attachments"][0]["contentType"], "application/vnd.microsoft.card.adaptive");
    let card_text = card["attachments"][0]["content"]["body"].to_string();
    assert!(card_text.contains("payments/pay") && !card_text.contains("search/find"), "{card_text}");
    // The generic one, for search: its Deployment only.
    let generic = by_path["/search"].json();
    let objects: BTreeSet<&str> = generic["data"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["object"].as_str().unwrap())
        .collect();
    assert!(objects.contains("Deployment search/find") && !objects.contains("Deployment payments/pay"), "{objects:?}");

    // The email alert of the payments subscription: payments only.
    let deadline = Instant::now() + Duration::from_secs(60);
    let alert = loop {
        let emails = app.store.list_emails(None, 100).await.unwrap();
        if let Some(email) = emails.into_iter().find(|email| email.webhook_id.is_none()) {
            break email;
        }
        assert!(Instant::now() < deadline, "the email alert never came");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(alert.text.contains("Deployment payments/pay") && !alert.text.contains("search/find"), "{}", alert.text);

    // Digests too: the payments webhook's digest counts payments' new critical findings.
    let tomorrow = now_millis() + DAY_MILLIS;
    assert_eq!(app.mailer.queue_webhook_digests(tomorrow).await.unwrap(), 1);
    let received = receiver.wait_for(3).await;
    let digest = received[2].json();
    assert_eq!(received[2].path, "/payments");
    let digest_text = digest["attachments"][0]["content"]["body"].to_string();
    assert!(digest_text.contains("namespaces labelled owner=payments"), "{digest_text}");
    assert!(digest_text.contains(&format!("new: {} critical", criticals_in("payments"))), "{digest_text}");
    assert!(digest_text.contains("payments/pay") && !digest_text.contains("search/find"), "{digest_text}");
    // And the email digest of a subscription limited to search.
    let (_, daily) = app
        .post(
            &admin,
            "/api/v1/subscriptions",
            &json!({ "team": "red", "frequency": "daily", "namespace_selector": "owner=search" }),
        )
        .await;
    let (status, queued) = app.post(&admin, &format!("/api/v1/subscriptions/{}/send", daily["id"]), &json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    let email = app.store.email(queued["id"].as_i64().unwrap()).await.unwrap().unwrap();
    assert!(email.text.contains("Deployment search/find") && !email.text.contains("payments/pay"), "{}", email.text);
    assert!(email.subject.contains(&format!(", {} new critical", criticals_in("search"))), "{}", email.subject);
}

/// Team admins only add, test and delete; the URL's path and the secret never come back;
/// bad input says what is expected; the outbound policy refuses private addresses.
async fn webhooks_are_for_team_admins_and_keep_their_secrets(backend: Backend) {
    let app = spawn_app_with_outbound(backend, OutboundPolicy::default()).await;
    let admin = app.user("ana@example.test", "red", Role::Admin).await;
    let editor = app.user("bo@example.test", "red", Role::Editor).await;
    let stranger = app.user("cy@example.test", "blue", Role::Admin).await;
    let team = app.team_id(&admin, "red").await;
    let path = format!("/api/v1/teams/{team}/webhooks");
    let slack_url = "https://hooks.slack.example/services/T000/B000/XXXXsecretXXXX";
    let body = json!({ "name": "chat", "format": "slack", "url": slack_url, "events": ["digest", "critical"] });

    let (status, _) = app.post(&editor, &path, &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.post(&stranger, &path, &body).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let created = app.add_webhook(&admin, team, body.clone()).await;
    assert_eq!(created["url"], "https://hooks.slack.example");
    assert_eq!(created["events"], json!(["digest", "critical"]));
    let id = created["id"].as_i64().unwrap();
    let (status, _) = app.post(&admin, &path, &body).await;
    assert_eq!(status, StatusCode::CONFLICT, "one name per team");

    // Members list them; nothing of the URL's path or of a secret comes back.
    let (status, listed) = app.get(&editor, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed, json!([created]));
    assert!(!listed.to_string().contains("XXXXsecretXXXX"));
    let (status, _) = app.get(&stranger, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let generic = app
        .add_webhook(
            &admin,
            team,
            json!({ "name": "siem", "format": "generic", "url": "https://siem.example/in",
                                           "secret": "correct horse battery staple", "events": ["scan_failed"] }),
        )
        .await;
    assert_eq!(generic["signed"], true);
    let (_, listed) = app.get(&admin, &path).await;
    assert!(!listed.to_string().contains("correct horse"), "{listed}");
    // Stored sealed: neither the URL's token nor the secret is in the database in clear.
    let raw: Vec<(Vec<u8>, Option<Vec<u8>>)> = match &app.store {
        Store::Sqlite(pool) => sqlx::query_as("SELECT url, secret FROM webhooks").fetch_all(pool).await.unwrap(),
        Store::Postgres(pool) => sqlx::query_as("SELECT url, secret FROM webhooks").fetch_all(pool).await.unwrap(),
    };
    for (url, secret) in raw {
        let text = String::from_utf8_lossy(&url).into_owned() + &String::from_utf8_lossy(&secret.unwrap_or_default());
        assert!(
            !text.contains("XXXXsecretXXXX") && !text.contains("correct horse") && !text.contains("siem"),
            "{text}"
        );
    }

    // Bad input, and addresses the policy refuses, say what is expected.
    for (body, says) in [
        (
            json!({ "name": "x", "format": "discord", "url": "https://a.example", "events": ["digest"] }),
            "generic, slack or teams",
        ),
        (
            json!({ "name": "x", "format": "generic", "url": "https://a.example", "events": ["weather"] }),
            "unknown event",
        ),
        (json!({ "name": "x", "format": "generic", "url": "https://a.example", "events": [] }), "at least one event"),
        (
            json!({ "name": "x", "format": "slack", "url": "https://a.example", "secret": "0123456789abcdef", "events": ["digest"] }),
            "only generic",
        ),
        (
            json!({ "name": "x", "format": "generic", "url": "https://a.example", "secret": "short", "events": ["digest"] }),
            "16 to 256",
        ),
        (json!({ "name": "x", "format": "generic", "url": "http://a.example/h", "events": ["digest"] }), "https://"),
        (
            json!({ "name": "x", "format": "generic", "url": "https://127.0.0.1:9/h", "events": ["digest"] }),
            "outbound-lab",
        ),
        (
            json!({ "name": "x", "format": "generic", "url": "https://localhost:9/h", "events": ["digest"] }),
            "outbound-lab",
        ),
        (
            json!({ "name": "x", "format": "generic", "url": "https://10.1.2.3/h", "events": ["digest"] }),
            "outbound-allow",
        ),
        (
            json!({ "name": "x", "format": "generic", "url": "https://169.254.169.254/h", "events": ["digest"] }),
            "outbound-lab",
        ),
        (
            json!({ "name": "x", "format": "generic", "url": "https://a.example", "events": ["digest"], "namespaces": ["A B"] }),
            "namespace name",
        ),
        (
            json!({ "name": "x", "format": "generic", "url": "https://a.example", "events": ["digest"], "namespace_selector": "a in b" }),
            "kubectl -l",
        ),
        (
            json!({ "name": "x", "format": "generic", "url": "https://a.example", "events": ["digest"], "frequency": "hourly" }),
            "daily or weekly",
        ),
        (json!({ "name": "", "format": "generic", "url": "https://a.example", "events": ["digest"] }), "1 to 100"),
        (
            json!({ "name": "x", "format": "generic", "url": "https://a.example", "events": ["digest"], "colour": 1 }),
            "unknown field",
        ),
    ] {
        let (status, error) = app.post(&admin, &path, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {error}");
        assert!(error["error"].as_str().unwrap().contains(says), "{body}: {error}");
    }

    // Test and delete: the team's admins only; another team's webhook is not found.
    let (status, _) = app.post(&editor, &format!("{path}/{id}/test"), &json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let stranger_team = app.team_id(&stranger, "blue").await;
    let (status, _) =
        app.post(&stranger, &format!("/api/v1/teams/{stranger_team}/webhooks/{id}/test"), &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.delete(&stranger, &format!("/api/v1/teams/{stranger_team}/webhooks/{id}")).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.delete(&editor, &format!("{path}/{id}")).await, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&admin, &format!("{path}/{id}")).await, StatusCode::NO_CONTENT);
    assert_eq!(app.delete(&admin, &format!("{path}/{id}")).await, StatusCode::NOT_FOUND);

    // A team has at most 20 webhooks: the next is refused with what to do, the count is
    // per team, and deleting one makes room again.
    let hook = |name: String| json!({ "name": name, "format": "generic", "url": "https://a.example/in", "events": ["digest"] });
    for number in 1..20 {
        app.add_webhook(&admin, team, hook(format!("hook-{number}"))).await;
    }
    let (_, listed) = app.get(&admin, &path).await;
    assert_eq!(listed.as_array().unwrap().len(), 20, "siem and 19 more");
    let (status, error) = app.post(&admin, &path, &hook("one-too-many".into())).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(
        error["error"],
        "a team has at most 20 webhooks: delete one it no longer needs first, or send several events to one"
    );
    let (_, listed) = app.get(&admin, &path).await;
    assert_eq!(listed.as_array().unwrap().len(), 20, "the refused one was not stored");
    app.add_webhook(&stranger, stranger_team, hook("blue-hook".into())).await;
    assert_eq!(app.delete(&admin, &format!("{path}/{}", generic["id"])).await, StatusCode::NO_CONTENT);
    app.add_webhook(&admin, team, hook("one-too-many".into())).await;
    // Room for three, ten asked for at once: three are made, seven refused.
    for number in 1..=3 {
        let id = listed[number]["id"].as_i64().unwrap();
        assert_eq!(app.delete(&admin, &format!("{path}/{id}")).await, StatusCode::NO_CONTENT);
    }
    let bodies: Vec<Value> = (0..10).map(|number| hook(format!("racing-{number}"))).collect();
    let racing = bodies.iter().map(|body| app.post(&admin, &path, body)).collect::<Vec<_>>();
    let mut statuses: Vec<StatusCode> =
        futures_util::future::join_all(racing).await.into_iter().map(|(status, _)| status).collect();
    statuses.sort();
    assert_eq!(statuses, [[StatusCode::CREATED; 3].as_slice(), &[StatusCode::CONFLICT; 7]].concat());
    let (_, listed) = app.get(&admin, &path).await;
    assert_eq!(listed.as_array().unwrap().len(), 20);

    // At delivery, a name that resolves to loopback is refused by the policy too, and no
    // connection is made.
    let receiver = Receiver::start().await;
    let client = WebhookClient::new(OutboundPolicy::default());
    let url = format!("https://localhost:{}/hook", receiver.port());
    let error = client.post(&url, "{}", Some(b"secret"), "test", "1").await.unwrap_err();
    assert!(error.permanent && error.message.contains("outbound-lab"), "{error:?}");
    let lab = WebhookClient::new(OutboundPolicy::lab());
    lab.post(&receiver.url("/hook"), "{}", None, "test", "1").await.unwrap();
    assert_eq!(receiver.received().len(), 1, "the lab's post arrives, the refused one never connected");
}

on_both_backends!(
    alerts_arrive_signed_once,
    an_outage_is_retried_and_delivers_once,
    two_replicas_deliver_each_once,
    routing_by_namespace,
    webhooks_are_for_team_admins_and_keep_their_secrets,
);
