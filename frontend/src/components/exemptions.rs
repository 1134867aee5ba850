//! Exemptions on a cluster page: the form that exempts a finding (from its details, for a
//! team's editors and admins) and the list of the exemptions that apply to the cluster,
//! with revoke.
//!
//! The server applies exemptions when a scan starts, so one granted or revoked here shows
//! in the findings from the next scan on. A cluster read through its API can be scanned at
//! once ("Scan now"); a snapshot cluster is scanned only when an export is uploaded, since
//! the server keeps no copy of past exports to scan again.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::api::{self, Exemption, Finding, NewExemption};
use crate::components::table::DataTable;
use crate::dashboard::{exemption_matches, expiry_of_date, ExemptionScope};
use crate::session::Auth;
use crate::time::{format_utc, parse_rfc3339};

/// When a change of exemptions shows, for a person: from the next scan, and how to get one.
pub fn next_scan_note(snapshot: bool) -> &'static str {
    if snapshot {
        "Exemptions apply from the next scan. This cluster is scanned from uploads and the server keeps no copy of \
         past exports: upload the export again to apply them now."
    } else {
        "Exemptions apply from the next scan: press \"Scan now\" to apply them now."
    }
}

/// The form that exempts `finding` of `cluster`; `on_granted` receives the new exemption,
/// `on_cancel` closes the form.
#[component]
pub fn ExemptForm(
    cluster: i64,
    finding: Finding,
    on_granted: Callback<Exemption>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let scope = RwSignal::new(ExemptionScope::default());
    let reason = RwSignal::new(String::new());
    let expires = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let grant = Action::new_local(move |body: &NewExemption| {
        let body = body.clone();
        async move {
            match api::create_exemption(cluster, &body).await {
                Ok(exemption) => on_granted.run(exemption),
                Err(failure) => error.set(Some(auth.explain(&failure))),
            }
        }
    });
    let sending = grant.pending();

    let choices = ExemptionScope::choices(&finding)
        .into_iter()
        .map(|choice| {
            view! {
                <label class="radio">
                    <input
                        type="radio"
                        name="exempt-scope"
                        value=choice.key()
                        prop:checked=move || scope.get() == choice
                        on:change=move |_| scope.set(choice)
                    />
                    <span>{choice.label(&finding)}</span>
                </label>
            }
        })
        .collect_view();

    let submit = {
        let finding = finding.clone();
        move |event: SubmitEvent| {
            event.prevent_default();
            error.set(None);
            let why = reason.get_untracked();
            if why.trim().is_empty() {
                error.set(Some("Say why this finding is accepted: the reason is kept with the exemption.".into()));
                return;
            }
            let expires_at = match expiry_of_date(&expires.get_untracked()) {
                Ok(expires_at) => expires_at,
                Err(message) => {
                    error.set(Some(message));
                    return;
                }
            };
            let body = scope.get_untracked().exemption(&finding, &why, expires_at);
            grant.dispatch_local(body);
        }
    };

    view! {
        <form class="exempt-form" data-testid="exempt-form" on:submit=submit aria-labelledby="exempt-title">
            <h3 id="exempt-title">"Exempt this finding"</h3>
            <fieldset class="modes stacked-choices">
                <legend>"Exempt"</legend>
                {choices}
            </fieldset>
            <label class="field stacked">
                <span>"Reason"</span>
                <textarea
                    required=true
                    rows="2"
                    maxlength="2000"
                    placeholder="why this is accepted, such as: the node agent needs host access"
                    bind:value=reason
                ></textarea>
            </label>
            <label class="field stacked">
                <span>"Expires (optional; at the end of that day, UTC)"</span>
                <input type="date" bind:value=expires/>
            </label>
            <p class="form-error" role="alert">{move || error.get()}</p>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=move || sending.get()>
                    {move || if sending.get() { "Exempting…" } else { "Exempt" }}
                </button>
                <button type="button" class="button" on:click=move |_| on_cancel.run(())>"Cancel"</button>
            </div>
        </form>
    }
}

/// The exemptions that apply to a cluster (its own and its team's team-wide ones); editors
/// revoke them. `on_revoked` receives a revoked exemption.
#[component]
pub fn ExemptionList(
    #[prop(into)] exemptions: Signal<Option<Result<Vec<Exemption>, String>>>,
    #[prop(into)] can_edit: Signal<bool>,
    on_revoked: Callback<Exemption>,
) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let error = RwSignal::new(None::<String>);
    let revoke_exemption = Action::new_local(move |exemption: &Exemption| {
        let exemption = exemption.clone();
        async move {
            match api::delete_exemption(exemption.id).await {
                Ok(()) => on_revoked.run(exemption),
                Err(failure) => error.set(Some(auth.explain(&failure))),
            }
        }
    });
    let revoke = move |exemption: Exemption| {
        error.set(None);
        revoke_exemption.dispatch_local(exemption);
    };
    let when = |text: Option<&str>, otherwise: &str| {
        text.and_then(parse_rfc3339).map(format_utc).unwrap_or_else(|| otherwise.to_string())
    };
    let rows = move |list: Vec<Exemption>| {
        list.into_iter()
            .map(|exemption| {
                let (rule, objects) = exemption_matches(&exemption);
                let scope = if exemption.cluster.is_some() { "this cluster" } else { "every cluster of the team" };
                let granted = match &exemption.author {
                    Some(author) => format!("{} by {}", when(Some(&exemption.created_at), ""), author.email),
                    None => when(Some(&exemption.created_at), ""),
                };
                let expires = when(exemption.expires_at.as_deref(), "never");
                let status = if exemption.active { "active" } else { "expired" };
                let label = format!("Revoke the exemption of {rule} for {objects}");
                let revoked = exemption.clone();
                view! {
                    <tr
                        data-testid="exemption-row"
                        data-rule=exemption.rule.clone().unwrap_or_default()
                        data-active=exemption.active.to_string()
                    >
                        <th scope="row" data-label="Rule"><code class="rule-id">{rule.clone()}</code></th>
                        <td data-label="Applies to">
                            {objects.clone()}
                            <span class="cluster-meta">{scope}</span>
                        </td>
                        <td data-label="Reason">{exemption.reason.clone()}</td>
                        <td data-label="Expires">
                            {expires}
                            <span class=format!("cluster-meta exemption-{status}")>{status}</span>
                        </td>
                        <td data-label="Granted">{granted}</td>
                        <td class="actions">
                            {move || {
                                let revoked = revoked.clone();
                                can_edit
                                    .get()
                                    .then(|| {
                                        view! {
                                            <button
                                                type="button"
                                                class="button"
                                                aria-label=label.clone()
                                                on:click=move |_| revoke(revoked.clone())
                                            >"Revoke"</button>
                                        }
                                    })
                            }}
                        </td>
                    </tr>
                }
            })
            .collect_view()
    };
    move || match exemptions.get() {
        None => view! { <p class="loading-inline" role="status">"Loading exemptions…"</p> }.into_any(),
        Some(Err(message)) => view! { <p class="form-error" role="alert">{message}</p> }.into_any(),
        Some(Ok(list)) if list.is_empty() => view! {
            <p class="muted" data-testid="exemptions-empty">
                "No exemptions. Editors exempt a finding from its details (\"Exempt…\"), with a reason."
            </p>
        }
        .into_any(),
        Some(Ok(list)) => view! {
            <p class="form-error" role="alert">{move || error.get()}</p>
            <DataTable class="exemptions" columns=&["Rule", "Applies to", "Reason", "Expires", "Granted", ""]>
                {rows(list)}
            </DataTable>
        }
        .into_any(),
    }
}
