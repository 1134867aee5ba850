//! The agent's manifest as the server hands it to a newcomer: the files of `deploy/agent`
//! (the same ones `kubectl apply -k deploy/agent` applies), with the ConfigMap that names
//! the server and the Secret that carries the cluster's agent token, in one YAML stream for
//! `kubectl apply -f -`.

const NAMESPACE: &str = include_str!("../../../deploy/agent/namespace.yaml");
const RBAC: &str = include_str!("../../../deploy/agent/rbac.yaml");
const DEPLOYMENT: &str = include_str!("../../../deploy/agent/deployment.yaml");
const NETWORK_POLICY: &str = include_str!("../../../deploy/agent/networkpolicy.yaml");
const SECRETS_RBAC: &str = include_str!("../../../deploy/agent-with-secrets/secrets-rbac.yaml");

/// Whether the agent may list Secrets (see `deploy/agent-with-secrets`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Secrets {
    Skipped,
    Listed,
}

/// The whole manifest for a cluster's agent.
pub fn render(server: &str, token: &str, secrets: Secrets) -> String {
    let settings = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rampart-agent\n  namespace: rampart-agent\n\
         data:\n  server: {}\n",
        quoted(server.trim_end_matches('/'))
    );
    let secret = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: rampart-agent\n  namespace: rampart-agent\n\
         type: Opaque\nstringData:\n  token: {}\n",
        quoted(token)
    );
    let mut parts = vec![NAMESPACE, &settings, &secret, RBAC, DEPLOYMENT, NETWORK_POLICY];
    if secrets == Secrets::Listed {
        parts.push(SECRETS_RBAC);
    }
    parts.iter().map(|part| part.trim_end()).collect::<Vec<_>>().join("\n---\n") + "\n"
}

/// A YAML double-quoted scalar.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_carries_the_token_and_reads_as_kubernetes_objects() {
        for secrets in [Secrets::Skipped, Secrets::Listed] {
            let text = render("https://rampart.example.com/", "rmpa_abc", secrets);
            let (documents, errors) = rampart_core::parse::parse_source(
                &rampart_core::Source::new("agent.yaml", text.clone()),
                &rampart_core::parse::Limits::default(),
            );
            assert!(errors.is_empty(), "{errors:?}");
            let kinds: Vec<String> = documents
                .iter()
                .map(|document| document.root.field("kind").as_str().unwrap_or_default().to_string())
                .collect();
            assert_eq!(kinds.iter().filter(|kind| *kind == "Secret").count(), 1);
            assert!(kinds.iter().any(|kind| kind == "Deployment"));
            assert_eq!(text.contains("rampart-agent-secrets"), secrets == Secrets::Listed);
            assert!(text.contains("token: \"rmpa_abc\"") && text.contains("server: \"https://rampart.example.com\""));
        }
    }
}
