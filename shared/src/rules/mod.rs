//! The rule registry and what a rule is made of.
//!
//! Each rule lives in its own file under `rules/<family>/`, declared with [`declare_rule!`]:
//! its doc comment (with the fixed headings `What it checks`, `Why it matters`, `Example`,
//! `Use instead`, `References`) becomes the documentation that `rampart explain` prints and
//! the examples the registry test runs. [`RULES`] lists every rule in a fixed order; ids are
//! stable and never reused.

use std::sync::LazyLock;

use serde::Serialize;

use crate::config::Config;
use crate::index::{Anchors, Index};
use crate::object::{Container, Object, PodSpec};
use crate::pss::PssLevel;

pub mod control_plane;
pub mod images;
pub mod namespaces;
pub mod network;
pub mod pss;
pub mod rbac;
pub mod secrets;
#[cfg(test)]
pub(crate) mod testing;
pub mod workloads;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] =
        [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|severity| severity.as_str() == text)
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// The family a rule belongs to (the sections of RULES.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    Pss,
    Workloads,
    Images,
    Secrets,
    Network,
    Rbac,
    Namespaces,
    ControlPlane,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Pss => "pss",
            Family::Workloads => "workloads",
            Family::Images => "images",
            Family::Secrets => "secrets",
            Family::Network => "network",
            Family::Rbac => "rbac",
            Family::Namespaces => "namespaces",
            Family::ControlPlane => "control-plane",
        }
    }
}

/// What a rule needs to judge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The object alone.
    Object,
    /// The object and others it relates to.
    Context,
    /// Files only, never a live cluster.
    Manifest,
    /// The cluster as a whole.
    Cluster,
}

/// The Pod Security Standards check a `pss-*` rule implements.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PssCheck {
    pub level: PssLevel,
    /// The upstream check id (`allowPrivilegeEscalation`).
    pub check: &'static str,
    /// First policy minor version (`v1.N`) at which the check exists.
    pub since: u32,
    /// The baseline rule this restricted rule replaces at the restricted level, and from
    /// which minor version on.
    pub overrides: Option<(&'static str, u32)>,
}

/// One rule: metadata, documentation and the check.
pub struct Rule {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub family: Family,
    pub scope: Scope,
    pub pss: Option<PssCheck>,
    /// Layer of the hardening guide (1 cluster … 7 supply chain).
    pub guide_layer: Option<u8>,
    /// CIS Kubernetes Benchmark section, where one exists.
    pub cis: Option<&'static str>,
    /// What to do about a finding, in one sentence.
    pub remediation: &'static str,
    /// The documentation in Markdown, from the rule's doc comment.
    pub docs: &'static str,
    pub check: fn(&Cx<'_>, &Object) -> Outcome,
    /// Builds the fix of a violation, for rules that have one (their docs then say how
    /// safe it is under `## Fix safety`).
    pub fix: Option<crate::fix::FixFn>,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Rule").field("id", &self.id).finish_non_exhaustive()
    }
}

/// The doc sections every rule has.
pub const DOC_SECTIONS: [&str; 5] = ["What it checks", "Why it matters", "Example", "Use instead", "References"];

impl Rule {
    /// The documentation as Markdown (doc-comment lines lose their one leading space).
    pub fn documentation(&self) -> String {
        self.docs.lines().map(|line| line.strip_prefix(' ').unwrap_or(line)).collect::<Vec<_>>().join("\n")
    }

    /// The text under a `## heading` of the documentation.
    pub fn doc_section(&self, heading: &str) -> Option<String> {
        let docs = self.documentation();
        let marker = format!("## {heading}\n");
        let start = docs.find(&marker)? + marker.len();
        let rest = &docs[start..];
        let end = rest.find("\n## ").unwrap_or(rest.len());
        Some(rest[..end].trim_matches('\n').to_string())
    }

    /// The first fenced YAML block of a section (the Example or Use instead manifest).
    pub fn doc_yaml(&self, heading: &str) -> Option<String> {
        let section = self.doc_section(heading)?;
        let start = section.find("```yaml")?;
        let body = &section[start + "```yaml".len()..];
        let body = &body[body.find('\n')? + 1..];
        let end = body.find("```")?;
        Some(body[..end].to_string())
    }
}

/// What a rule concluded about one object.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// The rule does not apply to this object (another kind, an older policy version).
    NotApplicable,
    /// The rule applied; no violation means it passed.
    Checked(Vec<Violation>),
}

impl Outcome {
    pub fn pass() -> Outcome {
        Outcome::Checked(Vec::new())
    }
}

/// One violation found by a rule: the field path it is about (which may not exist; the
/// finding then points at its nearest existing parent) and a message naming what is wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    pub path: String,
    pub message: String,
}

impl Violation {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Violation { path: path.into(), message: message.into() }
    }
}

/// Whether the input is a set of manifests or a live cluster's objects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    #[default]
    Manifests,
    Cluster,
}

/// What a check can see besides the object: settings and the index of the whole input.
pub struct Cx<'a> {
    pub config: &'a Config,
    /// Pod Security Standards policy version, as the minor number of `v1.N`.
    pub pss_version: u32,
    pub mode: Mode,
    pub index: &'a Index,
    /// Whether the object being checked anchors namespace-wide or cluster-wide findings.
    pub anchors: Anchors,
    /// What the rules of the object being checked share, worked out once for all of them
    /// (empty when the context serves no one object, as for fixes).
    view: ObjectView<'a>,
}

impl<'a> Cx<'a> {
    /// A context that serves any object: what the rules look up in an object is looked up
    /// again each time.
    pub fn new(config: &'a Config, pss_version: u32, mode: Mode, index: &'a Index, anchors: Anchors) -> Cx<'a> {
        Cx { config, pss_version, mode, index, anchors, view: ObjectView::default() }
    }

    /// The context of the rules of one object: its pod spec and containers are looked up
    /// once, for all of them (about fifty rules read them).
    pub fn for_object(mut self, object: &'a Object) -> Cx<'a> {
        self.view = ObjectView::of(object);
        self
    }

    /// Whether a rule that follows references may judge an object of this namespace: the
    /// input holds the whole namespace, and the namespace is not a system one the
    /// configuration leaves out.
    pub fn sees_whole_namespace(&self, namespace: &str) -> bool {
        !self.config.leaves_out_namespace(namespace) && self.index.namespace_complete(namespace)
    }

    /// The pod spec of a workload ([`Object::pod_spec`]), with its containers already
    /// listed when `object` is the one this context serves.
    pub fn pod_spec<'s>(&'s self, object: &'s Object) -> Option<PodSpec<'s>> {
        match &self.view.object {
            Some(viewed) if std::ptr::eq(*viewed, object) => {
                self.view.pod.as_ref().map(|pod| pod.spec.with_containers(&pod.containers))
            }
            _ => object.pod_spec(),
        }
    }

    /// Whether any container of the object's pod spec might run the kube-apiserver (a cheap
    /// first look that nine rules make).
    pub(crate) fn might_run_api_server(&self, object: &Object) -> bool {
        match &self.view.object {
            Some(viewed) if std::ptr::eq(*viewed, object) => {
                self.view.pod.as_ref().is_some_and(|pod| pod.might_run_api_server)
            }
            _ => object.pod_spec().is_some_and(|pod| {
                pod.containers().any(|container| control_plane::flags::might_run_api_server(container.node))
            }),
        }
    }

    /// Runs `check` over the pod spec of a workload; not applicable to other objects.
    pub fn on_pod(&self, object: &Object, check: impl FnOnce(PodSpec<'_>, &mut Vec<Violation>)) -> Outcome {
        match self.pod_spec(object) {
            Some(pod) => {
                let mut violations = Vec::new();
                check(pod, &mut violations);
                Outcome::Checked(violations)
            }
            None => Outcome::NotApplicable,
        }
    }
}

/// An object's pod spec and containers, looked up once for all the rules of the object.
#[derive(Default)]
struct ObjectView<'a> {
    object: Option<&'a Object>,
    pod: Option<PodView<'a>>,
}

struct PodView<'a> {
    spec: PodSpec<'a>,
    containers: Vec<Container<'a>>,
    might_run_api_server: bool,
}

impl<'a> ObjectView<'a> {
    fn of(object: &'a Object) -> ObjectView<'a> {
        let pod = object.pod_spec().map(|spec| {
            let containers: Vec<Container<'a>> = spec.containers().collect();
            let might_run_api_server =
                containers.iter().any(|container| control_plane::flags::might_run_api_server(container.node));
            PodView { spec: spec.with_os_known(), containers, might_run_api_server }
        });
        ObjectView { object: Some(object), pod }
    }
}

/// Declares a rule: the doc comment becomes both rustdoc and the rule's `docs` string.
/// Every field of [`Rule`] but `docs` is given, in any order; `fix` may be left out (the
/// rule has no fix).
#[macro_export]
macro_rules! declare_rule {
    ($(#[doc = $doc:literal])* pub static RULE = Rule { $($body:tt)* };) => {
        $crate::declare_rule!(@fields [$($doc)*] [] [None] $($body)*);
    };
    // `fix: value` or `fix` (a function named `fix`): remembered apart, to default it.
    (@fields $docs:tt [$($done:tt)*] $fix:tt fix: $value:expr $(, $($rest:tt)*)?) => {
        $crate::declare_rule!(@fields $docs [$($done)*] [Some($value)] $($($rest)*)?);
    };
    (@fields $docs:tt [$($done:tt)*] $fix:tt fix $(, $($rest:tt)*)?) => {
        $crate::declare_rule!(@fields $docs [$($done)*] [Some(fix)] $($($rest)*)?);
    };
    (@fields $docs:tt [$($done:tt)*] $fix:tt $field:ident $(, $($rest:tt)*)?) => {
        $crate::declare_rule!(@fields $docs [$($done)* $field: $field,] $fix $($($rest)*)?);
    };
    (@fields $docs:tt [$($done:tt)*] $fix:tt $field:ident: $value:expr $(, $($rest:tt)*)?) => {
        $crate::declare_rule!(@fields $docs [$($done)* $field: $value,] $fix $($($rest)*)?);
    };
    (@fields [$($doc:literal)*] [$($done:tt)*] [$fix:expr]) => {
        $(#[doc = $doc])*
        pub static RULE: $crate::rules::Rule = $crate::rules::Rule {
            docs: concat!($($doc, "\n"),*),
            fix: $fix,
            $($done)*
        };
    };
}

/// Every rule, in catalog order (family by family). Ids are never renamed or reused.
pub static RULES: LazyLock<Vec<&'static Rule>> = LazyLock::new(|| {
    [
        pss::RULES,
        workloads::RULES,
        images::RULES,
        secrets::RULES,
        network::RULES,
        rbac::RULES,
        namespaces::RULES,
        control_plane::RULES,
    ]
    .concat()
});

/// Looks a rule up by id.
pub fn find(id: &str) -> Option<&'static Rule> {
    // A finding's rule id is the rule's own string: its address finds it without comparing
    // text (this runs once per finding), among the rules sorted by that address.
    let by_address = &*RULES_BY_ID_ADDRESS;
    by_address
        .binary_search_by_key(&(id.as_ptr() as usize), |rule| rule.id.as_ptr() as usize)
        .ok()
        .map(|at| by_address[at])
        .filter(|rule| std::ptr::eq(rule.id, id))
        .or_else(|| RULES.iter().copied().find(|rule| rule.id == id))
}

/// [`RULES`] in the order of their ids' addresses, for [`find`].
static RULES_BY_ID_ADDRESS: LazyLock<Vec<&'static Rule>> = LazyLock::new(|| {
    let mut rules = RULES.clone();
    rules.sort_by_key(|rule| rule.id.as_ptr() as usize);
    rules
});
