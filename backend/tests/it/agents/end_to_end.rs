//! `rampart agent` end to end: the real `rampart serve` and `rampart agent` processes, the
//! fake API server over TLS as the in-cluster endpoint (a ServiceAccount directory laid out
//! as a Pod sees it: `token` and `ca.crt`, the token replaced mid-run), fresh SQLite and
//! PostgreSQL databases. What the agent delivers must give exactly what the same objects
//! give as a snapshot; a forbidden kind must resolve nothing of its kind; a server killed
//! during a delivery must lose and duplicate nothing; a revoked token must stop the agent;
//! and an agent token must open nothing but its own endpoints.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::databases::{Backend, TestDatabase};
use super::fake_kube::{path_of, FakeCluster, FakeKube, CA_PEM, TOKEN};
use super::{api, eventually, Api, KEY};
use rampart::store::Store;

/// A process of the `rampart` binary, killed (SIGKILL) when dropped; its log in a file.
struct Process {
    child: Child,
    log: PathBuf,
}

impl Process {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills it as the kernel's OOM killer or a node failure would: no chance to clean up.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The exit code once it has exited by itself (within a minute).
    fn exit_code(&mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rampart(arguments: &[&str], log: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rampart"));
    command
        .args(arguments)
        .env_remove("RAMPART_SETTINGS")
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap());
    command
}

/// `rampart serve` on `port`, against the database, once it answers /readyz.
async fn serve(database_url: &str, port: u16, scratch: &Path, run: usize) -> Process {
    let log = scratch.join(format!("serve-{run}.log"));
    let child = rampart(&["serve"], &log)
        .env("RAMPART_LISTEN", format!("127.0.0.1:{port}"))
        .env("RAMPART_DATABASE_URL", database_url)
        .env("RAMPART_SECRET_KEY", KEY)
        .env("RAMPART_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("RAMPART_SCHEDULER_INTERVAL", "100ms")
        .env("RAMPART_SCAN_LEASE", "1s")
        .spawn()
        .unwrap();
    let server = Process { child, log };
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/readyz");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if client.get(&url).send().await.is_ok_and(|response| response.status().is_success()) {
            return server;
        }
        assert!(Instant::now() < deadline, "rampart serve did not get ready: {}", server.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `rampart agent` in the "Pod" whose ServiceAccount directory is `account`.
fn agent(server: &str, token: &str, account: &Path, fake: &FakeKube, scratch: &Path) -> Process {
    let log = scratch.join("agent.log");
    let port = fake.url.rsplit(':').next().unwrap().to_string();
    let child = rampart(&["agent", "--server", server], &log)
        .env("RAMPART_AGENT_TOKEN", token)
        .env("RAMPART_SERVICE_ACCOUNT_DIR", account)
        .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        .env("KUBERNETES_SERVICE_PORT", port)
        .env("RAMPART_POLL_INTERVAL", "100ms")
        .env("RAMPART_MAX_BACKOFF", "300ms")
        .spawn()
        .unwrap();
    Process { child, log }
}

/// A ServiceAccount directory as a Pod sees it.
fn service_account(scratch: &Path, token: &str) -> PathBuf {
    let directory = scratch.join("serviceaccount");
    std::fs::create_dir_all(&directory).unwrap();
    std::fs::write(directory.join("ca.crt"), CA_PEM).unwrap();
    std::fs::write(directory.join("namespace"), "rampart-agent").unwrap();
    replace_token(&directory, token);
    directory
}

/// Replaces the token file as the kubelet does: a new file renamed over the old one.
fn replace_token(directory: &Path, token: &str) {
    let next = directory.join("..token.new");
    std::fs::write(&next, token).unwrap();
    std::fs::rename(next, directory.join("token")).unwrap();
}

fn scratch(name: &str) -> PathBuf {
    let directory = std::env::temp_dir().join(format!("rampart-agent-{name}-{}", rampart::secrets::random_hex(4)));
    std::fs::create_dir_all(&directory).unwrap();
    directory
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The cluster's objects, in the order the scanner delivers them (Namespaces, then the
/// catalog's order), Secrets as the scanner keeps them (metadata only): as a snapshot.
fn objects() -> Vec<Value> {
    let container = |name: &str, image: &str| json!({ "name": name, "image": image });
    vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "uid": "ns-shop"}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tools", "uid": "ns-tools",
               "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug", "namespace": "tools", "uid": "pod-debug"},
               "spec": {"hostNetwork": true, "containers": [container("shell", "busybox")]}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop", "uid": "d-web"},
               "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "web"}},
                        "spec": {"containers": [container("web", "nginx:1.27")]}}}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "shop", "uid": "d-api"},
               "spec": {"template": {"spec": {"automountServiceAccountToken": false,
                   "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
                   "containers": [{"name": "api", "image": "registry.example/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                       "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                                           "capabilities": {"drop": ["ALL"]}}}]}}}}),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "shop", "uid": "sa-shop"}}),
        // A Service that selects no Pod (and, last, a RoleBinding to a Role that does not
        // exist): what the rules that follow references judge.
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "orphan", "namespace": "shop", "uid": "svc-orphan"},
               "spec": {"selector": {"app": "nothing-has-this-label"}, "ports": [{"port": 80}]}}),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop", "uid": "s-db"}, "type": "Opaque"}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "everything", "uid": "cr-1"},
               "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "ghost", "namespace": "shop", "uid": "rb-ghost"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "does-not-exist"},
               "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "shop"}]}),
    ]
}

/// The fake cluster: the objects, plus what the scanner leaves out (the ReplicaSet and
/// Pods run by the Deployment) and what it must never keep (the Secret's values).
fn fake_cluster() -> FakeCluster {
    let mut cluster = FakeCluster::new();
    for mut object in objects() {
        if object["kind"] == "Secret" {
            object["data"] = json!({"password": "aHVudGVyMg=="});
        }
        cluster = cluster.with(object);
    }
    let owner = |kind: &str, api_version: &str, uid: &str| json!([{"apiVersion": api_version, "kind": kind, "name": "x", "uid": uid, "controller": true}]);
    cluster
        .with(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": "web-1", "namespace": "shop", "uid": "rs-web", "ownerReferences": owner("Deployment", "apps/v1", "d-web")},
            "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}))
        .with(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-1-a", "namespace": "shop", "uid": "p-web", "ownerReferences": owner("ReplicaSet", "apps/v1", "rs-web")},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}))
}

fn snapshot_text() -> String {
    objects().iter().map(|object| format!("---\n{object}\n")).collect()
}

/// Every finding of a cluster: `(rule, kind, namespace, name, path, severity, status)`.
async fn findings(api: &Api, cluster: i64) -> BTreeSet<(String, String, String, String, String, String, String)> {
    let (status, body) = api.get(&format!("/clusters/{cluster}/findings?limit=1000")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let text = |value: &Value| value.as_str().unwrap_or_default().to_string();
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            let resource = &finding["resource"];
            (
                text(&finding["rule"]),
                text(&resource["kind"]),
                text(&resource["namespace"]),
                text(&resource["name"]),
                text(&finding["path"]),
                text(&finding["severity"]),
                text(&finding["status"]),
            )
        })
        .collect()
}

/// The scans of a cluster once none is queued or running and there are `count`.
async fn scans_settled(api: &Api, cluster: i64, count: usize) -> Vec<Value> {
    eventually(&format!("cluster {cluster} has {count} finished scans"), || async {
        let scans = api.scans(cluster).await;
        (scans.len() == count && scans.iter().all(super::finished)).then_some(scans)
    })
    .await
}

/// What the fields of a scan that must match between two ways of scanning are.
fn results(scan: &Value) -> Value {
    json!([scan["status"], scan["objects"], scan["score"], scan["grade"], scan["counts"]])
}

/// The score `rampart check --complete` gives the same objects.
fn check_score(scratch: &Path) -> i64 {
    let file = scratch.join("cluster.yaml");
    std::fs::write(&file, snapshot_text()).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["check", "--complete", "-o", "json"])
        .arg(&file)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    report["score"].as_i64().unwrap()
}

/// The same objects as a snapshot cluster's upload: the cluster's id and its scan.
async fn scan_as_snapshot(api: &Api, base: &str) -> (i64, Value) {
    let (status, snapshot) = api.post("/clusters", &json!({ "name": "as-snapshot", "snapshot": true })).await;
    assert_eq!(status, StatusCode::CREATED, "{snapshot}");
    let snapshot_id = snapshot["id"].as_i64().unwrap();
    let response = api
        .client
        .post(format!("{base}/api/v1/clusters/{snapshot_id}/snapshots"))
        .bearer_auth(&api.token)
        .body(snapshot_text())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let scan = scans_settled(api, snapshot_id, 1).await.remove(0);
    assert_eq!(scan["status"], "succeeded", "{scan}");
    (snapshot_id, scan)
}

/// Registers an agent cluster; its id and the agent setup the server answered.
async fn register_agent_cluster(api: &Api, name: &str) -> (i64, Value) {
    let (status, cluster) = api.post("/clusters", &json!({ "name": name, "agent": true })).await;
    assert_eq!(status, StatusCode::CREATED, "{cluster}");
    assert_eq!(cluster["kind"], "agent");
    let setup = cluster["agent_setup"].clone();
    assert!(setup["token"].as_str().unwrap().starts_with("rmpa_"));
    (cluster["id"].as_i64().unwrap(), setup)
}

pub async fn an_agent_delivers_what_a_snapshot_gives(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let store = Store::open(&database.url()).await.unwrap();
    let scratch = scratch("delivers");
    let port = free_port();
    let server = serve(&database.url(), port, &scratch, 0).await;
    let base = format!("http://127.0.0.1:{port}");
    let api = api(&store, &base).await;
    let fake = FakeKube::start_tls(fake_cluster()).await;

    // The same objects as a snapshot.
    let (snapshot_id, snapshot_scan) = scan_as_snapshot(&api, &base).await;

    // The agent's cluster: registered, its manifest carries the token, the agent started
    // with it, and the first scan arrives without anyone asking.
    let (cluster, setup) = register_agent_cluster(&api, "by-agent").await;
    let token = setup["token"].as_str().unwrap().to_string();
    assert!(setup["command"].as_str().unwrap().starts_with("kubectl apply -f -"));
    assert!(setup["manifest"].as_str().unwrap().contains(&format!("token: \"{token}\"")));
    let (_, listed) = api.get("/clusters").await;
    let row = listed.as_array().unwrap().iter().find(|row| row["id"] == cluster).unwrap().clone();
    assert_eq!(row["agent"]["silent"], true, "no contact yet: {row}");
    let account = service_account(&scratch, TOKEN);
    let mut agent = agent(&base, &token, &account, &fake, &scratch);
    let first = scans_settled(&api, cluster, 1).await.remove(0);
    assert_eq!(first["status"], "succeeded", "{first}\n{}", agent.log());
    assert_eq!(results(&first), results(&snapshot_scan), "the agent's scan and the snapshot's");
    // One engine decides: the score `rampart check --complete` gives the same objects.
    assert_eq!(first["score"].as_i64(), Some(check_score(&scratch)), "the scan's score and the command line's");
    let by_agent = findings(&api, cluster).await;
    // The rules that follow references ran on what the agent delivered, as on the command line.
    for rule in ["service-selects-nothing", "rbac-binding-to-missing-role"] {
        assert!(by_agent.iter().any(|finding| finding.0 == rule), "{rule} in {by_agent:?}");
    }
    assert_eq!(by_agent, findings(&api, snapshot_id).await, "the same findings as the snapshot");
    assert!(
        fake.requests_to("/api/v1/secrets").iter().all(|request| request.accept.contains("PartialObjectMetadata")),
        "Secrets are listed as metadata only"
    );
    let (_, shown) = api.get(&format!("/clusters/{cluster}")).await;
    assert_eq!(shown["agent"]["silent"], false, "{shown}");
    assert_eq!(shown["agent"]["version"], env!("CARGO_PKG_VERSION"));

    // The kubelet rotates the token: the next scan reads the new one.
    fake.rotate_token("rotated-token-42");
    replace_token(&account, "rotated-token-42");
    let (status, _) = api.post(&format!("/clusters/{cluster}/scans"), &json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let second = scans_settled(&api, cluster, 2).await.remove(0);
    assert_eq!(second["status"], "succeeded", "{second}\n{}", agent.log());
    assert_eq!(results(&second), results(&first));
    assert_eq!(
        fake.requests().last().map(|request| request.authorization.clone()),
        Some("Bearer rotated-token-42".to_string())
    );

    // A kind the agent may no longer list: the scan is partial, and the findings of that
    // kind stay as they were (none resolved), whatever the listing did not see.
    let deployments = path_of(&json!({"apiVersion": "apps/v1", "kind": "Deployment"}));
    fake.forbid_now(&deployments);
    let (status, _) = api.post(&format!("/clusters/{cluster}/scans"), &json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let partial = scans_settled(&api, cluster, 3).await.remove(0);
    assert_eq!(partial["status"], "partial", "{partial}");
    assert_eq!(partial["resolved"], 0, "{partial}");
    let after = findings(&api, cluster).await;
    let of_deployments = |set: &BTreeSet<(String, String, String, String, String, String, String)>| {
        set.iter().filter(|finding| finding.1 == "Deployment").cloned().collect::<Vec<_>>()
    };
    assert!(!of_deployments(&by_agent).is_empty());
    assert_eq!(of_deployments(&after), of_deployments(&by_agent), "no Deployment finding resolved");
    assert!(after.iter().all(|finding| finding.6 != "resolved"), "nothing resolved: {after:?}");

    // The agent's token opens its own endpoints and nothing else: 403 on every other
    // authenticated operation of the API's description.
    let client = reqwest::Client::new();
    let document: Value = client.get(format!("{base}/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    let mut tried = 0;
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            if operation.get("security") == Some(&json!([])) || path.starts_with("/api/v1/agent/") {
                continue;
            }
            let url = format!("{base}{}", path.replace("{id}", &cluster.to_string()));
            let request = client
                .request(method.to_uppercase().parse().unwrap(), &url)
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body("{}");
            let status = request.send().await.unwrap().status();
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path} with an agent token");
            tried += 1;
        }
    }
    assert!(tried > 30, "{tried} operations tried");
    // Nor another cluster's scan.
    let other_scan = snapshot_scan["id"].as_i64().unwrap();
    let response = client
        .post(format!("{base}/api/v1/agent/scans/{other_scan}"))
        .bearer_auth(&token)
        .header("content-encoding", "gzip")
        .body(Vec::new())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // Revoked: refused, and the agent stops.
    let (status, _) = api.send(api.client.delete(format!("{base}/api/v1/clusters/{cluster}/agent-token"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let response = client.get(format!("{base}/api/v1/agent/instructions")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(agent.exit_code(), Some(1), "the agent stops once its token is revoked: {}", agent.log());
    let (status, _) = api.post(&format!("/clusters/{cluster}/scans"), &json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(api.scans(cluster).await.len(), 4, "queued, and nothing delivers it");
    drop(server);
    let _ = std::fs::remove_dir_all(&scratch);
}

pub async fn a_server_killed_during_a_delivery_loses_and_duplicates_nothing(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let store = Store::open(&database.url()).await.unwrap();
    let scratch = scratch("killed");
    let port = free_port();
    let server = serve(&database.url(), port, &scratch, 0).await;
    let base = format!("http://127.0.0.1:{port}");
    let api = api(&store, &base).await;
    // Pods are listed last: held, the delivery is under way, its first batches recorded.
    let pods = "/api/v1/pods";
    let fake = FakeKube::start_tls(fake_cluster().held(pods)).await;
    let (cluster, setup) = register_agent_cluster(&api, "by-agent").await;
    let account = service_account(&scratch, TOKEN);
    let agent = agent(&base, setup["token"].as_str().unwrap(), &account, &fake, &scratch);
    let first = eventually("the delivery is under way", || async {
        let scans = api.scans(cluster).await;
        let running = scans.first().filter(|scan| scan["status"] == "running").and_then(|scan| scan["id"].as_i64());
        running.filter(|_| !fake.requests_to(pods).is_empty())
    })
    .await;
    server.kill();
    fake.release();
    let _server = serve(&database.url(), port, &scratch, 1).await;
    let scans = scans_settled(&api, cluster, 2).await;
    let (retry, interrupted) = (&scans[0], &scans[1]);
    assert_eq!(interrupted["id"], first);
    assert_eq!(interrupted["status"], "interrupted", "{interrupted}");
    assert_eq!(retry["status"], "succeeded", "{retry}\n{}", agent.log());
    assert_eq!(retry["objects"].as_i64(), Some(objects().len() as i64), "everything, once");

    // Exactly the findings of the same objects as a snapshot: nothing lost, nothing twice.
    let (snapshot_id, snapshot_scan) = scan_as_snapshot(&api, &base).await;
    assert_eq!(results(retry), results(&snapshot_scan));
    assert_eq!(findings(&api, cluster).await, findings(&api, snapshot_id).await);
    let (_, body) = api.get(&format!("/clusters/{cluster}/findings?limit=1000")).await;
    let count = body["items"].as_array().unwrap().len();
    assert_eq!(count, findings(&api, cluster).await.len(), "no finding twice");
    drop(agent);
    let _ = std::fs::remove_dir_all(&scratch);
}
