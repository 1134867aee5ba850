//! `cluster-no-runtime-detection`: a cluster should watch what its containers do.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::namespaces::cluster_anchor;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

/// DaemonSets recognised as runtime threat detection, by name or image.
const DETECTORS: [&str; 5] = ["falco", "tetragon", "tracee", "sysdig", "kubearmor"];

declare_rule! {
    /// ## What it checks
    /// A runtime detection agent runs on the nodes: a DaemonSet whose name or container
    /// image names Falco (or an equivalent: Tetragon, Tracee, Sysdig, KubeArmor).
    ///
    /// A cluster rule: it runs in a cluster scan, or on manifests with `--complete`. The
    /// finding is attached to the first object of the input.
    ///
    /// ## Why it matters
    /// Every other rule here prevents; none detects. When a container is compromised, a
    /// runtime agent is what notices the shell, the unexpected connection or the write to
    /// a binary.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: production
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata:
    ///   name: falco
    ///   namespace: falco
    /// spec:
    ///   selector:
    ///     matchLabels: {app: falco}
    ///   template:
    ///     metadata:
    ///       labels: {app: falco}
    ///     spec:
    ///       containers:
    ///       - name: falco
    ///         image: docker.io/falcosecurity/falco:0.39.2
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 6 (runtime): "Falco for Runtime Detection"
    pub static RULE = Rule {
        id: "cluster-no-runtime-detection",
        title: "No runtime threat detection",
        severity: Severity::Low,
        family: Family::Namespaces,
        scope: Scope::Cluster,
        pss: None,
        guide_layer: Some(6),
        cis: None,
        remediation: "Deploy Falco (or an equivalent agent) as a DaemonSet on every node.",
        check,
    };
}

fn names_detector(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    DETECTORS.iter().any(|detector| text.contains(detector))
}

fn check(cx: &Cx<'_>, _object: &Object) -> Outcome {
    if !cluster_anchor(cx) {
        return Outcome::NotApplicable;
    }
    let running = cx.index.daemon_sets().any(|daemon_set| {
        names_detector(&daemon_set.name) || daemon_set.images.iter().any(|image| names_detector(image))
    });
    if running {
        return Outcome::pass();
    }
    Outcome::Checked(vec![Violation::new("", "no runtime detection agent (Falco or equivalent) runs as a DaemonSet")])
}
