//! Kustomize directories: which files a `kustomization.yaml` lists as patches, so a
//! directory walk does not check those fragments as if they were objects.
//!
//! Patches are read from the three places Kustomize takes them: `patches` (entries with a
//! `path`), `patchesStrategicMerge` (paths; an inline patch is text, not a file) and
//! `patchesJson6902` (entries with a `path`). Paths are relative to the kustomization
//! file's directory. A kustomization that cannot be read is left alone: its files are then
//! checked as before, and the check itself reports nothing about it.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use rampart_core::parse::{parse_source, Limits};
use rampart_core::tree::Node;
use rampart_core::Source;

/// The names Kustomize reads a kustomization from.
const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

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
