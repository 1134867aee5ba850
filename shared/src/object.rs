//! Kubernetes objects read from documents, and the pod specs and containers inside them.
//!
//! A document becomes one object, or several when it is a `kind: List` (what
//! `kubectl get -o yaml` prints). Workload kinds expose their pod spec through
//! [`Object::pod_spec`] with the field path it lives at, so every rule reports paths into
//! the real document (`spec.jobTemplate.spec.template.spec.containers[1].image`).

use serde::Serialize;

use crate::parse::Document;
use crate::tree::Node;

/// One Kubernetes object of the input.
#[derive(Clone, Debug)]
pub struct Object {
    /// Index of the source it came from (in the order the sources were given).
    pub source: usize,
    /// Index of its document within that source.
    pub document: usize,
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub root: Node,
    /// Where the pod template sits, for workload kinds (worked out once: every pod rule asks).
    pod_layout: Option<&'static PodLayout>,
}

/// Where a workload kind keeps its pod template.
#[derive(Debug)]
struct PodLayout {
    template_path: &'static [&'static str],
    spec_path: &'static str,
    metadata_path: &'static str,
}

static POD: PodLayout = PodLayout { template_path: &[], spec_path: "spec", metadata_path: "metadata" };
static POD_TEMPLATE: PodLayout =
    PodLayout { template_path: &["template"], spec_path: "template.spec", metadata_path: "template.metadata" };
static CONTROLLER: PodLayout = PodLayout {
    template_path: &["spec", "template"],
    spec_path: "spec.template.spec",
    metadata_path: "spec.template.metadata",
};
static CRON_JOB: PodLayout = PodLayout {
    template_path: &["spec", "jobTemplate", "spec", "template"],
    spec_path: "spec.jobTemplate.spec.template.spec",
    metadata_path: "spec.jobTemplate.spec.template.metadata",
};

fn pod_layout(group: &str, kind: &str) -> Option<&'static PodLayout> {
    match (group, kind) {
        ("", "Pod") => Some(&POD),
        ("", "PodTemplate") => Some(&POD_TEMPLATE),
        ("", "ReplicationController")
        | ("apps" | "extensions", "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet")
        | ("batch", "Job") => Some(&CONTROLLER),
        ("batch", "CronJob") => Some(&CRON_JOB),
        _ => None,
    }
}

/// Where an object came from and what it is: what reports print for each object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Resource {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub source: String,
    pub document: usize,
    /// The kustomization that built the object, when it was checked as Kustomize deploys
    /// it: `source` (and each finding's line) is then the file to edit, where the object
    /// or the field was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kustomization: Option<String>,
}

impl Resource {
    /// `Deployment prod/web`, `ClusterRole admin`: how messages name an object.
    pub fn display_name(&self) -> String {
        match &self.namespace {
            Some(namespace) => format!("{} {}/{}", self.kind, namespace, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

impl Object {
    /// Reads an object from a node; anything that is not a mapping with a `kind` is kept
    /// with an empty kind (and counted as not checked).
    pub fn from_node(source: usize, document: usize, root: Node) -> Object {
        let text = |keys: &[&str]| root.at(keys).and_then(Node::as_text).unwrap_or_default();
        let api_version = text(&["apiVersion"]);
        let kind = text(&["kind"]);
        let group = group_of(&api_version);
        let pod_layout = pod_layout(group, &kind);
        Object {
            source,
            document,
            namespace: root.at(&["metadata", "namespace"]).and_then(Node::as_text).filter(|ns| !ns.is_empty()),
            name: text(&["metadata", "name"]),
            api_version,
            kind,
            root,
            pod_layout,
        }
    }

    /// The objects of one document: itself, or the items of a `List`.
    pub fn from_document(source: usize, document: Document) -> Vec<Object> {
        let is_list = document.root.field("kind").as_str().is_some_and(|kind| kind == "List" || kind.ends_with("List"))
            && document.root.field("items").is_seq();
        if !is_list {
            return vec![Object::from_node(source, document.index, document.root)];
        }
        let crate::tree::Value::Map(entries) = document.root.value else { return Vec::new() };
        entries
            .into_vec()
            .into_iter()
            .filter(|entry| entry.key == "items")
            .flat_map(|entry| match entry.value.value {
                crate::tree::Value::Seq(items) => items.into_vec(),
                _ => Vec::new(),
            })
            .map(|item| Object::from_node(source, document.index, item))
            .collect()
    }

    pub fn resource(&self, source_name: &str) -> Resource {
        Resource {
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            source: source_name.to_string(),
            document: self.document,
            kustomization: None,
        }
    }

    /// The API group of the object (`""` for the core group).
    pub fn group(&self) -> &str {
        group_of(&self.api_version)
    }

    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.kind == kind && self.group() == group
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.root.at(&["metadata", "annotations", key]).and_then(Node::as_str)
    }

    pub fn labels(&self) -> &Node {
        self.root.field("metadata").field("labels")
    }

    /// The pod spec of a workload, with the path it lives at.
    pub fn pod_spec(&self) -> Option<PodSpec<'_>> {
        let layout = self.pod_layout?;
        let template = self.root.at(layout.template_path)?;
        Some(PodSpec {
            spec: template.field("spec"),
            path: layout.spec_path,
            metadata: template.field("metadata"),
            metadata_path: layout.metadata_path,
            containers: None,
            windows: None,
        })
    }
}

/// A pod spec inside an object.
#[derive(Clone, Copy, Debug)]
pub struct PodSpec<'a> {
    /// The spec node (a null node when the template has no spec).
    pub spec: &'a Node,
    /// Its field path in the object, such as `spec.template.spec`.
    pub path: &'static str,
    /// The pod's metadata: the object's own for a Pod, the template's for a controller.
    pub metadata: &'a Node,
    pub metadata_path: &'static str,
    /// Its containers, when they were listed once for all the rules of the object
    /// (`rules::Cx::pod_spec`).
    containers: Option<&'a [Container<'a>]>,
    /// Whether it declares `os.name: windows`, when that was looked up once already.
    windows: Option<bool>,
}

/// Which list of the pod spec a container is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerKind {
    Init,
    Regular,
    Ephemeral,
}

impl ContainerKind {
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Init => "initContainers",
            ContainerKind::Regular => "containers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }
}

/// One container of a pod spec.
#[derive(Clone, Debug)]
pub struct Container<'a> {
    pub node: &'a Node,
    pub kind: ContainerKind,
    /// Position in its list (`containers[index]`).
    pub index: usize,
    /// Field path of the pod spec, such as `spec.template.spec`.
    pub pod_path: &'static str,
    pub name: &'a str,
    /// Its `securityContext` (a null node when absent): fifteen rules read it.
    security_context: &'a Node,
}

impl<'a> Container<'a> {
    fn new(node: &'a Node, kind: ContainerKind, index: usize, pod_path: &'static str) -> Container<'a> {
        let name = node.field("name").as_str().unwrap_or("");
        Container { node, kind, index, pod_path, name, security_context: node.field("securityContext") }
    }

    /// Field path of the container, such as `spec.template.spec.containers[1]`. Built on
    /// demand: most containers pass most rules and never need it.
    pub fn path(&self) -> String {
        self.path_with(&[])
    }

    /// A field path below this container.
    pub fn path_to(&self, suffix: &str) -> String {
        self.path_with(&[".", suffix])
    }

    /// The container's path followed by `parts`, built in one allocation of the exact
    /// length (findings build one or two per violation; `format!` costs several times more).
    pub(crate) fn path_with(&self, parts: &[&str]) -> String {
        let field = self.kind.field();
        let mut digits = [0u8; 20];
        let index = decimal(self.index, &mut digits);
        let length = self.pod_path.len()
            + 1
            + field.len()
            + index.len()
            + 2
            + parts.iter().map(|part| part.len()).sum::<usize>();
        let mut path = String::with_capacity(length);
        for part in [self.pod_path, ".", field, "[", index, "]"].into_iter().chain(parts.iter().copied()) {
            path.push_str(part);
        }
        path
    }

    /// The container's `securityContext` (a null node when absent).
    pub fn security_context(&self) -> &'a Node {
        self.security_context
    }

    /// `container "app"` or `init container "setup"`: how messages name a container.
    pub fn label(&self) -> String {
        let prefix = match self.kind {
            ContainerKind::Init => "init container \"",
            ContainerKind::Regular => "container \"",
            ContainerKind::Ephemeral => "ephemeral container \"",
        };
        let mut label = String::with_capacity(prefix.len() + self.name.len() + 1);
        label.push_str(prefix);
        label.push_str(self.name);
        label.push('"');
        label
    }
}

impl<'a> PodSpec<'a> {
    /// Every container, in the order upstream Pod Security admission visits them:
    /// init containers, containers, ephemeral containers.
    pub fn containers(&self) -> Containers<'a> {
        match self.containers {
            Some(listed) => Containers::Listed(listed.iter()),
            None => Containers::Walk { spec: self.spec, path: self.path, list: 0, items: [].iter().enumerate() },
        }
    }

    /// The same pod spec, whose containers are `containers` (listed by [`Self::containers`]).
    pub(crate) fn with_containers<'b>(&self, containers: &'b [Container<'a>]) -> PodSpec<'b>
    where
        'a: 'b,
    {
        PodSpec { containers: Some(containers), ..*self }
    }

    /// The same pod spec, which remembers whether it is a Windows pod.
    pub(crate) fn with_os_known(self) -> PodSpec<'a> {
        PodSpec { windows: Some(self.is_windows()), ..self }
    }

    /// A field path below the pod spec.
    pub fn path_to(&self, suffix: &str) -> String {
        let mut path = String::with_capacity(self.path.len() + 1 + suffix.len());
        path.push_str(self.path);
        path.push('.');
        path.push_str(suffix);
        path
    }

    /// The pod-level `securityContext` (a null node when absent).
    pub fn security_context(&self) -> &'a Node {
        self.spec.field("securityContext")
    }

    /// Whether the pod declares `spec.os.name: windows`.
    pub fn is_windows(&self) -> bool {
        if let Some(windows) = self.windows {
            return windows;
        }
        self.spec.at(&["os", "name"]).and_then(Node::as_str) == Some("windows")
    }

    /// Whether the pod runs in a user namespace (`hostUsers: false`, explicitly).
    pub fn in_user_namespace(&self) -> bool {
        self.spec.field("hostUsers").as_bool() == Some(false)
    }

    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.metadata.field("annotations").get(key).and_then(Node::as_str)
    }
}

/// The API group of an `apiVersion`: what comes before its last `/` (`""` for the core
/// group). Rules ask for it of nearly every object; a short scan back costs less than a
/// searcher.
fn group_of(api_version: &str) -> &str {
    match api_version.as_bytes().iter().rposition(|&byte| byte == b'/') {
        Some(slash) => &api_version[..slash],
        None => "",
    }
}

/// The containers of a pod spec ([`PodSpec::containers`]): listed once already, or found
/// list by list.
pub enum Containers<'a> {
    Listed(std::slice::Iter<'a, Container<'a>>),
    Walk {
        spec: &'a Node,
        path: &'static str,
        /// The next list to look at (an index into [`CONTAINER_LISTS`]).
        list: usize,
        items: std::iter::Enumerate<std::slice::Iter<'a, Node>>,
    },
}

/// The container lists of a pod spec, in the order they are visited.
const CONTAINER_LISTS: [ContainerKind; 3] = [ContainerKind::Init, ContainerKind::Regular, ContainerKind::Ephemeral];

impl<'a> Iterator for Containers<'a> {
    type Item = Container<'a>;

    fn next(&mut self) -> Option<Container<'a>> {
        match self {
            Containers::Listed(listed) => listed.next().cloned(),
            Containers::Walk { spec, path, list, items } => loop {
                if let Some((index, node)) = items.next() {
                    return Some(Container::new(node, CONTAINER_LISTS[*list - 1], index, path));
                }
                let kind = CONTAINER_LISTS.get(*list)?;
                *list += 1;
                *items = spec.field(kind.field()).items().iter().enumerate();
            },
        }
    }
}

/// The decimal digits of `number`, written at the end of `buffer`.
fn decimal(mut number: usize, buffer: &mut [u8; 20]) -> &str {
    let mut at = buffer.len();
    loop {
        at -= 1;
        buffer[at] = b'0' + (number % 10) as u8;
        number /= 10;
        if number == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    std::str::from_utf8(&buffer[at..]).unwrap_or_default()
}
