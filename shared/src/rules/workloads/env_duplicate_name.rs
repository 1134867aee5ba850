//! `env-duplicate-name`: a container should define each environment variable once.

use std::collections::HashMap;

use crate::declare_rule;
use crate::fix::{node_at, Fix, FixCx};
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// No container (init, regular or ephemeral) lists the same name twice in `env[]`.
    /// Kubernetes keeps only the last definition of a name; the finding points at each
    /// earlier one, which has no effect.
    ///
    /// ## Why it matters
    /// The definition a reviewer reads may not be the one that applies: a hardening
    /// setting (`TLS_VERIFY=true`) near the top is silently undone by a later line, often
    /// added by an overlay or a merge. `kubectl apply` may also fail to update or remove
    /// duplicated entries, leaving the running value different from the file.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: registry.example.com/api:3.1.0
    ///         env:
    ///         - name: TLS_VERIFY
    ///           value: "true"
    ///         - name: LOG_LEVEL
    ///           value: info
    ///         - name: TLS_VERIFY
    ///           value: "false"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: registry.example.com/api:3.1.0
    ///         env:
    ///         - name: LOG_LEVEL
    ///           value: info
    ///         - name: TLS_VERIFY
    ///           value: "false"
    /// ```
    ///
    /// ## Fix safety
    /// Safe: removes the earlier definitions, which Kubernetes ignores, so the container
    /// gets the same environment; the value that applies now shows. No fix is offered when
    /// another variable refers to the name with `$(NAME)`, whose value then depends on the
    /// order of definitions.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/inject-data-application/define-environment-variable-container/>
    pub static RULE = Rule {
        id: "env-duplicate-name",
        title: "Environment variable defined twice",
        severity: Severity::Low,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(3),
        cis: None,
        remediation: "Keep one definition of each name: remove the earlier ones or rename the variable.",
        check,
        fix,
    };
}

/// Env lists up to this long are scanned for repeated names rather than hashed.
const SCANNED_ENV: usize = 16;

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        for container in pod.containers() {
            let env = container.node.field("env").items();
            let names: Vec<Option<&str>> = env.iter().map(|variable| variable.field("name").as_str()).collect();
            // The position of each name's last definition: looked up in a map only for a
            // long list (a short one is scanned, without hashing every name).
            let last: Option<HashMap<&str, usize>> = (names.len() > SCANNED_ENV)
                .then(|| names.iter().enumerate().filter_map(|(index, name)| Some(((*name)?, index))).collect());
            for (index, name) in names.iter().enumerate() {
                let Some(name) = *name else { continue };
                let winner = match &last {
                    Some(last) => last[name],
                    None => (index..names.len()).rev().find(|&later| names[later] == Some(name)).unwrap_or(index),
                };
                if winner != index {
                    violations.push(Violation::new(
                        container.path_to(&format!("env[{index}]")),
                        format!("{} defines env var {name} again at env[{winner}], which wins", container.label()),
                    ));
                }
            }
        }
    })
}

fn fix(fix_cx: &FixCx<'_>, object: &Object, violation: &Violation) -> Option<Fix> {
    let entry_path = violation.path.as_str();
    let name = node_at(&object.root, entry_path)?.field("name").as_str()?;
    let env_path = &entry_path[..entry_path.rfind('[')?];
    let reference = format!("$({name})");
    let referred = node_at(&object.root, env_path)?
        .items()
        .iter()
        .any(|variable| variable.field("value").as_str().is_some_and(|value| value.contains(&reference)));
    if referred {
        return None;
    }
    Fix::safe(fix_cx.remove(object, entry_path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::judge_one;

    #[test]
    fn each_overridden_definition_is_found() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged.violations(),
            [(
                "spec.template.spec.containers[0].env[0]".to_string(),
                "container \"api\" defines env var TLS_VERIFY again at env[2], which wins".to_string(),
                12
            )]
        );
    }
}
