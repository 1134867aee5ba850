//! The manifest editor: a plain `<textarea>` with a line-number gutter whose marks show,
//! in severity colours, the lines that findings and parse errors point at.
//!
//! A textarea keeps everything a browser gives text input for free (undo, IME, mobile
//! keyboards, screen readers, paste); the gutter and a backdrop of tinted line bands are
//! drawn beside and behind it and follow its scrolling. Hovering a mark shows its
//! messages; for the keyboard, the line under the caret is described below the editor.
//! Files can be dropped on the editor (or picked from the toolbar).
//!
//! The marks are a plain list, not a keyed one: when a new line moves every mark below
//! it, the same elements get their new positions (attribute updates), where a keyed list
//! would remove and re-insert each of them.

use leptos::ev;
use leptos::html::Div;
use leptos::prelude::*;

use crate::analysis::{self, LineMark};
use crate::browser;
use crate::components::toolbar::load_files;
use crate::lines;
use crate::playground::{State, EDITOR_PADDING_PX, LINE_HEIGHT_PX};

#[component]
pub fn Editor() -> impl IntoView {
    let state = expect_context::<State>();
    let gutter_inner = NodeRef::<Div>::new();
    let backdrop_inner = NodeRef::<Div>::new();
    let dragging = RwSignal::new(false);

    let line_count = Memo::new(move |_| state.text.with(|text| lines::count(text)));
    let numbers =
        Memo::new(move |previous: Option<&String>| lines::numbers(previous.map(String::as_str), line_count.get()));
    let marks = Memo::new(move |_| {
        let filter = state.filter.get();
        state.checked.with(|checked| {
            checked.as_ref().map(|checked| analysis::line_marks(&checked.report, &filter)).unwrap_or_default()
        })
    });
    let caret_marks = move || {
        let line = state.caret_line.get();
        marks.with(|marks| analysis::messages_at(marks, line).cloned())
    };

    let sync_scroll = move || {
        let Some(textarea) = state.textarea.get_untracked() else { return };
        let transform = format!("translateY({}px)", -textarea.scroll_top());
        for inner in [gutter_inner.get_untracked(), backdrop_inner.get_untracked()].into_iter().flatten() {
            let _ = web_sys::HtmlElement::style(&inner).set_property("transform", &transform);
        }
    };
    let track_caret = move || {
        if let Some(textarea) = state.textarea.get_untracked() {
            let offset = textarea.selection_start().ok().flatten().unwrap_or(0);
            let line = state.text.with_untracked(|text| lines::line_at_utf16(text, offset));
            if line != state.caret_line.get_untracked() {
                state.caret_line.set(line);
            }
        }
    };

    let on_input = move |event: ev::Event| {
        state.text.set(event_target_value(&event));
        state.schedule_check();
        track_caret();
        // No scroll sync here: reading scrollTop right after an edit forces a synchronous
        // layout of the whole textarea (15 ms at 1,000 lines); if typing scrolls it, the
        // scroll event follows anyway.
    };
    let on_drop = move |event: ev::DragEvent| {
        event.prevent_default();
        dragging.set(false);
        if let Some(list) = event.data_transfer().and_then(|transfer| transfer.files()) {
            load_files(state, browser::files_of(&list));
        }
    };
    let on_drag_over = move |event: ev::DragEvent| {
        event.prevent_default();
        if let Some(transfer) = event.data_transfer() {
            transfer.set_drop_effect("copy");
        }
        dragging.set(true);
    };

    let mark_view = move |mark: &LineMark, class: &'static str| {
        let top = f64::from(mark.line.saturating_sub(1)) * LINE_HEIGHT_PX + EDITOR_PADDING_PX;
        view! {
            <div
                class=format!("{class} level-{}", mark.level.class())
                // Through the CSSOM (style.setProperty), not a style attribute, so a strict
                // Content-Security-Policy (no 'unsafe-inline' styles) allows it.
                style:top=format!("{top}px")
                title=mark.messages.join("\n")
            ></div>
        }
    };

    view! {
        <section class="editor-pane" aria-labelledby="editor-heading">
            <div class="pane-head">
                <h2 id="editor-heading">"Manifests"</h2>
                <span class="pane-meta">
                    {move || {
                        let count = line_count.get();
                        if count == 1 { "1 line".to_string() } else { format!("{count} lines") }
                    }}
                    " · paste, type, or drop YAML / JSON files"
                </span>
            </div>
            <div
                class="editor"
                class:dragging=move || dragging.get()
                on:dragover=on_drag_over
                on:dragenter=on_drag_over
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop
            >
                <div class="gutter" aria-hidden="true">
                    <div class="gutter-inner" node_ref=gutter_inner>
                        <pre class="numbers">{move || numbers.get()}</pre>
                        {move || marks.with(|marks| marks.iter().map(|mark| mark_view(mark, "mark")).collect_view())}
                    </div>
                </div>
                <div class="code">
                    <div class="backdrop" aria-hidden="true">
                        <div class="backdrop-inner" node_ref=backdrop_inner>
                            {move || marks.with(|marks| marks.iter().map(|mark| mark_view(mark, "band")).collect_view())}
                        </div>
                    </div>
                    <textarea
                        node_ref=state.textarea
                        data-testid="manifest-input"
                        aria-label="Kubernetes manifests (YAML or JSON)"
                        aria-describedby="caret-line"
                        spellcheck="false"
                        autocomplete="off"
                        autocapitalize="off"
                        wrap="off"
                        on:input=on_input
                        on:scroll=move |_| sync_scroll()
                        on:keyup=move |_| track_caret()
                        on:click=move |_| track_caret()
                        on:select=move |_| track_caret()
                        on:focus=move |_| track_caret()
                    ></textarea>
                    <div class="drop-hint" aria-hidden="true">"Drop files to check them"</div>
                </div>
            </div>
            <p id="caret-line" class="caret-line" aria-live="polite">
                {move || match caret_marks() {
                    Some(mark) => {
                        format!("Line {}: {}", state.caret_line.get(), mark.messages.join(" · "))
                    }
                    None => format!("Line {}: no findings", state.caret_line.get()),
                }}
            </p>
        </section>
    }
}
