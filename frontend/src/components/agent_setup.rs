//! What a newcomer sees once an agent cluster is registered: the one command that starts the
//! agent in the cluster, the freshly issued token already in it (or the same manifest to
//! download), Secrets left out unless asked for, the kustomize way from a checkout of
//! Rampart, and then the wait for the agent's first delivery ([`AgentWait`]).

use leptos::prelude::*;

use crate::api::AgentSetup;
use crate::components::agent_wait::AgentWait;
use crate::components::copy_block;

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

/// The guide's markup: the command, the Secrets choice, the manifest, the kustomize way,
/// and the token, escaped (see [`copy_block`]).
pub fn guide_html(setup: &AgentSetup, name: &str) -> String {
    let variant = |secrets: bool| {
        let (command, manifest, suffix) = if secrets {
            (&setup.command_with_secrets, &setup.manifest_with_secrets, "-secrets")
        } else {
            (&setup.command, &setup.manifest, "")
        };
        format!(
            "{}<details><summary>The manifest alone, to review or to commit</summary>{}</details>\
             <details><summary>Or with kustomize, from a checkout of Rampart</summary>{}</details>",
            copy_block::block(&format!("agent-command{suffix}"), "Command to start the agent", command, None),
            copy_block::block(
                &format!("agent-manifest{suffix}"),
                "Agent manifest",
                manifest,
                Some("rampart-agent.yaml")
            ),
            copy_block::block(
                &format!("agent-kustomize{suffix}"),
                "Kustomize commands",
                &kustomize_commands(setup, secrets),
                None
            ),
        )
    };
    format!(
        "<h2>Start the agent in {}</h2><ol class=\"steps\"><li><p>Run this where <code>kubectl</code> reaches the \
         cluster. It creates the rampart-agent namespace (Pod Security restricted), a read-only ServiceAccount and \
         ClusterRole, the agent's Deployment and NetworkPolicy, and a Secret with the cluster's agent token:</p>{}</li>\
         <li><p>The agent's token, shown this once (it is in the command above): <code class=\"secret\" \
         data-testid=\"agent-token\">{}</code>. It can only deliver this cluster's scans; revoke it from the cluster's \
         API if it leaks.</p></li></ol>",
        copy_block::escape(name),
        copy_block::secrets_choice(
            "Let the agent list Secrets",
            "RBAC cannot grant metadata-only reads: an agent that may list Secrets could read their values (it asks \
             for metadata only and sends nothing else). Without it, the rules about Secrets are skipped and each scan \
             is partial for Secrets, resolving none of their findings.",
            &variant(false),
            &variant(true),
        ),
        copy_block::escape(&setup.token),
    )
}

#[component]
pub fn AgentSetupPanel(
    setup: AgentSetup,
    name: String,
    // Called when the first scan has arrived (the list reloads).
    #[prop(into)] on_delivered: Callback<()>,
) -> impl IntoView {
    let cluster = setup.cluster;
    view! {
        <section class="agent-setup" data-testid="agent-setup" on:click=copy_block::on_click inner_html=guide_html(&setup, &name)></section>
        <AgentWait cluster=cluster on_delivered=on_delivered/>
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
        let html = guide_html(&AgentSetup { command: "kubectl apply -f - <<'EOF'".into(), ..setup }, "<prod>");
        assert!(
            html.contains("Start the agent in &lt;prod&gt;")
                && html.contains("kubectl apply -f - &lt;&lt;&#39;EOF&#39;")
        );
        assert!(html.contains(r#"data-testid="agent-command-secrets""#) && html.contains(">rmpa_abc</code>"));
    }
}
