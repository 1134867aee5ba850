//! RoleBindings and ClusterRoleBindings: which role they grant, and to which subjects.

use crate::object::Object;
use crate::rules::{Cx, Outcome, Violation};

use super::{is_left_out, RBAC_GROUP};

/// A binding the family judges.
#[derive(Debug)]
pub struct Binding<'a> {
    /// `RoleBinding` or `ClusterRoleBinding`.
    pub kind: &'a str,
    /// `Role` or `ClusterRole`.
    pub role_kind: &'a str,
    pub role_name: &'a str,
    pub subjects: Vec<Subject<'a>>,
}

/// One entry of a binding's `subjects`.
#[derive(Debug)]
pub struct Subject<'a> {
    pub index: usize,
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: &'a str,
    pub name: &'a str,
    pub namespace: Option<&'a str>,
}

impl Subject<'_> {
    /// Field path of the subject's name: where a finding about the subject points.
    pub fn path(&self) -> String {
        format!("subjects[{}].name", self.index)
    }

    /// `Group system:authenticated`, `ServiceAccount ci/deployer`: how messages name it.
    pub fn label(&self) -> String {
        match self.namespace {
            Some(namespace) if self.kind == "ServiceAccount" => format!("{} {namespace}/{}", self.kind, self.name),
            _ => format!("{} {}", self.kind, self.name),
        }
    }

    /// A user or group (never a ServiceAccount, whose names cannot hold `:`) of that name.
    pub fn is_user_or_group(&self, name: &str) -> bool {
        self.kind != "ServiceAccount" && self.name == name
    }
}

impl Binding<'_> {
    /// `ClusterRole cluster-admin`: how messages name the granted role.
    pub fn role_label(&self) -> String {
        format!("{} {}", self.role_kind, self.role_name)
    }

    /// Whether the binding grants the ClusterRole of that name (a Role of the same name is
    /// someone's own namespaced role, not the built-in).
    pub fn grants_cluster_role(&self, name: &str) -> bool {
        self.role_kind == "ClusterRole" && self.role_name == name
    }
}

/// Field path of the granted role's name.
pub const ROLE_NAME_PATH: &str = "roleRef.name";

/// The binding, for RoleBindings and ClusterRoleBindings the family judges; `None` for other
/// objects and for those left out (see [`is_left_out`]).
pub fn binding<'o>(cx: &Cx<'_>, object: &'o Object) -> Option<Binding<'o>> {
    let is_binding = object.is(RBAC_GROUP, "RoleBinding") || object.is(RBAC_GROUP, "ClusterRoleBinding");
    if !is_binding || is_left_out(cx, object) {
        return None;
    }
    let role = object.root.field("roleRef");
    let subjects = object
        .root
        .field("subjects")
        .items()
        .iter()
        .enumerate()
        .map(|(index, subject)| Subject {
            index,
            kind: subject.field("kind").as_str().unwrap_or(""),
            name: subject.field("name").as_str().unwrap_or(""),
            namespace: subject.field("namespace").as_str().filter(|namespace| !namespace.is_empty()),
        })
        .collect();
    Some(Binding {
        kind: object.kind.as_str(),
        role_kind: role.field("kind").as_str().unwrap_or(""),
        role_name: role.field("name").as_str().unwrap_or(""),
        subjects,
    })
}

/// Runs `check` over a binding; not applicable to other objects.
pub fn check_bindings(cx: &Cx<'_>, object: &Object, check: impl FnOnce(&Binding<'_>, &mut Vec<Violation>)) -> Outcome {
    match binding(cx, object) {
        Some(binding) => {
            let mut violations = Vec::new();
            check(&binding, &mut violations);
            Outcome::Checked(violations)
        }
        None => Outcome::NotApplicable,
    }
}
