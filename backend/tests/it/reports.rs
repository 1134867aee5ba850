//! Reports against a known history, on SQLite and PostgreSQL: snapshots uploaded to the
//! real server make findings appear, stay, resolve and reopen; then each scan and the
//! findings it touched are moved in the database to a chosen day, and the report's numbers
//! are checked exactly against a model of that history (the engine's own findings for each
//! snapshot, followed through the scans as the lifecycle defines it) and against the few
//! figures a reader can work out by hand.
//!
//! The period is 2026-01-05 (a Monday, ISO week 2) to 2026-01-25 (a Sunday, week 4):
//!
//! | cluster | scan | finished | snapshot |
//! | --- | --- | --- | --- |
//! | prod | P0 | 2025-12-31 12:00, before the period | A: `web` privileged, `worker` on the host network |
//! | prod | P1 | 2026-01-06 10:00, week 2 | B: `worker` fixed, a `debug` Pod sharing the host's PIDs |
//! | prod | P2 | 2026-01-06 18:00, same day | C: `debug` gone |
//! | prod | P3 | 2026-01-20 09:00, week 4 | D: `web` no longer privileged but mounts the Docker socket; `worker` back on the host network (its findings reopen) |
//! | stage | S1 | 2026-01-13 08:00, week 3 | A |
//! | stage | S2 | 2026-01-27 08:00, after the period | D |
//! | blue (another team) | B1 | 2026-01-10 08:00 | A |

use crate::support::app;

use std::collections::{BTreeMap, BTreeSet};

use app::{spawn_app, Backend, TestApp};
use rampart::store::accounts::Role;
use rampart::store::Store;
use rampart_core::compliance::{self, Framework, RuleResults};
use reqwest::StatusCode;
use serde_json::{json, Value};

const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];
const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;
/// 2026-01-05T00:00:00Z, a Monday.
const JAN_5: i64 = 1_767_571_200_000;
const PERIOD: &str = "from=2026-01-05&to=2026-01-25";
/// The period's end: 2026-01-25T23:59:59.999Z.
const PERIOD_END: i64 = JAN_5 + 21 * DAY - 1;

const DEPLOYMENT_HEAD: &str = "\
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: NAME
    namespace: prod
  spec:
    template:
      spec:
";

/// A Deployment in `prod` whose pod spec is `spec` (lines indented by eight spaces).
fn deployment(name: &str, spec: &str) -> String {
    format!("{}{spec}", DEPLOYMENT_HEAD.replace("NAME", name))
}

const WEB_PRIVILEGED: &str = "        containers:
        - name: app
          image: nginx:1.27
          securityContext:
            privileged: true
";

const WEB_SOCKET: &str = "        containers:
        - name: app
          image: nginx:1.27
          volumeMounts:
          - name: docker-sock
            mountPath: /var/run/docker.sock
        volumes:
        - name: docker-sock
          hostPath:
            path: /var/run/docker.sock
";

const WORKER_HOST_NETWORK: &str = "        hostNetwork: true
        containers:
        - name: worker
          image: busybox:1.36
";

const WORKER_FIXED: &str = "        containers:
        - name: worker
          image: busybox:1.36
";

const DEBUG_POD: &str = "\
- apiVersion: v1
  kind: Pod
  metadata:
    name: debug
    namespace: prod
  spec:
    hostPID: true
    containers:
    - name: shell
      image: busybox:latest
";

fn snapshot(items: &[String]) -> String {
    format!("apiVersion: v1\nkind: List\nitems:\n{}", items.concat())
}

fn snapshots() -> BTreeMap<char, String> {
    BTreeMap::from([
        ('A', snapshot(&[deployment("web", WEB_PRIVILEGED), deployment("worker", WORKER_HOST_NETWORK)])),
        (
            'B',
            snapshot(&[deployment("web", WEB_PRIVILEGED), deployment("worker", WORKER_FIXED), DEBUG_POD.to_string()]),
        ),
        ('C', snapshot(&[deployment("web", WEB_PRIVILEGED), deployment("worker", WORKER_FIXED)])),
        ('D', snapshot(&[deployment("web", WEB_SOCKET), deployment("worker", WORKER_HOST_NETWORK)])),
    ])
}

/// A finding's identity within a cluster: (rule, kind, namespace, name, path).
type Key = (String, String, String, String, String);

/// What the engine makes of a snapshot: its findings (not exempted) with their severity,
/// and the score and grade.
struct Judged {
    findings: BTreeMap<Key, String>,
    score: i64,
    grade: String,
}

fn judge(text: &str) -> Judged {
    let report =
        rampart_core::check(&[rampart_core::Source::new("snapshot", text)], &rampart::scan_runner::cluster_options());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let findings = report
        .findings
        .iter()
        .filter(|finding| !finding.exempted)
        .map(|finding| {
            (
                (
                    finding.rule.to_string(),
                    finding.resource.kind.clone(),
                    finding.resource.namespace.clone().unwrap_or_default(),
                    finding.resource.name.clone(),
                    finding.path.clone(),
                ),
                finding.severity.as_str().to_string(),
            )
        })
        .collect();
    Judged { findings, score: i64::from(report.score), grade: report.grade.to_string() }
}

/// One scan of the history.
struct Step {
    cluster: &'static str,
    label: &'static str,
    snapshot: char,
    at: i64,
}

fn history() -> Vec<Step> {
    let step = |cluster, label, snapshot, at| Step { cluster, label, snapshot, at };
    vec![
        step("prod", "P0", 'A', JAN_5 - 5 * DAY + 12 * HOUR),
        step("prod", "P1", 'B', JAN_5 + DAY + 10 * HOUR),
        step("prod", "P2", 'C', JAN_5 + DAY + 18 * HOUR),
        step("stage", "S1", 'A', JAN_5 + 8 * DAY + 8 * HOUR),
        step("prod", "P3", 'D', JAN_5 + 15 * DAY + 9 * HOUR),
        step("stage", "S2", 'D', JAN_5 + 22 * DAY + 8 * HOUR),
        step("blue", "B1", 'A', JAN_5 + 5 * DAY + 8 * HOUR),
    ]
}

/// A finding as the model follows it.
#[derive(Clone, Debug)]
struct Modelled {
    severity: String,
    first_seen: i64,
    open: bool,
    resolved_at: Option<i64>,
}

/// The history replayed as the lifecycle defines it: per scan, the new and resolved
/// counts; per cluster, every finding's state after its last scan up to `until`.
struct Model {
    /// label → (new, resolved)
    scans: BTreeMap<&'static str, (i64, i64)>,
    findings: BTreeMap<(&'static str, Key), Modelled>,
}

fn model(steps: &[Step], judged: &BTreeMap<char, Judged>, until: i64) -> Model {
    let mut scans = BTreeMap::new();
    let mut findings: BTreeMap<(&'static str, Key), Modelled> = BTreeMap::new();
    for step in steps.iter().filter(|step| step.at <= until) {
        let seen = &judged[&step.snapshot].findings;
        let (mut new, mut resolved) = (0, 0);
        for (key, severity) in seen {
            let entry = findings.entry((step.cluster, key.clone())).or_insert_with(|| {
                new += 1;
                Modelled { severity: severity.clone(), first_seen: step.at, open: true, resolved_at: None }
            });
            if !entry.open {
                new += 1;
                entry.open = true;
                entry.resolved_at = None;
            }
        }
        for ((cluster, key), finding) in findings.iter_mut() {
            if *cluster == step.cluster && finding.open && !seen.contains_key(key) {
                finding.open = false;
                finding.resolved_at = Some(step.at);
                resolved += 1;
            }
        }
        scans.insert(step.label, (new, resolved));
    }
    Model { scans, findings }
}

/// The netted changes of `[from, to)` for the clusters, from the findings' final states
/// (as the store keeps them): `(new, opened and resolved, resolved)`. New: first seen
/// within and still open at `to`; opened and resolved: first seen and resolved within;
/// resolved: resolved within (churn included).
fn netted(model: &Model, clusters: &[&str], from: i64, to: i64) -> (i64, i64, i64) {
    let (mut new, mut churned, mut resolved) = (0, 0, 0);
    for ((cluster, _), finding) in &model.findings {
        if !clusters.contains(cluster) {
            continue;
        }
        let resolved_within = finding.resolved_at.filter(|at| (from..to).contains(at)).is_some() && !finding.open;
        if (from..to).contains(&finding.first_seen) {
            if resolved_within {
                churned += 1;
            } else {
                new += 1;
            }
        }
        resolved += i64::from(resolved_within);
    }
    (new, churned, resolved)
}

/// Runs the same statement on whichever pool the store holds.
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store {
            Store::Sqlite($pool) => $body,
            Store::Postgres($pool) => $body,
        }
    };
}

/// Moves a finished scan, and what it did to findings, to `at`.
async fn move_scan(store: &Store, cluster: i64, scan: i64, at: i64) {
    let statements = [
        // Resolved by this scan: while it recorded, between its start and its end.
        "UPDATE findings SET resolved_at = $1 WHERE cluster_id = $2 \
         AND resolved_at BETWEEN (SELECT started_at FROM scans WHERE id = $3) \
         AND (SELECT finished_at FROM scans WHERE id = $3)",
        "UPDATE findings SET first_seen = $1 WHERE cluster_id = $2 AND first_scan_id = $3",
        // Last seen by this scan: a later one resolved them, or could not look at them.
        "UPDATE findings SET last_seen = $1 WHERE cluster_id = $2 \
         AND last_seen = (SELECT finished_at FROM scans WHERE id = $3)",
        "UPDATE scans SET queued_at = $1, started_at = $1, finished_at = $1 WHERE cluster_id = $2 AND id = $3",
    ];
    for sql in statements {
        on_pool!(store, |pool| {
            sqlx::query(sql).bind(at).bind(cluster).bind(scan).execute(pool).await.unwrap_or_else(|error| {
                panic!("{sql}: {error}");
            });
        });
    }
}

fn rfc3339(at: i64) -> String {
    rampart::http::timestamp(at)
}

/// A CSV file's rows (RFC 4180: quoted fields, doubled quotes, CRLF).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut characters = text.chars().peekable();
    while let Some(character) = characters.next() {
        match (quoted, character) {
            (true, '"') if characters.peek() == Some(&'"') => {
                characters.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, other) => field.push(other),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, other) => field.push(other),
        }
    }
    assert!(field.is_empty() && row.is_empty(), "the file ends with a line break");
    rows
}

/// Text as askama writes it into HTML.
fn html(text: &str) -> String {
    text.replace('&', "&#38;").replace('<', "&#60;").replace('>', "&#62;").replace('"', "&#34;").replace('\'', "&#39;")
}

async fn get_text(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap()
}

async fn reports_of_a_known_history(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Editor).await;
    let bob = app.user("bob@example.com", "blue", Role::Editor).await;

    let mut cluster_ids: BTreeMap<&str, i64> = BTreeMap::new();
    for (name, token) in [("prod", &ana), ("stage", &ana), ("blue", &bob)] {
        let (status, body) = app.post(token, "/api/v1/clusters", &json!({ "name": name, "snapshot": true })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        cluster_ids.insert(name, body["id"].as_i64().unwrap());
    }
    let texts = snapshots();
    let judged: BTreeMap<char, Judged> = texts.iter().map(|(name, text)| (*name, judge(text))).collect();
    let steps = history();
    let mut scan_ids: BTreeMap<&str, i64> = BTreeMap::new();
    for step in &steps {
        let token = if step.cluster == "blue" { &bob } else { &ana };
        let cluster = cluster_ids[step.cluster];
        let scan = app.scan_snapshot(token, cluster, &texts[&step.snapshot]).await;
        assert_eq!(scan["status"], "succeeded", "{scan}");
        let scan_id = scan["id"].as_i64().unwrap();
        move_scan(&app.store, cluster, scan_id, step.at).await;
        scan_ids.insert(step.label, scan_id);
    }
    let everything = model(&steps, &judged, i64::MAX);
    // What a reader checks by hand: the history does what the table above says.
    let find = |cluster: &'static str, rule: &str, name: &str| {
        everything
            .findings
            .iter()
            .filter(|((at, key), _)| *at == cluster && key.0 == rule && key.3 == name)
            .map(|(_, finding)| finding.clone())
            .collect::<Vec<_>>()
    };
    let prod_privileged = find("prod", "pss-privileged", "web");
    assert_eq!(prod_privileged.len(), 1);
    assert_eq!(prod_privileged[0].severity, "critical");
    assert_eq!(prod_privileged[0].resolved_at, Some(JAN_5 + 15 * DAY + 9 * HOUR), "resolved by P3");
    let socket = find("prod", "container-runtime-socket", "web");
    assert!(socket.iter().all(|finding| finding.severity == "critical" && finding.open), "{socket:?}");
    assert!(!socket.is_empty());
    let host_network = find("prod", "pss-host-namespaces", "worker");
    assert!(!host_network.is_empty() && host_network.iter().all(|finding| finding.open && finding.first_seen < JAN_5));
    assert!(everything.scans["P3"].0 > 0 && everything.scans["P1"].1 > 0 && everything.scans["P2"].1 > 0);

    // Each scan recorded what the model says it found new and resolved.
    for step in &steps {
        let token = if step.cluster == "blue" { &bob } else { &ana };
        let (_, scan) = app.get(token, &format!("/api/v1/scans/{}", scan_ids[step.label])).await;
        let (new, resolved) = everything.scans[step.label];
        assert_eq!((scan["new"].as_i64(), scan["resolved"].as_i64()), (Some(new), Some(resolved)), "{}", step.label);
        assert_eq!(scan["finished_at"], rfc3339(step.at), "{}", step.label);
    }

    // The report of the red team's two clusters over the period.
    let (status, report) = app.get(&ana, &format!("/api/v1/reports?{PERIOD}")).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["from"], "2026-01-05T00:00:00Z");
    assert_eq!(report["to"], "2026-01-25T23:59:59.999Z");
    assert_eq!(report["points"], "day");
    let names: Vec<&str> = report["clusters"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["prod", "stage"], "another team's cluster is not in the report");
    let prod = &report["clusters"][0];
    let stage = &report["clusters"][1];
    let score = |snapshot: char| judged[&snapshot].score;
    assert_eq!(prod["id"], cluster_ids["prod"]);
    assert_eq!(prod["score"], score('D'));
    assert_eq!(prod["grade"], judged[&'D'].grade);
    assert_eq!(prod["start"]["score"], score('A'), "the last scan before the period");
    assert_eq!(prod["start"]["at"], rfc3339(steps[0].at));
    assert_eq!(prod["change"], score('D') - score('A'));
    assert_eq!(prod["last_scan"]["scan"], scan_ids["P3"]);
    assert_eq!(prod["scans"], 3);
    let sum = |labels: &[&str], index: usize| -> i64 {
        labels.iter().map(|label| [everything.scans[label].0, everything.scans[label].1][index]).sum()
    };
    // New and resolved are netted over the period, from the findings' states: new ones
    // first seen in it and still open at its end, the `debug` Pod's (opened by P1, gone by
    // P2) counted apart as opened and resolved, not as news.
    let (new, churned, resolved) = netted(&everything, &["prod"], JAN_5, PERIOD_END + 1);
    assert_eq!(prod["new"], new);
    assert_eq!(prod["opened_and_resolved"], churned);
    assert_eq!(prod["resolved"], resolved);
    let debug = everything.findings.keys().filter(|(cluster, key)| *cluster == "prod" && key.3 == "debug").count();
    assert!(debug > 0);
    // The debug Pod's findings churned (and any a finding of the fixed worker had, opened
    // by P1 and resolved by P3).
    assert!(churned >= debug as i64, "{churned} churned, {debug} of the debug Pod");
    assert!(new < sum(&["P1", "P2", "P3"], 0), "the scans' own sums count the churn as news");
    // One point per day: P1 and P2 finished the same day, so P2 stands for it.
    let points = |cluster: &Value| -> Vec<(i64, i64, String)> {
        cluster["scores"]
            .as_array()
            .unwrap()
            .iter()
            .map(|point| {
                (
                    point["scan"].as_i64().unwrap(),
                    point["score"].as_i64().unwrap(),
                    point["at"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    assert_eq!(
        points(prod),
        [(scan_ids["P2"], score('C'), rfc3339(steps[2].at)), (scan_ids["P3"], score('D'), rfc3339(steps[4].at))]
    );
    assert_eq!(stage["score"], score('A'), "S2 finished after the period");
    assert_eq!((stage["start"]["scan"].as_i64(), stage["change"].as_i64()), (Some(scan_ids["S1"]), Some(0)));
    assert_eq!(points(stage), [(scan_ids["S1"], score('A'), rfc3339(steps[3].at))]);
    let (_, s1) = app.get(&ana, &format!("/api/v1/scans/{}", scan_ids["S1"])).await;
    assert_eq!(stage["counts"], s1["counts"], "open findings by severity as S1 counted them");

    // Every scan as a point when asked.
    let (_, every) =
        app.get(&ana, &format!("/api/v1/reports?{PERIOD}&points=scan&clusters={}", cluster_ids["prod"])).await;
    assert_eq!(every["points"], "scan");
    let scans: Vec<i64> =
        every["clusters"][0]["scores"].as_array().unwrap().iter().map(|p| p["scan"].as_i64().unwrap()).collect();
    assert_eq!(scans, [scan_ids["P1"], scan_ids["P2"], scan_ids["P3"]]);

    // New and resolved per ISO week (weeks 2, 3 and 4), netted over each week.
    let week = |label: &str, starts: &str, from: i64, to: i64| {
        let (new, churned, resolved) = netted(&everything, &["prod", "stage"], from, to);
        json!({ "week": label, "starts": starts, "new": new, "opened_and_resolved": churned, "resolved": resolved })
    };
    let expected_weeks = json!([
        week("2026-W02", "2026-01-05", JAN_5, JAN_5 + 7 * DAY),
        week("2026-W03", "2026-01-12", JAN_5 + 7 * DAY, JAN_5 + 14 * DAY),
        week("2026-W04", "2026-01-19", JAN_5 + 14 * DAY, PERIOD_END + 1),
    ]);
    assert_eq!(expected_weeks[0]["opened_and_resolved"], debug as i64, "the debug Pod churned in week 2");
    assert_eq!(report["weeks"], expected_weeks);
    assert_eq!(report["weeks"][1]["new"], judged[&'A'].findings.len() as i64, "S1 opened everything of A");

    // Mean time to resolve: the findings resolved within the period (P1, P2, P3; not S2).
    let mut expected_times = Vec::new();
    for severity in SEVERITIES {
        let durations: Vec<i64> = everything
            .findings
            .values()
            .filter(|finding| finding.severity == severity)
            .filter_map(|finding| {
                finding.resolved_at.filter(|at| (JAN_5..=PERIOD_END).contains(at)).map(|at| at - finding.first_seen)
            })
            .collect();
        let mean = (!durations.is_empty()).then(|| durations.iter().sum::<i64>() / durations.len() as i64);
        expected_times.push(json!({
            "severity": severity,
            "resolved": durations.len(),
            "mean_seconds": mean.map(|millis| (millis + 500) / 1000),
            "mean_days": mean.map(|millis| (millis as f64 / DAY as f64 * 100.0).round() / 100.0),
        }));
    }
    assert_eq!(report["time_to_resolve"], Value::Array(expected_times));
    // By hand: prod's privileged web, seen 2025-12-31 12:00, fixed 2026-01-20 09:00, is the
    // one critical resolved in the period: 19 days 21 hours.
    assert_eq!(report["time_to_resolve"][0]["resolved"], 1);
    assert_eq!(report["time_to_resolve"][0]["mean_seconds"], (19 * DAY + 21 * HOUR) / 1000);
    assert_eq!(report["time_to_resolve"][0]["mean_days"], 19.88);

    // Open at the period's end: prod as P3 left it, stage as S1 left it (S2's resolutions
    // came after the end, its new findings too).
    let at_end = model(&steps, &judged, PERIOD_END);
    let open_at_end: Vec<(&str, &Key, &Modelled)> = at_end
        .findings
        .iter()
        .filter(|((cluster, _), finding)| *cluster != "blue" && finding.open)
        .map(|((cluster, key), finding)| (*cluster, key, finding))
        .collect();
    let mut by_rule: BTreeMap<&str, (i64, BTreeSet<&str>, usize)> = BTreeMap::new();
    let rank = |severity: &str| SEVERITIES.iter().position(|known| *known == severity).unwrap();
    for (cluster, key, finding) in &open_at_end {
        let entry = by_rule.entry(key.0.as_str()).or_insert((0, BTreeSet::new(), 4));
        entry.0 += 1;
        entry.1.insert(cluster);
        entry.2 = entry.2.min(rank(&finding.severity));
    }
    let mut expected_rules: Vec<(&str, i64, usize, usize)> =
        by_rule.iter().map(|(rule, (count, clusters, severity))| (*rule, *count, clusters.len(), *severity)).collect();
    expected_rules.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    expected_rules.truncate(10);
    let expected_rules: Vec<Value> = expected_rules
        .iter()
        .map(|(rule, count, clusters, severity)| {
            json!({
                "rule": rule,
                "severity": SEVERITIES[*severity],
                "open": count,
                "clusters": clusters,
            })
        })
        .collect();
    assert!(expected_rules.len() >= 3, "{expected_rules:?}");
    assert_eq!(report["top_rules"], Value::Array(expected_rules));
    // By hand: no container has a CPU limit, so web and worker fail it in both clusters;
    // ties go by rule id, and a rule with fewer open findings (pss-privileged: stage's web
    // only) ranks below them.
    assert_eq!(
        report["top_rules"][0],
        json!({ "rule": "cpu-limit-missing", "severity": "low", "open": 4, "clusters": 2 })
    );
    assert!(report["top_rules"].as_array().unwrap().iter().all(|rule| rule["rule"] != "pss-privileged"));

    // The oldest open criticals: stage's privileged web (first seen 2026-01-13) before
    // prod's Docker socket (2026-01-20).
    let mut expected_critical: Vec<(i64, String, Key)> = open_at_end
        .iter()
        .filter(|(_, _, finding)| finding.severity == "critical")
        .map(|(cluster, key, finding)| (finding.first_seen, cluster.to_string(), (*key).clone()))
        .collect();
    expected_critical.sort();
    let oldest = report["oldest_critical"].as_array().unwrap();
    let mut got: Vec<(i64, String, Key)> = oldest
        .iter()
        .map(|finding| {
            let text = |value: &Value| value.as_str().unwrap_or_default().to_string();
            let first_seen = rampart::http::parse_timestamp(finding["first_seen"].as_str().unwrap()).unwrap();
            assert_eq!(finding["age_days"], (PERIOD_END - first_seen) / DAY, "{finding}");
            (
                first_seen,
                text(&finding["cluster"]["name"]),
                (
                    text(&finding["rule"]),
                    text(&finding["resource"]["kind"]),
                    text(&finding["resource"]["namespace"]),
                    text(&finding["resource"]["name"]),
                    text(&finding["path"]),
                ),
            )
        })
        .collect();
    let order: Vec<i64> = got.iter().map(|(first_seen, _, _)| *first_seen).collect();
    assert!(order.windows(2).all(|pair| pair[0] <= pair[1]), "oldest first: {order:?}");
    got.sort();
    assert_eq!(got, expected_critical);
    assert_eq!(
        (oldest[0]["cluster"]["name"].as_str(), oldest[0]["rule"].as_str()),
        (Some("stage"), Some("pss-privileged"))
    );
    assert_eq!(oldest[0]["first_seen"], "2026-01-13T08:00:00Z");
    assert_eq!(oldest[0]["age_days"], 12);
    assert!(oldest
        .iter()
        .any(|finding| finding["cluster"]["name"] == "prod" && finding["rule"] == "container-runtime-socket"));

    // The CSV carries the same numbers: one table, and the whole report in sections.
    let response = get_text(&app, &ana, &format!("/api/v1/reports.csv?{PERIOD}&table=weeks")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"rampart-report-2026-01-05-2026-01-25-weeks.csv\""
    );
    let rows = parse_csv(&response.text().await.unwrap());
    assert_eq!(rows[0], ["week", "starts", "new", "opened_and_resolved", "resolved"]);
    let week_rows: Vec<Vec<String>> = expected_weeks
        .as_array()
        .unwrap()
        .iter()
        .map(|week| {
            vec![
                week["week"].as_str().unwrap().to_string(),
                week["starts"].as_str().unwrap().to_string(),
                week["new"].to_string(),
                week["opened_and_resolved"].to_string(),
                week["resolved"].to_string(),
            ]
        })
        .collect();
    assert_eq!(rows[1..], week_rows[..]);
    let response = get_text(&app, &ana, &format!("/api/v1/reports?{PERIOD}&format=csv")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    let rows = parse_csv(&response.text().await.unwrap());
    let section = |name: &str| -> Vec<Vec<String>> {
        let start = rows.iter().position(|row| row == &[name.to_string()]).unwrap_or_else(|| panic!("no {name}"));
        rows[start + 1..].iter().take_while(|row| !(row.len() == 1 && row[0].is_empty())).cloned().collect()
    };
    let clusters = section("clusters");
    assert_eq!(clusters[0][..7], ["cluster_id", "cluster", "team", "score", "grade", "score_at_start", "change"]);
    assert_eq!(
        clusters[1][..7],
        [
            cluster_ids["prod"].to_string(),
            "prod".to_string(),
            "red".to_string(),
            score('D').to_string(),
            judged[&'D'].grade.clone(),
            score('A').to_string(),
            (score('D') - score('A')).to_string(),
        ]
    );
    assert_eq!(section("weeks")[1..], week_rows[..]);
    let critical_rows = section("oldest_critical");
    assert_eq!(critical_rows.len(), 1 + oldest.len());
    assert_eq!(
        critical_rows[1][2..9],
        [
            "stage".to_string(),
            "Deployment".to_string(),
            "prod".to_string(),
            "web".to_string(),
            "pss-privileged".to_string(),
            oldest[0]["path"].as_str().unwrap().to_string(),
            "2026-01-13T08:00:00Z".to_string(),
        ]
    );
    let times = section("time_to_resolve");
    assert_eq!(times[1], ["critical", "1", ((19 * DAY + 21 * HOUR) / 1000).to_string().as_str(), "19.88"]);
    assert_eq!(section("scores").len(), 1 + 3, "a header and prod's two days and stage's one");

    // The printable page: the same figures, a chart per cluster, no script.
    let response = get_text(&app, &ana, &format!("/reports/print?{PERIOD}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let policy = response.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    let page = response.text().await.unwrap();
    assert!(!page.to_lowercase().contains("<script"), "no script");
    let without_namespace = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for outside in ["http:", "https:", "src=", "url("] {
        assert!(!without_namespace.contains(outside), "nothing loaded from elsewhere: {outside}");
    }
    assert_eq!(page.matches("<svg").count(), 2, "a chart per cluster");
    assert_eq!(page.matches("<polyline").count(), 2);
    for needle in [
        "2026-01-05 to 2026-01-25 (UTC)".to_string(),
        "<td>prod</td><td>red</td>".to_string(),
        format!("<td class=\"n\">{}</td>", score('D')),
        "<td>2026-W02</td><td class=\"date\">2026-01-05</td>".to_string(),
        format!("<td class=\"n\">{}</td>", sum(&["P1", "P2"], 0)),
        "<td>critical</td><td class=\"n\">1</td><td class=\"n\">19 d 21 h</td>".to_string(),
        "pss-privileged".to_string(),
        "container-runtime-socket".to_string(),
        "Deployment prod/web".to_string(),
    ] {
        assert!(page.contains(&needle), "the page shows {needle}");
    }
    assert!(!page.contains("blue"), "nothing of another team");

    // Compliance: each framework's controls as the period's last scan concluded (prod: P3 of
    // snapshot D; stage: S1 of A, S2 finishing after the period), worked out here from the
    // engine's own results for the snapshot, and the counts at the start (prod: P0 of A;
    // stage: none yet). The same in the JSON, the CSV's table and the printed page.
    let expected = |snapshot: char, framework: Framework| {
        compliance::evaluate(framework, &RuleResults::from_report(&app::check_snapshot(&texts[&snapshot])))
    };
    let status_name = |status: compliance::Status| match status {
        compliance::Status::Pass => "pass",
        compliance::Status::Fail => "fail",
        compliance::Status::NotAssessed => "not_assessed",
    };
    let counts = |counts: &compliance::Counts| json!({ "pass": counts.pass, "fail": counts.fail, "not_assessed": counts.not_assessed });
    let mut csv_expected: Vec<Vec<String>> = Vec::new();
    for (cluster, end_snapshot, start_snapshot, end_scan) in
        [(prod, 'D', Some('A'), scan_ids["P3"]), (stage, 'A', None, scan_ids["S1"])]
    {
        let summaries = cluster["compliance"].as_array().unwrap();
        assert_eq!(summaries.len(), Framework::ALL.len(), "{cluster}");
        for (summary, framework) in summaries.iter().zip(Framework::ALL) {
            let view = expected(end_snapshot, framework);
            assert_eq!(summary["framework"], framework.as_str());
            assert_eq!(summary["scan"]["id"], end_scan);
            assert_eq!(summary["counts"], counts(&view.counts), "{} {}", cluster["name"], framework.as_str());
            assert_eq!(
                summary["counts_at_start"],
                start_snapshot.map_or(Value::Null, |start| counts(&expected(start, framework).counts))
            );
            let controls = summary["controls"].as_array().unwrap();
            assert_eq!(controls.len(), view.controls.len());
            for (control, want) in controls.iter().zip(&view.controls) {
                assert_eq!(
                    (control["id"].as_str(), control["status"].as_str()),
                    (Some(want.id.as_str()), Some(status_name(want.status)))
                );
                csv_expected.push(vec![
                    cluster["name"].as_str().unwrap().to_string(),
                    framework.as_str().to_string(),
                    want.id.clone(),
                    want.status.as_str().to_string(),
                ]);
            }
        }
    }
    // Prod's latest scan is the period's last: the cluster's compliance page says the same.
    let (_, page_view) =
        app.get(&ana, &format!("/api/v1/clusters/{}/compliance?framework=cis", cluster_ids["prod"])).await;
    assert_eq!(page_view["counts"], prod["compliance"][0]["counts"]);
    let rows = parse_csv(
        &get_text(&app, &ana, &format!("/api/v1/reports.csv?{PERIOD}&table=compliance")).await.text().await.unwrap(),
    );
    assert_eq!(rows[0][..7], ["cluster_id", "cluster", "team", "framework", "control", "title", "status"]);
    let csv_rows: Vec<Vec<String>> =
        rows[1..].iter().map(|row| vec![row[1].clone(), row[3].clone(), row[4].clone(), row[6].clone()]).collect();
    assert_eq!(csv_rows, csv_expected);
    let page = get_text(&app, &ana, &format!("/reports/print?{PERIOD}")).await.text().await.unwrap();
    let cis = expected('D', Framework::Cis);
    assert!(page.contains("<h2>Compliance</h2>"), "{page}");
    assert!(
        page.contains(&format!(
            "<td>prod</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
            Framework::Cis.title(),
            cis.counts.pass,
            cis.counts.fail
        )),
        "{page}"
    );

    // Each control's status at the period's start (prod: P0 of A; stage: none yet).
    for (cluster, start_snapshot) in [(prod, Some('A')), (stage, None)] {
        for (summary, framework) in cluster["compliance"].as_array().unwrap().iter().zip(Framework::ALL) {
            let at_start: Vec<Value> =
                summary["controls"].as_array().unwrap().iter().map(|c| c["status_at_start"].clone()).collect();
            let want: Vec<Value> = match start_snapshot {
                Some(start) => {
                    expected(start, framework).controls.iter().map(|c| json!(status_name(c.status))).collect()
                }
                None => vec![Value::Null; at_start.len()],
            };
            assert_eq!(at_start, want, "{} {}", cluster["name"], framework.as_str());
        }
    }

    // The trend: the counts at each point of the score series (one a day: prod's P2 of C and
    // P3 of D; stage's S1 of A), the same in the CSV and on the printed page; every scan
    // with points=scan.
    let trend_of = |cluster: &Value, framework: usize| -> Vec<(i64, String, Value)> {
        cluster["compliance"][framework]["trend"]
            .as_array()
            .unwrap()
            .iter()
            .map(|point| {
                let counts =
                    json!({ "pass": point["pass"], "fail": point["fail"], "not_assessed": point["not_assessed"] });
                (point["scan"].as_i64().unwrap(), point["at"].as_str().unwrap().to_string(), counts)
            })
            .collect()
    };
    let mut trend_rows: Vec<Vec<String>> = Vec::new();
    for (cluster, name, series) in [
        (prod, "prod", vec![("P2", 'C', steps[2].at), ("P3", 'D', steps[4].at)]),
        (stage, "stage", vec![("S1", 'A', steps[3].at)]),
    ] {
        for (index, framework) in Framework::ALL.into_iter().enumerate() {
            let want: Vec<(i64, String, Value)> = series
                .iter()
                .map(|(label, snapshot, at)| {
                    (scan_ids[label], rfc3339(*at), counts(&expected(*snapshot, framework).counts))
                })
                .collect();
            assert_eq!(trend_of(cluster, index), want, "{name} {}", framework.as_str());
            for (scan, at, point) in want {
                trend_rows.push(vec![
                    cluster["id"].to_string(),
                    name.to_string(),
                    framework.as_str().to_string(),
                    scan.to_string(),
                    at,
                    point["pass"].to_string(),
                    point["fail"].to_string(),
                    point["not_assessed"].to_string(),
                ]);
            }
        }
    }
    let rows = parse_csv(
        &get_text(&app, &ana, &format!("/api/v1/reports.csv?{PERIOD}&table=compliance_trend"))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(rows[0], ["cluster_id", "cluster", "framework", "scan", "at", "pass", "fail", "not_assessed"]);
    assert_eq!(rows[1..], trend_rows[..]);
    let page = get_text(&app, &ana, &format!("/reports/print?{PERIOD}")).await.text().await.unwrap();
    let line = format!(
        "<h3>prod &middot; {}</h3>\n  <p class=\"note\">Failing controls over the period: {} (2026-01-06), {} (2026-01-20)</p>",
        html(Framework::Cis.title()),
        expected('C', Framework::Cis).counts.fail,
        expected('D', Framework::Cis).counts.fail
    );
    assert!(page.contains(&line), "{line}");
    let (_, every_scan) = app.get(&ana, &format!("/api/v1/reports?{PERIOD}&points=scan")).await;
    let scans: Vec<i64> = trend_of(&every_scan["clusters"][0], 0).iter().map(|point| point.0).collect();
    assert_eq!(scans, [scan_ids["P1"], scan_ids["P2"], scan_ids["P3"]]);

    // Evidence: a failing control shows its failing rules' findings open at the period's end,
    // counts them all and says where the API lists each rule's. Prod's period ends at its
    // latest scan, so they are the API's open findings of those rules, in its order; stage's
    // ends at S1 (snapshot A), so its evidence still holds what S2 resolved after the period.
    let open_at_end = |cluster: &'static str, rule: &str| -> BTreeSet<Key> {
        everything
            .findings
            .iter()
            .filter(|((at, key), finding)| {
                *at == cluster
                    && key.0 == rule
                    && finding.first_seen <= PERIOD_END
                    && (finding.open || finding.resolved_at.is_some_and(|resolved| resolved > PERIOD_END))
            })
            .map(|((_, key), _)| key.clone())
            .collect()
    };
    let key_of = |finding: &Value| -> Key {
        (
            finding["rule"].as_str().unwrap().to_string(),
            finding["resource"]["kind"].as_str().unwrap().to_string(),
            finding["resource"]["namespace"].as_str().unwrap_or_default().to_string(),
            finding["resource"]["name"].as_str().unwrap().to_string(),
            finding["path"].as_str().unwrap().to_string(),
        )
    };
    let mut evidence_rows: Vec<Vec<String>> = Vec::new();
    let mut control_rows: Vec<Vec<String>> = Vec::new();
    let mut shown_in_all = 0;
    for (cluster, name) in [(prod, "prod"), (stage, "stage")] {
        for summary in cluster["compliance"].as_array().unwrap() {
            for control in summary["controls"].as_array().unwrap() {
                let evidence = control["evidence"].as_array().unwrap();
                control_rows.push(vec![
                    control["status_at_start"].as_str().map_or(String::new(), |status| status.replace('_', " ")),
                    control["evidence_open"].to_string(),
                    evidence.len().to_string(),
                    control["evidence_more"].to_string(),
                ]);
                if control["status"] != "fail" {
                    assert_eq!(
                        (evidence.len(), control["evidence_open"].as_i64(), control["evidence_rules"].clone()),
                        (0, Some(0), json!([])),
                        "{control}"
                    );
                    continue;
                }
                let rules: Vec<&str> =
                    control["failed_rules"].as_array().unwrap().iter().map(|rule| rule.as_str().unwrap()).collect();
                let open: i64 = rules.iter().map(|rule| open_at_end(name, rule).len() as i64).sum();
                assert!(open > 0, "{control}");
                assert_eq!(control["evidence_open"], open, "{control}");
                assert_eq!(evidence.len() as i64, open.min(10), "{control}");
                assert_eq!(control["evidence_more"], open - evidence.len() as i64);
                let listed = control["evidence_rules"].as_array().unwrap();
                assert_eq!(listed.iter().map(|rule| rule["rule"].as_str().unwrap()).collect::<Vec<_>>(), rules);
                for rule in listed {
                    let id = rule["rule"].as_str().unwrap();
                    let own: Vec<&Value> = evidence.iter().filter(|finding| finding["rule"] == id).collect();
                    let at_end = open_at_end(name, id);
                    assert_eq!(rule["open"], at_end.len(), "{rule}");
                    assert_eq!(rule["shown"], own.len());
                    assert!(own.iter().all(|finding| at_end.contains(&key_of(finding))), "{control}");
                    assert_eq!(
                        rule["findings_url"],
                        format!("/api/v1/clusters/{}/findings?rule={id}&status=open", cluster["id"])
                    );
                    if name == "prod" {
                        let (status, listed) = app.get(&ana, rule["findings_url"].as_str().unwrap()).await;
                        assert_eq!(status, StatusCode::OK, "{listed}");
                        assert_eq!(listed["total"], rule["open"], "{rule}");
                        let first: Vec<&Value> = listed["items"].as_array().unwrap().iter().take(own.len()).collect();
                        for (shown, api) in own.iter().zip(first) {
                            for field in ["id", "rule", "severity", "resource", "path", "message"] {
                                assert_eq!(shown[field], api[field], "{field} of {shown}");
                            }
                        }
                    }
                }
                for finding in evidence {
                    shown_in_all += 1;
                    evidence_rows.push(vec![
                        cluster["id"].to_string(),
                        name.to_string(),
                        summary["framework"].as_str().unwrap().to_string(),
                        control["id"].as_str().unwrap().to_string(),
                        finding["rule"].as_str().unwrap().to_string(),
                        finding["severity"].as_str().unwrap().to_string(),
                        finding["id"].to_string(),
                        finding["resource"]["kind"].as_str().unwrap().to_string(),
                        finding["resource"]["namespace"].as_str().unwrap_or_default().to_string(),
                        finding["resource"]["name"].as_str().unwrap().to_string(),
                        finding["path"].as_str().unwrap().to_string(),
                        finding["message"].as_str().unwrap().to_string(),
                    ]);
                }
            }
        }
    }
    assert!(shown_in_all > 0);
    // Stage's privileged `web` was resolved by S2, after the period: not open now, but the
    // evidence of the period's end.
    let stage_privileged = stage["compliance"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|summary| summary["controls"].as_array().unwrap())
        .flat_map(|control| control["evidence"].as_array().unwrap())
        .find(|finding| finding["rule"] == "pss-privileged")
        .expect("stage's pss-privileged evidence");
    assert_eq!(stage_privileged["resource"], json!({ "kind": "Deployment", "namespace": "prod", "name": "web" }));
    let (_, now_open) =
        app.get(&ana, &format!("/api/v1/clusters/{}/findings?rule=pss-privileged&status=open", stage["id"])).await;
    assert_eq!(now_open["total"], 0, "{now_open}");
    // The CSV holds the same: the evidence table row by row, the compliance table's counts.
    let rows = parse_csv(
        &get_text(&app, &ana, &format!("/api/v1/reports.csv?{PERIOD}&table=compliance_evidence"))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(
        rows[0],
        [
            "cluster_id",
            "cluster",
            "framework",
            "control",
            "rule",
            "severity",
            "finding_id",
            "kind",
            "namespace",
            "name",
            "path",
            "message"
        ]
    );
    assert_eq!(rows[1..], evidence_rows[..]);
    let rows = parse_csv(
        &get_text(&app, &ana, &format!("/api/v1/reports.csv?{PERIOD}&table=compliance")).await.text().await.unwrap(),
    );
    assert_eq!(rows[0][10..], ["status_at_start", "evidence_open", "evidence_shown", "evidence_more"]);
    let csv_counts: Vec<Vec<String>> = rows[1..].iter().map(|row| row[10..].to_vec()).collect();
    assert_eq!(csv_counts, control_rows);
    // The printed page: each control with its status at the end and start, each finding shown.
    let page = get_text(&app, &ana, &format!("/reports/print?{PERIOD}")).await.text().await.unwrap();
    for row in &evidence_rows {
        let object = if row[8].is_empty() {
            format!("{} {}", row[7], row[9])
        } else {
            format!("{} {}/{}", row[7], row[8], row[9])
        };
        let path = if row[10].is_empty() {
            String::new()
        } else {
            format!(" &middot; <span class=\"code\">{}</span>", html(&row[10]))
        };
        let item =
            format!("<li>{} &middot; <span class=\"code\">{}</span> ({}){path}</li>", html(&object), row[4], row[5]);
        assert!(page.contains(&item), "{item}");
    }
    assert!(page.contains(&format!("<h3>prod &middot; {}</h3>", html(Framework::Cis.title()))), "{page}");
    let first_cis = &prod["compliance"][0]["controls"][0];
    assert!(
        page.contains(&format!(
            "<tr><td class=\"code\">{}</td><td>{}</td><td class=\"status\">{}</td><td class=\"status\">{}</td>",
            html(first_cis["id"].as_str().unwrap()),
            html(first_cis["title"].as_str().unwrap()),
            first_cis["status"].as_str().unwrap().replace('_', " "),
            first_cis["status_at_start"].as_str().unwrap().replace('_', " "),
        )),
        "{page}"
    );

    // Bad parameters are 400s that name the parameter; another team's cluster is 404.
    for (query, named) in [
        ("from=yesterday", "from"),
        ("to=2026-02-30", "to"),
        ("from=2026-02-01&to=2026-01-01", "before"),
        ("clusters=1,two", "clusters"),
        ("points=hour", "points"),
        ("form=2026-01-01", "`form`"),
        ("format=xml", "format"),
        ("table=weeks", "table"),
    ] {
        let (status, body) = app.get(&ana, &format!("/api/v1/reports?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body["error"].as_str().unwrap().contains(named), "{query}: {body}");
    }
    let (status, body) = app.get(&ana, "/api/v1/reports.csv?table=everything").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("oldest_critical"), "{body}");
    let blue = cluster_ids["blue"];
    let (status, body) = app.get(&ana, &format!("/api/v1/reports?clusters={},{blue}", cluster_ids["prod"])).await;
    assert_eq!((status, body), (StatusCode::NOT_FOUND, json!({ "error": "not found" })));
    let (status, _) = app.get(&ana, &format!("/api/v1/reports.csv?clusters={blue}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = get_text(&app, &ana, &format!("/reports/print?clusters={blue}")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let page = response.text().await.unwrap();
    assert!(page.contains("not one of your teams") && !page.contains("blue"), "{page}");
    let response = app.client.get(app.url("/reports/print")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.text().await.unwrap().contains("Log in"));
    let (status, _) = app.get("rmp_nope", "/api/v1/reports").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let response = get_text(&app, &ana, "/reports/print?from=soon").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("from: &#39;soon&#39;"));

    // A browser opens the page with its session cookie, as it would from the web app.
    let user_id = app.store.create_user("cid@example.com", Some("correct horse battery"), false).await.unwrap();
    let red = app.store.ensure_team("red").await.unwrap();
    app.store.set_membership(red, user_id, Role::Viewer).await.unwrap();
    let response = app
        .client
        .post(app.url("/api/v1/session"))
        .json(&json!({ "email": "cid@example.com", "password": "correct horse battery" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let response =
        app.client.get(app.url(&format!("/reports/print?{PERIOD}"))).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("<td>prod</td><td>red</td>"));

    // A user with no cluster gets an empty report, every week and severity still listed.
    let dee = app.user("dee@example.com", "green", Role::Viewer).await;
    let (status, empty) = app.get(&dee, &format!("/api/v1/reports?{PERIOD}")).await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!((empty["clusters"].clone(), empty["top_rules"].clone()), (json!([]), json!([])));
    assert_eq!(empty["weeks"].as_array().unwrap().len(), 3);
    assert_eq!(
        empty["time_to_resolve"][0],
        json!({ "severity": "critical", "resolved": 0, "mean_seconds": null, "mean_days": null })
    );
    let response = get_text(&app, &dee, &format!("/reports/print?{PERIOD}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("No cluster in this report"));

    // The other team sees its own cluster only; by default the last 30 days.
    let (status, theirs) = app.get(&bob, "/api/v1/reports").await;
    assert_eq!(status, StatusCode::OK, "{theirs}");
    let names: Vec<&str> = theirs["clusters"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["blue"]);
    let from = rampart::http::parse_timestamp(theirs["from"].as_str().unwrap()).unwrap();
    let to = rampart::http::parse_timestamp(theirs["to"].as_str().unwrap()).unwrap();
    assert_eq!(to - from, 30 * DAY);
    let (_, theirs) = app.get(&bob, &format!("/api/v1/reports?{PERIOD}")).await;
    assert_eq!(theirs["weeks"][0]["new"], judged[&'A'].findings.len() as i64, "B1 in week 2");
    assert_eq!(theirs["weeks"][1]["new"], 0, "stage's S1 is not theirs");
}

/// A cluster with many findings of a rule: the report shows at most ten per failing control,
/// a finding of each failing rule in turn, with how many more there are, the same findings
/// the API lists first; an object named to break out of HTML is text on the printed page.
async fn report_evidence_is_bounded_and_escaped(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Editor).await;
    let (status, cluster) = app.post(&ana, "/api/v1/clusters", &json!({ "name": "big", "snapshot": true })).await;
    assert_eq!(status, StatusCode::CREATED, "{cluster}");
    let id = cluster["id"].as_i64().unwrap();
    const HOSTILE: &str = "<script>alert('x')</script>&\"q";
    let mut items: Vec<String> = (0..25).map(|index| deployment(&format!("app-{index:02}"), WEB_PRIVILEGED)).collect();
    items.push(DEBUG_POD.replace("name: debug", &format!("name: {}", serde_json::to_string(HOSTILE).unwrap())));
    let scan = app.scan_snapshot(&ana, id, &snapshot(&items)).await;
    assert_eq!(scan["status"], "succeeded", "{scan}");

    let (status, report) = app.get(&ana, "/api/v1/reports").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let big = &report["clusters"][0];
    assert_eq!(big["compliance"].as_array().unwrap().len(), Framework::ALL.len());
    let mut failing = 0;
    let mut longest_more = (0, String::new());
    let mut hostile_shown = false;
    for summary in big["compliance"].as_array().unwrap() {
        for control in summary["controls"].as_array().unwrap().iter().filter(|control| control["status"] == "fail") {
            failing += 1;
            let evidence = control["evidence"].as_array().unwrap();
            let mut open = 0;
            for rule in control["evidence_rules"].as_array().unwrap() {
                let (status, listed) = app.get(&ana, rule["findings_url"].as_str().unwrap()).await;
                assert_eq!(status, StatusCode::OK, "{listed}");
                assert_eq!(listed["total"], rule["open"], "{rule}");
                open += rule["open"].as_i64().unwrap();
                let own: Vec<&Value> = evidence.iter().filter(|finding| finding["rule"] == rule["rule"]).collect();
                assert_eq!(rule["shown"], own.len());
                if control["evidence_rules"].as_array().unwrap().len() <= 10 {
                    assert!(!own.is_empty(), "each failing rule shows a finding: {control}");
                }
                let ids: Vec<&Value> = own.iter().map(|finding| &finding["id"]).collect();
                let api: Vec<&Value> =
                    listed["items"].as_array().unwrap().iter().take(own.len()).map(|f| &f["id"]).collect();
                assert_eq!(ids, api, "the rule's first findings as the API lists them");
                if rule["open"].as_i64().unwrap() - own.len() as i64 > longest_more.0 {
                    longest_more =
                        (rule["open"].as_i64().unwrap() - own.len() as i64, rule["rule"].as_str().unwrap().to_string());
                }
            }
            assert_eq!(evidence.len() as i64, open.min(10), "{control}");
            assert_eq!(
                (control["evidence_open"].as_i64(), control["evidence_more"].as_i64()),
                (Some(open), Some(open - evidence.len() as i64))
            );
            hostile_shown |= evidence.iter().any(|finding| finding["resource"]["name"] == HOSTILE);
        }
    }
    assert!(failing > 0);
    assert!(hostile_shown, "the hostile Pod's own rule shows it");
    let (more, rule) = longest_more;
    assert!(more >= 15, "25 privileged Deployments, 10 shown at most: {more}");

    // The CSV: a row per finding shown, the hostile name as it is.
    let rows =
        parse_csv(&get_text(&app, &ana, "/api/v1/reports.csv?table=compliance_evidence").await.text().await.unwrap());
    let shown: usize = big["compliance"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|summary| summary["controls"].as_array().unwrap())
        .map(|control| control["evidence"].as_array().unwrap().len())
        .sum();
    assert_eq!(rows.len(), 1 + shown);
    assert!(rows.iter().any(|row| row[9] == HOSTILE), "{rows:?}");

    // The printed page: the name escaped, no markup of its own; how many more and where.
    let page = get_text(&app, &ana, "/reports/print").await.text().await.unwrap();
    assert!(!page.contains("<script"), "no script, not even the object's name");
    assert!(page.contains(&format!("Pod prod/{}", html(HOSTILE))), "{page}");
    let line = format!("and {more} more of {rule}: /api/v1/clusters/{id}/findings?rule={rule}&#38;status=open");
    assert!(page.contains(&line), "{line}");
}

on_both_backends!(reports_of_a_known_history, report_evidence_is_bounded_and_escaped);
