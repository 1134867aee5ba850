//! The compliance view of a cluster over HTTP (`/api/v1/clusters/{id}/compliance`, its CSV
//! and its printable page), on both backends: each control's status equals what the engine
//! concludes over the same snapshot, controls no rule assesses are never passing, and the
//! trend grows with each scan.

use rampart_core::compliance::{self, Framework, RuleResults};

use super::app::{check_snapshot, spawn_app, Backend};
use super::{snapshot_cluster, Role, StatusCode, Value, SNAPSHOT_1, SNAPSHOT_2};

/// The statuses the engine gives each control of a framework over a snapshot.
fn expected_statuses(snapshot: &str, framework: Framework) -> Vec<(String, &'static str)> {
    let results = RuleResults::from_report(&check_snapshot(snapshot));
    compliance::evaluate(framework, &results)
        .controls
        .into_iter()
        .map(|control| {
            let status = match control.status {
                compliance::Status::Pass => "pass",
                compliance::Status::Fail => "fail",
                compliance::Status::NotAssessed => "not_assessed",
            };
            (control.id, status)
        })
        .collect()
}

fn statuses(view: &Value) -> Vec<(String, &'static str)> {
    view["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|control| {
            let status = match control["status"].as_str().unwrap() {
                "pass" => "pass",
                "fail" => "fail",
                "not_assessed" => "not_assessed",
                other => panic!("unknown status {other}"),
            };
            (control["id"].as_str().unwrap().to_string(), status)
        })
        .collect()
}

fn control<'a>(view: &'a Value, id: &str) -> &'a Value {
    view["controls"].as_array().unwrap().iter().find(|control| control["id"] == id).unwrap()
}

fn assert_counts_add_up(view: &Value) {
    let counts = &view["counts"];
    let controls = view["controls"].as_array().unwrap();
    for status in ["pass", "fail", "not_assessed"] {
        let listed = controls.iter().filter(|control| control["status"] == status).count() as u64;
        assert_eq!(counts[status].as_u64(), Some(listed), "{status}: {counts}");
    }
}

async fn compliance_views(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.user("auditor@example.com", "platform", Role::Viewer).await;
    let editor = app.user("editor@example.com", "platform", Role::Editor).await;
    let stranger = app.user("stranger@example.com", "other", Role::Admin).await;
    let cluster = snapshot_cluster(&app, &editor, "prod").await;

    // Before any scan nothing is assessed, and nothing passes.
    let (status, view) = app.get(&token, &format!("/api/v1/clusters/{cluster}/compliance")).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["framework"], "cis");
    assert!(view["scan"].is_null());
    assert_eq!(view["counts"]["pass"], 0);
    assert_eq!(view["counts"]["fail"], 0);
    assert_eq!(view["counts"]["not_assessed"].as_u64(), Some(compliance::CIS.len() as u64));
    assert_eq!(view["trend"], serde_json::json!([]));

    let scan_1 = app.scan_snapshot(&editor, cluster, SNAPSHOT_1).await;
    let (_, view) = app.get(&token, &format!("/api/v1/clusters/{cluster}/compliance?framework=cis")).await;
    assert_eq!(view["scan"]["id"], scan_1["id"]);
    assert_eq!(statuses(&view), expected_statuses(SNAPSHOT_1, Framework::Cis));
    assert_counts_add_up(&view);
    // The privileged Deployment fails 5.2.2, and is its evidence.
    let privileged = control(&view, "5.2.2");
    assert_eq!(privileged["status"], "fail");
    assert_eq!(privileged["failed_rules"], serde_json::json!(["pss-privileged"]));
    let evidence = privileged["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 1, "{privileged}");
    assert_eq!(evidence[0]["resource"]["name"], "web");
    assert_eq!(evidence[0]["rule"], "pss-privileged");
    // hostNetwork fails 5.2.5 (the host namespaces rule covers 5.2.3 to 5.2.5).
    assert_eq!(control(&view, "5.2.5")["status"], "fail");
    // No rule assesses 5.1.7: not assessed, with no rule, never passing.
    let masters = control(&view, "5.1.7");
    assert_eq!(masters["status"], "not_assessed");
    assert_eq!(masters["rules"], serde_json::json!([]));
    assert!(view["counts"]["pass"].as_u64().unwrap() > 0);

    for framework in [Framework::Nsa, Framework::Pss, Framework::Layers] {
        let path = format!("/api/v1/clusters/{cluster}/compliance?framework={}", framework.as_str());
        let (status, view) = app.get(&token, &path).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(statuses(&view), expected_statuses(SNAPSHOT_1, framework), "{framework:?}");
        assert_counts_add_up(&view);
    }

    // A second scan: the view follows it, and the trend has a point per scan.
    let scan_2 = app.scan_snapshot(&editor, cluster, SNAPSHOT_2).await;
    let (_, view) = app.get(&token, &format!("/api/v1/clusters/{cluster}/compliance?framework=cis")).await;
    assert_eq!(view["scan"]["id"], scan_2["id"]);
    assert_eq!(statuses(&view), expected_statuses(SNAPSHOT_2, Framework::Cis));
    assert_eq!(control(&view, "5.2.2")["status"], "pass", "web is no longer privileged");
    let trend = view["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 2);
    assert_eq!(trend[0]["scan"], scan_1["id"]);
    assert_eq!(trend[1]["scan"], scan_2["id"]);
    assert_eq!(trend[1]["pass"], view["counts"]["pass"]);
    assert_eq!(trend[1]["fail"], view["counts"]["fail"]);

    // CSV: a row per control, with the same statuses.
    let response = app
        .client
        .get(app.url(&format!("/api/v1/clusters/{cluster}/compliance.csv?framework=cis")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "framework,control,title,status,rules,failed_rules,findings,evidence");
    assert_eq!(lines.len(), compliance::CIS.len() + 1);
    assert!(lines.iter().any(|line| line.starts_with("cis,5.1.7,") && line.contains(",not_assessed,")), "{csv}");
    let host_namespaces = lines.iter().find(|line| line.starts_with("cis,5.2.3,")).unwrap();
    assert!(host_namespaces.contains(",fail,") && host_namespaces.contains("Pod prod/debug"), "{host_namespaces}");

    // The printable page.
    let response = app
        .client
        .get(app.url(&format!("/clusters/{cluster}/compliance/print?framework=nsa")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-security-policy"].to_str().unwrap().starts_with("default-src 'none'"));
    let page = response.text().await.unwrap();
    assert!(page.contains("Compliance: prod"), "{page}");
    assert!(page.contains("NSA-CISA Kubernetes Hardening Guidance"), "{page}");
    assert!(page.contains("no rule assesses this control"), "{page}");

    // Bad input and other teams.
    let (status, body) = app.get(&token, &format!("/api/v1/clusters/{cluster}/compliance?framework=iso")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("cis, nsa, pss, layers"), "{body}");
    let (status, _) = app.get(&stranger, &format!("/api/v1/clusters/{cluster}/compliance")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get(&stranger, &format!("/api/v1/clusters/{cluster}/compliance.csv")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

on_both_backends!(compliance_views);
