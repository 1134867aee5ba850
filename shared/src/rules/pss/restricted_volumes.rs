//! `pss-restricted-volumes`: pods may use only the volume types that carry no host access
//! (Pod Security Standards, restricted).

use crate::declare_rule;
use crate::object::Object;
use crate::pss::PssLevel;
use crate::rules::{Cx, Family, Outcome, PssCheck, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// The volumes of a workload's pod spec: each must use one of `configMap`, `csi`,
    /// `downwardAPI`, `emptyDir`, `ephemeral`, `image`, `persistentVolumeClaim`, `projected`
    /// or `secret`. Every other source fails: `hostPath`, and the in-tree network and cloud
    /// volume types (`nfs`, `iscsi`, `gcePersistentDisk`, `awsElasticBlockStore`, `gitRepo`,
    /// `rbd`, `cephfs`, `flexVolume` and the rest). A volume with no source at all is what
    /// the API server turns into an `emptyDir`, so it passes. This is the
    /// `restrictedVolumes` check of the Pod Security Standards, restricted level, at every
    /// policy version; it replaces `pss-host-path-volumes` at that level.
    ///
    /// ## Why it matters
    /// The allowed types are managed by Kubernetes and its storage drivers under cluster
    /// policy. The others let the pod itself choose what to mount: a directory of the node,
    /// a network share by address, a repository cloned by the kubelet as root, a disk by
    /// cloud id. Persistent storage belongs behind a PersistentVolumeClaim, where an
    /// administrator decides what it maps to.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: web
    /// spec:
    ///   containers:
    ///   - name: app
    ///     image: nginx:1.27
    ///     volumeMounts:
    ///     - name: content
    ///       mountPath: /usr/share/nginx/html
    ///   volumes:
    ///   - name: content
    ///     nfs:
    ///       server: 10.0.0.5
    ///       path: /exports/web
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: web
    /// spec:
    ///   containers:
    ///   - name: app
    ///     image: nginx:1.27
    ///     volumeMounts:
    ///     - name: content
    ///       mountPath: /usr/share/nginx/html
    ///   volumes:
    ///   - name: content
    ///     persistentVolumeClaim:
    ///       claimName: web-content
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix of its own: a `hostPath` volume is fixed by the (unsafe) fix of
    /// `pss-host-path-volumes`, which turns it into an `emptyDir`; other volume types (NFS,
    /// cloud disks, iSCSI) need a PersistentVolumeClaim that only a person can set up.
    ///
    /// ## References
    /// - Pod Security Standards, restricted: Volume Types (`restrictedVolumes`)
    /// - Hardening guide, layer 3 (pod security)
    pub static RULE = Rule {
        id: "pss-restricted-volumes",
        title: "Volume type outside the restricted set",
        severity: Severity::Medium,
        family: Family::Pss,
        scope: Scope::Object,
        pss: Some(PssCheck {
            level: PssLevel::Restricted,
            check: "restrictedVolumes",
            since: 0,
            overrides: Some(("pss-host-path-volumes", 0)),
        }),
        guide_layer: Some(3),
        cis: None,
        remediation: "Use a PersistentVolumeClaim, ConfigMap, Secret, emptyDir, projected, CSI or ephemeral volume instead.",
        check,
    };
}

/// The volume sources the restricted level allows.
const ALLOWED_SOURCES: [&str; 9] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        for (index, volume) in pod.spec.field("volumes").items().iter().enumerate() {
            // Every key besides `name` is a volume source; a null one decodes to no source.
            let sources: Vec<&str> = volume
                .entries()
                .iter()
                .filter(|entry| entry.key != "name" && !entry.value.is_null())
                .map(|entry| entry.key.as_str())
                .collect();
            // Upstream tests the allowed sources first, so one allowed source is enough; a
            // volume with none is defaulted to emptyDir before admission sees it.
            if sources.iter().any(|source| ALLOWED_SOURCES.contains(source)) {
                continue;
            }
            let Some(source) = sources.first() else { continue };
            let name = volume.field("name").as_text().unwrap_or_default();
            violations.push(Violation::new(
                pod.path_to(&format!("volumes[{index}].{source}")),
                format!("volume \"{name}\" uses {source}, outside the restricted volume types"),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::violation_paths;
    use super::RULE;

    #[test]
    fn image_and_sourceless_volumes_pass_and_other_sources_fail_at_their_key() {
        let pod = r#"
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: nginx:1.27
  volumes:
  - name: defaulted-to-empty-dir
  - name: model
    image:
      reference: example.com/model:1
  - name: null-source
    hostPath: null
  - name: share
    nfs:
      server: 10.0.0.5
      path: /exports
  - name: repo
    gitRepo:
      repository: https://example.com/repo.git
"#;
        assert_eq!(violation_paths(&RULE, pod, 37).unwrap(), ["spec.volumes[3].nfs", "spec.volumes[4].gitRepo"]);
    }
}
