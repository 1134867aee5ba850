//! The wait for an agent's first delivery: the cluster and its scans are read every two
//! seconds until the first scan has ended, and the step says where things stand (no contact
//! yet, the agent listing the cluster, the first score, or why the scan failed). Once the
//! scan has ended the caller is told, and the dashboard's row shows the score.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, AgentContact, Scan};
use crate::browser;
use crate::dashboard::grade_class;
use crate::session::Auth;

const POLL_MS: i32 = 2000;

/// Where an agent cluster's first delivery stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    /// The agent has not asked for instructions yet.
    NoContact,
    /// In contact, its first scan not ended yet.
    Listing { version: Option<String> },
    /// The first scan ended.
    Ended(Box<Scan>),
}

impl Progress {
    pub fn of(agent: Option<&AgentContact>, scans: &[Scan]) -> Progress {
        if let Some(scan) = scans.iter().find(|scan| !scan.is_pending()) {
            return Progress::Ended(Box::new(scan.clone()));
        }
        match agent.filter(|agent| agent.last_contact_at.is_some()) {
            Some(agent) => Progress::Listing { version: agent.version.clone() },
            None => Progress::NoContact,
        }
    }

    fn state(&self) -> &'static str {
        match self {
            Progress::NoContact => "waiting",
            Progress::Listing { .. } => "listing",
            Progress::Ended(scan) if scan.has_results() => "delivered",
            Progress::Ended(_) => "failed",
        }
    }
}

#[component]
pub fn AgentWait(cluster: i64, #[prop(into)] on_delivered: Callback<()>) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let progress = RwSignal::new(Progress::NoContact);
    let trouble = RwSignal::new(None::<String>);
    let mounted = StoredValue::new(());
    spawn_local(async move {
        loop {
            let read = read_progress(cluster).await;
            if mounted.try_with_value(|_| ()).is_none() {
                return;
            }
            match read {
                Ok(now) => {
                    trouble.set(None);
                    let ended = matches!(now, Progress::Ended(_));
                    progress.set(now);
                    if ended {
                        on_delivered.run(());
                        return;
                    }
                }
                Err(failure) => trouble.set(Some(auth.explain(&failure))),
            }
            browser::sleep(POLL_MS).await;
        }
    });
    let body = move || {
        match progress.get() {
        Progress::NoContact => view! {
            <p>"Waiting for the agent's first contact… (it asks for instructions every 10 seconds once its Pod runs)"</p>
        }
        .into_any(),
        Progress::Listing { version } => view! {
            <p>
                {format!("The agent{} is in contact and is listing the cluster…", version.map(|v| format!(" (version {v})")).unwrap_or_default())}
            </p>
        }
        .into_any(),
        Progress::Ended(scan) if scan.has_results() => view! {
            <p>
                "The first scan arrived: score "
                <strong data-testid="agent-first-score">{scan.score}</strong>
                " "
                {scan.grade.clone().map(|grade| view! { <span class=grade_class(&grade)>{grade.clone()}</span> })}
                {format!(" ({} objects{}). ", scan.objects, if scan.status == "partial" { ", partial" } else { "" })}
                <a href=format!("/clusters/{cluster}")>"Open the cluster"</a>
            </p>
        }
        .into_any(),
        Progress::Ended(scan) => view! {
            <p class="form-error">
                {format!("The first scan {}: {}", scan.status, scan.message.clone().unwrap_or_default())}
                " " <a href=format!("/clusters/{cluster}")>"See its errors"</a>
            </p>
        }
        .into_any(),
    }
    };
    view! {
        <div class="agent-wait" role="status" aria-live="polite" data-testid="agent-progress" data-state=move || progress.with(Progress::state)>
            {body}
            {move || trouble.get().map(|message| view! { <p class="muted">{format!("Could not check: {message}")}</p> })}
        </div>
    }
}

/// The cluster's agent and scans, read now.
async fn read_progress(cluster: i64) -> Result<Progress, api::Error> {
    let shown = api::cluster(cluster).await?;
    let scans = api::scans(cluster).await?;
    Ok(Progress::of(shown.agent.as_ref(), &scans))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_follows_the_agent_and_its_first_scan() {
        let contact = AgentContact {
            last_contact_at: Some("2026-12-06T08:00:00Z".into()),
            version: Some("0.1.0".into()),
            silent: false,
        };
        let queued = Scan { status: "queued".into(), ..Scan::default() };
        assert_eq!(Progress::of(Some(&AgentContact::default()), &[queued.clone()]), Progress::NoContact);
        assert_eq!(Progress::of(Some(&contact), &[queued]).state(), "listing");
        let done = Scan { status: "succeeded".into(), score: Some(71), ..Scan::default() };
        assert_eq!(Progress::of(None, &[done]).state(), "delivered");
        assert_eq!(
            Progress::of(Some(&contact), &[Scan { status: "failed".into(), ..Scan::default() }]).state(),
            "failed"
        );
    }
}
