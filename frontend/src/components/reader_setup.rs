//! For a cluster read through its API: the read-only ServiceAccount, ClusterRole and binding
//! to apply, the command that mints the ServiceAccount's token, and the ones that print the
//! API server's URL and CA, each ready to copy. The ClusterRole's rules are the agent's
//! (`deploy/agent/rbac.yaml`, compiled in), so both paths read exactly the same kinds.
//! Secrets are left out unless asked for: RBAC cannot grant metadata-only reads.

use leptos::prelude::*;

use crate::components::copy_block::CopyBlock;

const AGENT_RBAC: &str = include_str!("../../../deploy/agent/rbac.yaml");
const NAME: &str = "rampart-reader";

/// The agent ClusterRole's `rules:` block, as `deploy/agent/rbac.yaml` has it.
fn rules() -> &'static str {
    AGENT_RBAC
        .split("\n---\n")
        .find(|document| document.contains("\nkind: ClusterRole\n"))
        .and_then(|role| role.find("\nrules:\n").map(|start| role[start + 1..].trim_end()))
        .unwrap_or("rules: []")
}

fn binding(name: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {name}\n\
         roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: {name}\n\
         subjects:\n  - kind: ServiceAccount\n    name: {NAME}\n    namespace: {NAME}\n"
    )
}

/// The manifest of the read-only ServiceAccount, with or without `list secrets`.
pub fn reader_manifest(secrets: bool) -> String {
    let mut parts = vec![
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NAME}\n  labels:\n    \
             pod-security.kubernetes.io/enforce: restricted\n"
        ),
        format!(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {NAME}\n  namespace: {NAME}\n\
             automountServiceAccountToken: false\n"
        ),
        format!(
            "# Read-only: list (and get) the kinds Rampart's rules read, nothing else.\n\
             apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {NAME}\n{}\n",
            rules()
        ),
        binding(NAME),
    ];
    if secrets {
        let name = format!("{NAME}-secrets");
        parts.push(format!(
            "# Whoever holds this token can read every Secret's value (Rampart keeps their metadata only).\n\
             apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {name}\n\
             rules:\n  - apiGroups: [\"\"]\n    resources: [secrets]\n    verbs: [list]\n"
        ));
        parts.push(binding(&name));
    }
    format!("kubectl apply -f - <<'EOF'\n{}EOF", parts.join("---\n"))
}

/// Mints the ServiceAccount's token (a year; rotate it before it expires).
pub const TOKEN_COMMAND: &str = "kubectl -n rampart-reader create token rampart-reader --duration=8760h";

/// Print the API server's URL and save its CA, from the kubeconfig that reaches the cluster.
pub const SERVER_COMMANDS: &str = "kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}'\n\
kubectl config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d > ca.crt";

#[component]
pub fn ReaderSetup() -> impl IntoView {
    let secrets = RwSignal::new(false);
    let manifest = Signal::derive(move || reader_manifest(secrets.get()));
    view! {
        <details class="reader-setup" data-testid="reader-setup">
            <summary>"Create a read-only ServiceAccount (EKS, GKE, AKS and any cluster)"</summary>
            <p>
                "A managed cluster's kubeconfig runs a credential program, which this server does not run. Give Rampart a ServiceAccount of its own instead:"
            </p>
            <ol class="steps">
                <li>
                    "Apply the ServiceAccount, a ClusterRole that can only get and list, and its binding:"
                    <label class="checkbox">
                        <input type="checkbox" bind:checked=secrets/>
                        "Also let it list Secrets"
                    </label>
                    <small class="field-hint warning">
                        "RBAC cannot grant metadata-only reads: a token that may list Secrets can read their values. Rampart asks for metadata only and keeps nothing else. Without it, the rules about Secrets are skipped and every scan is partial for Secrets (none of their findings is resolved)."
                    </small>
                    <CopyBlock text=manifest label="Read-only ServiceAccount" testid="reader-manifest"/>
                </li>
                <li>
                    "Mint its token (paste it below; rotate it before it expires):"
                    <CopyBlock text=TOKEN_COMMAND.to_string() label="Token command" testid="reader-token-command"/>
                </li>
                <li>
                    "Print the API server's URL and save its CA (load ca.crt below):"
                    <CopyBlock text=SERVER_COMMANDS.to_string() label="Server and CA commands" testid="reader-server-command"/>
                </li>
            </ol>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_reads_what_the_agent_reads_and_secrets_only_when_asked() {
        let rules = rules();
        assert!(rules.starts_with("rules:\n") && rules.contains("resources: [deployments,"), "{rules}");
        let without = reader_manifest(false);
        assert!(without.starts_with("kubectl apply -f - <<'EOF'\n") && without.ends_with("\nEOF"));
        assert!(without.contains(rules) && !without.contains("secrets"), "{without}");
        assert!(!without.contains("verbs: [create") && !without.contains("\"*\"]\n    verbs: [\"*\"]"));
        let with = reader_manifest(true);
        assert!(
            with.contains("resources: [secrets]\n    verbs: [list]") && with.contains("name: rampart-reader-secrets")
        );
        assert_eq!(with.matches("kind: ClusterRoleBinding").count(), 2);
    }
}
