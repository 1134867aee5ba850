//! A command or manifest to run elsewhere: shown as it is, with a button that copies it and,
//! when given a file name, one that saves it as that file. The text is a signal, so a
//! choice beside it (Secrets listed or not) changes what is copied.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::browser;

#[component]
pub fn CopyBlock(
    // What is shown and copied.
    #[prop(into)] text: Signal<String>,
    // The block's accessible name ("Command to start the agent").
    label: &'static str,
    // The test id of the `<code>` element.
    testid: &'static str,
    // A file name offered for a download of the text.
    #[prop(optional)] file: Option<&'static str>,
) -> impl IntoView {
    let said = RwSignal::new(String::new());
    let copy = move |_| {
        let text = text.get_untracked();
        spawn_local(async move {
            let copied = browser::copy_to_clipboard(&text).await;
            said.set(
                if copied { "Copied." } else { "The browser refused the clipboard: select the text instead." }.into(),
            );
        });
    };
    let download = file.map(|file| {
        let save = move |_| match browser::download(file, "application/yaml", &text.get_untracked()) {
            Ok(()) => said.set(format!("Saved {file}.")),
            Err(error) => said.set(format!("Could not save {file}: {error}.")),
        };
        view! {
            <button type="button" class="button" on:click=save>{format!("Download {file}")}</button>
        }
    });
    view! {
        <figure class="copy-block" aria-label=label>
            <pre class="code-block" tabindex="0"><code data-testid=testid>{move || text.get()}</code></pre>
            <figcaption class="copy-actions">
                <button type="button" class="button" on:click=copy>"Copy"</button>
                {download}
                <span class="muted" role="status" aria-live="polite">{move || said.get()}</span>
            </figcaption>
        </figure>
    }
}
