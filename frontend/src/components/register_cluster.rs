//! The form that registers a cluster, in one of four ways: an agent inside the cluster (the
//! first choice: any cluster, private API servers included; once registered the form gives
//! way to the command that starts the agent, [`AgentSetupPanel`]), a snapshot cluster (a
//! name, then an uploaded `kubectl get … -o yaml` export), a kubeconfig (pasted or loaded
//! from a file, with a context picker), or an API server URL with a bearer token and CA
//! (with the read-only ServiceAccount to create for it, [`ReaderSetup`]).
//!
//! A cluster reached through its API is tested before it is saved (`POST /clusters/test`:
//! the server tries the connection and lists the kubeconfig's contexts), and the form
//! shows what failed. Saving anyway stays possible, for a cluster this server cannot
//! reach yet.

use leptos::ev::SubmitEvent;
use leptos::html::Input;
use leptos::prelude::*;

use crate::api::{self, AgentSetup, ClusterInput, ConnectionTest, Membership};
use crate::browser;
use crate::components::agent_setup::AgentSetupPanel;
use crate::components::reader_setup::ReaderSetup;
use crate::routes;
use crate::session::Auth;

/// How the cluster is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Agent,
    Snapshot,
    Kubeconfig,
    Api,
}

impl Mode {
    const ALL: [Mode; 4] = [Mode::Agent, Mode::Snapshot, Mode::Kubeconfig, Mode::Api];

    fn label(self) -> &'static str {
        match self {
            Mode::Agent => "Agent in the cluster (recommended)",
            Mode::Snapshot => "Snapshot uploads",
            Mode::Kubeconfig => "Kubeconfig",
            Mode::Api => "API URL and token",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Mode::Agent => "agent",
            Mode::Snapshot => "snapshot",
            Mode::Kubeconfig => "kubeconfig",
            Mode::Api => "api",
        }
    }

    /// Whether the server tests a connection to the cluster before it is saved.
    fn connects(self) -> bool {
        matches!(self, Mode::Kubeconfig | Mode::Api)
    }
}

/// The export command the hints show.
pub const EXPORT_COMMAND: &str = "kubectl get deployments,daemonsets,statefulsets,cronjobs,pods,roles,rolebindings,\
clusterroles,clusterrolebindings,namespaces,networkpolicies,serviceaccounts,services,ingresses,\
poddisruptionbudgets -A -o yaml > export.yaml";

/// The form's fields and what the server last said of them, shared by its parts.
#[derive(Clone, Copy)]
struct Form {
    auth: Auth,
    mode: RwSignal<Mode>,
    name: RwSignal<String>,
    team: RwSignal<Option<i64>>,
    kubeconfig: RwSignal<String>,
    context: RwSignal<String>,
    server: RwSignal<String>,
    token: RwSignal<String>,
    ca_pem: RwSignal<String>,
    /// The last connection test's answer.
    tested: RwSignal<Option<Result<ConnectionTest, String>>>,
    error: RwSignal<Option<String>>,
    snapshot_file: NodeRef<Input>,
}

impl Form {
    fn new(auth: Auth) -> Form {
        Form {
            auth,
            mode: RwSignal::new(Mode::Agent),
            name: RwSignal::new(String::new()),
            team: RwSignal::new(None),
            kubeconfig: RwSignal::new(String::new()),
            context: RwSignal::new(String::new()),
            server: RwSignal::new(String::new()),
            token: RwSignal::new(String::new()),
            ca_pem: RwSignal::new(String::new()),
            tested: RwSignal::new(None),
            error: RwSignal::new(None),
            snapshot_file: NodeRef::new(),
        }
    }

    /// The teams the user may register a cluster in, once `/me` answered.
    fn teams(self) -> Option<Vec<Membership>> {
        self.auth.me.get().map(|me| me.editor_teams().into_iter().cloned().collect())
    }

    /// What the form says to the server, for a test or to save.
    fn body(self, with_name: bool) -> ClusterInput {
        let text = |signal: RwSignal<String>| Some(signal.get_untracked()).filter(|value| !value.trim().is_empty());
        let mut body = ClusterInput {
            name: if with_name { Some(self.name.get_untracked().trim().to_string()) } else { None },
            // The first team the user may register in, unless another was picked.
            team: if with_name { self.team.get_untracked().or_else(|| Some(self.teams()?.first()?.id)) } else { None }
                .map(serde_json::Value::from),
            ..ClusterInput::default()
        };
        match self.mode.get_untracked() {
            Mode::Agent => body.agent = Some(true),
            Mode::Snapshot => body.snapshot = Some(true),
            Mode::Kubeconfig => {
                body.kubeconfig = Some(self.kubeconfig.get_untracked());
                body.context = text(self.context);
            }
            Mode::Api => {
                body.server = Some(self.server.get_untracked().trim().to_string());
                body.token = text(self.token).map(|token| token.trim().to_string());
                body.ca_pem = text(self.ca_pem);
            }
        }
        body
    }

    /// Tests the connection and shows the answer.
    async fn test_connection(self) {
        let result = api::test_connection(&self.body(false)).await.map_err(|failure| self.auth.explain(&failure));
        if let Ok(answer) = &result {
            // Keep a chosen context; else pick the first the kubeconfig names.
            let chosen = self.context.get_untracked();
            if !answer.contexts.is_empty() && !answer.contexts.contains(&chosen) && !chosen.is_empty() {
                self.context.set(String::new());
            }
        }
        self.tested.set(Some(result));
    }

    /// Registers the cluster: an agent cluster shows how to start its agent; any other
    /// is tested first (unless `skip_test`), saved, given the chosen export, and opened.
    async fn register(
        self,
        skip_test: bool,
        agent_setup: RwSignal<Option<(AgentSetup, String)>>,
        on_registered: Callback<()>,
    ) {
        if self.mode.get_untracked() == Mode::Agent {
            match api::register_agent_cluster(&self.body(true)).await {
                Ok(created) => {
                    agent_setup.set(Some(created));
                    on_registered.run(());
                }
                Err(failure) => self.error.set(Some(self.auth.explain(&failure))),
            }
            return;
        }
        let connected = !self.mode.get_untracked().connects() || skip_test;
        if !connected {
            let answer = api::test_connection(&self.body(false)).await;
            let ok = matches!(&answer, Ok(test) if test.ok);
            self.tested.set(Some(answer.map_err(|failure| self.auth.explain(&failure))));
            if !ok {
                return;
            }
        }
        match api::register_cluster(&self.body(true)).await {
            Ok(created) => {
                let file = self
                    .snapshot_file
                    .get_untracked()
                    .and_then(|input| input.files())
                    .and_then(|files| files.get(0))
                    .filter(|_| self.mode.get_untracked() == Mode::Snapshot);
                let mut target = format!("/clusters/{}", created.id);
                if let Some(file) = file {
                    if let Err(failure) = api::upload_snapshot(created.id, file).await {
                        target.push_str(&api::query(&[(
                            "notice",
                            &format!("The cluster is registered, but the upload failed: {failure}"),
                        )]));
                    }
                }
                routes::navigate(&target);
            }
            Err(failure) => self.error.set(Some(self.auth.explain(&failure))),
        }
    }

    /// Reads the file chosen in a file input into `into`, then tests the connection when
    /// given the test to run. The input is emptied at once, so that choosing the same file
    /// again reads it again.
    fn text_file_reader(
        self,
        into: RwSignal<String>,
        then_test: Option<Action<(), ()>>,
    ) -> Action<Vec<web_sys::File>, ()> {
        Action::new_local(move |files: &Vec<web_sys::File>| {
            let files = files.clone();
            async move {
                let (read, failed) = browser::read_files(files).await;
                if let Some((_, text)) = read.into_iter().next() {
                    into.set(text);
                    if let Some(test) = then_test {
                        test.dispatch_local(());
                    }
                } else if !failed.is_empty() {
                    self.error.set(Some(format!("Could not read {}.", failed.join(", "))));
                }
            }
        })
    }
}

/// The files chosen in a file input, taken out of it (the input is emptied).
fn take_files(input: NodeRef<Input>) -> Vec<web_sys::File> {
    let Some(element) = input.get_untracked() else { return Vec::new() };
    let files = element.files().map(|list| browser::files_of(&list)).unwrap_or_default();
    element.set_value("");
    files
}

#[component]
pub fn RegisterCluster(
    // Called when a cluster was registered, and again when an agent's first scan arrived.
    #[prop(into)] on_registered: Callback<()>,
) -> impl IntoView {
    let form = Form::new(expect_context::<Auth>());
    let agent_setup = RwSignal::new(None::<(AgentSetup, String)>);
    let test = Action::new_local(move |_: &()| {
        form.tested.set(None);
        form.test_connection()
    });
    let register = Action::new_local(move |skip_test: &bool| form.register(*skip_test, agent_setup, on_registered));
    let testing = test.pending();
    let saving = register.pending();
    let save = Callback::new(move |skip_test: bool| {
        form.error.set(None);
        if form.name.get_untracked().trim().is_empty() {
            form.error.set(Some("Give the cluster a name.".to_string()));
            return;
        }
        register.dispatch_local(skip_test);
    });
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        save.run(false);
    };

    view! {
        {move || {
            form.teams()
                .filter(Vec::is_empty)
                .map(|_| {
                    view! {
                        <p class="hint">
                            "Registering a cluster needs the editor role in a team; ask a team admin for it."
                        </p>
                    }
                })
        }}
        <RegisteredAgent agent_setup=agent_setup name=form.name on_registered=on_registered/>
        <form
            class="register"
            on:submit=on_submit
            aria-labelledby="register-title"
            hidden=move || agent_setup.with(Option::is_some)
        >
            <h2 id="register-title">"Register a cluster"</h2>
            <fieldset class="modes">
                <legend>"How Rampart reads it"</legend>
                <ModePicker form=form/>
            </fieldset>
            <label class="field stacked">
                <span>"Name"</span>
                <input
                    type="text"
                    required=true
                    maxlength="200"
                    placeholder="prod-eu"
                    bind:value=form.name
                />
            </label>
            <TeamPicker form=form/>
            {move || match form.mode.get() {
                Mode::Agent => view! { <AgentFields/> }.into_any(),
                Mode::Snapshot => view! { <SnapshotFields form=form/> }.into_any(),
                Mode::Kubeconfig => view! { <KubeconfigFields form=form test=test/> }.into_any(),
                Mode::Api => view! { <ApiFields form=form/> }.into_any(),
            }}
            <TestResult form=form save=save/>
            <p class="form-error" role="alert">{move || form.error.get()}</p>
            <div class="form-actions">
                {move || {
                    form.mode
                        .get()
                        .connects()
                        .then(|| {
                            view! {
                                <button
                                    type="button"
                                    class="button"
                                    disabled=move || testing.get()
                                    on:click=move |_| {
                                        test.dispatch_local(());
                                    }
                                >
                                    {move || if testing.get() { "Testing…" } else { "Test connection" }}
                                </button>
                            }
                        })
                }}
                <button type="submit" class="primary" disabled=move || saving.get()>
                    {move || if saving.get() { "Registering…" } else { "Register" }}
                </button>
            </div>
        </form>
    }
}

/// Once an agent cluster is registered: the command that starts its agent, and a way
/// back to the form.
#[component]
fn RegisteredAgent(
    agent_setup: RwSignal<Option<(AgentSetup, String)>>,
    name: RwSignal<String>,
    on_registered: Callback<()>,
) -> impl IntoView {
    move || {
        agent_setup.get().map(|(setup, registered)| {
            let another = move |_| {
                agent_setup.set(None);
                name.set(String::new());
            };
            view! {
                <AgentSetupPanel setup=setup name=registered on_delivered=on_registered/>
                <button type="button" class="button" on:click=another>"Register another cluster"</button>
            }
        })
    }
}

/// The radio buttons choosing how the cluster is reached.
#[component]
fn ModePicker(form: Form) -> impl IntoView {
    Mode::ALL
        .into_iter()
        .map(|choice| {
            view! {
                <label class="radio">
                    <input
                        type="radio"
                        name="register-mode"
                        value=choice.key()
                        prop:checked=move || form.mode.get() == choice
                        on:change=move |_| {
                            form.mode.set(choice);
                            form.tested.set(None);
                            form.error.set(None);
                        }
                    />
                    {choice.label()}
                </label>
            }
        })
        .collect_view()
}

/// The team to register in, when the user may register in more than one.
#[component]
fn TeamPicker(form: Form) -> impl IntoView {
    move || {
        let teams = form.teams().unwrap_or_default();
        (teams.len() > 1).then(|| {
            let first = teams[0].id;
            let options = teams
                .into_iter()
                .map(|membership| {
                    let id = membership.id;
                    view! {
                        <option value=id selected=move || form.team.get().unwrap_or(first) == id>{membership.name}</option>
                    }
                })
                .collect_view();
            view! {
                <label class="field stacked">
                    <span>"Team"</span>
                    <select on:change=move |event| form.team.set(event_target_value(&event).parse().ok())>{options}</select>
                </label>
            }
        })
    }
}

#[component]
fn AgentFields() -> impl IntoView {
    view! {
        <p class="field-hint">
            "An agent inside the cluster lists it with a read-only ServiceAccount and sends what it lists to this server. It only calls out, so it works for managed and private clusters whose API server this server cannot reach, and no cluster credential is stored here. Register to get the one command that starts it."
        </p>
    }
}

#[component]
fn SnapshotFields(form: Form) -> impl IntoView {
    view! {
        <label class="field stacked">
            <span>"Export to scan (optional; you can upload one later)"</span>
            <input
                type="file"
                accept=".yaml,.yml,.json,application/json,text/yaml"
                node_ref=form.snapshot_file
                aria-describedby="export-hint"
            />
        </label>
        <small id="export-hint" class="field-hint">"Made with: " <code class="command">{EXPORT_COMMAND}</code></small>
    }
}

#[component]
fn KubeconfigFields(form: Form, test: Action<(), ()>) -> impl IntoView {
    let kubeconfig_file = NodeRef::<Input>::new();
    let read_file = form.text_file_reader(form.kubeconfig, Some(test));
    view! {
        <label class="field stacked">
            <span>"Kubeconfig"</span>
            <textarea
                rows="8"
                spellcheck="false"
                class="mono"
                placeholder="apiVersion: v1\nkind: Config\nclusters: …"
                prop:value=form.kubeconfig
                on:input=move |event| {
                    form.kubeconfig.set(event_target_value(&event));
                    form.tested.set(None);
                }
            ></textarea>
        </label>
        <div class="field-row">
            <label class="field">
                <span>"Or load a file:"</span>
                <input
                    type="file"
                    node_ref=kubeconfig_file
                    on:change=move |_| {
                        read_file.dispatch_local(take_files(kubeconfig_file));
                    }
                />
            </label>
        </div>
        <label class="field stacked">
            <span>"Context"</span>
            <ContextPicker form=form/>
        </label>
        <small id="context-hint" class="field-hint">
            "Test the connection to list the kubeconfig's contexts; none chosen means its current context."
        </small>
    }
}

/// The kubeconfig's context: typed, or picked from those the connection test listed.
#[component]
fn ContextPicker(form: Form) -> impl IntoView {
    let context = form.context;
    let contexts = move || form.tested.get().and_then(Result::ok).map(|test| test.contexts).unwrap_or_default();
    move || {
        let contexts = contexts();
        if contexts.is_empty() {
            view! {
                <input
                    type="text"
                    placeholder="the kubeconfig's current context"
                    aria-describedby="context-hint"
                    bind:value=context
                />
            }
            .into_any()
        } else {
            let options = contexts
                .into_iter()
                .map(|name| {
                    let selected = {
                        let name = name.clone();
                        move || context.get() == name
                    };
                    view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
                })
                .collect_view();
            view! {
                <select on:change=move |event| {
                    context.set(event_target_value(&event));
                    form.tested.update(|tested| {
                        if let Some(Ok(test)) = tested {
                            test.ok = false;
                            test.message = "Test the connection again with this context.".to_string();
                        }
                    });
                }>
                    <option value="" selected=move || context.get().is_empty()>
                        "(the current context)"
                    </option>
                    {options}
                </select>
            }
            .into_any()
        }
    }
}

#[component]
fn ApiFields(form: Form) -> impl IntoView {
    let ca_file = NodeRef::<Input>::new();
    let read_file = form.text_file_reader(form.ca_pem, None);
    view! {
        <ReaderSetup/>
        <label class="field stacked">
            <span>"API server URL"</span>
            <input
                type="url"
                placeholder="https://10.0.0.1:6443"
                bind:value=form.server
            />
        </label>
        <label class="field stacked">
            <span>"Bearer token (a service account's, with read access)"</span>
            <input
                type="password"
                autocomplete="off"
                bind:value=form.token
            />
        </label>
        <label class="field stacked">
            <span>"CA certificate, PEM (for a private CA)"</span>
            <textarea
                rows="4"
                class="mono"
                spellcheck="false"
                placeholder="-----BEGIN CERTIFICATE-----"
                bind:value=form.ca_pem
            ></textarea>
        </label>
        <div class="field-row">
            <label class="field">
                <span>"Or load the CA from a file:"</span>
                <input
                    type="file"
                    node_ref=ca_file
                    on:change=move |_| {
                        read_file.dispatch_local(take_files(ca_file));
                    }
                />
            </label>
        </div>
    }
}

/// What the last connection test said; a failed one offers to register anyway.
#[component]
fn TestResult(form: Form, save: Callback<bool>) -> impl IntoView {
    move || {
        form.tested.get().map(|result| match result {
            Ok(test) if test.ok => {
                view! { <p class="test-ok" role="status">"Connected: " {test.message}</p> }.into_any()
            }
            Ok(test) => view! {
                <div class="form-error" role="alert">
                    <p>"The connection failed: " {test.message}</p>
                    <button type="button" class="button" on:click=move |_| save.run(true)>
                        "Register anyway"
                    </button>
                </div>
            }
            .into_any(),
            Err(message) => view! { <p class="form-error" role="alert">{message}</p> }.into_any(),
        })
    }
}
