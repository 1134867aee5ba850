//! The findings list over more findings than a text filter examines per request
//! (`TEXT_WINDOW`): every filter and order, walked page by page over HTTP, gives exactly the
//! findings that match, once each and in order; a text filter's pages may stop short (even
//! empty) with a next cursor, and its total says when it is a lower bound.

use std::collections::BTreeSet;

use rampart::store::scans::TEXT_WINDOW;
use rampart::store::Store;
use reqwest::StatusCode;
use serde_json::Value;

use super::app::{spawn_app, Backend, TestApp};
use super::{snapshot_cluster, Role};

/// Findings written: more than a text filter examines at once, in the open ones alone.
const FINDINGS: i64 = 4_800;
const RULES: [&str; 6] = ["rule-a", "rule-b", "rule-c", "rule-d", "rule-e", "rule-f"];
const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];

/// What finding `i` (1 ..= FINDINGS) is, as the seeding SQL writes it: four per object.
#[derive(Clone, Debug)]
struct Seeded {
    rule: &'static str,
    severity: &'static str,
    status: &'static str,
    namespace: String,
    name: String,
    message: String,
}

fn seeded(i: i64) -> Seeded {
    let severity = match i {
        _ if i % 40 == 0 => "critical",
        _ if i % 7 == 0 => "high",
        _ if i % 3 == 0 => "medium",
        _ if i % 2 == 0 => "low",
        _ => "info",
    };
    let status = match i {
        _ if i % 10 == 3 => "resolved",
        _ if i % 25 == 7 => "exempted",
        _ => "open",
    };
    let name = format!("app-{}", i / 4);
    let message = if i == 4321 {
        format!("container sidecar-zq of {name} runs as root")
    } else {
        format!("container main of {name} has a finding")
    };
    Seeded { rule: RULES[(i % 6) as usize], severity, status, namespace: format!("ns-{}", i % 20), name, message }
}

/// The same findings written by one statement, with the counts a scan keeps.
async fn seed(store: &Store, cluster: i64) {
    let select = format!(
        "SELECT {cluster}, i, CASE i % 6 WHEN 0 THEN 'rule-a' WHEN 1 THEN 'rule-b' WHEN 2 THEN 'rule-c' \
         WHEN 3 THEN 'rule-d' WHEN 4 THEN 'rule-e' ELSE 'rule-f' END, \
         CASE WHEN i % 40 = 0 THEN 'critical' WHEN i % 7 = 0 THEN 'high' WHEN i % 3 = 0 THEN 'medium' \
         WHEN i % 2 = 0 THEN 'low' ELSE 'info' END, 'Deployment', 'ns-' || (i % 20), 'app-' || (i / 4), 'spec', \
         CASE WHEN i = 4321 THEN 'container sidecar-zq of app-' || (i / 4) || ' runs as root' \
         ELSE 'container main of app-' || (i / 4) || ' has a finding' END, \
         CASE WHEN i % 10 = 3 THEN 'resolved' WHEN i % 25 = 7 THEN 'exempted' ELSE 'open' END, \
         1, (SELECT MAX(id) FROM scans WHERE cluster_id = {cluster})"
    );
    seed_rows(store, cluster, 1200, FINDINGS, &select).await;
}

/// A finished scan of `objects` objects, then `count` findings, the `i`-th the row `select`
/// makes of `i` (the columns of `INSERT INTO findings` below), and the counts a scan keeps.
async fn seed_rows(store: &Store, cluster: i64, objects: i64, count: i64, select: &str) {
    let scan = format!(
        "INSERT INTO scans (cluster_id, status, source, queued_at, started_at, finished_at, objects, errors, namespaces) \
         VALUES ({cluster}, 'succeeded', 'snapshot', 1, 1, 2, {objects}, '[]', '{{}}')"
    );
    execute(store, &scan).await;
    let columns = "INSERT INTO findings (cluster_id, fingerprint, rule, severity, kind, namespace, name, path, \
         message, status, first_seen, first_scan_id)";
    let sql = match store {
        Store::Postgres(_) => format!("{columns} {select} FROM generate_series(1, {count}) AS i"),
        Store::Sqlite(_) => format!(
            "WITH RECURSIVE series(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM series WHERE i < {count}) \
             {columns} {select} FROM series"
        ),
    };
    execute(store, &sql).await;
    execute(
        store,
        &format!(
            "INSERT INTO finding_counts (cluster_id, status, severity, rule, namespace, findings) \
             SELECT cluster_id, status, severity, rule, namespace, COUNT(*) FROM findings WHERE cluster_id = {cluster} \
             GROUP BY cluster_id, status, severity, rule, namespace"
        ),
    )
    .await;
}

async fn execute(store: &Store, sql: &str) {
    match store {
        Store::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        Store::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
    }
    .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

/// Every page of a filter and order: the findings, whether a page stopped short of its
/// limit with a next one, and each page's (total, total_exact).
async fn walk(
    app: &TestApp,
    token: &str,
    cluster: i64,
    query: &str,
    limit: usize,
) -> (Vec<Value>, bool, Vec<(i64, bool)>) {
    let mut items = Vec::new();
    let mut short = false;
    let mut totals = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/clusters/{cluster}/findings?limit={limit}{query}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let (status, body) = app.get(token, &path).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        let page = body["items"].as_array().unwrap();
        assert!(page.len() <= limit, "{query}");
        items.extend(page.iter().cloned());
        totals.push((body["total"].as_i64().unwrap(), body["total_exact"].as_bool().unwrap()));
        match body["next_cursor"].as_str() {
            Some(next) => {
                short |= page.len() < limit;
                cursor = Some(next.to_string());
            }
            None => return (items, short, totals),
        }
        assert!(items.len() + totals.len() < 20_000, "{query}: the pages end");
    }
}

fn rank(severity: &str) -> usize {
    SEVERITIES.iter().position(|known| *known == severity).unwrap()
}

fn key(finding: &Value) -> (String, String) {
    (finding["resource"]["name"].as_str().unwrap().to_string(), finding["rule"].as_str().unwrap().to_string())
}

async fn every_filter_walks_to_exactly_its_findings(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Editor).await;
    let cluster = snapshot_cluster(&app, &ana, "dense").await;
    seed(&app.store, cluster).await;
    let all: Vec<Seeded> = (1..=FINDINGS).map(seeded).collect();
    let open = all.iter().filter(|finding| finding.status == "open").count() as i64;
    assert!(open > TEXT_WINDOW, "the open findings alone are more than a text filter examines at once");

    // (query, what it matches). `app-1077` names one object (4 findings, all open, among the
    // last); `sidecar-zq` is in one message only; `main` is in every other message.
    type Matches = fn(&Seeded) -> bool;
    let cases: Vec<(&str, Matches)> = vec![
        ("", |_| true),
        ("&status=open", |f| f.status == "open"),
        ("&status=resolved", |f| f.status == "resolved"),
        ("&status=exempted", |f| f.status == "exempted"),
        ("&severity=critical", |f| f.severity == "critical"),
        ("&status=open&severity=high", |f| f.status == "open" && f.severity == "high"),
        ("&status=open&rule=rule-b", |f| f.status == "open" && f.rule == "rule-b"),
        ("&rule=rule-b", |f| f.rule == "rule-b"),
        ("&status=resolved&rule=rule-a", |f| f.status == "resolved" && f.rule == "rule-a"),
        ("&status=open&namespace=ns-5", |f| f.status == "open" && f.namespace == "ns-5"),
        ("&text=app-1077", |f| f.name == "app-1077"),
        ("&status=open&text=app-1077", |f| f.status == "open" && f.name == "app-1077"),
        ("&status=open&text=SIDECAR-ZQ", |f| f.status == "open" && f.message.contains("sidecar-zq")),
        ("&text=main%20app-11", |f| f.message.contains("main") && f.name.contains("app-11")),
        ("&status=open&rule=rule-b&text=app-1", |f| {
            f.status == "open" && f.rule == "rule-b" && f.name.contains("app-1")
        }),
        ("&status=open&namespace=ns-5&text=main", |f| {
            f.status == "open" && f.namespace == "ns-5" && f.message.contains("main")
        }),
    ];
    for (filters, matches) in cases {
        let expected: BTreeSet<(String, String)> =
            all.iter().filter(|f| matches(f)).map(|f| (f.name.clone(), f.rule.to_string())).collect();
        let text = filters.contains("text=");
        for (sort, limit) in [("", 50), ("&sort=rule", 37), ("&sort=object", 64), ("&sort=newest", 41)] {
            let query = format!("{filters}{sort}");
            let (items, short, totals) = walk(&app, &ana, cluster, &query, limit).await;
            let found: Vec<(String, String)> = items.iter().map(key).collect();
            assert_eq!(found.len(), expected.len(), "{query}: each finding once");
            assert_eq!(found.iter().cloned().collect::<BTreeSet<_>>(), expected, "{query}");
            let id = |finding: &Value| finding["id"].as_i64().unwrap();
            let severity = |finding: &Value| rank(finding["severity"].as_str().unwrap());
            for pair in items.windows(2) {
                let (a, b) = (&pair[0], &pair[1]);
                let in_order = match sort {
                    "" => (severity(a), id(a)) < (severity(b), id(b)),
                    "&sort=rule" => (a["rule"].as_str(), id(a)) < (b["rule"].as_str(), id(b)),
                    "&sort=object" => {
                        (a["resource"]["namespace"].as_str(), a["resource"]["name"].as_str(), id(a))
                            < (b["resource"]["namespace"].as_str(), b["resource"]["name"].as_str(), id(b))
                    }
                    _ => id(a) > id(b),
                };
                assert!(in_order, "{query}: {a} before {b}");
            }
            // Every page states the same total; exact unless a text filter has more
            // findings to examine than it does at once, and then a lower bound.
            assert!(totals.windows(2).all(|pair| pair[0] == pair[1]), "{query}: {totals:?}");
            let (total, exact) = totals[0];
            if exact {
                assert_eq!(total, expected.len() as i64, "{query}");
            } else {
                assert!(text, "{query}: only a text filter's total is a lower bound");
                assert!(total <= expected.len() as i64, "{query}: {total}");
            }
            if !text {
                assert!(exact && !short, "{query}: without text, pages are full and totals exact");
            }
        }
    }

    // Words found in few findings among thousands: the first page stops after examining a
    // bounded number, short of its limit, and says where to go on; the total says it is a
    // lower bound. A word in a few findings among few is answered exactly.
    for filters in ["&status=open&text=app-1077", "&text=sidecar-zq"] {
        let (items, short, totals) = walk(&app, &ana, cluster, filters, 50).await;
        assert!(short, "{filters}: a page stopped short of its limit with a next one");
        assert!(!totals[0].1, "{filters}: {totals:?}");
        assert!(!items.is_empty(), "{filters}");
    }
    let (items, short, totals) = walk(&app, &ana, cluster, "&status=open&namespace=ns-8&text=app-1077", 50).await;
    assert_eq!(items.len(), 1);
    assert!(!short && totals[0].1 && totals[0].0 == 1, "{totals:?}");
}

/// Finding `i` of [`the_rule_order_reads_every_rule_whole`]'s cluster: five rules, four
/// of them found in one severity each (as the rule catalog has them) and `rule-4` in two;
/// statuses, names and messages as [`seeded`]'s, in 7 namespaces.
fn by_rule(i: i64) -> Seeded {
    let rule = ["rule-0", "rule-1", "rule-2", "rule-3", "rule-4"][(i % 5) as usize];
    let severity = match i % 5 {
        0 => "critical",
        1 => "high",
        2 => "medium",
        3 => "low",
        _ if i % 2 == 0 => "low",
        _ => "info",
    };
    // Status, name and message as the other cluster's.
    Seeded { rule, severity, namespace: format!("ns-{}", i % 7), ..seeded(i) }
}

/// The rule order walks one rule at a time (the rules the cluster's counts hold, a rule
/// found in one severity read through that severity's findings): every filter's pages give
/// each finding once, by rule and then id, with an exact total.
async fn the_rule_order_reads_every_rule_whole(backend: Backend) {
    const COUNT: i64 = 3_000;
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Editor).await;
    let cluster = snapshot_cluster(&app, &ana, "rules").await;
    let select = format!(
        "SELECT {cluster}, i, 'rule-' || (i % 5), \
         CASE i % 5 WHEN 0 THEN 'critical' WHEN 1 THEN 'high' WHEN 2 THEN 'medium' WHEN 3 THEN 'low' \
         ELSE CASE WHEN i % 2 = 0 THEN 'low' ELSE 'info' END END, 'Deployment', 'ns-' || (i % 7), 'app-' || (i / 4), \
         'spec', 'container main of app-' || (i / 4) || ' has a finding', \
         CASE WHEN i % 10 = 3 THEN 'resolved' WHEN i % 25 = 7 THEN 'exempted' ELSE 'open' END, \
         1, (SELECT MAX(id) FROM scans WHERE cluster_id = {cluster})"
    );
    seed_rows(&app.store, cluster, 750, COUNT, &select).await;
    let all: Vec<Seeded> = (1..=COUNT).map(by_rule).collect();

    type Matches = fn(&Seeded) -> bool;
    let cases: Vec<(&str, Matches)> = vec![
        ("&status=open", |f| f.status == "open"),
        ("", |_| true),
        ("&status=resolved", |f| f.status == "resolved"),
        ("&status=open&severity=low", |f| f.status == "open" && f.severity == "low"),
        ("&status=open&namespace=ns-3", |f| f.status == "open" && f.namespace == "ns-3"),
        ("&status=exempted&namespace=ns-3", |f| f.status == "exempted" && f.namespace == "ns-3"),
        ("&status=open&text=app-1", |f| f.status == "open" && f.name.contains("app-1")),
    ];
    for (filters, matches) in cases {
        let expected: BTreeSet<(String, String)> =
            all.iter().filter(|f| matches(f)).map(|f| (f.name.clone(), f.rule.to_string())).collect();
        let query = format!("{filters}&sort=rule");
        let (items, short, totals) = walk(&app, &ana, cluster, &query, 29).await;
        let found: Vec<(String, String)> = items.iter().map(key).collect();
        assert_eq!(found.len(), expected.len(), "{query}: each finding once");
        assert_eq!(found.into_iter().collect::<BTreeSet<_>>(), expected, "{query}");
        for pair in items.windows(2) {
            let order =
                |finding: &Value| (finding["rule"].as_str().unwrap().to_string(), finding["id"].as_i64().unwrap());
            assert!(order(&pair[0]) < order(&pair[1]), "{query}: {} before {}", pair[0], pair[1]);
        }
        assert!(totals.windows(2).all(|pair| pair[0] == pair[1]), "{query}: {totals:?}");
        if filters.contains("text=") {
            assert!(totals[0].0 <= expected.len() as i64, "{query}: {totals:?}");
        } else {
            assert_eq!(totals[0], (expected.len() as i64, true), "{query}");
            assert!(!short, "{query}: without text, pages are full");
        }
    }
}

/// Finding `i` (1 ..= 5,500) of [`a_text_window_spans_severities_by_their_findings`]'s
/// cluster: open critical (1–500), low (501–2,000) and info (2,001–3,000) findings, none
/// high or medium, and 2,500 resolved high ones; one in 333 says "Needle", a few hold `%`,
/// `_`, `\` or a non-ASCII letter.
fn spanning(i: i64) -> (&'static str, &'static str, String) {
    let (severity, status) = match i {
        ..=500 => ("critical", "open"),
        501..=2000 => ("low", "open"),
        2001..=3000 => ("info", "open"),
        _ => ("high", "resolved"),
    };
    let message = match i {
        _ if i % 333 == 0 => format!("rare Needle of app-{i}"),
        _ if i % 401 == 0 => format!("app-{i} uses 50% of CPU_LIMIT"),
        _ if i % 409 == 0 => format!("app-{i} mounts C:\\data and café"),
        _ => format!("container main of app-{i}"),
    };
    (severity, status, message)
}

/// A text filter examines a window of findings in the list's order across severities: the
/// first page's window is the list's first `TEXT_WINDOW` findings whatever severities hold
/// them (here all the critical and low ones, none high or medium), fresh counts or stale;
/// every page together holds each match once. `%`, `_` and `\` in a word are taken
/// literally, ASCII letters match in any case, other letters as written in lower case.
async fn a_text_window_spans_severities_by_their_findings(backend: Backend) {
    const COUNT: i64 = 5_500;
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Editor).await;
    let cluster = snapshot_cluster(&app, &ana, "spanning").await;
    let select = format!(
        "SELECT {cluster}, i, 'rule-' || (i % 3), \
         CASE WHEN i <= 500 THEN 'critical' WHEN i <= 2000 THEN 'low' WHEN i <= 3000 THEN 'info' ELSE 'high' END, \
         'Deployment', 'ns-' || (i % 4), 'app-' || i, 'spec', \
         CASE WHEN i % 333 = 0 THEN 'rare Needle of app-' || i \
         WHEN i % 401 = 0 THEN 'app-' || i || ' uses 50% of CPU_LIMIT' \
         WHEN i % 409 = 0 THEN 'app-' || i || ' mounts C:\\data and café' \
         ELSE 'container main of app-' || i END, \
         CASE WHEN i <= 3000 THEN 'open' ELSE 'resolved' END, i, (SELECT MAX(id) FROM scans WHERE cluster_id = {cluster})"
    );
    seed_rows(&app.store, cluster, 1375, COUNT, &select).await;
    let all: Vec<(i64, (&str, &str, String))> = (1..=COUNT).map(|i| (i, spanning(i))).collect();
    let names = |found: &[Value]| -> Vec<String> {
        found.iter().map(|finding| finding["resource"]["name"].as_str().unwrap().to_string()).collect()
    };
    let first_page = |path: String| {
        let app = &app;
        let ana = &ana;
        async move {
            let (status, body) = app.get(ana, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            body
        }
    };

    // The first 2,000 open findings in the severity order are the 500 critical and 1,500 low
    // ones: the first page holds the needles among them, and goes on after them.
    let needles = |upto: i64| -> Vec<String> {
        all.iter()
            .filter(|(i, (_, status, message))| *i <= upto && *status == "open" && message.contains("Needle"))
            .map(|(i, _)| format!("app-{i}"))
            .collect()
    };
    let body = first_page(format!("/api/v1/clusters/{cluster}/findings?limit=50&status=open&text=needle")).await;
    assert_eq!(names(body["items"].as_array().unwrap()), needles(2000), "{body}");
    assert!(body["next_cursor"].is_string(), "{body}");
    assert_eq!((body["total"].as_i64(), body["total_exact"].as_bool()), (Some(6), Some(false)), "{body}");
    let (items, _, _) = walk(&app, &ana, cluster, "&status=open&text=needle", 50).await;
    assert_eq!(names(&items), needles(3000));

    // Words with `%`, `_`, `\`, in another case, or with a letter beyond ASCII.
    let holding = |part: &str, status: &str| -> BTreeSet<String> {
        all.iter()
            .filter(|(_, (_, of, message))| (status.is_empty() || *of == status) && message.contains(part))
            .map(|(i, _)| format!("app-{i}"))
            .collect()
    };
    for (word, part) in [
        ("%25", "%"),
        ("_", "_"),
        ("50%25", "50%"),
        ("cpu_limit", "CPU_LIMIT"),
        ("%5C", "\\"),
        ("c:%5Cdata", "C:\\data"),
        ("caf%C3%A9", "café"),
        ("NEEDLE", "Needle"),
    ] {
        let (items, _, _) = walk(&app, &ana, cluster, &format!("&text={word}"), 50).await;
        let found: Vec<String> = names(&items);
        assert_eq!(found.len(), found.iter().collect::<BTreeSet<_>>().len(), "{word}: each once");
        assert_eq!(found.into_iter().collect::<BTreeSet<_>>(), holding(part, ""), "{word}");
    }

    // Stale counts (a scan's writes went other than planned): the walks still give each match
    // once, in order.
    execute(&app.store, &format!("INSERT INTO finding_counts_stale (cluster_id) VALUES ({cluster})")).await;
    for filters in ["&status=open&text=needle", "&text=needle", "&status=open&text=app-1"] {
        let (items, _, _) = walk(&app, &ana, cluster, filters, 50).await;
        let expected: Vec<&(i64, (&str, &str, String))> = all
            .iter()
            .filter(|(i, (_, status, message))| {
                (!filters.contains("status") || *status == "open")
                    && if filters.contains("needle") {
                        message.contains("Needle")
                    } else {
                        format!("app-{i}").contains("app-1")
                    }
            })
            .collect();
        let mut ordered = expected.clone();
        ordered.sort_by_key(|(i, (severity, status, _))| (*status != "open", rank(severity), *i));
        if !filters.contains("status") {
            // Without a status the list is by severity across statuses.
            ordered.sort_by_key(|(i, (severity, _, _))| (rank(severity), *i));
        }
        let expected: Vec<String> = ordered.iter().map(|(i, _)| format!("app-{i}")).collect();
        assert_eq!(names(&items), expected, "{filters}");
    }
}

on_both_backends!(
    every_filter_walks_to_exactly_its_findings,
    the_rule_order_reads_every_rule_whole,
    a_text_window_spans_severities_by_their_findings
);
