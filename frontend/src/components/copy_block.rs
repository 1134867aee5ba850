//! Commands and manifests to run elsewhere, written as HTML: each a `<pre>` with a button
//! that copies it (and, with a file name, one that saves it). The guides that show them
//! ([`super::agent_setup`], [`super::reader_setup`]) are static text with the token and
//! server filled in, so they are rendered once as markup, with one click handler for all
//! their buttons ([`on_click`]) and a CSS rule for the Secrets choice (the variant with
//! Secrets shows while its checkbox is checked): a few hundred bytes of the first load,
//! where a reactive view per block would cost kilobytes.

use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::browser;

/// Text escaped for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// A block: `id` is its `<code>`'s id and test id; `file` offers a download.
pub fn block(id: &str, label: &str, text: &str, file: Option<&str>) -> String {
    let download = file
        .map(|file| {
            format!(
                r#"<button type="button" class="button" data-copy="{id}" data-file="{file}">Download {file}</button>"#
            )
        })
        .unwrap_or_default();
    format!(
        r#"<figure class="copy-block" aria-label="{label}"><pre class="code-block" tabindex="0"><code id="{id}" data-testid="{id}">{}</code></pre><figcaption class="copy-actions"><button type="button" class="button" data-copy="{id}">Copy</button>{download}<span class="muted" role="status"></span></figcaption></figure>"#,
        escape(text)
    )
}

/// The Secrets choice: a checkbox, what it means, and the two variants of what follows.
pub fn secrets_choice(label: &str, warning: &str, without: &str, with: &str) -> String {
    format!(
        r#"<div class="secrets-choice"><label class="checkbox"><input type="checkbox">{label}</label><small class="field-hint warning">{warning}</small><div class="without-secrets">{without}</div><div class="with-secrets">{with}</div></div>"#
    )
}

/// Copies (or saves) the block a clicked button names, and says so beside it.
pub fn on_click(event: leptos::ev::MouseEvent) {
    let Some(button) = event.target().and_then(|target| target.dyn_into::<web_sys::Element>().ok()) else { return };
    let Some(id) = button.get_attribute("data-copy") else { return };
    let text =
        leptos::prelude::document().get_element_by_id(&id).and_then(|code| code.text_content()).unwrap_or_default();
    let status = button.parent_element().and_then(|caption| caption.query_selector("[role=status]").ok().flatten());
    let say = move |message: String| {
        if let Some(status) = &status {
            status.set_text_content(Some(&message));
        }
    };
    match button.get_attribute("data-file") {
        Some(file) => say(match browser::download(&file, "application/yaml", &text) {
            Ok(()) => format!("Saved {file}."),
            Err(error) => format!("Could not save {file}: {error}."),
        }),
        None => spawn_local(async move {
            let copied = browser::copy_to_clipboard(&text).await;
            say(if copied { "Copied." } else { "The browser refused the clipboard: select the text instead." }.into());
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_escape_what_they_show() {
        let html = block("agent-command", "Command", "cat <<'EOF' & \"x\"", Some("a.yaml"));
        assert!(html.contains(r#"<code id="agent-command" data-testid="agent-command">cat &lt;&lt;&#39;EOF&#39; &amp; &quot;x&quot;</code>"#), "{html}");
        assert!(html.contains(r#"data-file="a.yaml">Download a.yaml</button>"#));
        assert!(!block("x", "X", "<script>", None).contains("<script>"));
    }
}
