//! The outbox, on `/settings` for global admins: every email the server queued, sent or
//! failed to send, with attempts and the last error; a preview of one email (its HTML and
//! its plain text) and "Retry" for a failed one.
//!
//! An email's HTML is shown in an `<iframe sandbox srcdoc>`: a sandbox with no permission
//! runs no script, submits no form and gets an opaque origin, so nothing in an email can
//! reach the page, its cookies or the API. The frame inherits the page's
//! Content-Security-Policy as well, so it loads nothing from elsewhere.

use leptos::prelude::*;

use crate::api::{self, EmailWithBody};
use crate::components::table::DataTable;
use crate::session::Auth;
use crate::time::{format_utc, parse_rfc3339};

fn when(text: Option<&str>) -> String {
    text.and_then(parse_rfc3339).map(format_utc).unwrap_or_else(|| "–".to_string())
}

/// The section; it reloads when `queued` changes (a digest was queued on this page).
#[component]
pub fn Outbox(queued: RwSignal<u64>) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let status = RwSignal::new(String::new());
    let emails = LocalResource::new(move || {
        queued.track();
        let status = status.get();
        async move { api::outbox(&status).await.map_err(|failure| auth.explain(&failure)) }
    });
    let preview = RwSignal::new(None::<Result<EmailWithBody, String>>);
    let notice = RwSignal::new(String::new());

    let open_email = Action::new_local(move |id: &i64| {
        let id = *id;
        preview.set(None);
        async move {
            preview.set(Some(api::email(id).await.map_err(|failure| auth.explain(&failure))));
        }
    });
    let retry_email = Action::new_local(move |id: &i64| {
        let id = *id;
        async move {
            match api::retry_email(id).await {
                Ok(()) => {
                    notice.set(format!("Email {id} queued again."));
                    emails.refetch();
                }
                Err(failure) => notice.set(auth.explain(&failure)),
            }
        }
    });
    let open = move |id: i64| {
        open_email.dispatch_local(id);
    };
    let retry = move |id: i64| {
        retry_email.dispatch_local(id);
    };

    let list = move || match emails.get() {
        None => view! { <p class="loading-inline">"Loading the outbox…"</p> }.into_any(),
        Some(Err(message)) => view! { <p class="form-error" role="alert">{message}</p> }.into_any(),
        Some(Ok(items)) if items.is_empty() => view! { <p class="muted">"No email here."</p> }.into_any(),
        Some(Ok(items)) => {
            let rows = items
                .into_iter()
                .map(|email| {
                    let id = email.id;
                    let failed = email.status == "failed";
                    let preview_label = format!("Preview email {id}: {}", email.subject);
                    view! {
                        <tr data-testid="outbox-row" data-status=email.status.clone() data-email=id>
                            <th scope="row" data-label="Subject">{email.subject.clone()}</th>
                            <td data-label="To">{email.recipient.clone()}</td>
                            <td data-label="Status">
                                <span class=format!("status status-{}", email.status)>{email.status.clone()}</span>
                                {email.last_error.clone().map(|error| view! { <div class="muted">{error}</div> })}
                            </td>
                            <td data-label="Attempts">{email.attempts}</td>
                            <td data-label="Queued">{when(Some(&email.created_at))}</td>
                            <td data-label="Sent">{when(email.sent_at.as_deref())}</td>
                            <td class="actions">
                                <button type="button" class="button" aria-label=preview_label on:click=move |_| open(id)>
                                    "Preview"
                                </button>
                                {failed.then(|| view! {
                                    <button type="button" class="button" on:click=move |_| retry(id)>"Retry"</button>
                                })}
                            </td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <DataTable class="outbox" columns=&["Subject", "To", "Status", "Attempts", "Queued", "Sent", ""]>
                    {rows}
                </DataTable>
            }
            .into_any()
        }
    };

    let shown = move || {
        preview.get().map(|email| match email {
            Err(message) => view! { <p class="form-error" role="alert">{message}</p> }.into_any(),
            Ok(email) => view! {
                <div class="email-preview" data-testid="email-preview">
                    <div class="section-head">
                        <h3>{email.email.subject.clone()}</h3>
                        <button type="button" class="button" on:click=move |_| preview.set(None)>"Close"</button>
                    </div>
                    <p class="muted">{format!("To {} · {}", email.email.recipient, email.email.status)}</p>
                    <iframe
                        class="email-html"
                        data-testid="email-html"
                        title="The email as HTML"
                        sandbox=""
                        referrerpolicy="no-referrer"
                        srcdoc=email.html.clone()
                    ></iframe>
                    <details>
                        <summary>"Plain text"</summary>
                        <pre class="code-block" data-testid="email-text">{email.text.clone()}</pre>
                    </details>
                </div>
            }
            .into_any(),
        })
    };

    view! {
        <p class="hint">
            "Every email the server queued. With no SMTP server set (" <code>"RAMPART_SMTP_URL"</code>
            "), emails wait here as queued, and can be read here."
        </p>
        <div class="field-row">
            <label class="field">
                <span>"Show"</span>
                <select on:change=move |event| status.set(event_target_value(&event))>
                    <option value="">"all"</option>
                    <option value="queued">"queued"</option>
                    <option value="sent">"sent"</option>
                    <option value="failed">"failed"</option>
                </select>
            </label>
            <button type="button" class="button" on:click=move |_| emails.refetch()>"Refresh"</button>
        </div>
        <p class="notice" role="status" aria-live="polite">{move || notice.get()}</p>
        {list}
        {shown}
    }
}
