//! Kustomize directories: the overlays a directory walk finds are built ([`build`]) and
//! their objects checked as Kustomize would deploy them, each finding placed at the file
//! and line to edit; the files they were built from are not checked again one by one.
//!
//! Which kustomizations are built: those no other kustomization of the walk lists as a
//! resource (the overlays; a base is built as part of each overlay that uses it, and on
//! its own only when nothing uses it). Built here rather than by running `kustomize` (or
//! `kubectl kustomize`): Kustomize's output has no positions, so a finding could only be
//! matched back to a file by guessing; building in process keeps the position of every
//! node through patches and transformers, needs no tool on the machine, and reads nothing
//! outside the directory being checked. A kustomization using more than the common subset
//! [`build`] covers (or one Kustomize itself would refuse, reported as an error) is
//! checked as before: its files one by one, with the files it lists as patches left out
//! (a patch that adds hardening would otherwise read as a bare, non-compliant object).
//!
//! Patches are read from the three places Kustomize takes them: `patches` (entries with a
//! `path`), `patchesStrategicMerge` (paths; an inline patch is text, not a file) and
//! `patchesJson6902` (entries with a `path`). Paths are relative to the kustomization
//! file's directory.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rampart_core::object::Object;
use rampart_core::parse::{parse_source, Limits};
use rampart_core::tree::Node;
use rampart_core::{ParseError, Report, Source};

pub mod build;
mod patch;

use build::{BuildError, Loader, Space};

/// The names Kustomize reads a kustomization from.
pub(crate) const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// What building the kustomizations of one directory walk gave.
#[derive(Default)]
pub struct Rendered {
    /// The objects as deployed; their `source` is set when they are checked.
    pub objects: Vec<Object>,
    /// The kustomization (its directory, as reports name it) that built each object.
    pub built_by: Vec<String>,
    /// Where each file read sits among the nodes' offsets.
    pub space: Space,
    /// Canonical paths of the files the built kustomizations read: not checked again.
    pub consumed: HashSet<PathBuf>,
    /// Kustomizations that Kustomize itself would refuse.
    pub errors: Vec<ParseError>,
    /// Kustomizations not built, and why.
    pub notes: Vec<String>,
    /// The files read, as reports name them (findings quote their lines).
    pub sources: Vec<Source>,
}

/// Builds the kustomizations found by a directory walk that no other one uses.
pub fn render(kustomizations: &[PathBuf], limits: &Limits) -> Rendered {
    let mut rendered = Rendered::default();
    let used: HashSet<PathBuf> = kustomizations.iter().flat_map(|path| resource_directories(path)).collect();
    let mut loader = Loader::new(*limits);
    for kustomization in kustomizations {
        let Some(folder) = kustomization.parent() else { continue };
        if fs::canonicalize(folder).is_ok_and(|canonical| used.contains(&canonical)) {
            continue;
        }
        let display = build::normalize(folder);
        match loader.build(folder, &display) {
            Ok(objects) => {
                rendered.consumed.extend(loader.read.drain(..));
                for built in objects {
                    // No source index: the object is placed after the check ([`place`]).
                    rendered.objects.push(Object::from_node(usize::MAX, built.document, built.root));
                    rendered.built_by.push(display.display().to_string());
                }
            }
            Err(BuildError::Unsupported { kustomization, what }) => {
                loader.read.clear();
                rendered.notes.push(format!(
                    "{kustomization} uses {what}, which rampart does not build: its files are checked one by one; \
                     to check what it deploys, render it (kubectl kustomize {} | rampart check -)",
                    display.display()
                ));
            }
            Err(BuildError::Invalid(error)) => {
                loader.read.clear();
                rendered.errors.push(error);
            }
        }
    }
    rendered.sources = loader.sources(&rendered.consumed);
    rendered.space = loader.space;
    rendered
}

/// The canonical directories a kustomization lists as resources (other kustomizations).
fn resource_directories(kustomization: &Path) -> Vec<PathBuf> {
    let Some(folder) = kustomization.parent() else { return Vec::new() };
    let Ok(text) = fs::read_to_string(kustomization) else { return Vec::new() };
    let (documents, _) = parse_source(&Source::new("kustomization.yaml", text), &Limits::default());
    let mut directories = Vec::new();
    for document in &documents {
        let root = &document.root;
        for entry in root.field("resources").items().iter().chain(root.field("bases").items()) {
            let Some(path) = entry.as_str() else { continue };
            if let Ok(canonical) = fs::canonicalize(folder.join(path)) {
                if canonical.is_dir() {
                    directories.push(canonical);
                }
            }
        }
    }
    directories
}

/// Places the objects of `renders` (checked as the report's objects from `first` on, in
/// order) and their findings at the files and lines to edit: each finding where the field
/// it is about was set (by a patch, a transformer's field in a kustomization, or the base),
/// or, for a missing field, where its nearest parent was; each object where it was
/// written. Fixes are dropped: they would be edits of the built object, not of a file.
pub fn place(report: &mut Report, first: usize, renders: &[Rendered]) {
    let placed: Vec<(&Rendered, &Object, &str)> = renders
        .iter()
        .flat_map(|rendered| {
            rendered.objects.iter().zip(&rendered.built_by).map(move |(object, by)| (rendered, object, by.as_str()))
        })
        .collect();
    let resource_at = |position: usize, span: rampart_core::tree::Span, old: &Arc<rampart_core::object::Resource>| {
        let (rendered, _, by) = placed[position - first];
        let mut resource = (**old).clone();
        resource.kustomization = Some(by.to_string());
        let place = rendered.space.place(span);
        if let Some((origin, _, _)) = place {
            resource.source = origin.name.clone();
        }
        (Arc::new(resource), place.map(|(_, line, column)| (line, column)))
    };
    for (position, object_report) in report.objects.iter_mut().enumerate().skip(first) {
        let Some((_, object, _)) = placed.get(position - first) else { break };
        let (resource, place) = resource_at(position, object.root.span, &object_report.resource);
        object_report.resource = resource;
        if let Some((line, _)) = place {
            object_report.line = line;
        }
    }
    for finding in report.findings.iter_mut().filter(|finding| finding.object >= first) {
        let Some((_, object, _)) = placed.get(finding.object - first) else { continue };
        let span = object.root.locate(&finding.path);
        let (resource, place) = resource_at(finding.object, span, &finding.resource);
        finding.resource = resource;
        if let Some((line, column)) = place {
            finding.line = line;
            finding.column = column;
        }
        finding.fix = None;
    }
}

/// The canonical paths of every patch file the kustomizations list.
pub fn patches(kustomizations: &[PathBuf]) -> HashSet<PathBuf> {
    let mut patches = HashSet::new();
    for kustomization in kustomizations {
        let Some(directory) = kustomization.parent() else { continue };
        let Ok(text) = fs::read_to_string(kustomization) else { continue };
        for path in patch_paths(&text) {
            if let Ok(canonical) = fs::canonicalize(directory.join(path)) {
                patches.insert(canonical);
            }
        }
    }
    patches
}

/// The patch file paths a kustomization's text lists, as written.
pub fn patch_paths(text: &str) -> Vec<String> {
    let (documents, _) = parse_source(&Source::new("kustomization.yaml", text), &Limits::default());
    let mut paths = Vec::new();
    for document in &documents {
        let root = &document.root;
        for entry in root.field("patches").items().iter().chain(root.field("patchesJson6902").items()) {
            paths.extend(entry.field("path").as_str().map(str::to_string));
        }
        paths.extend(root.field("patchesStrategicMerge").items().iter().filter_map(file_path));
    }
    paths
}

/// A `patchesStrategicMerge` entry that names a file: one line, not an inline patch.
fn file_path(entry: &Node) -> Option<String> {
    let text = entry.as_str()?.trim();
    (!text.is_empty() && !text.contains('\n') && !text.contains(": ")).then(|| text.to_string())
}

/// Whether a path names a kustomization file.
pub fn is_kustomization(path: &Path) -> bool {
    path.file_name().is_some_and(|name| FILE_NAMES.iter().any(|known| name == *known))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The objects of an overlay as JSON, sorted by kind, namespace and name.
    fn sorted(mut objects: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
        let key = |object: &serde_json::Value| {
            let text =
                |pointer: &str| object.pointer(pointer).and_then(|value| value.as_str()).unwrap_or("").to_string();
            (text("/kind"), text("/metadata/namespace"), text("/metadata/name"))
        };
        objects.sort_by_key(key);
        objects
    }

    /// What `kubectl kustomize` builds of a directory.
    fn kubectl(directory: &Path) -> Vec<serde_json::Value> {
        let output = std::process::Command::new("kubectl")
            .arg("kustomize")
            .arg(directory)
            .output()
            .expect("kubectl runs (cargo xtask test installs it: Debian's kubectl package)");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let text = String::from_utf8(output.stdout).unwrap();
        let (documents, errors) = parse_source(&Source::new("kubectl", text), &Limits::default());
        assert!(errors.is_empty());
        sorted(documents.iter().map(|document| document.root.to_json()).collect())
    }

    /// What [`render`] builds of one overlay.
    fn ours(overlay: &Path) -> Vec<serde_json::Value> {
        let rendered = render(&[overlay.join("kustomization.yaml")], &Limits::default());
        assert!(rendered.errors.is_empty() && rendered.notes.is_empty(), "{:?} {:?}", rendered.errors, rendered.notes);
        sorted(rendered.objects.iter().map(|object| object.root.to_json()).collect())
    }

    #[test]
    fn overlays_build_as_kubectl_kustomize_builds_them() {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let fixtures = manifest.join("tests/fixtures/kustomize");
        for overlay in ["overlays/prod", "overlays/staging", "base"] {
            assert_eq!(ours(&fixtures.join(overlay)), kubectl(&fixtures.join(overlay)), "{overlay}");
        }
        let deploy = manifest.join("../deploy");
        for base in ["server", "agent", "agent-with-secrets"] {
            assert_eq!(ours(&deploy.join(base)), kubectl(&deploy.join(base)), "{base}");
        }

        // The other transformers, and references to renamed objects.
        let scratch = std::env::temp_dir().join(format!("rampart-kustomize-{}", std::process::id()));
        let write = |path: &str, text: &str| {
            let path = scratch.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        };
        write("base/kustomization.yaml", "resources: [app.yaml, rbac.yaml]\ncommonAnnotations: {owner: team-a}\n");
        write(
            "base/app.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: a}\n  template:\n    metadata:\n      labels: {app: a}\n    spec:\n      serviceAccountName: runner\n      initContainers:\n      - name: init\n        image: busybox\n      containers:\n      - name: app\n        image: example.com/app:1\n        envFrom:\n        - configMapRef: {name: settings}\n      - name: sidecar\n        image: example.com/sidecar:1\n      volumes:\n      - name: v\n        configMap: {name: settings}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: {a: b}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: app\nspec:\n  selector: {app: a}\n  ports:\n  - port: 80\n",
        );
        write(
            "base/rbac.yaml",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: runner\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: reader\nrules: []\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: runner-reads\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: reader\nsubjects:\n- kind: ServiceAccount\n  name: runner\n",
        );
        write(
            "overlay/kustomization.yaml",
            "resources: [../base]\nnamespace: team-a\nnamePrefix: a-\nnameSuffix: -v2\nlabels:\n- pairs: {tier: web}\n  includeSelectors: true\n- pairs: {release: r1}\n  includeTemplates: true\nreplicas:\n- name: app\n  count: 4\nimages:\n- name: busybox\n  newName: example.com/busybox\n  digest: sha256:0123456789012345678901234567890123456789012345678901234567890123\n- name: example.com/app\n  newName: example.com/app2\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: app\n    spec:\n      template:\n        spec:\n          containers:\n          - name: sidecar\n            $patch: delete\n          - name: app\n            securityContext: {privileged: true}\n",
        );
        assert_eq!(ours(&scratch.join("overlay")), kubectl(&scratch.join("overlay")));
        fs::remove_dir_all(&scratch).unwrap();
    }

    #[test]
    fn patches_of_all_three_kinds_and_no_inline_ones() {
        let text = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../../base\npatches:\n- path: replicas.yaml\n  target:\n    kind: Deployment\n- patch: |-\n    - op: replace\n      path: /spec/replicas\n      value: 3\npatchesStrategicMerge:\n- security.yaml\n- |-\n  apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: web\npatchesJson6902:\n- target:\n    kind: Deployment\n    name: web\n  path: ops/limits.yaml\n";
        assert_eq!(patch_paths(text), ["replicas.yaml", "ops/limits.yaml", "security.yaml"]);
        assert!(patch_paths("resources: [a.yaml]\n").is_empty());
        assert!(patch_paths(": not yaml [").is_empty());
        assert!(is_kustomization(Path::new("overlays/prod/kustomization.yaml")));
        assert!(is_kustomization(Path::new("Kustomization")));
        assert!(!is_kustomization(Path::new("kustomization.json")));
    }
}
