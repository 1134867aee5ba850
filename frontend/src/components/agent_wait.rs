//! The wait for an agent's first delivery: the cluster and its scans are read every two
//! seconds until the first scan has ended, and the step says where things stand (no contact
//! yet, the agent listing the cluster, the first score, or why the scan failed). Once the
//! scan has ended the caller is told, and the dashboard's row shows the score.

use leptos::prelude::*;

use crate::api::{self, AgentContact, Scan};
use crate::components::loading::{last_loaded, refetch_while};
use crate::session::Auth;

const POLL_MS: u64 = 2000;

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
    let read =
        LocalResource::new(
            move || async move { read_progress(cluster).await.map_err(|failure| auth.explain(&failure)) },
        );
    // Read again until the first scan has ended; a failed read is tried again too.
    refetch_while(read, POLL_MS, |answer| !matches!(answer, Ok(Progress::Ended(_))));
    Effect::new(move |_| {
        if read.with(|answer| matches!(answer, Some(Ok(Progress::Ended(_))))) {
            on_delivered.run(());
        }
    });
    let last = last_loaded(read);
    let progress = Signal::derive(move || last.get().unwrap_or(Progress::NoContact));
    let trouble = move || read.with(|answer| answer.as_ref()?.as_ref().err().cloned());
    let text = move || match progress.get() {
        Progress::NoContact => {
            "Waiting for the agent's first contact… (it asks for instructions every 10 seconds once its Pod runs)"
                .to_string()
        }
        Progress::Listing { version } => format!(
            "The agent{} is in contact and is listing the cluster…",
            version.map(|v| format!(" (version {v})")).unwrap_or_default()
        ),
        Progress::Ended(scan) if scan.has_results() => format!(
            "The first scan arrived ({} objects{}): score",
            scan.objects,
            if scan.status == "partial" { ", partial" } else { "" }
        ),
        Progress::Ended(scan) => format!("The first scan {}: {}", scan.status, scan.message.unwrap_or_default()),
    };
    let score = move || {
        progress.with(|now| match now {
            Progress::Ended(scan) => {
                scan.score.map(|score| format!("{score} ({})", scan.grade.clone().unwrap_or_default()))
            }
            _ => None,
        })
    };
    let ended = move || matches!(progress.get(), Progress::Ended(_));
    view! {
        <div class="agent-wait" role="status" aria-live="polite" data-testid="agent-progress" data-state=move || progress.with(Progress::state)>
            <p>
                {text} " " <strong data-testid="agent-first-score">{score}</strong> " "
                <a href=format!("/clusters/{cluster}") hidden=move || !ended()>"Open the cluster"</a>
            </p>
            <p class="muted">{move || trouble().map(|message| format!("Could not check: {message}"))}</p>
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
        assert_eq!(Progress::of(Some(&AgentContact::default()), std::slice::from_ref(&queued)), Progress::NoContact);
        assert_eq!(Progress::of(Some(&contact), &[queued]).state(), "listing");
        let done = Scan { status: "succeeded".into(), score: Some(71), ..Scan::default() };
        assert_eq!(Progress::of(None, &[done]).state(), "delivered");
        assert_eq!(
            Progress::of(Some(&contact), &[Scan { status: "failed".into(), ..Scan::default() }]).state(),
            "failed"
        );
    }
}
