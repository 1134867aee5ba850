//! Black-box tests of a team's custom policies on `rampart serve`: the API (who may read
//! and write them, what is refused and why), their findings on every scan equal to the
//! engine's (what the CLI and the playground run), and versions: a policy change shows in
//! the trend as such. Both backends.

use crate::support::app;

use app::{spawn_app, Backend, TestApp};
use rampart::store::accounts::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The repository's replica-limit policy (with its binding), without its test cases.
fn replica_limit(limit: u32) -> String {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/policies/replica-limit.yaml"))
        .unwrap();
    let text = text.split("---\napiVersion: rampart.dev/v1\nkind: PolicyTest").next().unwrap().to_string();
    text.replace("<= 5", &format!("<= {limit}")).replace("at most 5", &format!("at most {limit}"))
}

const SNAPSHOT: &str = "\
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: wide, namespace: shop}
  spec:
    replicas: 8
    template:
      spec:
        containers: [{name: app, image: registry.example.com/wide:1.0}]
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: narrow, namespace: shop}
  spec:
    replicas: 2
    template:
      spec:
        containers: [{name: app, image: registry.example.com/narrow:1.0}]
";

async fn team_id(app: &TestApp, token: &str, name: &str) -> i64 {
    let (_, teams) = app.get(token, "/api/v1/teams").await;
    teams.as_array().unwrap().iter().find(|team| team["name"] == name).expect("a team of the user")["id"]
        .as_i64()
        .unwrap()
}

async fn policy_findings(app: &TestApp, token: &str, cluster: i64) -> Vec<(String, String, String, String)> {
    let (status, page) =
        app.get(token, &format!("/api/v1/clusters/{cluster}/findings?limit=100&rule=vap/replica-limit")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut found: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["rule"].as_str().unwrap().starts_with("vap/"))
        .map(|finding| {
            let text = |key: &str| finding[key].as_str().unwrap_or_default().to_string();
            (text("rule"), finding["resource"]["name"].as_str().unwrap().to_string(), text("message"), text("status"))
        })
        .collect();
    found.sort();
    found
}

async fn policies_apply_on_every_scan_and_are_versioned(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Editor).await;
    let viewer = app.user("vi@example.com", "red", Role::Viewer).await;
    let bo = app.user("bo@example.com", "blue", Role::Admin).await;
    let red = team_id(&app, &ana, "red").await;
    let collection = format!("/api/v1/teams/{red}/policies");

    // Added by an editor, compiled when saved.
    let (status, policy) =
        app.post(&ana, &collection, &json!({ "name": "replicas", "source": replica_limit(5) })).await;
    assert_eq!(status, StatusCode::CREATED, "{policy}");
    let id = policy["id"].as_i64().unwrap();
    assert_eq!((policy["version"].clone(), policy["enabled"].clone()), (json!(1), json!(true)));
    assert_eq!(policy["rules"], json!(["vap/replica-limit"]));
    assert_eq!(policy["author"], "ana@example.com");

    // Refused: errors at their line and column, no policy at all, viewers, other teams.
    let broken = replica_limit(5).replace("object.spec.replicas <= 5", "object.spec.replicas.startWith(5)");
    let (status, body) = app.post(&ana, &collection, &json!({ "name": "broken", "source": broken })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("line 15, column 69: policy 'replica-limit': validations[0].expression: function 'startWith' is not supported by Rampart"), "{body}");
    let (status, body) = app.post(&ana, &collection, &json!({ "name": "empty", "source": "kind: ConfigMap\n" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = app.post(&viewer, &collection, &json!({ "name": "v", "source": replica_limit(5) })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.post(&ana, &collection, &json!({ "name": "replicas", "source": replica_limit(5) })).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(app.get(&bo, &format!("/api/v1/policies/{id}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&bo, &collection).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.patch(&bo, &format!("/api/v1/policies/{id}"), &json!({ "enabled": false })).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, listed) = app.get(&viewer, &collection).await;
    assert_eq!((status, listed.as_array().unwrap().len()), (StatusCode::OK, 1));

    // Every scan applies it: the findings are the engine's (the CLI's and the playground's).
    let (_, cluster) = app.post(&ana, "/api/v1/clusters", &json!({ "name": "prod", "snapshot": true })).await;
    let cluster = cluster["id"].as_i64().unwrap();
    let scan = app.scan_snapshot(&ana, cluster, SNAPSHOT).await;
    assert_eq!(scan["status"], "succeeded", "{scan}");
    let options = rampart_core::Options {
        policies: rampart_core::policy::PolicyOptions {
            sources: vec![rampart_core::Source::new("replicas", replica_limit(5))],
            ..Default::default()
        },
        ..rampart::scan_runner::cluster_options()
    };
    let report = rampart_core::check(&[rampart_core::Source::new("snapshot", SNAPSHOT)], &options);
    let expected: Vec<(String, String, String, String)> = report
        .findings
        .iter()
        .filter(|finding| finding.rule.starts_with("vap/"))
        .map(|finding| {
            (finding.rule.to_string(), finding.resource.name.clone(), finding.message.clone(), "open".to_string())
        })
        .collect();
    assert_eq!(
        expected,
        [(
            "vap/replica-limit".to_string(),
            "wide".to_string(),
            "replicas must be at most 5, not 8".to_string(),
            "open".to_string()
        )]
    );
    assert_eq!(policy_findings(&app, &ana, cluster).await, expected);

    // A new source is a new version; the next scan resolves the finding, and the trend
    // says the policy changed rather than letting the cluster look better silently.
    let (status, changed) =
        app.patch(&ana, &format!("/api/v1/policies/{id}"), &json!({ "source": replica_limit(10) })).await;
    assert_eq!((status, changed["version"].clone()), (StatusCode::OK, json!(2)), "{changed}");
    let (status, same) =
        app.patch(&ana, &format!("/api/v1/policies/{id}"), &json!({ "source": replica_limit(10) })).await;
    assert_eq!((status, same["version"].clone()), (StatusCode::OK, json!(2)), "the same source is the same version");
    app.scan_snapshot(&ana, cluster, SNAPSHOT).await;
    assert_eq!(policy_findings(&app, &ana, cluster).await[0].3, "resolved");
    // Disabled: the next scan applies none.
    let (status, disabled) = app.patch(&ana, &format!("/api/v1/policies/{id}"), &json!({ "enabled": false })).await;
    assert_eq!(
        (status, disabled["enabled"].clone(), disabled["version"].clone()),
        (StatusCode::OK, json!(false), json!(2))
    );
    app.scan_snapshot(&ana, cluster, SNAPSHOT).await;
    app.scan_snapshot(&ana, cluster, SNAPSHOT).await;

    let (_, trend) = app.get(&viewer, &format!("/api/v1/clusters/{cluster}/trend")).await;
    let points = trend.as_array().unwrap();
    assert_eq!(points.len(), 4, "{trend}");
    assert_eq!(points[0]["policies"], json!([{ "id": id, "name": "replicas", "version": 1 }]));
    assert_eq!(points[0]["policy_change"], Value::Null);
    assert_eq!(
        points[1]["policy_change"],
        json!({ "added": [], "removed": [], "changed": [{ "name": "replicas", "from": 1, "to": 2 }] })
    );
    assert_eq!(points[2]["policy_change"], json!({ "added": [], "removed": ["replicas"], "changed": [] }));
    assert_eq!(points[3]["policy_change"], Value::Null);
    assert_eq!(points[3]["policies"], json!([]));

    let (status, versions) = app.get(&viewer, &format!("/api/v1/policies/{id}/versions")).await;
    assert_eq!(status, StatusCode::OK);
    let versions: Vec<i64> =
        versions.as_array().unwrap().iter().map(|version| version["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, [2, 1]);

    assert_eq!(app.delete(&viewer, &format!("/api/v1/policies/{id}")).await, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&ana, &format!("/api/v1/policies/{id}")).await, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&ana, &format!("/api/v1/policies/{id}")).await.0, StatusCode::NOT_FOUND);
}

/// A stored policy the engine cannot compile (one saved by an older Rampart, say) is an
/// error of every scan that meets it, at its line and column, and the scan resolves no
/// finding: its findings are neither there nor gone.
async fn a_stored_policy_that_no_longer_compiles_is_a_scan_error_and_resolves_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Editor).await;
    let red = team_id(&app, &ana, "red").await;
    let (status, policy) = app
        .post(
            &ana,
            &format!("/api/v1/teams/{red}/policies"),
            &json!({ "name": "replicas", "source": replica_limit(5) }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{policy}");
    let (_, cluster) = app.post(&ana, "/api/v1/clusters", &json!({ "name": "prod", "snapshot": true })).await;
    let cluster = cluster["id"].as_i64().unwrap();
    let scan = app.scan_snapshot(&ana, cluster, SNAPSHOT).await;
    assert_eq!(scan["errors"], json!([]), "{scan}");
    assert_eq!(policy_findings(&app, &ana, cluster).await.len(), 1);

    // The API refuses such a source; the store takes it as an older server wrote it.
    let (_, me) = app.get(&ana, "/api/v1/me").await;
    let broken = replica_limit(5).replace("object.spec.replicas <= 5", "object.spec.replicas.startWith(5)");
    let policy_id = policy["id"].as_i64().unwrap();
    app.store.update_policy(policy_id, None, Some(&broken), None, me["id"].as_i64().unwrap()).await.unwrap();
    // The API says so, where: the settings page shows it on the policy's row.
    let (_, stored) = app.get(&ana, &format!("/api/v1/policies/{policy_id}")).await;
    let errors = stored["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{stored}");
    assert_eq!((errors[0]["line"].as_u64(), errors[0]["column"].as_u64()), (Some(15), Some(69)), "{stored}");
    assert!(errors[0]["message"].as_str().unwrap().contains("function 'startWith' is not supported by Rampart"));
    let (_, listed) = app.get(&ana, &format!("/api/v1/teams/{red}/policies")).await;
    assert_eq!(listed[0]["errors"], stored["errors"]);
    assert_eq!(stored["rules"], json!([]), "a policy with errors makes no rules");
    let scan = app.scan_snapshot(&ana, cluster, SNAPSHOT).await;
    let errors = scan["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{scan}");
    assert_eq!(errors[0]["kind"], "ValidatingAdmissionPolicy");
    let message = errors[0]["message"].as_str().unwrap();
    assert!(message.starts_with("policy replicas v2, line 15, column 69: "), "{message}");
    assert!(message.contains("function 'startWith' is not supported by Rampart"), "{message}");
    assert!(message.ends_with("(not evaluated; this scan resolves no finding)"), "{message}");
    // The finding the policy made stays open (not resolved by a scan that could not judge it).
    assert_eq!(policy_findings(&app, &ana, cluster).await[0].3, "open");

    // Fixed: the next scan evaluates it again, without errors.
    let (_, fixed) =
        app.patch(&ana, &format!("/api/v1/policies/{policy_id}"), &json!({ "source": replica_limit(5) })).await;
    assert_eq!(fixed["errors"], json!([]), "{fixed}");
    assert_eq!(fixed["rules"], json!(["vap/replica-limit"]));
    let scan = app.scan_snapshot(&ana, cluster, SNAPSHOT).await;
    assert_eq!(scan["errors"], json!([]), "{scan}");
    assert_eq!(policy_findings(&app, &ana, cluster).await[0].3, "open");
}

const PARAM_POLICY: &str = "\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replica-param}
spec:
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE]
      resources: [deployments]
  validations:
  - expression: \"object.spec.replicas <= int(params.data.max)\"
    messageExpression: \"'replicas must be at most ' + params.data.max\"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replica-param}
spec:
  policyName: replica-param
  validationActions: [Deny]
  paramRef: {name: replica-limits, namespace: shop, parameterNotFoundAction: Deny}
";

/// A policy whose params are objects of the cluster (a ConfigMap listed after the objects
/// it judges): a scan offers them as the CLI offers its input, with the same findings.
async fn params_come_from_the_clusters_objects_as_in_the_cli(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Editor).await;
    let red = team_id(&app, &ana, "red").await;
    let (status, policy) = app
        .post(&ana, &format!("/api/v1/teams/{red}/policies"), &json!({ "name": "limits", "source": PARAM_POLICY }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{policy}");
    let (_, cluster) = app.post(&ana, "/api/v1/clusters", &json!({ "name": "prod", "snapshot": true })).await;
    let cluster = cluster["id"].as_i64().unwrap();
    let snapshot = format!(
        "{SNAPSHOT}- apiVersion: v1\n  kind: ConfigMap\n  metadata: {{name: replica-limits, namespace: shop}}\n  data: {{max: \"4\"}}\n"
    );
    let scan = app.scan_snapshot(&ana, cluster, &snapshot).await;
    assert_eq!((scan["status"].clone(), scan["errors"].clone()), (json!("succeeded"), json!([])), "{scan}");
    let (_, page) =
        app.get(&ana, &format!("/api/v1/clusters/{cluster}/findings?limit=100&rule=vap/replica-param")).await;
    let found: Vec<(String, String)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            (
                finding["resource"]["name"].as_str().unwrap().to_string(),
                finding["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(found, [("wide".to_string(), "replicas must be at most 4".to_string())]);

    // The engine on the whole input (the CLI's way) says the same.
    let options = rampart_core::Options {
        policies: rampart_core::policy::PolicyOptions {
            sources: vec![rampart_core::Source::new("limits", PARAM_POLICY)],
            ..Default::default()
        },
        ..rampart::scan_runner::cluster_options()
    };
    let report = rampart_core::check(&[rampart_core::Source::new("snapshot", snapshot.as_str())], &options);
    let expected: Vec<(String, String)> = report
        .findings
        .iter()
        .filter(|finding| finding.rule.starts_with("vap/"))
        .map(|finding| (finding.resource.name.clone(), finding.message.clone()))
        .collect();
    assert_eq!(found, expected);
}

on_both_backends!(
    policies_apply_on_every_scan_and_are_versioned,
    a_stored_policy_that_no_longer_compiles_is_a_scan_error_and_resolves_nothing,
    params_come_from_the_clusters_objects_as_in_the_cli,
);
