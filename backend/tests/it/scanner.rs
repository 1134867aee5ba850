//! The cluster scanner against a fake API server, through the real `kube` client:
//! pagination, per-kind errors, retries, metadata-only Secrets, owner de-duplication,
//! unreachable clusters, and the engine's findings on what was listed.

use crate::support::fake_kube;

use std::time::Duration;

use fake_kube::{closed_port_url, kubeconfig, FakeCluster, FakeKube, CA_PEM, OTHER_CA_PEM, TOKEN};
use rampart::outbound::OutboundPolicy;
use rampart::scanner::{scan, ClusterConfig, KindError, ScanOptions, ScanStatus};
use rampart_core::engine::Options;
use serde_json::{json, Value};

fn options() -> ScanOptions {
    ScanOptions {
        page_size: 3,
        request_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        concurrency: 4,
        retries: 3,
        retry_backoff: Duration::from_millis(10),
        // The fake API server listens on 127.0.0.1, over plain HTTP as well.
        outbound: OutboundPolicy::lab(),
        param_kinds: Vec::new(),
    }
}

fn token_config(fake: &FakeKube) -> ClusterConfig {
    ClusterConfig::Token { server: fake.url.clone(), token: TOKEN.into(), ca_pem: None }
}

fn pod(namespace: &str, name: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "uid": format!("pod-{namespace}-{name}")},
        "spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0"}]},
    })
}

fn owned(mut object: Value, api_version: &str, kind: &str, uid: &str) -> Value {
    object["metadata"]["ownerReferences"] =
        json!([{"apiVersion": api_version, "kind": kind, "name": "owner", "uid": uid, "controller": true}]);
    object
}

fn names<'a>(objects: impl IntoIterator<Item = &'a rampart_core::object::Object>, kind: &str) -> Vec<String> {
    objects.into_iter().filter(|object| object.kind == kind).map(|object| object.name.clone()).collect()
}

#[tokio::test]
async fn lists_every_page_of_every_kind() {
    let mut cluster = FakeCluster::new();
    for index in 0..7 {
        cluster = cluster.with(pod("shop", &format!("pod-{index}")));
    }
    cluster =
        cluster.with(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "uid": "ns-shop"}}));
    let fake = FakeKube::start(cluster).await;

    let outcome = scan(&token_config(&fake), &options()).await;

    assert_eq!(outcome.status, ScanStatus::Succeeded, "{:?}", outcome.message);
    assert!(outcome.errors.is_empty());
    assert_eq!(names(&outcome.objects, "Pod").len(), 7);
    assert_eq!(names(&outcome.objects, "Namespace"), ["shop"]);
    let pod = outcome.objects.iter().find(|object| object.kind == "Pod").unwrap();
    assert_eq!(pod.api_version, "v1", "list items lack apiVersion; the scanner fills it in");
    assert_eq!(pod.namespace.as_deref(), Some("shop"));

    let pages = fake.requests_to("/api/v1/pods");
    assert_eq!(pages.len(), 3, "7 pods at 3 a page");
    assert!(pages.iter().all(|page| page.query.get("limit").map(String::as_str) == Some("3")));
    let tokens: Vec<Option<&str>> = pages.iter().map(|page| page.query.get("continue").map(String::as_str)).collect();
    assert_eq!(tokens, [None, Some("page-3"), Some("page-6")]);
    // Every built-in kind was asked for, and each one was listed.
    assert!(outcome.was_listed("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"));
    assert!(outcome.was_listed("v1", "Secret"));
}

#[tokio::test]
async fn a_kind_that_cannot_be_listed_makes_the_scan_partial() {
    let cluster = FakeCluster::new()
        .with(pod("shop", "web"))
        .with(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "shop"}}))
        .forbid("/apis/rbac.authorization.k8s.io/v1/clusterroles")
        .slow("/api/v1/configmaps", Duration::from_secs(3));
    let fake = FakeKube::start(cluster).await;
    let options = ScanOptions { request_timeout: Duration::from_millis(500), ..options() };

    let outcome = scan(&token_config(&fake), &options).await;

    assert_eq!(outcome.status, ScanStatus::Partial);
    let kinds: Vec<&str> = outcome.errors.iter().map(|error| error.kind.as_str()).collect();
    assert_eq!(kinds, ["ClusterRole", "ConfigMap"]);
    let message = |kind: &str| &outcome.errors.iter().find(|error| error.kind == kind).unwrap().message;
    assert!(message("ClusterRole").starts_with("forbidden (403)"), "{}", message("ClusterRole"));
    assert!(message("ClusterRole").contains("cannot list resource"), "{}", message("ClusterRole"));
    assert!(message("ConfigMap").contains("no answer within"), "{}", message("ConfigMap"));
    assert!(outcome.message.as_deref().unwrap().contains("ClusterRole, ConfigMap"));
    // What could be listed is still there; what could not is not claimed as listed.
    assert_eq!(names(&outcome.objects, "Pod"), ["web"]);
    assert!(!outcome.was_listed("v1", "ConfigMap"));
    assert!(outcome.was_listed("v1", "Pod"));
}

#[tokio::test]
async fn server_errors_are_retried_a_bounded_number_of_times() {
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop", "uid": "d1"}});
    let cluster = FakeCluster::new()
        .with(deployment.clone())
        .with(json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "backup", "namespace": "shop", "uid": "j1"}}))
        .failing("/apis/apps/v1/deployments", 2)
        .failing("/apis/batch/v1/jobs", 100);
    let fake = FakeKube::start(cluster).await;

    let outcome = scan(&token_config(&fake), &ScanOptions { retries: 2, ..options() }).await;

    assert_eq!(names(&outcome.objects, "Deployment"), ["web"], "two 503s, then the answer");
    assert_eq!(fake.requests_to("/apis/apps/v1/deployments").len(), 3);
    assert_eq!(fake.requests_to("/apis/batch/v1/jobs").len(), 3, "one try and two retries, no more");
    assert_eq!(outcome.status, ScanStatus::Partial);
    assert_eq!(outcome.errors.len(), 1);
    assert_eq!(outcome.errors[0].kind, "Job");
    assert!(outcome.errors[0].message.contains("503"), "{}", outcome.errors[0].message);
}

#[tokio::test]
async fn secrets_are_listed_as_metadata_only() {
    let secret = json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "db", "namespace": "shop", "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"password\":\"aHVudGVyMg==\"}}"}},
        "data": {"password": "aHVudGVyMg=="},
    });
    let fake = FakeKube::start(FakeCluster::new().with(secret)).await;

    let outcome = scan(&token_config(&fake), &options()).await;

    assert_eq!(outcome.status, ScanStatus::Succeeded, "{:?}", outcome.errors);
    let requests = fake.requests_to("/api/v1/secrets");
    assert!(!requests.is_empty());
    for request in &requests {
        assert!(
            request.accept.starts_with("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"),
            "secrets must be asked for as metadata: {}",
            request.accept
        );
    }
    // Other kinds are asked for in full.
    assert!(fake
        .requests_to("/api/v1/configmaps")
        .iter()
        .all(|request| !request.accept.contains("PartialObjectMetadata")));
    let secret = outcome.objects.iter().find(|object| object.kind == "Secret").unwrap();
    assert_eq!((secret.api_version.as_str(), secret.name.as_str()), ("v1", "db"));
    let text = format!("{:?}", secret.root);
    assert!(!text.contains("aHVudGVyMg=="), "no secret value is kept: {text}");
}

#[tokio::test]
async fn objects_run_by_a_listed_controller_are_not_counted_twice() {
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop", "uid": "d1"}});
    let replica_set = owned(
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-5d8", "namespace": "shop", "uid": "rs1"}}),
        "apps/v1",
        "Deployment",
        "d1",
    );
    let cron_job = json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "backup", "namespace": "shop", "uid": "cj1"}});
    let job = owned(
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "backup-290", "namespace": "shop", "uid": "j1"}}),
        "batch/v1",
        "CronJob",
        "cj1",
    );
    let daemon_set = json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "ops", "uid": "ds1"}});
    let cluster = FakeCluster::new()
        .with(deployment)
        .with(replica_set)
        .with(cron_job)
        .with(job)
        .with(daemon_set)
        .with(owned(pod("shop", "web-5d8-x"), "apps/v1", "ReplicaSet", "rs1"))
        .with(owned(pod("shop", "backup-290-y"), "batch/v1", "Job", "j1"))
        .with(owned(pod("ops", "agent-z"), "apps/v1", "DaemonSet", "ds1"))
        .with(pod("shop", "debug"));
    let fake = FakeKube::start(cluster).await;

    let outcome = scan(&token_config(&fake), &options()).await;

    assert_eq!(outcome.status, ScanStatus::Succeeded, "{:?}", outcome.errors);
    assert_eq!(names(&outcome.objects, "Pod"), ["debug"]);
    assert!(names(&outcome.objects, "ReplicaSet").is_empty());
    assert!(names(&outcome.objects, "Job").is_empty());
    assert_eq!(names(&outcome.objects, "Deployment"), ["web"]);
    assert_eq!(names(&outcome.objects, "CronJob"), ["backup"]);
    assert_eq!(names(&outcome.objects, "DaemonSet"), ["agent"]);
}

#[tokio::test]
async fn an_unreachable_cluster_fails_with_what_to_check() {
    let url = closed_port_url();
    let cluster = ClusterConfig::Token { server: url.clone(), token: TOKEN.into(), ca_pem: None };

    let outcome = scan(&cluster, &options()).await;

    assert_eq!(outcome.status, ScanStatus::Failed);
    assert!(outcome.objects.is_empty() && outcome.errors.is_empty());
    let message = outcome.message.unwrap();
    assert_eq!(message, unreachable(&url));
}

/// What every failure to reach a cluster says, whatever failed.
fn unreachable(url: &str) -> String {
    format!(
        "cannot reach the cluster API at {url} — check the server URL, the CA certificate and that this server can \
         reach it"
    )
}

/// The answer does not tell a closed port from one that speaks something else (TLS with
/// another certificate, not HTTP at all) or is silent: the scanner is no port scanner.
#[tokio::test]
async fn unreachable_clusters_all_fail_alike() {
    let tls = FakeKube::start_tls(FakeCluster::new()).await;
    let garbage = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let garbage_url = format!("https://{}", garbage.local_addr().unwrap());
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        while let Ok((mut socket, _)) = garbage.accept().await {
            let _ = socket.write_all(b"SSH-2.0-OpenSSH_9.6\r\n").await;
        }
    });
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("https://{}", silent.local_addr().unwrap());
    let options = ScanOptions { request_timeout: Duration::from_millis(300), ..options() };
    for (url, ca_pem) in [
        (closed_port_url().replace("http://", "https://"), None),
        (tls.url.clone(), Some(OTHER_CA_PEM.to_string())),
        (tls.url.clone(), None),
        (garbage_url, None),
        (silent_url, None),
    ] {
        let cluster = ClusterConfig::Token { server: url.clone(), token: TOKEN.into(), ca_pem };
        let outcome = scan(&cluster, &options).await;
        assert_eq!(outcome.status, ScanStatus::Failed);
        assert_eq!(outcome.message.unwrap(), unreachable(&url));
    }
    drop(silent);
}

/// By default the scanner connects to public addresses only: a cluster on loopback (by
/// address or by name) is refused before anything is sent, and a lab allows it.
#[tokio::test]
async fn the_default_outbound_policy_refuses_loopback() {
    let fake = FakeKube::start_tls(FakeCluster::new().with(pod("shop", "web"))).await;
    let port = fake.url.rsplit(':').next().unwrap();
    let strict = ScanOptions { outbound: OutboundPolicy::default(), ..options() };
    for server in [fake.url.clone(), format!("https://localhost:{port}")] {
        let cluster = ClusterConfig::Token { server: server.clone(), token: TOKEN.into(), ca_pem: Some(CA_PEM.into()) };
        let requests_before = fake.requests().len();
        let outcome = scan(&cluster, &strict).await;
        assert_eq!(outcome.status, ScanStatus::Failed);
        let message = outcome.message.unwrap();
        assert!(message.contains("its address is not one this server may connect to"), "{message}");
        assert_eq!(fake.requests().len(), requests_before, "nothing is sent");
        let outcome = scan(&cluster, &options()).await;
        assert_eq!(outcome.status, ScanStatus::Succeeded, "{server}: {:?}", outcome.message);
    }
}

#[tokio::test]
async fn rejected_credentials_fail_the_scan() {
    let fake = FakeKube::start(FakeCluster::new()).await;
    let cluster = ClusterConfig::Token { server: fake.url.clone(), token: "wrong".into(), ca_pem: None };

    let outcome = scan(&cluster, &options()).await;

    assert_eq!(outcome.status, ScanStatus::Failed);
    let message = outcome.message.unwrap();
    assert!(message.contains("rejected the credentials (401 Unauthorized) — check the token"), "{message}");
    assert_eq!(fake.requests().len(), 1, "nothing is listed with rejected credentials");
}

#[tokio::test]
async fn a_kubeconfig_context_is_used_and_outside_references_are_refused() {
    let fake = FakeKube::start(FakeCluster::new().with(pod("shop", "web"))).await;

    let good = ClusterConfig::Kubeconfig {
        text: kubeconfig(&fake.url, &format!("    token: {TOKEN}")),
        context: Some("fake".into()),
    };
    let outcome = scan(&good, &options()).await;
    assert_eq!(outcome.status, ScanStatus::Succeeded, "{:?}", outcome.message);
    assert_eq!(names(&outcome.objects, "Pod"), ["web"]);
    assert!(!format!("{good:?}").contains(TOKEN), "Debug never shows credentials");

    let unknown = ClusterConfig::Kubeconfig {
        text: kubeconfig(&fake.url, &format!("    token: {TOKEN}")),
        context: Some("prod".into()),
    };
    let outcome = scan(&unknown, &options()).await;
    assert_eq!(outcome.status, ScanStatus::Failed);
    assert_eq!(outcome.message.as_deref(), Some("the kubeconfig has no context 'prod' — choose one of: fake, other"));

    let requests_before = fake.requests().len();
    let exec = ClusterConfig::Kubeconfig {
        text: kubeconfig(&fake.url, "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/sh\n      args: [\"-c\", \"touch /tmp/pwned\"]"),
        context: Some("fake".into()),
    };
    let outcome = scan(&exec, &options()).await;
    assert_eq!(outcome.status, ScanStatus::Failed);
    assert!(outcome.message.as_deref().unwrap().contains("uses an exec credential plugin"), "{:?}", outcome.message);
    assert_eq!(fake.requests().len(), requests_before, "a refused kubeconfig sends nothing");
}

#[tokio::test]
async fn policy_engines_are_listed_when_installed_and_skipped_quietly_when_not() {
    let absent = FakeKube::start(FakeCluster::new()).await;
    let outcome = scan(&token_config(&absent), &options()).await;
    assert_eq!(outcome.status, ScanStatus::Succeeded, "{:?}", outcome.errors);

    let installed = FakeCluster::new()
        .with(json!({"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "require-labels"}}))
        .gatekeeper(&[("k8srequiredlabels", "K8sRequiredLabels")])
        .with(json!({"apiVersion": "constraints.gatekeeper.sh/v1beta1", "kind": "K8sRequiredLabels", "metadata": {"name": "owner-label"}}));
    let present = FakeKube::start(installed).await;
    let outcome = scan(&token_config(&present), &options()).await;
    assert_eq!(outcome.status, ScanStatus::Succeeded, "{:?}", outcome.errors);
    assert_eq!(names(&outcome.objects, "ClusterPolicy"), ["require-labels"]);
    assert_eq!(names(&outcome.objects, "K8sRequiredLabels"), ["owner-label"]);
    assert!(present.requests_to("/apis/constraints.gatekeeper.sh/v1beta1/k8srequiredlabels/status").is_empty());
}

#[tokio::test]
async fn the_engine_checks_what_was_listed() {
    let mut privileged = pod("shop", "root-shell");
    privileged["spec"]["containers"][0]["securityContext"] = json!({"privileged": true});
    let fake = FakeKube::start(FakeCluster::new().with(privileged)).await;

    let mut outcome = scan(&token_config(&fake), &options()).await;
    let report = outcome.check(&Options { fixes: false, ..Options::default() });

    let finding = report
        .findings
        .iter()
        .find(|finding| finding.rule == "pss-privileged")
        .expect("a privileged pod gives pss-privileged");
    assert_eq!(finding.path, "spec.containers[0].securityContext.privileged");
    assert_eq!((finding.resource.kind.as_str(), finding.resource.name.as_str()), ("Pod", "root-shell"));
    assert_eq!(finding.resource.namespace.as_deref(), Some("shop"));
}

#[test]
fn kind_errors_serialize_as_the_api_shows_them() {
    let error = KindError { kind: "ClusterRole".into(), message: "forbidden (403)".into() };
    assert_eq!(serde_json::to_value(&error).unwrap(), json!({"kind": "ClusterRole", "message": "forbidden (403)"}));
}

#[tokio::test]
async fn a_scan_that_can_list_nothing_fails() {
    let mut cluster = FakeCluster::new();
    for path in cluster.served.clone() {
        cluster = cluster.forbid(&path);
    }
    let fake = FakeKube::start(cluster).await;

    let outcome = scan(&token_config(&fake), &options()).await;

    assert_eq!(outcome.status, ScanStatus::Failed);
    let message = outcome.message.unwrap();
    assert!(message.starts_with("no kind could be listed: "), "{message}");
    assert!(message.contains("forbidden (403)"), "{message}");
}

#[tokio::test]
async fn a_bad_ca_certificate_or_url_is_named_before_anything_is_sent() {
    let not_pem = ClusterConfig::Token {
        server: "https://127.0.0.1:6443".into(),
        token: TOKEN.into(),
        ca_pem: Some("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".into()),
    };
    assert!(!format!("{not_pem:?}").contains(TOKEN), "Debug never shows the token");
    let outcome = scan(&not_pem, &options()).await;
    assert_eq!(outcome.status, ScanStatus::Failed);
    assert_eq!(outcome.message.as_deref(), Some("the CA certificate holds no CERTIFICATE block"));

    let no_url = ClusterConfig::Token { server: "prod-cluster".into(), token: TOKEN.into(), ca_pem: None };
    let outcome = scan(&no_url, &options()).await;
    assert_eq!(outcome.status, ScanStatus::Failed);
    assert!(outcome.message.unwrap().contains("is not a URL"));
}

#[tokio::test]
async fn tls_is_verified_against_the_given_ca() {
    let fake = FakeKube::start_tls(FakeCluster::new().with(pod("shop", "web"))).await;
    assert!(fake.url.starts_with("https://127.0.0.1:"));

    let trusted = ClusterConfig::Token { server: fake.url.clone(), token: TOKEN.into(), ca_pem: Some(CA_PEM.into()) };
    let outcome = scan(&trusted, &options()).await;
    assert_eq!(outcome.status, ScanStatus::Succeeded, "{:?}", outcome.message);
    assert_eq!(names(&outcome.objects, "Pod"), ["web"]);

    let untrusted =
        ClusterConfig::Token { server: fake.url.clone(), token: TOKEN.into(), ca_pem: Some(OTHER_CA_PEM.into()) };
    let requests_before = fake.requests().len();
    let outcome = scan(&untrusted, &options()).await;
    assert_eq!(outcome.status, ScanStatus::Failed);
    assert_eq!(outcome.message.unwrap(), unreachable(&fake.url));
    assert_eq!(fake.requests().len(), requests_before, "no request (and no token) goes to an untrusted server");
}

#[tokio::test]
async fn no_more_kinds_than_the_cap_are_listed_at_once() {
    let mut cluster = FakeCluster::new();
    for path in cluster.served.clone() {
        cluster = cluster.slow(&path, Duration::from_millis(60));
    }
    let fake = FakeKube::start(cluster).await;

    let outcome = scan(&token_config(&fake), &ScanOptions { concurrency: 3, ..options() }).await;

    assert_eq!(outcome.status, ScanStatus::Succeeded, "{:?}", outcome.errors);
    assert_eq!(fake.most_in_flight(), 3, "kinds are listed side by side, never more than 3 at once");
}

#[tokio::test]
async fn an_expired_continue_token_starts_the_listing_over_once() {
    let mut cluster = FakeCluster::new();
    for index in 0..5 {
        cluster = cluster.with(pod("shop", &format!("pod-{index}")));
        cluster = cluster.with(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": format!("svc-{index}"), "namespace": "shop"}}));
    }
    let cluster = cluster.expiring("/api/v1/pods", 1).expiring("/api/v1/services", 2);
    let fake = FakeKube::start(cluster).await;

    let outcome = scan(&token_config(&fake), &options()).await;

    assert_eq!(names(&outcome.objects, "Pod").len(), 5, "listed again from the start, each pod once");
    let continues: Vec<Option<String>> =
        fake.requests_to("/api/v1/pods").into_iter().map(|request| request.query.get("continue").cloned()).collect();
    assert_eq!(continues, [None, Some("page-3".into()), None, Some("page-3".into())]);
    assert_eq!(outcome.status, ScanStatus::Partial, "a second expiry is an error of the kind");
    assert_eq!(outcome.errors.len(), 1);
    assert_eq!(outcome.errors[0].kind, "Service");
    assert!(outcome.errors[0].message.contains("expired"), "{}", outcome.errors[0].message);
}

#[tokio::test]
async fn rules_that_need_an_unlisted_kind_are_not_run() {
    let namespace = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "uid": "ns1"}});
    let complete = FakeCluster::new().with(namespace.clone()).with(pod("shop", "web"));
    let fake = FakeKube::start(complete.clone()).await;
    let mut outcome = scan(&token_config(&fake), &options()).await;
    let report = outcome.check(&Options { fixes: false, ..Options::default() });
    assert!(outcome.unjudged_rules().is_empty());
    assert!(
        report.findings.iter().any(|finding| finding.rule == "namespace-without-default-deny"),
        "with every NetworkPolicy listed (none), the missing default deny is a finding"
    );

    let forbidden = complete.forbid("/apis/networking.k8s.io/v1/networkpolicies");
    let fake = FakeKube::start(forbidden).await;
    let mut outcome = scan(&token_config(&fake), &options()).await;
    let report = outcome.check(&Options { fixes: false, ..Options::default() });
    assert_eq!(outcome.unjudged_rules(), ["namespace-without-default-deny", "pod-not-selected-by-network-policy"]);
    let network_findings: Vec<&str> = report
        .findings
        .iter()
        .map(|finding| finding.rule.as_ref())
        .filter(|rule| outcome.unjudged_rules().contains(rule))
        .collect();
    assert!(network_findings.is_empty(), "NetworkPolicies unseen are not NetworkPolicies absent: {network_findings:?}");
}
