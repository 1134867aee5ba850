//! The playground's shared state ([`State`], provided as context by the page
//! [`crate::pages::playground`] and read by its components) and its check loop.
//!
//! Checking is debounced adaptively: while a check and its rendering stay quick, the check
//! runs in a microtask right after the input event (input events of one task are
//! coalesced), so the results are in the DOM before the browser paints the edit; once they
//! cost more than [`QUICK_CHECK_MS`], checks wait until typing pauses.
//!
//! Not a zero-delay timer: the browser may paint between the input event and a timer, and
//! painting a 1,000-line textarea whose lines moved costs more than the check itself.

use std::sync::Arc;
use std::time::Duration;

use leptos::html::Textarea;
use leptos::prelude::*;
use rampart_core::policy::PolicyOptions;
use rampart_core::{check, Source};

use crate::analysis::{self, Checked, Filter};
use crate::browser;
use crate::examples;
use crate::lines;
use crate::policies::{self, PolicyDraft};
use crate::policy_module;
use crate::settings::{Settings, STORAGE_KEY};
use crate::share;

/// Height of one editor line in CSS pixels; `style.css` sets the same (`--line`).
pub const LINE_HEIGHT_PX: f64 = 20.0;
/// Padding above the first editor line in CSS pixels (`--pad` in `style.css`).
pub const EDITOR_PADDING_PX: f64 = 8.0;
/// A check (with its rendering) slower than this waits for a pause in typing: up to here,
/// checking on every keystroke keeps up with a fast typist.
const QUICK_CHECK_MS: f64 = 50.0;
/// How long a pause in typing is, for slow checks.
const PAUSE: Duration = Duration::from_millis(150);

/// The playground's shared state.
#[derive(Clone, Copy)]
pub struct State {
    /// The editor's text as of the last input event (the textarea itself is not driven by
    /// this signal, so typing never fights a re-render for the caret).
    pub text: RwSignal<String>,
    pub settings: RwSignal<Settings>,
    /// The Policies panel: custom policies applied besides the rules.
    pub policies: RwSignal<PolicyDraft>,
    /// The policy editor (uncontrolled, like the manifest editor).
    pub policy_textarea: NodeRef<Textarea>,
    /// Whether the panel holds policies while the policy module is still being fetched.
    pub policies_loading: RwSignal<bool>,
    /// The last check; `None` before the first.
    pub checked: RwSignal<Option<Arc<Checked>>>,
    /// Counts checks, so tests and benchmarks can wait for fresh results.
    pub generation: RwSignal<u64>,
    pub filter: RwSignal<Filter>,
    /// The editor's caret line (1-based).
    pub caret_line: RwSignal<u32>,
    /// The rule whose documentation is open.
    pub docs_rule: RwSignal<Option<&'static str>>,
    pub settings_open: RwSignal<bool>,
    /// Whether the fixed-manifest view is open (fixes are computed only while it is).
    pub fixed_open: RwSignal<bool>,
    /// A short status message for the person (announced politely to screen readers).
    pub notice: RwSignal<String>,
    /// The last share link made.
    pub share_link: RwSignal<Option<String>>,
    pub textarea: NodeRef<Textarea>,
    /// Cost of the last check plus its rendering, in milliseconds.
    last_cost_ms: StoredValue<f64>,
    /// A check waiting for a pause in typing.
    pending: StoredValue<Option<TimeoutHandle>>,
    /// A check queued as a microtask, not yet run.
    queued: StoredValue<bool>,
}

impl State {
    /// The state of a new page: settings and the policies draft read from local storage.
    pub fn load() -> State {
        let settings = browser::storage_get(STORAGE_KEY).map(|json| Settings::from_json(&json)).unwrap_or_default();
        let draft =
            browser::storage_get(policies::STORAGE_KEY).map(|json| PolicyDraft::from_json(&json)).unwrap_or_default();
        State {
            text: RwSignal::new(String::new()),
            settings: RwSignal::new(settings),
            policies: RwSignal::new(draft),
            policy_textarea: NodeRef::new(),
            policies_loading: RwSignal::new(false),
            checked: RwSignal::new(None),
            generation: RwSignal::new(0),
            filter: RwSignal::new(Filter::default()),
            caret_line: RwSignal::new(1),
            docs_rule: RwSignal::new(None),
            settings_open: RwSignal::new(false),
            fixed_open: RwSignal::new(false),
            notice: RwSignal::new(String::new()),
            share_link: RwSignal::new(None),
            textarea: NodeRef::new(),
            last_cost_ms: StoredValue::new(0.0),
            pending: StoredValue::new(None),
            queued: StoredValue::new(false),
        }
    }

    /// Checks the current text now.
    pub fn check_now(&self) {
        if let Some(handle) = self.pending.get_value() {
            handle.clear();
            self.pending.set_value(None);
        }
        self.queued.set_value(false);
        let started = browser::now_ms();
        let settings = self.settings.get_untracked();
        let sources = vec![Source::new(analysis::SOURCE_NAME, self.text.get_untracked())];
        let mut options = settings.options();
        let policies = self.policies.with_untracked(PolicyDraft::options);
        if !policies.is_empty() {
            // The policy engine is a module of its own, fetched when a policy first appears;
            // until it is there, the rules' results come alone and the panel says it loads.
            let evaluated = policy_module::evaluate(&sources, &policies);
            self.policies_loading.set(evaluated.is_none());
            match evaluated {
                Some(evaluated) => options.policies = PolicyOptions { evaluated: Some(evaluated), ..policies },
                None => {
                    let state = *self;
                    policy_module::load(move || state.check_now());
                }
            }
        } else if self.policies_loading.get_untracked() {
            self.policies_loading.set(false);
        }
        let report = check(&sources, &options);
        let check_ms = browser::now_ms() - started;
        self.checked.set(Some(Arc::new(Checked { sources, report, check_ms })));
        self.generation.update(|generation| *generation += 1);
        // The reactive system renders in microtasks queued by the signals just set; a
        // microtask queued now runs after them, so it sees the cost of check and render.
        let last_cost_ms = self.last_cost_ms;
        queue_microtask(move || last_cost_ms.set_value(browser::now_ms() - started));
    }

    /// Checks after an edit: once the input event is handled while checks are quick (before
    /// the edit is painted), after a pause in typing once they are not.
    pub fn schedule_check(&self) {
        if let Some(handle) = self.pending.get_value() {
            handle.clear();
            self.pending.set_value(None);
        }
        let state = *self;
        if self.last_cost_ms.get_value() <= QUICK_CHECK_MS {
            if !self.queued.get_value() {
                self.queued.set_value(true);
                // A check run in between (an example picked) leaves nothing to do.
                queue_microtask(move || {
                    if state.queued.get_value() {
                        state.check_now();
                    }
                });
            }
        } else {
            self.queued.set_value(false);
            let handle = set_timeout_with_handle(move || state.check_now(), PAUSE).ok();
            self.pending.set_value(handle);
        }
    }

    /// Replaces the editor's text (an example, dropped files, a share link) and checks it.
    pub fn replace_text(&self, text: String) {
        if let Some(textarea) = self.textarea.get_untracked() {
            textarea.set_value(&text);
            textarea.set_scroll_top(0);
        }
        self.text.set(text);
        self.caret_line.set(1);
        self.check_now();
    }

    /// Moves the editor to a line: focuses it, selects the line and scrolls it into view.
    pub fn go_to_line(&self, line: u32) {
        let Some(textarea) = self.textarea.get_untracked() else { return };
        let text = textarea.value();
        let (start, end) = lines::utf16_range(&text, line);
        let _ = textarea.focus();
        let _ = textarea.set_selection_range(start, end);
        let top = f64::from(line.saturating_sub(1)) * LINE_HEIGHT_PX + EDITOR_PADDING_PX;
        let visible = f64::from(textarea.client_height());
        textarea.set_scroll_top((top - visible / 3.0).max(0.0) as i32);
        self.caret_line.set(line);
    }

    pub fn update_settings(&self, change: impl FnOnce(&mut Settings)) {
        self.settings.update(change);
        browser::storage_set(STORAGE_KEY, &self.settings.get_untracked().to_json());
        self.check_now();
    }

    /// Changes the Policies panel's draft, keeps it in local storage and checks again (after
    /// typing, as the manifest editor does).
    pub fn update_policies(&self, change: impl FnOnce(&mut PolicyDraft)) {
        self.policies.update(change);
        browser::storage_set(policies::STORAGE_KEY, &self.policies.get_untracked().to_json());
        self.schedule_check();
    }

    /// Replaces the policy editor's text (an example, a share link) and checks.
    pub fn replace_policies(&self, text: String) {
        if let Some(textarea) = self.policy_textarea.get_untracked() {
            textarea.set_value(&text);
        }
        self.policies.update(|draft| draft.text = text);
        browser::storage_set(policies::STORAGE_KEY, &self.policies.get_untracked().to_json());
        self.check_now();
    }

    pub fn say(&self, message: impl Into<String>) {
        self.notice.set(message.into());
    }
}

/// The text the page opens with: a share link's, else the insecure example. A share link
/// that carries policies replaces the Policies panel's draft.
pub fn initial_text(state: &State) -> String {
    match share::policies_from_fragment(&browser::hash()) {
        Some(Ok(text)) => state.policies.update(|draft| draft.text = text),
        Some(Err(error)) => state.say(format!("Could not open the policies of the share link: {error}.")),
        None => {}
    }
    match share::from_fragment(&browser::hash()) {
        Some(Ok(text)) => {
            state.say("Opened the manifests of a share link.");
            text
        }
        Some(Err(error)) => {
            state.say(format!("Could not open the share link: {error}."));
            String::new()
        }
        None => examples::EXAMPLES[0].text.to_string(),
    }
}
