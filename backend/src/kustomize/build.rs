//! Builds a kustomization in process, keeping where every field was set.
//!
//! The common subset of Kustomize is built: `resources` (files, and directories holding a
//! kustomization, built first), `patchesStrategicMerge`, `patches` (strategic merge or
//! JSON 6902, from a file or inline, with a target or the patch's own kind and name),
//! `patchesJson6902`, `namespace`, `namePrefix`/`nameSuffix` (with the references of the
//! built-in kinds to the renamed objects), `commonLabels`, `labels`, `commonAnnotations`,
//! `images` and `replicas`, in the order Kustomize applies them. A kustomization using
//! anything else (generators, components, replacements, remote resources, …) is
//! [`BuildError::Unsupported`]: the caller says so and suggests rendering it with Kustomize.
//!
//! Every file read is parsed into the positioned tree with its byte offsets moved into
//! one address space shared by all the files ([`Space`], as a compiler's source map
//! does), so a node carries which file it came from in its offset and its line in that
//! file in its line, however the build moves it between objects. A value a transformer
//! sets (a namespace, a label, an image) takes the position of the kustomization field
//! that set it. As Kustomize's default load restrictor has it, a kustomization reads files
//! only inside its own directory; other kustomizations (directories) may be anywhere, but
//! must hold a kustomization file, so a repository cannot make a check read arbitrary files
//! of the machine.

use std::collections::HashMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

use rampart_core::parse::{parse_source, Limits};
use rampart_core::tree::{edit_vec, Entry, Node, Span, Value};
use rampart_core::{ParseError, Source};

use super::patch::{json6902, strategic_merge, Merged};
use super::FILE_NAMES;

/// The kustomization fields that are built; any other makes the build unsupported.
const SUPPORTED: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "resources",
    "bases",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "namespace",
    "namePrefix",
    "nameSuffix",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "images",
    "replicas",
    "generatorOptions",
    "sortOptions",
    "buildMetadata",
];

/// Kinds that live outside namespaces: `namespace` leaves them alone.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "CSIDriver",
    "CSINode",
    "Node",
    "APIService",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "PodSecurityPolicy",
    "VolumeAttachment",
];

/// Deepest chain of kustomizations building one another.
const MAX_DEPTH: usize = 20;
/// Most bytes of all the files one walk's builds may read.
const MAX_SPACE: u64 = u32::MAX as u64 / 2;

/// Why a kustomization was not built.
#[derive(Debug)]
pub enum BuildError {
    /// It uses what is not built here (the field or feature is named).
    Unsupported { kustomization: String, what: String },
    /// Kustomize itself would refuse it (a missing file, a patch that matches nothing).
    Invalid(ParseError),
}

/// One file (or inline patch) in the shared address space.
#[derive(Debug)]
pub struct Origin {
    /// The file's name as reports show it.
    pub name: String,
    base: u32,
    length: u32,
    /// Lines and columns to add: an inline patch is parsed on its own and sits inside its
    /// kustomization at this distance.
    line_delta: u32,
    column_delta: u32,
}

/// The files of every build, one after another in one range of offsets.
#[derive(Debug, Default)]
pub struct Space {
    origins: Vec<Origin>,
    next: u64,
}

impl Space {
    fn add(&mut self, name: String, length: usize, deltas: (u32, u32)) -> Option<u32> {
        let base = self.next;
        // One spare byte keeps an empty file's range distinct from the next one's.
        let end = base + length as u64 + 1;
        if end > MAX_SPACE {
            return None;
        }
        self.next = end;
        let base = base as u32;
        let (line_delta, column_delta) = deltas;
        self.origins.push(Origin { name, base, length: length as u32 + 1, line_delta, column_delta });
        Some(base)
    }

    /// The file a position of a built node is in, and its line and column there.
    pub fn place(&self, span: Span) -> Option<(&Origin, u32, u32)> {
        let after = self.origins.partition_point(|origin| origin.base <= span.offset);
        let origin = self.origins.get(after.checked_sub(1)?)?;
        (span.offset < origin.base + origin.length)
            .then(|| (origin, span.line + origin.line_delta, span.column + origin.column_delta))
    }
}

/// An object of a build, with the identity it had before this build renamed it (patches
/// of a kustomization name the objects of its resources as they were).
#[derive(Clone, Debug)]
pub struct Built {
    pub root: Node,
    /// Its document's position in the file it was read from.
    pub document: usize,
    original_name: String,
}

impl Built {
    fn text(&self, keys: &[&str]) -> &str {
        self.root.at(keys).and_then(Node::as_str).unwrap_or("")
    }

    fn kind(&self) -> &str {
        self.text(&["kind"])
    }

    fn name(&self) -> &str {
        self.text(&["metadata", "name"])
    }
}

/// A parsed file, its documents with offsets in the shared space.
struct Loaded {
    name: String,
    documents: Vec<Node>,
    text: String,
}

/// Reads and builds kustomizations under one directory.
pub struct Loader {
    limits: Limits,
    pub space: Space,
    files: HashMap<PathBuf, std::rc::Rc<Loaded>>,
    /// Canonical paths of the files and kustomizations read since this was last cleared
    /// (what one build read, the files other builds read before included).
    pub read: Vec<PathBuf>,
}

impl Loader {
    pub fn new(limits: Limits) -> Loader {
        Loader { limits, space: Space::default(), files: HashMap::new(), read: Vec::new() }
    }

    /// The files read of those `wanted` (canonical paths), in name order.
    pub fn sources(&self, wanted: &std::collections::HashSet<PathBuf>) -> Vec<Source> {
        let mut sources: Vec<Source> = self
            .files
            .iter()
            .filter(|(path, _)| wanted.contains(*path))
            .map(|(_, loaded)| Source::new(loaded.name.clone(), loaded.text.clone()))
            .collect();
        sources.sort_by(|a, b| a.name.cmp(&b.name));
        sources
    }

    /// Builds the kustomization in `directory` (named `display` in messages).
    pub fn build(&mut self, directory: &Path, display: &Path) -> Result<Vec<Built>, BuildError> {
        self.build_nested(directory, display, &mut Vec::new())
    }

    fn build_nested(
        &mut self,
        directory: &Path,
        display: &Path,
        stack: &mut Vec<PathBuf>,
    ) -> Result<Vec<Built>, BuildError> {
        let Some(file_name) = FILE_NAMES.iter().find(|name| directory.join(name).is_file()) else {
            return Err(invalid(
                &display.display().to_string(),
                None,
                "a directory listed as a resource holds no kustomization.yaml".into(),
            ));
        };
        let path = directory.join(file_name);
        let name = display.join(file_name).display().to_string();
        let canonical = self.canonical(&path, &name, None, None)?;
        if stack.contains(&canonical) || stack.len() >= MAX_DEPTH {
            return Err(invalid(
                &name,
                None,
                "kustomizations build one another in a cycle (or more than 20 deep)".into(),
            ));
        }
        stack.push(canonical.clone());
        let loaded = self.load(&canonical, &name)?;
        let Some(kustomization) = loaded.documents.first().cloned() else {
            return Err(invalid(&name, None, "the kustomization is empty".into()));
        };
        let built = Build {
            loader: self,
            directory,
            canonical_directory: canonical.parent().unwrap_or(&canonical),
            display,
            name: &name,
            text: &loaded.text,
            kustomization: &kustomization,
        }
        .run(stack);
        stack.pop();
        built
    }

    /// The canonical path of what a kustomization names; a file must be inside `within`
    /// (the kustomization's own directory).
    fn canonical(
        &self,
        path: &Path,
        name: &str,
        at: Option<&Node>,
        within: Option<&Path>,
    ) -> Result<PathBuf, BuildError> {
        let canonical = fs::canonicalize(path).map_err(|error| {
            invalid(name, at, format!("cannot read '{}': {}", path.display(), crate::check::describe(&error)))
        })?;
        if within.is_some_and(|within| !canonical.is_dir() && !canonical.starts_with(within)) {
            return Err(invalid(
                name,
                at,
                format!(
                    "'{}' is outside the kustomization's directory; it is not read (as Kustomize refuses it)",
                    path.display()
                ),
            ));
        }
        Ok(canonical)
    }

    /// Reads and parses a file once, with its offsets in the shared space.
    fn load(&mut self, canonical: &Path, name: &str) -> Result<std::rc::Rc<Loaded>, BuildError> {
        self.read.push(canonical.to_path_buf());
        if let Some(loaded) = self.files.get(canonical) {
            return Ok(loaded.clone());
        }
        let text = fs::read_to_string(canonical)
            .map_err(|error| invalid(name, None, format!("cannot read: {}", crate::check::describe(&error))))?;
        let documents = self.parse(name, &text, (0, 0))?;
        let loaded = std::rc::Rc::new(Loaded { name: name.to_string(), documents, text });
        self.files.insert(canonical.to_path_buf(), loaded.clone());
        Ok(loaded)
    }

    /// Parses text into documents placed in the shared space.
    fn parse(&mut self, name: &str, text: &str, deltas: (u32, u32)) -> Result<Vec<Node>, BuildError> {
        let (documents, errors) = parse_source(&Source::new(name, text), &self.limits);
        if let Some(error) = errors.into_iter().next() {
            let ParseError { line, column, message, .. } = error;
            return Err(BuildError::Invalid(ParseError {
                source_name: name.to_string(),
                line: line + deltas.0,
                column: column + deltas.1,
                message,
            }));
        }
        let base = self
            .space
            .add(name.to_string(), text.len(), deltas)
            .ok_or_else(|| invalid(name, None, "the kustomizations read more than 2 GiB".into()))?;
        Ok(documents
            .into_iter()
            .map(|document| {
                let mut root = document.root;
                shift(&mut root, base);
                root
            })
            .filter(|root| !root.is_null())
            .collect())
    }
}

/// Moves a tree's offsets into the shared space.
fn shift(node: &mut Node, base: u32) {
    node.span.offset += base;
    node.end += base;
    match &mut node.value {
        Value::Map(entries) => {
            for entry in entries {
                entry.key_span.offset += base;
                shift(&mut entry.value, base);
            }
        }
        Value::Seq(items) => items.iter_mut().for_each(|item| shift(item, base)),
        _ => {}
    }
}

fn invalid(name: &str, at: Option<&Node>, message: String) -> BuildError {
    let span = at.map(|node| node.span).unwrap_or_default();
    BuildError::Invalid(ParseError {
        source_name: name.to_string(),
        line: span.line.max(1),
        column: span.column.max(1),
        message,
    })
}

/// Lexically resolves `.` and `..` in a relative path (`a/b/../c` → `a/c`), so reports name
/// files as a person would.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.is_empty() {
        PathBuf::from(".")
    } else {
        out.iter().collect()
    }
}

/// One kustomization being built.
struct Build<'a> {
    loader: &'a mut Loader,
    directory: &'a Path,
    /// Its canonical form: the files it reads must be inside.
    canonical_directory: &'a Path,
    display: &'a Path,
    name: &'a str,
    /// The kustomization's text (inline patches are placed by it).
    text: &'a str,
    kustomization: &'a Node,
}

impl Build<'_> {
    fn run(mut self, stack: &mut Vec<PathBuf>) -> Result<Vec<Built>, BuildError> {
        let k = self.kustomization;
        if !k.is_map() {
            return Err(invalid(self.name, Some(k), "the kustomization is not a mapping".into()));
        }
        if let Some(entry) = k.entries().iter().find(|entry| !SUPPORTED.contains(&entry.key.as_str())) {
            return Err(self.unsupported(format!("`{}`", entry.key)));
        }
        let mut objects = Vec::new();
        for item in k.field("resources").items().iter().chain(k.field("bases").items()) {
            self.resource(item, stack, &mut objects)?;
        }
        for item in k.field("patchesStrategicMerge").items() {
            let documents = match item.as_str() {
                Some(text) if is_inline(text) => self.inline(item)?,
                Some(path) => self.patch_file(path, item)?,
                None => return Err(invalid(self.name, Some(item), "a patch is neither a path nor a patch".into())),
            };
            for document in &documents {
                self.merge_by_identity(&mut objects, document)?;
            }
        }
        for item in k.field("patches").items() {
            self.patch(item, &mut objects, false)?;
        }
        self.namespace(&mut objects);
        self.rename(&mut objects);
        self.labels(&mut objects);
        self.annotations(&mut objects);
        for item in k.field("patchesJson6902").items() {
            self.patch(item, &mut objects, true)?;
        }
        self.replicas(&mut objects);
        self.images(&mut objects);
        Ok(objects)
    }

    fn unsupported(&self, what: String) -> BuildError {
        BuildError::Unsupported { kustomization: self.name.to_string(), what }
    }

    fn resource(&mut self, item: &Node, stack: &mut Vec<PathBuf>, objects: &mut Vec<Built>) -> Result<(), BuildError> {
        let Some(relative) = item.as_str() else {
            return Err(invalid(self.name, Some(item), "a resource is not a path".into()));
        };
        if relative.contains("://") || relative.starts_with("github.com/") || relative.starts_with("git@") {
            return Err(self.unsupported(format!("the remote resource '{relative}'")));
        }
        let path = self.directory.join(relative);
        let display = normalize(&self.display.join(relative));
        let canonical = self.loader.canonical(&path, self.name, Some(item), Some(self.canonical_directory))?;
        if canonical.is_dir() {
            objects.extend(self.loader.build_nested(&path, &display, stack)?);
            return Ok(());
        }
        let loaded = self.loader.load(&canonical, &display.display().to_string())?;
        for (document, root) in loaded.documents.iter().enumerate() {
            if root.is_map() {
                let original_name = root.at(&["metadata", "name"]).and_then(Node::as_str).unwrap_or("").to_string();
                objects.push(Built { root: root.clone(), document, original_name });
            }
        }
        Ok(())
    }

    /// The documents of a patch file.
    fn patch_file(&mut self, relative: &str, at: &Node) -> Result<Vec<Node>, BuildError> {
        let path = self.directory.join(relative);
        let display = normalize(&self.display.join(relative)).display().to_string();
        let canonical = self.loader.canonical(&path, self.name, Some(at), Some(self.canonical_directory))?;
        Ok(self.loader.load(&canonical, &display)?.documents.clone())
    }

    /// The documents of a patch written inside the kustomization (`patch: |-`), placed at
    /// the lines it occupies there.
    fn inline(&mut self, node: &Node) -> Result<Vec<Node>, BuildError> {
        let text = node.as_str().unwrap_or("");
        let deltas = inline_deltas(self.text, node.span);
        let name = self.name.to_string();
        self.loader.parse(&name, text, deltas)
    }

    /// Applies one entry of `patches` (or of `patchesJson6902` when `json_only`).
    fn patch(&mut self, item: &Node, objects: &mut [Built], json_only: bool) -> Result<(), BuildError> {
        if item.get("options").is_some() {
            return Err(self.unsupported("patch `options`".into()));
        }
        let documents = match (item.field("path").as_str(), item.field("patch").as_str()) {
            (Some(path), _) => self.patch_file(path, item.field("path"))?,
            (None, Some(_)) => self.inline(item.field("patch"))?,
            (None, None) => {
                return Err(invalid(self.name, Some(item), "a patch with neither `path` nor `patch`".into()))
            }
        };
        let target = item.get("target");
        for document in &documents {
            if document.is_seq() {
                let Some(target) = target else {
                    return Err(invalid(self.name, Some(item), "a JSON 6902 patch needs a `target`".into()));
                };
                let matched = self.targets(target, objects)?;
                for position in matched {
                    for operation in document.items() {
                        json6902(&mut objects[position].root, operation)
                            .map_err(|error| self.at_node(operation, error.0))?;
                    }
                }
            } else if json_only {
                return Err(invalid(
                    self.name,
                    Some(item),
                    "a patchesJson6902 entry is not a list of operations".into(),
                ));
            } else if let Some(target) = target {
                let matched = self.targets(target, objects)?;
                for position in matched {
                    self.merge_into(objects, position, document);
                }
            } else {
                self.merge_by_identity_slice(objects, document)?;
            }
        }
        Ok(())
    }

    /// An error at a node of the shared space, named by its file.
    fn at_node(&self, node: &Node, message: String) -> BuildError {
        match self.loader.space.place(node.span) {
            Some((origin, line, column)) => {
                BuildError::Invalid(ParseError { source_name: origin.name.clone(), line, column, message })
            }
            None => invalid(self.name, None, message),
        }
    }

    fn merge_into(&self, objects: &mut [Built], position: usize, patch: &Node) {
        // An object a patch deletes is left as it is: deleting objects is rare, and a
        // check that reports on an object no longer deployed errs on the safe side.
        let _ = strategic_merge(&mut objects[position].root, patch) == Merged::Delete;
    }

    fn merge_by_identity(&self, objects: &mut Vec<Built>, patch: &Node) -> Result<(), BuildError> {
        let position = self.identity_match(objects, patch)?;
        if strategic_merge(&mut objects[position].root, patch) == Merged::Delete {
            objects.remove(position);
        }
        Ok(())
    }

    fn merge_by_identity_slice(&self, objects: &mut [Built], patch: &Node) -> Result<(), BuildError> {
        let position = self.identity_match(objects, patch)?;
        self.merge_into(objects, position, patch);
        Ok(())
    }

    /// The object a strategic-merge patch names by its kind and name (and namespace).
    fn identity_match(&self, objects: &[Built], patch: &Node) -> Result<usize, BuildError> {
        let kind = patch.field("kind").as_str().unwrap_or("");
        let name = patch.at(&["metadata", "name"]).and_then(Node::as_str).unwrap_or("");
        let namespace = patch.at(&["metadata", "namespace"]).and_then(Node::as_str);
        objects
            .iter()
            .position(|object| {
                object.kind() == kind
                    && (object.name() == name || object.original_name == name)
                    && namespace.is_none_or(|namespace| object.text(&["metadata", "namespace"]) == namespace)
            })
            .ok_or_else(|| {
                self.at_node(
                    patch,
                    format!("the patch matches no object (no {kind} named '{name}' among the resources)"),
                )
            })
    }

    /// The objects a `target` selects.
    fn targets(&self, target: &Node, objects: &[Built]) -> Result<Vec<usize>, BuildError> {
        let wanted = |key: &str| target.field(key).as_str();
        if let Some(name) = wanted("name") {
            if name.contains(['*', '|', '(', '[', '+', '?', '^', '$', '\\']) {
                return Err(self.unsupported(format!("the regular expression '{name}' in a patch target")));
            }
        }
        if target.get("annotationSelector").is_some() {
            return Err(self.unsupported("an annotationSelector in a patch target".into()));
        }
        let labels: Vec<(&str, &str)> = match wanted("labelSelector") {
            Some(selector) => {
                let mut pairs = Vec::new();
                for term in selector.split(',').map(str::trim) {
                    match term.split_once('=') {
                        Some((key, value)) if !key.ends_with('!') => {
                            pairs.push((key.trim(), value.trim_start_matches('=').trim()))
                        }
                        _ => return Err(self.unsupported(format!("the label selector '{selector}' in a patch target"))),
                    }
                }
                pairs
            }
            None => Vec::new(),
        };
        let matched: Vec<usize> = objects
            .iter()
            .enumerate()
            .filter(|(_, object)| {
                let api_version = object.text(&["apiVersion"]);
                let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
                wanted("kind").is_none_or(|kind| object.kind() == kind)
                    && wanted("name").is_none_or(|name| object.name() == name || object.original_name == name)
                    && wanted("namespace").is_none_or(|namespace| object.text(&["metadata", "namespace"]) == namespace)
                    && wanted("group").is_none_or(|wanted| group == wanted)
                    && wanted("version").is_none_or(|wanted| version == wanted)
                    && labels.iter().all(|(key, value)| {
                        object.root.at(&["metadata", "labels", key]).and_then(Node::as_text).as_deref() == Some(*value)
                    })
            })
            .map(|(position, _)| position)
            .collect();
        if matched.is_empty() {
            return Err(self.at_node(target, "the patch's target matches no object among the resources".into()));
        }
        Ok(matched)
    }

    fn namespace(&self, objects: &mut [Built]) {
        let Some(node) = self.kustomization.get("namespace").filter(|node| node.as_str().is_some()) else { return };
        let namespace = node.as_str().unwrap_or_default();
        let service_accounts: Vec<String> = objects
            .iter()
            .filter(|object| object.kind() == "ServiceAccount")
            .map(|object| object.name().to_string())
            .collect();
        for object in objects.iter_mut() {
            let kind = object.kind().to_string();
            if !CLUSTER_SCOPED.contains(&kind.as_str()) {
                set(map_at(&mut object.root, &["metadata"]), "namespace", node.clone());
            }
            if kind == "RoleBinding" || kind == "ClusterRoleBinding" {
                if let Some(Value::Seq(subjects)) = object.root.get_mut_value("subjects") {
                    for subject in subjects {
                        let is_ours = subject.field("kind").as_str() == Some("ServiceAccount")
                            && subject
                                .field("name")
                                .as_str()
                                .is_some_and(|name| service_accounts.iter().any(|known| known == name));
                        if is_ours {
                            set(subject, "namespace", Node::new(Value::String(namespace.into()), node.span));
                        }
                    }
                }
            }
        }
    }

    /// `namePrefix` and `nameSuffix`, and the references of the built objects to those
    /// renamed.
    fn rename(&self, objects: &mut [Built]) {
        let prefix = self.kustomization.field("namePrefix").as_str().unwrap_or("");
        let suffix = self.kustomization.field("nameSuffix").as_str().unwrap_or("");
        if prefix.is_empty() && suffix.is_empty() {
            return;
        }
        let mut renamed: Vec<(String, String, String)> = Vec::new();
        for object in objects.iter_mut() {
            let kind = object.kind().to_string();
            if kind == "Namespace" || kind == "CustomResourceDefinition" {
                continue;
            }
            let old = object.name().to_string();
            let new = format!("{prefix}{old}{suffix}");
            if let Some(name) = object.root.get_mut_path(&["metadata", "name"]) {
                name.value = Value::String(new.as_str().into());
            }
            renamed.push((kind, old, new));
        }
        let rename = |kind: &str, node: &mut Node| {
            let Some(old) = node.as_str() else { return };
            if let Some((_, _, new)) = renamed.iter().find(|(known_kind, known, _)| known_kind == kind && known == old)
            {
                node.value = Value::String(new.as_str().into());
            }
        };
        for object in objects.iter_mut() {
            references(&mut object.root, &rename);
        }
    }

    fn labels(&self, objects: &mut [Built]) {
        let k = self.kustomization;
        if let Some(common) = k.get("commonLabels") {
            for object in objects.iter_mut() {
                add_pairs(&mut object.root, common, true, true);
            }
        }
        for item in k.field("labels").items() {
            let selectors = item.field("includeSelectors").as_bool() == Some(true);
            let templates = selectors || item.field("includeTemplates").as_bool() == Some(true);
            for object in objects.iter_mut() {
                add_pairs(&mut object.root, item.field("pairs"), selectors, templates);
            }
        }
    }

    fn annotations(&self, objects: &mut [Built]) {
        let Some(common) = self.kustomization.get("commonAnnotations") else { return };
        for object in objects.iter_mut() {
            let template = template_metadata_path(object.kind());
            merge_pairs(map_at(&mut object.root, &["metadata", "annotations"]), common);
            if let Some(path) = template {
                if object.root.at(&path[..path.len() - 1]).is_some() {
                    let mut keys = path.to_vec();
                    keys.push("annotations");
                    merge_pairs(map_at(&mut object.root, &keys), common);
                }
            }
        }
    }

    fn replicas(&self, objects: &mut [Built]) {
        for item in self.kustomization.field("replicas").items() {
            let (Some(name), Some(count)) = (item.field("name").as_str(), item.get("count")) else { continue };
            let scales =
                |kind: &str| matches!(kind, "Deployment" | "ReplicaSet" | "StatefulSet" | "ReplicationController");
            for object in objects.iter_mut().filter(|object| object.name() == name || object.original_name == name) {
                if scales(object.kind()) {
                    set(map_at(&mut object.root, &["spec"]), "replicas", count.clone());
                }
            }
        }
    }

    fn images(&self, objects: &mut [Built]) {
        let images = self.kustomization.field("images").items();
        if images.is_empty() {
            return;
        }
        for object in objects.iter_mut() {
            let Some(spec_path) = pod_spec_path(object.kind()) else { continue };
            let Some(spec) = object.root.get_mut_path(spec_path) else { continue };
            for list in ["initContainers", "containers", "ephemeralContainers"] {
                let Some(Value::Seq(containers)) = spec.get_mut_value(list) else { continue };
                for container in containers {
                    let Some(image) = container.get_mut_value("image") else { continue };
                    let Value::String(reference) = image else { continue };
                    let (name, rest) = split_image(reference);
                    let Some(rule) = images.iter().find(|rule| rule.field("name").as_str() == Some(name)) else {
                        continue;
                    };
                    let new_name = rule.field("newName").as_str().unwrap_or(name);
                    let new = match (rule.field("digest").as_str(), rule.field("newTag").as_text()) {
                        (Some(digest), _) => format!("{new_name}@{digest}"),
                        (None, Some(tag)) => format!("{new_name}:{tag}"),
                        (None, None) => format!("{new_name}{rest}"),
                    };
                    // The field that made the change is the line to edit.
                    let span = ["digest", "newTag", "newName"]
                        .iter()
                        .find_map(|key| rule.get(key))
                        .map_or(rule.span, |node| node.span);
                    if let Some(entry) = container.entry_mut("image") {
                        entry.value = Node::new(Value::String(new.into()), span);
                        entry.key_span = span;
                    }
                }
            }
        }
    }
}

/// Whether a `patchesStrategicMerge` entry is a patch written inline rather than a path.
pub fn is_inline(text: &str) -> bool {
    let text = text.trim();
    text.is_empty() || text.contains('\n') || text.contains(": ")
}

/// How far an inline patch's own lines and columns are from the kustomization's: a block
/// scalar (`patch: |-`) holds its content from the next line on, indented; any other is
/// placed from where it starts.
fn inline_deltas(kustomization: &str, span: Span) -> (u32, u32) {
    let mut lines = kustomization.lines().enumerate().skip(span.line.saturating_sub(1) as usize);
    let Some((_, first)) = lines.next() else { return (0, 0) };
    let at = first.char_indices().nth(span.column.saturating_sub(1) as usize).map_or(first.len(), |(index, _)| index);
    if !first[at..].starts_with(['|', '>']) {
        return (span.line - 1, span.column - 1);
    }
    match lines.find(|(_, line)| !line.trim().is_empty()) {
        Some((index, line)) => (index as u32, (line.len() - line.trim_start_matches(' ').len()) as u32),
        None => (span.line, 0),
    }
}

/// An image reference split into its name and the rest (`:tag`, `@digest`).
fn split_image(reference: &str) -> (&str, &str) {
    let cut = match reference.find('@') {
        Some(at) => at,
        None => match reference.rfind(':') {
            Some(colon) if !reference[colon..].contains('/') => colon,
            _ => reference.len(),
        },
    };
    reference.split_at(cut)
}

/// Where the pod spec of a workload kind lives.
fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Pod" => Some(&["spec"]),
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job" | "ReplicationController" => {
            Some(&["spec", "template", "spec"])
        }
        "CronJob" => Some(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

/// Where the pod template's metadata of a workload kind lives (`Pod` has none).
fn template_metadata_path(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job" | "ReplicationController" => {
            Some(&["spec", "template", "metadata"])
        }
        "CronJob" => Some(&["spec", "jobTemplate", "spec", "template", "metadata"]),
        _ => None,
    }
}

/// Adds label pairs to an object, its selectors and its pod template, as Kustomize does.
fn add_pairs(root: &mut Node, pairs: &Node, selectors: bool, templates: bool) {
    if !pairs.is_map() {
        return;
    }
    let kind = root.field("kind").as_str().unwrap_or("").to_string();
    merge_pairs(map_at(root, &["metadata", "labels"]), pairs);
    if templates {
        if let Some(path) = template_metadata_path(&kind) {
            if root.at(&path[..path.len() - 1]).is_some() {
                let mut keys = path.to_vec();
                keys.push("labels");
                merge_pairs(map_at(root, &keys), pairs);
            }
        }
    }
    if selectors {
        match kind.as_str() {
            "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => {
                merge_pairs(map_at(root, &["spec", "selector", "matchLabels"]), pairs)
            }
            "Service" | "ReplicationController" => merge_pairs(map_at(root, &["spec", "selector"]), pairs),
            _ => {}
        }
    }
}

fn merge_pairs(target: &mut Node, pairs: &Node) {
    for entry in pairs.entries() {
        let value =
            Node { value: Value::String(entry.value.as_text().unwrap_or_default().into()), ..entry.value.clone() };
        set_entry(target, Entry { key: entry.key.clone(), key_span: entry.key_span, value });
    }
}

/// Applies `rename(kind, node)` to every name the built-in kinds use to refer to objects.
fn references(root: &mut Node, rename: &impl Fn(&str, &mut Node)) {
    let kind = root.field("kind").as_str().unwrap_or("").to_string();
    if kind == "RoleBinding" || kind == "ClusterRoleBinding" {
        let role_kind = root.at(&["roleRef", "kind"]).and_then(Node::as_str).unwrap_or("").to_string();
        if let Some(name) = root.get_mut_path(&["roleRef", "name"]) {
            rename(&role_kind, name);
        }
        if let Some(Value::Seq(subjects)) = root.get_mut_value("subjects") {
            for subject in
                subjects.iter_mut().filter(|subject| subject.field("kind").as_str() == Some("ServiceAccount"))
            {
                if let Some(name) = subject.get_mut_path(&["name"]) {
                    rename("ServiceAccount", name);
                }
            }
        }
    }
    if kind == "Ingress" {
        if let Some(name) = root.get_mut_path(&["spec", "defaultBackend", "service", "name"]) {
            rename("Service", name);
        }
        if let Some(Value::Seq(rules)) = root.get_mut_path(&["spec", "rules"]).map(|node| &mut node.value) {
            for rule in rules {
                let Some(Value::Seq(paths)) = rule.get_mut_path(&["http", "paths"]).map(|node| &mut node.value) else {
                    continue;
                };
                for path in paths {
                    if let Some(name) = path.get_mut_path(&["backend", "service", "name"]) {
                        rename("Service", name);
                    }
                }
            }
        }
    }
    if kind == "StatefulSet" {
        if let Some(name) = root.get_mut_path(&["spec", "serviceName"]) {
            rename("Service", name);
        }
    }
    let Some(path) = pod_spec_path(&kind) else { return };
    let Some(spec) = root.get_mut_path(path) else { return };
    for key in ["serviceAccountName", "serviceAccount"] {
        if let Some(name) = spec.get_mut_path(&[key]) {
            rename("ServiceAccount", name);
        }
    }
    if let Some(Value::Seq(secrets)) = spec.get_mut_value("imagePullSecrets") {
        for secret in secrets {
            if let Some(name) = secret.get_mut_path(&["name"]) {
                rename("Secret", name);
            }
        }
    }
    if let Some(Value::Seq(volumes)) = spec.get_mut_value("volumes") {
        for volume in volumes {
            for (kind, keys) in [
                ("ConfigMap", ["configMap", "name"]),
                ("Secret", ["secret", "secretName"]),
                ("PersistentVolumeClaim", ["persistentVolumeClaim", "claimName"]),
            ] {
                if let Some(name) = volume.get_mut_path(&keys) {
                    rename(kind, name);
                }
            }
        }
    }
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        let Some(Value::Seq(containers)) = spec.get_mut_value(list) else { continue };
        for container in containers {
            if let Some(Value::Seq(env)) = container.get_mut_value("env") {
                for variable in env {
                    for (kind, reference) in [("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")] {
                        if let Some(name) = variable.get_mut_path(&["valueFrom", reference, "name"]) {
                            rename(kind, name);
                        }
                    }
                }
            }
            if let Some(Value::Seq(sources)) = container.get_mut_value("envFrom") {
                for source in sources {
                    for (kind, reference) in [("ConfigMap", "configMapRef"), ("Secret", "secretRef")] {
                        if let Some(name) = source.get_mut_path(&[reference, "name"]) {
                            rename(kind, name);
                        }
                    }
                }
            }
        }
    }
}

/// Mutable access into a tree by mapping keys.
trait NodeMut {
    fn entry_mut(&mut self, key: &str) -> Option<&mut Entry>;
    fn get_mut_value(&mut self, key: &str) -> Option<&mut Value>;
    fn get_mut_path(&mut self, keys: &[&str]) -> Option<&mut Node>;
}

impl NodeMut for Node {
    fn entry_mut(&mut self, key: &str) -> Option<&mut Entry> {
        match &mut self.value {
            Value::Map(entries) => entries.iter_mut().find(|entry| entry.key == key),
            _ => None,
        }
    }

    fn get_mut_value(&mut self, key: &str) -> Option<&mut Value> {
        self.entry_mut(key).map(|entry| &mut entry.value.value)
    }

    fn get_mut_path(&mut self, keys: &[&str]) -> Option<&mut Node> {
        let mut node = self;
        for key in keys {
            node = &mut node.entry_mut(key)?.value;
        }
        Some(node)
    }
}

/// The map at `keys`, created where missing (or replaced where not a map). A map created
/// here takes the position of its nearest existing parent in the object: a field missing
/// from it is to be added in the object's file, while the values a transformer puts in
/// it keep the position of the kustomization field that set them.
fn map_at<'a>(root: &'a mut Node, keys: &[&str]) -> &'a mut Node {
    let mut node = root;
    let mut span = node.span;
    for key in keys {
        if !node.is_map() {
            *node = Node::new(Value::Map(Box::default()), span);
        }
        let Value::Map(entries) = &mut node.value else { unreachable!("made a map above") };
        let position = match entries.iter().position(|entry| entry.key == *key) {
            Some(position) => position,
            None => {
                edit_vec(entries, |entries| {
                    entries.push(Entry {
                        key: (*key).into(),
                        key_span: span,
                        value: Node::new(Value::Map(Box::default()), span),
                    })
                });
                entries.len() - 1
            }
        };
        span = entries[position].key_span;
        node = &mut entries[position].value;
    }
    if !node.is_map() {
        *node = Node::new(Value::Map(Box::default()), span);
    }
    node
}

/// Sets `key` of a map node to `value` (at the value's position).
fn set(map: &mut Node, key: &str, value: Node) {
    let key_span = value.span;
    set_entry(map, Entry { key: key.into(), key_span, value });
}

fn set_entry(map: &mut Node, entry: Entry) {
    let Value::Map(entries) = &mut map.value else { return };
    match entries.iter_mut().find(|existing| existing.key == entry.key) {
        Some(existing) => *existing = entry,
        None => edit_vec(entries, |entries| entries.push(entry)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized_and_images_split() {
        assert_eq!(normalize(Path::new("k/overlays/prod/../../base/d.yaml")), Path::new("k/base/d.yaml"));
        assert_eq!(normalize(Path::new("./a/./b")), Path::new("a/b"));
        assert_eq!(normalize(Path::new("../x")), Path::new("../x"));
        assert_eq!(split_image("nginx:1.2"), ("nginx", ":1.2"));
        assert_eq!(split_image("registry:5000/app"), ("registry:5000/app", ""));
        assert_eq!(split_image("registry:5000/app@sha256:ab"), ("registry:5000/app", "@sha256:ab"));
        assert!(is_inline("apiVersion: v1\nkind: X\n"));
        assert!(!is_inline("patch.yaml"));
    }
}
