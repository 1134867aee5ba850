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
use leptos::task::spawn_local;

use crate::api::{self, AgentSetup, ConnectionTest, NewCluster};
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

#[component]
pub fn RegisterCluster(
    // Called when a cluster was registered, and again when an agent's first scan arrived.
    #[prop(into)] on_registered: Callback<()>,
) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let mode = RwSignal::new(Mode::Agent);
    let agent_setup = RwSignal::new(None::<(AgentSetup, String)>);
    let name = RwSignal::new(String::new());
    let team = RwSignal::new(None::<i64>);
    let kubeconfig = RwSignal::new(String::new());
    let context = RwSignal::new(String::new());
    let server = RwSignal::new(String::new());
    let token = RwSignal::new(String::new());
    let ca_pem = RwSignal::new(String::new());
    let tested = RwSignal::new(None::<Result<ConnectionTest, String>>);
    let testing = RwSignal::new(false);
    let saving = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let snapshot_file = NodeRef::<Input>::new();
    let kubeconfig_file = NodeRef::<Input>::new();
    let ca_file = NodeRef::<Input>::new();

    let teams = move || auth.me.get().map(|me| me.editor_teams().into_iter().cloned().collect::<Vec<_>>());

    // What the form says to the server, for a test or to save.
    let body = move |with_name: bool| {
        let text = |signal: RwSignal<String>| Some(signal.get_untracked()).filter(|value| !value.trim().is_empty());
        let mut body = NewCluster {
            name: if with_name { Some(name.get_untracked().trim().to_string()) } else { None },
            // The first team the user may register in, unless another was picked.
            team: if with_name { team.get_untracked().or_else(|| Some(teams()?.first()?.id)) } else { None },
            ..NewCluster::default()
        };
        match mode.get_untracked() {
            Mode::Agent => body.agent = Some(true),
            Mode::Snapshot => body.snapshot = Some(true),
            Mode::Kubeconfig => {
                body.kubeconfig = Some(kubeconfig.get_untracked());
                body.context = text(context);
            }
            Mode::Api => {
                body.server = Some(server.get_untracked().trim().to_string());
                body.token = text(token).map(|token| token.trim().to_string());
                body.ca_pem = text(ca_pem);
            }
        }
        body
    };

    let test = move || {
        testing.set(true);
        tested.set(None);
        spawn_local(async move {
            let result = api::test_connection(&body(false)).await.map_err(|failure| auth.explain(&failure));
            if let Ok(answer) = &result {
                // Keep a chosen context; else pick the first the kubeconfig names.
                let chosen = context.get_untracked();
                if !answer.contexts.is_empty() && !answer.contexts.contains(&chosen) && !chosen.is_empty() {
                    context.set(String::new());
                }
            }
            tested.set(Some(result));
            testing.set(false);
        });
    };

    let save = move |skip_test: bool| {
        error.set(None);
        if name.get_untracked().trim().is_empty() {
            error.set(Some("Give the cluster a name.".to_string()));
            return;
        }
        saving.set(true);
        spawn_local(async move {
            if mode.get_untracked() == Mode::Agent {
                let result = api::register_agent_cluster(&body(true)).await;
                saving.set(false);
                match result {
                    Ok(created) => {
                        agent_setup.set(Some((created.agent_setup, created.name)));
                        on_registered.run(());
                    }
                    Err(failure) => error.set(Some(auth.explain(&failure))),
                }
                return;
            }
            let connected = !mode.get_untracked().connects() || skip_test;
            if !connected {
                let answer = api::test_connection(&body(false)).await;
                let ok = matches!(&answer, Ok(test) if test.ok);
                tested.set(Some(answer.map_err(|failure| auth.explain(&failure))));
                if !ok {
                    saving.set(false);
                    return;
                }
            }
            match api::register_cluster(&body(true)).await {
                Ok(created) => {
                    let file = snapshot_file
                        .get_untracked()
                        .and_then(|input| input.files())
                        .and_then(|files| files.get(0))
                        .filter(|_| mode.get_untracked() == Mode::Snapshot);
                    let mut target = format!("/clusters/{}", created.id);
                    if let Some(file) = file {
                        if let Err(failure) = api::upload_snapshot(created.id, file).await {
                            target.push_str(&api::query(&[(
                                "notice",
                                &format!("The cluster is registered, but the upload failed: {failure}"),
                            )]));
                        }
                    }
                    saving.set(false);
                    routes::navigate(&target);
                }
                Err(failure) => {
                    saving.set(false);
                    error.set(Some(auth.explain(&failure)));
                }
            }
        });
    };

    let load_text_file = move |input: NodeRef<Input>, into: RwSignal<String>, then_test: bool| {
        let Some(element) = input.get_untracked() else { return };
        let files = element.files().map(|list| browser::files_of(&list)).unwrap_or_default();
        element.set_value("");
        spawn_local(async move {
            let (read, failed) = browser::read_files(files).await;
            if let Some((_, text)) = read.into_iter().next() {
                into.set(text);
                if then_test {
                    test();
                }
            } else if !failed.is_empty() {
                error.set(Some(format!("Could not read {}.", failed.join(", "))));
            }
        });
    };

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        save(false);
    };

    let mode_picker = Mode::ALL
        .into_iter()
        .map(|choice| {
            view! {
                <label class="radio">
                    <input
                        type="radio"
                        name="register-mode"
                        value=choice.key()
                        prop:checked=move || mode.get() == choice
                        on:change=move |_| {
                            mode.set(choice);
                            tested.set(None);
                            error.set(None);
                        }
                    />
                    {choice.label()}
                </label>
            }
        })
        .collect_view();

    let team_picker = move || {
        let teams = teams().unwrap_or_default();
        (teams.len() > 1).then(|| {
            let first = teams[0].id;
            let options = teams
                .into_iter()
                .map(|membership| {
                    let id = membership.id;
                    view! {
                        <option value=id selected=move || team.get().unwrap_or(first) == id>{membership.name}</option>
                    }
                })
                .collect_view();
            view! {
                <label class="field stacked">
                    <span>"Team"</span>
                    <select on:change=move |event| team.set(event_target_value(&event).parse().ok())>{options}</select>
                </label>
            }
        })
    };

    let snapshot_fields = move || {
        view! {
            <label class="field stacked">
                <span>"Export to scan (optional; you can upload one later)"</span>
                <input
                    type="file"
                    accept=".yaml,.yml,.json,application/json,text/yaml"
                    node_ref=snapshot_file
                    aria-describedby="export-hint"
                />
            </label>
            <small id="export-hint" class="field-hint">"Made with: " <code class="command">{EXPORT_COMMAND}</code></small>
        }
    };

    let kubeconfig_fields = move || {
        let contexts = move || tested.get().and_then(Result::ok).map(|test| test.contexts).unwrap_or_default();
        view! {
            <label class="field stacked">
                <span>"Kubeconfig"</span>
                <textarea
                    rows="8"
                    spellcheck="false"
                    class="mono"
                    placeholder="apiVersion: v1\nkind: Config\nclusters: …"
                    prop:value=kubeconfig
                    on:input=move |event| {
                        kubeconfig.set(event_target_value(&event));
                        tested.set(None);
                    }
                ></textarea>
            </label>
            <div class="field-row">
                <label class="field">
                    <span>"Or load a file:"</span>
                    <input
                        type="file"
                        node_ref=kubeconfig_file
                        on:change=move |_| load_text_file(kubeconfig_file, kubeconfig, true)
                    />
                </label>
            </div>
            <label class="field stacked">
                <span>"Context"</span>
                {move || {
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
                                tested.update(|tested| {
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
                }}
            </label>
            <small id="context-hint" class="field-hint">
                "Test the connection to list the kubeconfig's contexts; none chosen means its current context."
            </small>
        }
    };

    let agent_fields = move || {
        view! {
            <p class="field-hint">
                "An agent inside the cluster lists it with a read-only ServiceAccount and sends what it lists to this server. It only calls out, so it works for managed and private clusters whose API server this server cannot reach, and no cluster credential is stored here. Register to get the one command that starts it."
            </p>
        }
    };

    let api_fields = move || {
        view! {
            <ReaderSetup/>
            <label class="field stacked">
                <span>"API server URL"</span>
                <input
                    type="url"
                    placeholder="https://10.0.0.1:6443"
                    bind:value=server
                />
            </label>
            <label class="field stacked">
                <span>"Bearer token (a service account's, with read access)"</span>
                <input
                    type="password"
                    autocomplete="off"
                    bind:value=token
                />
            </label>
            <label class="field stacked">
                <span>"CA certificate, PEM (for a private CA)"</span>
                <textarea
                    rows="4"
                    class="mono"
                    spellcheck="false"
                    placeholder="-----BEGIN CERTIFICATE-----"
                    bind:value=ca_pem
                ></textarea>
            </label>
            <div class="field-row">
                <label class="field">
                    <span>"Or load the CA from a file:"</span>
                    <input type="file" node_ref=ca_file on:change=move |_| load_text_file(ca_file, ca_pem, false)/>
                </label>
            </div>
        }
    };

    let test_result = move || {
        tested.get().map(|result| match result {
            Ok(test) if test.ok => {
                view! { <p class="test-ok" role="status">"Connected: " {test.message}</p> }.into_any()
            }
            Ok(test) => view! {
                <div class="form-error" role="alert">
                    <p>"The connection failed: " {test.message}</p>
                    <button type="button" class="button" on:click=move |_| save(true)>
                        "Register anyway"
                    </button>
                </div>
            }
            .into_any(),
            Err(message) => view! { <p class="form-error" role="alert">{message}</p> }.into_any(),
        })
    };

    view! {
        {move || {
            teams()
                .filter(Vec::is_empty)
                .map(|_| {
                    view! {
                        <p class="hint">
                            "Registering a cluster needs the editor role in a team; ask a team admin for it."
                        </p>
                    }
                })
        }}
        {move || {
            agent_setup
                .get()
                .map(|(setup, registered)| {
                    let another = move |_| {
                        agent_setup.set(None);
                        name.set(String::new());
                    };
                    view! {
                        <AgentSetupPanel setup=setup name=registered on_delivered=on_registered/>
                        <button type="button" class="button" on:click=another>"Register another cluster"</button>
                    }
                })
        }}
        <form
            class="register"
            on:submit=on_submit
            aria-labelledby="register-title"
            hidden=move || agent_setup.with(Option::is_some)
        >
            <h2 id="register-title">"Register a cluster"</h2>
            <fieldset class="modes">
                <legend>"How Rampart reads it"</legend>
                {mode_picker}
            </fieldset>
            <label class="field stacked">
                <span>"Name"</span>
                <input
                    type="text"
                    required=true
                    maxlength="200"
                    placeholder="prod-eu"
                    bind:value=name
                />
            </label>
            {team_picker}
            {move || match mode.get() {
                Mode::Agent => agent_fields().into_any(),
                Mode::Snapshot => snapshot_fields().into_any(),
                Mode::Kubeconfig => kubeconfig_fields().into_any(),
                Mode::Api => api_fields().into_any(),
            }}
            {test_result}
            <p class="form-error" role="alert">{move || error.get()}</p>
            <div class="form-actions">
                {move || {
                    mode.get()
                        .connects()
                        .then(|| {
                            view! {
                                <button type="button" class="button" disabled=testing on:click=move |_| test()>
                                    {move || if testing.get() { "Testing…" } else { "Test connection" }}
                                </button>
                            }
                        })
                }}
                <button type="submit" class="primary" disabled=saving>
                    {move || if saving.get() { "Registering…" } else { "Register" }}
                </button>
            </div>
        </form>
    }
}
