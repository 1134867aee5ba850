//! What the rules of a Role or ClusterRole grant, read as the RBAC authorizer reads them.
//!
//! Kubernetes allows a request when any entry of `rules[]` matches it, so every entry is
//! read, not only the first. An entry matches when its `verbs`, `apiGroups` and `resources`
//! each hold the requested value or `*`; `resources` may also hold `resource/subresource`
//! (`pods/exec`) or `*/subresource` (that subresource of every resource). There is no
//! `pods/*`: upstream matches `*`, exact names and `*/subresource`, nothing else.
//! `resourceNames` narrows an entry to named objects without removing the grant, except for
//! `create` and `deletecollection` of a whole resource, which carry no object name and so
//! are never granted by an entry that lists names.
//!
//! A [`Grant`] remembers which entry of the rule caused it, so a finding points at the
//! `*` or the offending verb or resource (`rules[2].verbs[0]`) and names them.

use crate::object::Object;
use crate::rules::{Cx, Outcome, Violation};
use crate::tree::Node;

use super::{is_left_out, RBAC_GROUP};

/// The `rules` of a Role or ClusterRole the family judges; `None` for other objects and for
/// those left out (see [`is_left_out`]).
pub fn role_rules<'o>(cx: &Cx<'_>, object: &'o Object) -> Option<&'o [Node]> {
    let is_role = object.is(RBAC_GROUP, "Role") || object.is(RBAC_GROUP, "ClusterRole");
    if !is_role || is_left_out(cx, object) {
        return None;
    }
    Some(object.root.field("rules").items())
}

/// A resource of an API group a rule may grant something on: `("", "pods/exec")`. A
/// resource written `userextras/*` stands for any subresource of `userextras` (a request
/// form, not RBAC syntax).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub group: &'static str,
    pub resource: &'static str,
}

impl Target {
    pub const fn new(group: &'static str, resource: &'static str) -> Target {
        Target { group, resource }
    }

    /// Whether the resource is a whole resource rather than one of its subresources.
    fn is_whole_resource(&self) -> bool {
        !self.resource.contains('/')
    }
}

/// The verbs a check asks about.
#[derive(Clone, Copy, Debug)]
pub enum Verbs {
    /// Any verb at all (`nodes/proxy` is dangerous whatever the verb).
    Any,
    Of(&'static [&'static str]),
}

/// Which entry a finding points at when no wildcard is involved: the verb (for checks about
/// verbs, such as `escalate`) or the resource (for checks about resources, such as
/// `secrets`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Verb,
    Resource,
}

/// One part of a question: these verbs on these resources.
#[derive(Clone, Copy, Debug)]
pub struct Clause {
    pub verbs: Verbs,
    pub targets: &'static [Target],
}

/// A question to ask of every rule of a role: does it grant any verb of a clause on any
/// resource of that clause?
#[derive(Clone, Copy, Debug)]
pub struct Query {
    pub clauses: &'static [Clause],
    pub focus: Focus,
}

/// What one entry of `rules[]` grants of a [`Query`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Index of the entry in `rules[]`.
    pub index: usize,
    /// For each clause that matched: the granted verbs, in the order the clause lists them
    /// (for [`Verbs::Any`], as the entry writes them), and the resources they are granted
    /// on, in the order of the clause's targets.
    pub parts: Vec<(Vec<String>, Vec<String>)>,
    /// The fields that granted through `*`: `verbs`, `resources`, `apiGroups`.
    pub wildcards: Vec<&'static str>,
    pub resource_names: Vec<String>,
    /// Field path of the entry that causes the grant: the `*` verb, else the wildcard
    /// resource, else the verb or resource the query focuses on.
    pub path: String,
}

impl Grant {
    /// `rules[2] grants get, list on secrets through `*` in verbs`, with a note when
    /// `resourceNames` narrows the grant.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .parts
            .iter()
            .map(|(verbs, resources)| {
                // A `*` verb is only listed as written when the query asks for any verb.
                let verbs: Vec<&str> =
                    verbs.iter().map(|verb| if verb == "*" { "every verb" } else { verb.as_str() }).collect();
                format!("{} on {}", verbs.join(", "), resources.join(", "))
            })
            .collect();
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        let mut text = format!("rules[{}] grants {}", self.index, join_and(&parts));
        if !self.wildcards.is_empty() {
            text.push_str(&format!(" through `*` in {}", join_and(&self.wildcards)));
        }
        if !self.resource_names.is_empty() {
            text.push_str(&format!(
                "; resourceNames narrow it to {} but do not remove it",
                self.resource_names.join(", ")
            ));
        }
        text
    }

    pub fn violation(&self) -> Violation {
        Violation::new(self.path.clone(), self.describe())
    }
}

/// Runs a query over a role: not applicable to other objects, one violation per entry of
/// `rules[]` that grants something the query asks about.
pub fn check_roles(cx: &Cx<'_>, object: &Object, query: &Query) -> Outcome {
    match role_rules(cx, object) {
        Some(rules) => Outcome::Checked(find(rules, query).iter().map(Grant::violation).collect()),
        None => Outcome::NotApplicable,
    }
}

/// Every entry of `rules` that grants something of the query, in order.
pub fn find(rules: &[Node], query: &Query) -> Vec<Grant> {
    rules.iter().enumerate().filter_map(|(index, rule)| grant(index, rule, query)).collect()
}

/// The strings of a list field with their indices (anything else is skipped: the API
/// server would reject it).
fn entries<'n>(rule: &'n Node, field: &str) -> Vec<(usize, &'n str)> {
    // Borrowed: most entries grant nothing a query asks about, and are not copied.
    rule.field(field)
        .items()
        .iter()
        .enumerate()
        .filter_map(|(index, item)| item.as_str().map(|text| (index, text)))
        .collect()
}

/// Whether a `resources` entry covers the wanted resource, as upstream `ResourceMatches`.
pub fn resource_matches(entry: &str, wanted: &str) -> bool {
    if entry == "*" || entry == wanted {
        return true;
    }
    match wanted.split_once('/') {
        None => false,
        Some((resource, "*")) => {
            entry.strip_prefix(resource).is_some_and(|rest| rest.starts_with('/')) || entry.starts_with("*/")
        }
        Some((_, subresource)) => entry.strip_prefix("*/") == Some(subresource),
    }
}

fn is_wildcard_resource(entry: &str) -> bool {
    entry == "*" || entry.starts_with("*/")
}

/// What one entry grants of the query, if anything.
pub fn grant<'n>(index: usize, rule: &'n Node, query: &Query) -> Option<Grant> {
    let group_entries = entries(rule, "apiGroups");
    let resource_entries = entries(rule, "resources");
    // Most entries cover none of the query's targets (nine queries ask of every entry):
    // they grant nothing, whatever their verbs.
    let covers_a_target = query.clauses.iter().flat_map(|clause| clause.targets).any(|target| {
        group_entries.iter().any(|(_, entry)| *entry == "*" || *entry == target.group)
            && resource_entries.iter().any(|(_, entry)| resource_matches(entry, target.resource))
    });
    if !covers_a_target {
        return None;
    }
    let verb_entries = entries(rule, "verbs");
    let resource_names = entries(rule, "resourceNames");
    let mut parts = Vec::new();
    let mut verb_positions: Vec<usize> = Vec::new();
    let mut resource_positions: Vec<usize> = Vec::new();
    let mut group_wildcard = false;
    for clause in query.clauses {
        // Each requested verb with the entry of `verbs` that grants it.
        let requested: Vec<(&str, usize)> = match clause.verbs {
            Verbs::Any => verb_entries.iter().map(|&(position, verb)| (verb, position)).collect(),
            Verbs::Of(verbs) => verbs
                .iter()
                .filter_map(|verb| {
                    verb_entries
                        .iter()
                        .find(|(_, entry)| *entry == "*" || entry == verb)
                        .map(|(position, _)| (*verb, *position))
                })
                .collect(),
        };
        let mut verbs: Vec<String> = Vec::new();
        let mut resources: Vec<String> = Vec::new();
        for target in clause.targets {
            let Some(&(_, group)) = group_entries.iter().find(|(_, entry)| *entry == "*" || *entry == target.group)
            else {
                continue;
            };
            let Some((resource_position, _)) =
                resource_entries.iter().find(|(_, entry)| resource_matches(entry, target.resource))
            else {
                continue;
            };
            for (verb, verb_position) in &requested {
                let unnamed = matches!(*verb, "create" | "deletecollection") && target.is_whole_resource();
                if unnamed && !resource_names.is_empty() {
                    continue;
                }
                if !verbs.iter().any(|known| known == verb) {
                    verbs.push(verb.to_string());
                }
                if !resources.iter().any(|resource| resource == target.resource) {
                    resources.push(target.resource.to_string());
                }
                verb_positions.push(*verb_position);
                resource_positions.push(*resource_position);
                group_wildcard |= group == "*";
            }
        }
        if !verbs.is_empty() {
            // Keep the clause's verb order even when targets matched in another order.
            if let Verbs::Of(order) = clause.verbs {
                verbs.sort_by_key(|verb| order.iter().position(|wanted| wanted == verb));
            }
            parts.push((verbs, resources));
        }
    }
    if parts.is_empty() {
        return None;
    }
    let text_at = |list: &[(usize, &'n str)], position: usize| {
        list.iter().find(|(index, _)| *index == position).map_or("", |&(_, text)| text)
    };
    let verb_wildcard = verb_positions.iter().copied().find(|position| text_at(&verb_entries, *position) == "*");
    let resource_wildcard =
        resource_positions.iter().copied().find(|position| is_wildcard_resource(text_at(&resource_entries, *position)));
    let path = match (verb_wildcard, resource_wildcard, query.focus) {
        (Some(position), _, _) => format!("rules[{index}].verbs[{position}]"),
        (None, Some(position), _) => format!("rules[{index}].resources[{position}]"),
        (None, None, Focus::Verb) => format!("rules[{index}].verbs[{}]", verb_positions[0]),
        (None, None, Focus::Resource) => format!("rules[{index}].resources[{}]", resource_positions[0]),
    };
    let mut wildcards = Vec::new();
    if verb_wildcard.is_some() {
        wildcards.push("verbs");
    }
    if resource_wildcard.is_some() {
        wildcards.push("resources");
    }
    if group_wildcard {
        wildcards.push("apiGroups");
    }
    let resource_names = resource_names.into_iter().map(|(_, name)| name.to_string()).collect();
    Some(Grant { index, parts, wildcards, resource_names, path })
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [only] => only.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse_source, Limits, Source};

    fn rules_of(text: &str) -> Vec<Node> {
        let (mut documents, errors) = parse_source(&Source::new("role.yaml", text), &Limits::default());
        assert!(errors.is_empty(), "{errors:?}");
        documents.remove(0).root.field("rules").items().to_vec()
    }

    const SECRETS: Query = Query {
        clauses: &[Clause { verbs: Verbs::Of(&["get", "list", "watch"]), targets: &[Target::new("", "secrets")] }],
        focus: Focus::Resource,
    };
    const EXEC: Query = Query {
        clauses: &[Clause { verbs: Verbs::Of(&["create"]), targets: &[Target::new("", "pods/exec")] }],
        focus: Focus::Resource,
    };

    #[test]
    fn every_rule_is_read_and_the_third_one_is_found() {
        let rules = rules_of(
            "rules:\n- apiGroups: ['']\n  resources: [pods]\n  verbs: [get]\n- apiGroups: [apps]\n  resources: [deployments]\n  verbs: [list]\n- apiGroups: ['']\n  resources: [configmaps, '*']\n  verbs: [get, list]\n",
        );
        let grants = find(&rules, &SECRETS);
        assert_eq!(grants.len(), 1);
        assert_eq!(grants[0].index, 2);
        assert_eq!(grants[0].path, "rules[2].resources[1]");
        assert_eq!(grants[0].parts, [(vec!["get".to_string(), "list".to_string()], vec!["secrets".to_string()])]);
        assert_eq!(grants[0].describe(), "rules[2] grants get, list on secrets through `*` in resources");
    }

    #[test]
    fn a_verb_wildcard_is_every_verb_and_is_pointed_at() {
        let rules = rules_of("rules:\n- apiGroups: ['']\n  resources: [secrets]\n  verbs: [list, '*']\n");
        let grants = find(&rules, &SECRETS);
        assert_eq!(grants[0].describe(), "rules[0] grants get, list, watch on secrets through `*` in verbs");
        assert_eq!(grants[0].path, "rules[0].verbs[1]");
        assert_eq!(grants[0].wildcards, ["verbs"]);
    }

    #[test]
    fn a_group_wildcard_matches_the_core_group_and_others_do_not() {
        let rules = rules_of(
            "rules:\n- apiGroups: [apps]\n  resources: [secrets]\n  verbs: [get]\n- apiGroups: ['*']\n  resources: [secrets]\n  verbs: [get]\n",
        );
        let grants = find(&rules, &SECRETS);
        assert_eq!(grants.len(), 1);
        assert_eq!(grants[0].index, 1);
        assert_eq!(grants[0].path, "rules[1].resources[0]");
        assert_eq!(grants[0].describe(), "rules[1] grants get on secrets through `*` in apiGroups");
    }

    #[test]
    fn all_three_wildcards_point_at_the_verb() {
        let rules = rules_of("rules:\n- apiGroups: ['*']\n  resources: ['*']\n  verbs: ['*']\n");
        let grants = find(&rules, &EXEC);
        assert_eq!(grants[0].path, "rules[0].verbs[0]");
        assert_eq!(grants[0].wildcards, ["verbs", "resources", "apiGroups"]);
    }

    #[test]
    fn subresources_match_exactly_or_through_star_slash_only() {
        assert!(resource_matches("pods/exec", "pods/exec"));
        assert!(resource_matches("*/exec", "pods/exec"));
        assert!(resource_matches("*", "pods/exec"));
        // RBAC has no `resource/*` form, and a resource does not cover its subresources.
        assert!(!resource_matches("pods/*", "pods/exec"));
        assert!(!resource_matches("pods", "pods/exec"));
        assert!(!resource_matches("*/exec", "pods"));
        assert!(!resource_matches("*/execute", "pods/exec"));
        // A query for any subresource of a resource.
        assert!(resource_matches("userextras/scopes", "userextras/*"));
        assert!(resource_matches("*/scopes", "userextras/*"));
        assert!(!resource_matches("userextrasx/scopes", "userextras/*"));
        assert!(!resource_matches("userextras", "userextras/*"));
    }

    #[test]
    fn resource_names_narrow_but_do_not_excuse() {
        let rules = rules_of(
            "rules:\n- apiGroups: ['']\n  resources: [secrets]\n  resourceNames: [db-password]\n  verbs: [get]\n",
        );
        let grants = find(&rules, &SECRETS);
        assert_eq!(
            grants[0].describe(),
            "rules[0] grants get on secrets; resourceNames narrow it to db-password but do not remove it"
        );
    }

    #[test]
    fn resource_names_never_grant_create_of_a_whole_resource() {
        const CREATE_PODS: Query = Query {
            clauses: &[Clause { verbs: Verbs::Of(&["create"]), targets: &[Target::new("", "pods")] }],
            focus: Focus::Resource,
        };
        let rules = rules_of(
            "rules:\n- apiGroups: ['']\n  resources: [pods, pods/exec]\n  resourceNames: [web-0]\n  verbs: ['*']\n",
        );
        assert!(find(&rules, &CREATE_PODS).is_empty());
        // A subresource request names its object, so resourceNames narrow it only.
        assert_eq!(find(&rules, &EXEC).len(), 1);
    }

    #[test]
    fn verbs_that_are_not_asked_about_grant_nothing() {
        let rules = rules_of("rules:\n- apiGroups: ['']\n  resources: [secrets]\n  verbs: [create, delete]\n- nonResourceURLs: ['*']\n  verbs: [get]\n");
        assert!(find(&rules, &SECRETS).is_empty());
    }

    #[test]
    fn any_verb_lists_the_verbs_as_written() {
        const PROXY: Query = Query {
            clauses: &[Clause { verbs: Verbs::Any, targets: &[Target::new("", "nodes/proxy")] }],
            focus: Focus::Resource,
        };
        let rules = rules_of("rules:\n- apiGroups: ['']\n  resources: [nodes, nodes/proxy]\n  verbs: [get, list]\n");
        let grants = find(&rules, &PROXY);
        assert_eq!(grants[0].describe(), "rules[0] grants get, list on nodes/proxy");
        assert_eq!(grants[0].path, "rules[0].resources[1]");
    }

    #[test]
    fn any_verb_through_a_wildcard_reads_as_every_verb() {
        const PROXY: Query = Query {
            clauses: &[Clause { verbs: Verbs::Any, targets: &[Target::new("", "nodes/proxy")] }],
            focus: Focus::Resource,
        };
        let rules = rules_of("rules:\n- apiGroups: ['']\n  resources: ['*/proxy']\n  verbs: ['*']\n");
        assert_eq!(
            find(&rules, &PROXY)[0].describe(),
            "rules[0] grants every verb on nodes/proxy through `*` in verbs and resources"
        );
    }

    #[test]
    fn lists_are_joined_for_reading() {
        assert_eq!(join_and(&["verbs"]), "verbs");
        assert_eq!(join_and(&["verbs", "resources"]), "verbs and resources");
        assert_eq!(join_and(&["verbs", "resources", "apiGroups"]), "verbs, resources and apiGroups");
    }
}
