//! `/clusters/:id/compliance?framework=cis`: how a cluster stands against a framework (CIS
//! Kubernetes Benchmark, NSA-CISA hardening guidance, Pod Security Standards, the hardening
//! guide's layers). The counts by status (testid `compliance-count`, attribute
//! `data-status`), each control (testid `control`, attributes `data-control` and
//! `data-status`) with its rules and, when it fails, its evidence (the open findings), the
//! counts over the latest scans, and links to the CSV and the printable page.
//!
//! A control no rule assesses, or whose rules applied to nothing, is "not assessed": never
//! shown as passing.

use leptos::prelude::*;
use rampart_core::compliance::{Counts, Framework, Status};

use crate::api::{self, Compliance, ComplianceTrendPoint, Evidence};
use crate::routes::query_value;
use crate::session::Auth;

/// The label of a status, for people.
pub(crate) fn status_label(status: Status) -> &'static str {
    match status {
        Status::Pass => "Pass",
        Status::Fail => "Fail",
        Status::NotAssessed => "Not assessed",
    }
}

/// The `data-status` value of a status (as the API writes it).
pub(crate) fn status_key(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::NotAssessed => "not_assessed",
    }
}

pub(crate) fn framework_label(framework: Framework) -> &'static str {
    match framework {
        Framework::Cis => "CIS Benchmark",
        Framework::Nsa => "NSA-CISA",
        Framework::Pss => "Pod Security Standards",
        Framework::Layers => "Guide layers",
    }
}

/// The framework the location names, CIS by default.
fn framework_of_location() -> Framework {
    query_value(&window().location().search().unwrap_or_default(), "framework")
        .and_then(|text| Framework::parse(&text))
        .unwrap_or(Framework::Cis)
}

#[component]
pub fn CompliancePage(id: i64) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let framework = RwSignal::new(framework_of_location());
    // Each answer carries the framework it is for: one for another framework (the
    // previous choice, while the new one loads) is not shown.
    let loaded = LocalResource::new(move || {
        let chosen = framework.get();
        async move { (chosen, api::compliance(id, chosen.as_str()).await.map_err(|failure| auth.explain(&failure))) }
    });
    let view_state = Signal::derive(move || {
        loaded.get().filter(|(answered, _)| *answered == framework.get()).map(|(_, result)| result)
    });
    let choose = move |chosen: Framework| {
        framework.set(chosen);
        let url = format!("/clusters/{id}/compliance?framework={}", chosen.as_str());
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    };
    let tabs = Framework::ALL
        .into_iter()
        .map(|option| {
            view! {
                <button
                    type="button"
                    role="tab"
                    data-testid="framework-tab"
                    data-framework=option.as_str()
                    aria-selected=move || (framework.get() == option).to_string()
                    class=move || if framework.get() == option { "tab selected" } else { "tab" }
                    on:click=move |_| choose(option)
                >
                    {framework_label(option)}
                </button>
            }
        })
        .collect_view();

    view! {
        <main id="main" class="page compliance-page">
            <nav class="breadcrumbs" aria-label="Breadcrumbs">
                <a href="/clusters">"Clusters"</a>
                " / "
                <a href=format!("/clusters/{id}")>
                    {move || match view_state.get() {
                        Some(Ok(view)) => view.cluster.name,
                        _ => format!("Cluster {id}"),
                    }}
                </a>
                " / "
                <span aria-current="page">"Compliance"</span>
            </nav>
            <div class="page-head">
                <h1>"Compliance"</h1>
                <div class="page-actions">
                    <a
                        class="button"
                        data-testid="compliance-csv"
                        download=""
                        href=move || format!("/api/v1/clusters/{id}/compliance.csv?framework={}", framework.get().as_str())
                    >
                        "CSV"
                    </a>
                    <a
                        class="button"
                        target="_blank"
                        href=move || format!("/clusters/{id}/compliance/print?framework={}", framework.get().as_str())
                    >
                        "Printable report"
                    </a>
                </div>
            </div>
            <div class="tabs" role="tablist" aria-label="Framework">{tabs}</div>
            {move || match view_state.get() {
                None => view! { <p class="loading-inline" role="status">"Loading…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(view)) => view! { <ComplianceBody view=view/> }.into_any(),
            }}
        </main>
    }
}

#[component]
fn ComplianceBody(view: Compliance) -> impl IntoView {
    let counts = view.counts;
    let scan = match &view.scan {
        Some(scan) => format!("At scan {} ({}).", scan.id, scan.finished_at.replace('T', " ")),
        None => "No scan has recorded rule results yet: every control is not assessed until the next scan.".into(),
    };
    let rows = view
        .controls
        .into_iter()
        .map(|control| {
            let evidence = (!control.evidence.is_empty()).then(|| {
                let items = control.evidence.iter().map(evidence_item).collect_view();
                view! {
                    <details>
                        <summary>{format!("{} findings", control.findings)}</summary>
                        <ul class="evidence">{items}</ul>
                    </details>
                }
            });
            let rules = if control.rules.is_empty() {
                "No rule assesses this control".to_string()
            } else {
                control.rules.join(", ")
            };
            view! {
                <tr data-testid="control" data-control=control.id.clone() data-status=status_key(control.status)>
                    <td class="control-id">{control.id.clone()}</td>
                    <td>{control.title.clone()}</td>
                    <td class=format!("control-status {}", status_key(control.status))>
                        {status_label(control.status)}
                    </td>
                    <td class="control-rules">{rules} {evidence}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="compliance-title">{view.title.clone()} " · " {scan}</p>
        <div class="compliance-counts">
            {[Status::Pass, Status::Fail, Status::NotAssessed]
                .into_iter()
                .map(|status| {
                    let count = match status {
                        Status::Pass => counts.pass,
                        Status::Fail => counts.fail,
                        Status::NotAssessed => counts.not_assessed,
                    };
                    view! {
                        <div class=format!("card compliance-count {}", status_key(status))>
                            <span class="count" data-testid="compliance-count" data-status=status_key(status)>
                                {count}
                            </span>
                            <span class="label">{status_label(status)}</span>
                        </div>
                    }
                })
                .collect_view()}
        </div>
        <section class="card" aria-labelledby="compliance-trend-title">
            <h2 id="compliance-trend-title">"Over the latest scans"</h2>
            <ComplianceTrend points=view.trend/>
        </section>
        <section class="card" aria-labelledby="controls-title">
            <h2 id="controls-title">"Controls"</h2>
            <p class="note">
                "A control fails when one of its rules has open findings that are not exempted, passes when one of its rules applied and none failed, and is not assessed otherwise."
            </p>
            <div class="table-wrap">
                <table class="controls">
                    <thead>
                        <tr>
                            <th>"Control"</th>
                            <th>"Title"</th>
                            <th>"Status"</th>
                            <th>"Rules and evidence"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
}

/// A finding that makes a control fail: its rule, object and message.
pub(crate) fn evidence_item(finding: &Evidence) -> impl IntoView {
    let object = match &finding.resource.namespace {
        Some(namespace) => format!("{} {namespace}/{}", finding.resource.kind, finding.resource.name),
        None => format!("{} {}", finding.resource.kind, finding.resource.name),
    };
    view! {
        <li data-testid="evidence" data-rule=finding.rule.clone()>
            <code>{finding.rule.clone()}</code>
            " · "
            <span class="evidence-object">{object}</span>
            ": "
            <span class="evidence-message">{finding.message.clone()}</span>
        </li>
    }
}

/// Stacked bars, one per scan: pass, fail and not assessed, as shares of the controls.
#[component]
pub(crate) fn ComplianceTrend(points: Vec<ComplianceTrendPoint>) -> impl IntoView {
    if points.is_empty() {
        return view! { <p class="empty-state">"No scan has recorded rule results yet."</p> }.into_any();
    }
    const HEIGHT: f64 = 120.0;
    let width = (points.len() as f64 * 14.0).max(140.0);
    let bar = width / points.len() as f64;
    let bars = points
        .iter()
        .enumerate()
        .map(|(index, point)| {
            let Counts { pass, fail, not_assessed } = point.counts;
            let total = (pass + fail + not_assessed).max(1) as f64;
            let x = index as f64 * bar;
            let height = |count: u64| count as f64 / total * HEIGHT;
            let (pass_h, fail_h) = (height(pass), height(fail));
            let label =
                format!("{}: {pass} pass, {fail} fail, {not_assessed} not assessed", point.at.replace('T', " "));
            view! {
                <g>
                    <title>{label}</title>
                    <rect class="trend-pass" x=x y=HEIGHT - pass_h width=bar * 0.8 height=pass_h></rect>
                    <rect class="trend-fail" x=x y=HEIGHT - pass_h - fail_h width=bar * 0.8 height=fail_h></rect>
                    <rect
                        class="trend-not-assessed"
                        x=x
                        y=0
                        width=bar * 0.8
                        height=HEIGHT - pass_h - fail_h
                    ></rect>
                </g>
            }
        })
        .collect_view();
    let last = points.last().map(|point| point.counts).unwrap_or_default();
    view! {
        <svg
            class="compliance-trend"
            data-testid="compliance-trend"
            role="img"
            aria-label=format!(
                "Controls over {} scans; latest: {} pass, {} fail, {} not assessed",
                points.len(),
                last.pass,
                last.fail,
                last.not_assessed,
            )
            viewBox=format!("0 0 {width} {HEIGHT}")
            preserveAspectRatio="none"
        >
            {bars}
        </svg>
        <p class="legend">
            <span class="swatch trend-pass"></span>
            " pass "
            <span class="swatch trend-fail"></span>
            " fail "
            <span class="swatch trend-not-assessed"></span>
            " not assessed"
        </p>
    }
    .into_any()
}
