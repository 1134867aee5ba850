//! What a newcomer sees once an agent cluster is registered: the one command that starts the
//! agent in the cluster, the freshly issued token already in it (or the same manifest to
//! download), Secrets left out unless asked for, the kustomize way from a checkout of
//! Rampart, and then the wait for the agent's first delivery ([`AgentWait`]).

use leptos::prelude::*;

use crate::api::AgentSetup;
use crate::components::agent_wait::AgentWait;
use crate::components::copy_block::CopyBlock;

/// The commands that apply `deploy/agent` with kustomize, the server and token filled in.
pub fn kustomize_commands(setup: &AgentSetup, secrets: bool) -> String {
    let base = if secrets { "deploy/agent-with-secrets" } else { "deploy/agent" };
    format!(
        "kubectl create namespace rampart-agent\n\
         kubectl -n rampart-agent create configmap rampart-agent --from-literal=server='{}'\n\
         kubectl -n rampart-agent create secret generic rampart-agent --from-literal=token='{}'\n\
         kubectl apply -k {base}",
        setup.server, setup.token
    )
}

#[component]
pub fn AgentSetupPanel(
    setup: AgentSetup,
    name: String,
    // Called when the first scan has arrived (the list reloads).
    #[prop(into)] on_delivered: Callback<()>,
) -> impl IntoView {
    let secrets = RwSignal::new(false);
    let cluster = setup.cluster;
    let setup = StoredValue::new(setup);
    let pick = move |with: fn(&AgentSetup) -> &String| Signal::derive(move || setup.with_value(|s| with(s).clone()));
    let (plain, listed) = (pick(|s| &s.command), pick(|s| &s.command_with_secrets));
    let command = Signal::derive(move || if secrets.get() { listed.get() } else { plain.get() });
    let manifest = Signal::derive(move || {
        setup.with_value(|s| if secrets.get() { s.manifest_with_secrets.clone() } else { s.manifest.clone() })
    });
    let kustomize = Signal::derive(move || setup.with_value(|s| kustomize_commands(s, secrets.get())));
    let token = setup.with_value(|s| s.token.clone());
    view! {
        <section class="agent-setup" aria-labelledby="agent-setup-title" data-testid="agent-setup">
            <h2 id="agent-setup-title">{format!("Start the agent in {name}")}</h2>
            <ol class="steps">
                <li>
                    <p>
                        "Run this where " <code>"kubectl"</code>
                        " reaches the cluster. It creates the rampart-agent namespace (Pod Security restricted), a read-only ServiceAccount and ClusterRole, the agent's Deployment and NetworkPolicy, and a Secret with the cluster's agent token:"
                    </p>
                    <label class="checkbox">
                        <input type="checkbox" bind:checked=secrets/>
                        "Let the agent list Secrets"
                    </label>
                    <small class="field-hint warning">
                        "RBAC cannot grant metadata-only reads: an agent that may list Secrets could read their values (it asks for metadata only and sends nothing else). Without it, the rules about Secrets are skipped and each scan is partial for Secrets, resolving none of their findings."
                    </small>
                    <CopyBlock text=command label="Command to start the agent" testid="agent-command"/>
                    <details>
                        <summary>"The manifest alone, to review or to commit"</summary>
                        <CopyBlock
                            text=manifest
                            label="Agent manifest"
                            testid="agent-manifest"
                            file="rampart-agent.yaml"
                        />
                    </details>
                    <details>
                        <summary>"Or with kustomize, from a checkout of Rampart"</summary>
                        <CopyBlock text=kustomize label="Kustomize commands" testid="agent-kustomize"/>
                    </details>
                </li>
                <li>
                    <p>
                        "The agent's token, shown this once (it is in the command above): "
                        <code class="secret" data-testid="agent-token">{token}</code>
                        ". It can only deliver this cluster's scans; revoke it from the cluster's API if it leaks."
                    </p>
                </li>
                <li>
                    <AgentWait cluster=cluster on_delivered=on_delivered/>
                </li>
            </ol>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kustomize_commands_carry_the_server_and_the_token() {
        let setup = AgentSetup {
            token: "rmpa_abc".into(),
            server: "https://rampart.example.com".into(),
            ..AgentSetup::default()
        };
        let plain = kustomize_commands(&setup, false);
        assert!(plain.contains("--from-literal=token='rmpa_abc'"), "{plain}");
        assert!(plain.contains("--from-literal=server='https://rampart.example.com'"), "{plain}");
        assert!(plain.ends_with("kubectl apply -k deploy/agent"));
        assert!(kustomize_commands(&setup, true).ends_with("kubectl apply -k deploy/agent-with-secrets"));
    }
}
