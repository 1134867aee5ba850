//! The policies compiled and evaluated: what [`super::PolicySet`] runs when the CEL
//! interpreter is built in (the `cel` feature).

use std::cell::Cell;
use std::rc::Rc;

use rampart_cel::{Activation, Env, Program, Value};

use super::resources::{self, Candidate, ResourceName};
use super::{
    is_policy, is_policy_object, Notice, Outcome, PolicyOptions, PolicyReport, PolicySummary, Violation, RULE_PREFIX,
    SEVERITY_ANNOTATION,
};
use crate::object::Object;
use crate::parse::{parse_source, Limits, ParseError, Source};
use crate::rules::Severity;
use crate::selector;
use crate::tree::{self, Node};

/// What an expression's evaluation may cost, as the API server's per-expression limit.
pub const COST_LIMIT: u64 = rampart_cel::DEFAULT_COST_LIMIT;

const GLOBALS: [&str; 5] = ["object", "oldObject", "params", "namespaceObject", "request"];
const OBJECT: usize = 0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FailurePolicy {
    Fail,
    Ignore,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NotFound {
    Allow,
    Deny,
}

struct Compiled {
    program: Program,
    text: String,
}

struct Validation {
    expression: Compiled,
    message: Option<String>,
    message_expression: Option<Compiled>,
    /// Where its findings may point (see [`finding_paths`]).
    paths: Vec<String>,
}

struct Binding {
    name: String,
    actions: Vec<String>,
    match_resources: Option<Node>,
    param_ref: Option<Node>,
}

struct Policy {
    name: String,
    rule: String,
    annotation_severity: Option<Severity>,
    failure_policy: FailurePolicy,
    param_kind: Option<(String, String)>,
    constraints: Node,
    match_conditions: Vec<(String, Compiled)>,
    variables: Vec<Program>,
    variable_names: Vec<String>,
    validations: Vec<Validation>,
    bindings: Vec<Binding>,
}

/// The policies of one check, compiled.
pub(super) struct Engine {
    policies: Vec<Policy>,
    /// Objects that may serve as params: those of the policy sources and of the input.
    params: Vec<Object>,
    /// What the evaluations of this check may cost in all ([`Limits::policy_cost`]).
    budget: u64,
    spent: Cell<u64>,
    /// Objects not evaluated because the budget was spent.
    skipped: Cell<usize>,
}

/// Where character `index` of a scalar's value lies in its source: the scalar's content
/// read line by line (a block scalar from the line after its `|` or `>`, a quoted one after
/// its quote), each line break of the source standing for one character of the value (a
/// newline in literal blocks, a space when folded). Exact for plain, quoted and block
/// scalars without escapes.
fn place_in_source(node: &Node, text: &str, index: usize) -> (u32, u32) {
    let offset = (node.span.offset as usize).min(text.len());
    let (mut line, mut content) = match text.as_bytes().get(offset) {
        Some(b'"' | b'\'') => (node.span.line, offset + 1),
        Some(b'|' | b'>') => {
            let next_line = text[offset..].find('\n').map_or(text.len(), |at| offset + at + 1);
            (node.span.line + 1, next_line)
        }
        _ => (node.span.line, offset),
    };
    let mut left = index;
    let mut first = !matches!(text.as_bytes().get(offset), Some(b'|' | b'>'));
    loop {
        let rest = &text[content..];
        let line_text = rest.split('\n').next().unwrap_or("");
        let skipped = if first { 0 } else { line_text.chars().take_while(|c| *c == ' ' || *c == '\t').count() };
        let line_start_column = if first { node.span.column + u32::from(content > offset) } else { skipped as u32 + 1 };
        let characters = line_text.chars().count() - skipped;
        if left <= characters || content + line_text.len() >= text.len() {
            return (line, line_start_column + left as u32);
        }
        left -= characters + 1;
        content += line_text.len() + 1;
        line += 1;
        first = false;
    }
}

struct Loader<'a> {
    errors: Vec<ParseError>,
    notices: Vec<Notice>,
    source_name: &'a str,
    source_text: &'a str,
}

impl Loader<'_> {
    fn error_at(&mut self, node: &Node, message: String) {
        self.errors.push(ParseError {
            source_name: self.source_name.to_string(),
            line: node.span.line,
            column: node.span.column,
            message,
        });
    }

    /// Compiles the expression in `node`; an error is placed at its line and column.
    fn compile(&mut self, policy: &str, field: &str, node: &Node, env: &Env) -> Option<Compiled> {
        let Some(text) = node.as_text() else {
            self.error_at(node, format!("policy '{policy}': {field} must be a string holding a CEL expression"));
            return None;
        };
        match Program::compile(&text, env) {
            Ok(program) => Some(Compiled { program, text }),
            Err(error) => {
                let index = text.get(..error.offset as usize).map_or(0, |before| before.chars().count());
                let (line, column) = place_in_source(node, self.source_text, index);
                self.errors.push(ParseError {
                    source_name: self.source_name.to_string(),
                    line,
                    column,
                    message: format!("policy '{policy}': {field}: {}", error.message),
                });
                None
            }
        }
    }
}

fn env_with(variables: &[String]) -> Env {
    Env {
        globals: GLOBALS.iter().map(|name| name.to_string()).collect(),
        variables: variables.to_vec(),
        unsupported: vec![(
            "authorizer".to_string(),
            "'authorizer' is not supported by Rampart: a check has no requesting user to authorize; write the policy without authorizer checks".to_string(),
        )],
    }
}

/// The field paths a finding may point at: `fieldPath` when the validation has one, else
/// the `object.…` paths its expression reads, directly or through the variables it uses,
/// deepest first (the most specific field).
fn finding_paths(field_path: Option<&str>, program: &Program, variables: &[Program]) -> Vec<String> {
    if let Some(path) = field_path {
        return vec![path.trim_start_matches('.').to_string()];
    }
    let mut segments_list = program.paths_under(OBJECT);
    let mut pending = program.variables_used();
    let mut seen = Vec::new();
    while let Some(index) = pending.pop() {
        if seen.contains(&index) {
            continue;
        }
        seen.push(index);
        if let Some(variable) = variables.get(index) {
            segments_list.extend(variable.paths_under(OBJECT));
            pending.extend(variable.variables_used());
        }
    }
    segments_list.sort_by_key(|segments| std::cmp::Reverse(segments.len()));
    let mut paths: Vec<String> = Vec::new();
    for segments in segments_list {
        let mut path = String::new();
        for segment in segments {
            if segment.starts_with('[') {
                path.push_str(&segment);
            } else if segment.contains(['.', '/', '[', '"']) {
                // Keys holding dots (label and annotation names) are written in brackets.
                path.push_str(&format!("[\"{segment}\"]"));
            } else {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&segment);
            }
        }
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    paths
}

/// Of a validation's candidate paths, the first that exists in the object, else the first.
fn path_in(root: &Node, candidates: &[String]) -> String {
    let exists = |path: &str| {
        let mut node = root;
        for step in tree::PathSteps::new(path) {
            let next = match step {
                tree::Step::Key(key) => node.get(key),
                tree::Step::Index(index) => node.items().get(index),
            };
            match next {
                Some(found) => node = found,
                None => return false,
            }
        }
        true
    };
    candidates.iter().find(|path| exists(path)).or(candidates.first()).cloned().unwrap_or_default()
}

impl Policy {
    fn read(object: &Object, loader: &mut Loader<'_>) -> Option<Policy> {
        let name = object.name.clone();
        let spec = object.root.field("spec");
        let before = loader.errors.len();
        let failure_policy = match spec.field("failurePolicy").as_str() {
            None | Some("Fail") => FailurePolicy::Fail,
            Some("Ignore") => FailurePolicy::Ignore,
            Some(other) => {
                loader.error_at(
                    spec.field("failurePolicy"),
                    format!("policy '{name}': failurePolicy '{other}' must be Fail or Ignore"),
                );
                FailurePolicy::Fail
            }
        };
        let annotation_severity = match object.annotation(SEVERITY_ANNOTATION) {
            None => None,
            Some(text) => match Severity::parse(text) {
                Some(severity) => Some(severity),
                None => {
                    let node =
                        object.root.at(&["metadata", "annotations", SEVERITY_ANNOTATION]).unwrap_or(&object.root);
                    loader.error_at(node, format!("policy '{name}': {SEVERITY_ANNOTATION} '{text}' must be one of critical, high, medium, low, info"));
                    None
                }
            },
        };
        let param_kind = match spec.get("paramKind") {
            None => None,
            Some(kind) => {
                let api_version = kind.field("apiVersion").as_text().or_else(|| {
                    // v1alpha1 spelled it group + version.
                    let version = kind.field("version").as_text()?;
                    Some(match kind.field("group").as_text().filter(|group| !group.is_empty()) {
                        Some(group) => format!("{group}/{version}"),
                        None => version,
                    })
                });
                match (api_version, kind.field("kind").as_text()) {
                    (Some(api_version), Some(kind_name)) => Some((api_version, kind_name)),
                    _ => {
                        loader.error_at(kind, format!("policy '{name}': paramKind needs apiVersion and kind"));
                        None
                    }
                }
            }
        };
        let constraints = spec.field("matchConstraints").clone();
        if constraints.field("resourceRules").items().is_empty() {
            loader.error_at(
                if constraints.is_null() { spec } else { &constraints },
                format!(
                    "policy '{name}': spec.matchConstraints.resourceRules is required (the policy would match nothing)"
                ),
            );
        }
        let mut variable_names: Vec<String> = Vec::new();
        let mut variables = Vec::new();
        for (index, variable) in spec.field("variables").items().iter().enumerate() {
            let Some(variable_name) = variable.field("name").as_text() else {
                loader.error_at(variable, format!("policy '{name}': variables[{index}] needs a name"));
                continue;
            };
            let env = env_with(&variable_names);
            if let Some(compiled) = loader.compile(
                &name,
                &format!("variables[{index}] ({variable_name})"),
                variable.field("expression"),
                &env,
            ) {
                variables.push(compiled.program);
            }
            variable_names.push(variable_name);
        }
        let env = env_with(&variable_names);
        let mut match_conditions = Vec::new();
        for (index, condition) in spec.field("matchConditions").items().iter().enumerate() {
            let condition_name = condition.field("name").as_text().unwrap_or_else(|| format!("#{index}"));
            if let Some(compiled) = loader.compile(
                &name,
                &format!("matchConditions[{index}] ({condition_name})"),
                condition.field("expression"),
                &env,
            ) {
                match_conditions.push((condition_name, compiled));
            }
        }
        let mut validations = Vec::new();
        for (index, validation) in spec.field("validations").items().iter().enumerate() {
            let expression = loader.compile(
                &name,
                &format!("validations[{index}].expression"),
                validation.field("expression"),
                &env,
            );
            let message_expression = match validation.get("messageExpression") {
                Some(node) => loader.compile(&name, &format!("validations[{index}].messageExpression"), node, &env),
                None => None,
            };
            if let Some(expression) = expression {
                let paths = finding_paths(validation.field("fieldPath").as_str(), &expression.program, &variables);
                validations.push(Validation {
                    expression,
                    message: validation.field("message").as_text().filter(|message| !message.is_empty()),
                    message_expression,
                    paths,
                });
            }
        }
        if spec.field("validations").items().is_empty() {
            loader.notices.push(Notice {
                source: loader.source_name.to_string(),
                line: object.root.span.line,
                message: format!("policy '{name}' has no validations: it never denies anything"),
            });
        }
        if !spec.field("auditAnnotations").items().is_empty() {
            loader.notices.push(Notice {
                source: loader.source_name.to_string(),
                line: spec.field("auditAnnotations").span.line,
                message: format!("policy '{name}': auditAnnotations only annotate audit events and are not evaluated"),
            });
        }
        if loader.errors.len() > before {
            return None;
        }
        Some(Policy {
            rule: format!("{RULE_PREFIX}{name}"),
            name,
            annotation_severity,
            failure_policy,
            param_kind,
            constraints,
            match_conditions,
            variables,
            variable_names,
            validations,
            bindings: Vec::new(),
        })
    }

    fn severity(&self, binding: &Binding) -> Severity {
        if let Some(severity) = self.annotation_severity {
            return severity;
        }
        binding
            .actions
            .iter()
            .map(|action| match action.as_str() {
                "Deny" => Severity::High,
                "Warn" => Severity::Medium,
                _ => Severity::Low,
            })
            .max()
            .unwrap_or(Severity::High)
    }
}

fn read_binding(object: &Object, loader: &mut Loader<'_>) -> Option<(String, Binding)> {
    let spec = object.root.field("spec");
    let name = object.name.clone();
    let Some(policy_name) = spec.field("policyName").as_text().filter(|policy| !policy.is_empty()) else {
        loader.error_at(&object.root, format!("binding '{name}': spec.policyName is required"));
        return None;
    };
    let actions: Vec<String> = spec.field("validationActions").items().iter().filter_map(Node::as_text).collect();
    if actions.is_empty() {
        loader.error_at(spec, format!("binding '{name}': spec.validationActions is required (Deny, Warn or Audit)"));
        return None;
    }
    if let Some(bad) = actions.iter().find(|action| !matches!(action.as_str(), "Deny" | "Warn" | "Audit")) {
        loader.error_at(
            spec.field("validationActions"),
            format!("binding '{name}': validation action '{bad}' must be Deny, Warn or Audit"),
        );
        return None;
    }
    if actions.iter().any(|action| action == "Deny") && actions.iter().any(|action| action == "Warn") {
        loader.error_at(
            spec.field("validationActions"),
            format!("binding '{name}': Deny and Warn may not be used together"),
        );
        return None;
    }
    Some((
        policy_name,
        Binding {
            name,
            actions,
            match_resources: spec.get("matchResources").cloned(),
            param_ref: spec.get("paramRef").cloned(),
        },
    ))
}

impl Engine {
    /// Reads and compiles the policies of `options` (and of the input, when asked).
    /// `input` is the checked objects with the sources they came from.
    pub fn load(
        options: &PolicyOptions,
        input: &[Object],
        input_sources: &[Source],
        limits: &Limits,
    ) -> (Engine, PolicyReport) {
        let mut report = PolicyReport::default();
        // Each policy or binding with the name and text of its source (for error positions).
        let mut policy_objects: Vec<(&str, &str, Object)> = Vec::new();
        let mut params: Vec<Object> = Vec::new();
        for source in &options.sources {
            let (documents, errors) = parse_source(source, limits);
            report.errors.extend(errors);
            for document in documents {
                for object in Object::from_document(0, document) {
                    if is_policy_object(&object) {
                        policy_objects.push((&source.name, &source.text, object));
                    } else if !object.kind.is_empty() {
                        params.push(object);
                    }
                }
            }
        }
        let mut in_input = 0;
        for object in input {
            if is_policy_object(object) {
                if options.from_input {
                    let source = input_sources.get(object.source);
                    policy_objects.push((
                        source.map_or("", |source| source.name.as_str()),
                        source.map_or("", |source| source.text.as_str()),
                        object.clone(),
                    ));
                } else if is_policy(object) {
                    in_input += 1;
                }
            }
        }
        if in_input > 0 {
            let first = input.iter().find(|object| is_policy(object));
            report.notices.push(Notice {
                source: first.and_then(|object| input_sources.get(object.source)).map_or_else(String::new, |source| source.name.clone()),
                line: first.map_or(0, |object| object.root.span.line),
                message: format!(
                    "{in_input} ValidatingAdmissionPolicy object(s) in the checked input were not applied (--policies-from-input applies them)"
                ),
            });
        }
        let mut policies: Vec<(Policy, String, u32)> = Vec::new();
        // Policies that could not be read: their bindings are not "missing a policy".
        let mut broken: Vec<String> = Vec::new();
        let mut bindings: Vec<(String, Binding, String, u32)> = Vec::new();
        for (source_name, source_text, object) in &policy_objects {
            let mut loader = Loader { errors: Vec::new(), notices: Vec::new(), source_name, source_text };
            if is_policy(object) {
                if object.name.is_empty() {
                    loader.error_at(&object.root, "a ValidatingAdmissionPolicy needs metadata.name".to_string());
                } else if policies.iter().any(|(policy, ..)| policy.name == object.name) {
                    loader.error_at(&object.root, format!("policy '{}' is defined twice", object.name));
                } else if let Some(policy) = Policy::read(object, &mut loader) {
                    policies.push((policy, source_name.to_string(), object.root.span.line));
                } else {
                    broken.push(object.name.clone());
                }
            } else if let Some((policy_name, binding)) = read_binding(object, &mut loader) {
                bindings.push((policy_name, binding, source_name.to_string(), object.root.span.line));
            }
            report.errors.extend(loader.errors);
            report.notices.extend(loader.notices);
        }
        for (policy_name, binding, source, line) in bindings {
            match policies.iter_mut().find(|(policy, ..)| policy.name == policy_name) {
                Some((policy, ..)) => policy.bindings.push(binding),
                None if broken.contains(&policy_name) => {}
                None => report.notices.push(Notice {
                    source,
                    line,
                    message: format!(
                        "binding '{}' names policy '{policy_name}', which is not among the policies given",
                        binding.name
                    ),
                }),
            }
        }
        let mut compiled = Vec::new();
        for (mut policy, source, line) in policies {
            let assumed_binding = policy.bindings.is_empty() && options.assume_unbound;
            if policy.bindings.is_empty() {
                report.notices.push(Notice {
                    source: source.clone(),
                    line,
                    message: if assumed_binding {
                        format!("policy '{}' has no binding; it is evaluated as if bound with validationActions [Deny]", policy.name)
                    } else {
                        format!(
                            "policy '{}' has no binding, so it does nothing in a cluster and is not evaluated; add a ValidatingAdmissionPolicyBinding, or evaluate it as if bound with Deny (--unbound-policies)",
                            policy.name
                        )
                    },
                });
                if assumed_binding {
                    policy.bindings.push(Binding {
                        name: String::new(),
                        actions: vec!["Deny".to_string()],
                        match_resources: None,
                        param_ref: None,
                    });
                }
            }
            report.policies.push(PolicySummary {
                name: policy.name.clone(),
                rule: policy.rule.clone(),
                source,
                line,
                bindings: policy
                    .bindings
                    .iter()
                    .map(|binding| binding.name.clone())
                    .filter(|name| !name.is_empty())
                    .collect(),
                assumed_binding,
            });
            if !policy.bindings.is_empty() {
                compiled.push(policy);
            }
        }
        // The checked objects that may serve as params: only those of a kind some policy
        // takes as its paramKind (copying every object of a large input would cost more
        // than evaluating the policies).
        params.extend(
            input
                .iter()
                .filter(|object| {
                    !is_policy_object(object)
                        && compiled.iter().any(|policy| {
                            policy.param_kind.as_ref().is_some_and(|(api_version, kind)| {
                                *api_version == object.api_version && *kind == object.kind
                            })
                        })
                })
                .cloned(),
        );
        let engine = Engine {
            policies: compiled,
            params,
            budget: limits.policy_cost,
            spent: Cell::new(0),
            skipped: Cell::new(0),
        };
        (engine, report)
    }

    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// What the report says when the check's cost budget ran out.
    pub fn budget_notice(&self) -> Option<Notice> {
        let skipped = self.skipped.get();
        (skipped > 0).then(|| Notice {
            source: String::new(),
            line: 0,
            message: format!(
                "the custom policies' cost budget for one check ({} units) is spent: they were not evaluated on the last {skipped} object(s); a policy does too much work on each object (see which one with `rampart policy test`)",
                self.budget
            ),
        })
    }

    /// Evaluates every policy that matches `object`. `namespace` is its Namespace object
    /// when the input holds it.
    pub fn evaluate(&self, object: &Object, namespace: Option<&Object>) -> Vec<Outcome> {
        if self.policies.is_empty() || object.kind.is_empty() {
            return Vec::new();
        }
        if self.spent.get() >= self.budget {
            self.skipped.set(self.skipped.get() + 1);
            return Vec::new();
        }
        let resource = resources::resource_of(&object.api_version, &object.kind, object.namespace.is_some());
        let namespace_name = resource.namespaced.then(|| crate::index::effective_namespace(object));
        let candidate = Candidate {
            object,
            resource: resource.clone(),
            namespace_labels: namespace.map(|namespace| namespace.labels()),
            namespace_name,
        };
        let mut globals: Option<Vec<Value>> = None;
        let mut outcomes = Vec::new();
        for policy in &self.policies {
            if !resources::matches(&policy.constraints, &candidate, true) {
                continue;
            }
            let globals = globals.get_or_insert_with(|| globals_for(object, &resource, namespace_name, namespace));
            if let Some(outcome) = self.evaluate_policy(policy, &candidate, globals) {
                outcomes.push(outcome);
            }
        }
        outcomes
    }

    fn evaluate_policy(&self, policy: &Policy, candidate: &Candidate<'_>, globals: &mut [Value]) -> Option<Outcome> {
        let mut outcome: Option<Outcome> = None;
        for binding in &policy.bindings {
            if let Some(match_resources) = &binding.match_resources {
                if !resources::matches(match_resources, candidate, false) {
                    continue;
                }
            }
            let severity = policy.severity(binding);
            let mut violations = Vec::new();
            let mut applied = false;
            match self.params_for(policy, binding, candidate) {
                // Under Ignore a failure is nothing: no finding, and no evidence of a pass.
                Err(message) => {
                    if policy.failure_policy == FailurePolicy::Fail {
                        applied = true;
                        violations.push(Violation { path: String::new(), message: failure(&message) });
                    }
                }
                Ok(None) => {}
                Ok(Some(params)) => {
                    for param in params {
                        globals[2] = param;
                        if let Some(found) = evaluate_validations(policy, &candidate.object.root, globals, &self.spent)
                        {
                            applied = true;
                            violations.extend(found);
                        }
                    }
                }
            }
            globals[2] = Value::Null;
            if !applied {
                continue;
            }
            let entry =
                outcome.get_or_insert_with(|| Outcome { rule: policy.rule.clone(), severity, violations: Vec::new() });
            entry.severity = entry.severity.max(severity);
            for violation in violations {
                if !entry.violations.iter().any(|seen| seen.path == violation.path && seen.message == violation.message)
                {
                    entry.violations.push(violation);
                }
            }
        }
        outcome
    }

    /// The params each evaluation of a binding gets: `Ok(None)` when the binding does not
    /// apply (params not found, `parameterNotFoundAction: Allow`), an error when it fails.
    fn params_for(
        &self,
        policy: &Policy,
        binding: &Binding,
        candidate: &Candidate<'_>,
    ) -> Result<Option<Vec<Value>>, String> {
        let (Some((api_version, kind)), Some(param_ref)) = (&policy.param_kind, &binding.param_ref) else {
            return Ok(Some(vec![Value::Null]));
        };
        let not_found = match param_ref.field("parameterNotFoundAction").as_str() {
            Some("Allow") => NotFound::Allow,
            _ => NotFound::Deny,
        };
        let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
        let of_kind: Vec<&Object> =
            self.params.iter().filter(|param| &param.api_version == api_version && &param.kind == kind).collect();
        let namespaced = resources::known_scope(group, kind)
            .unwrap_or_else(|| of_kind.iter().any(|param| param.namespace.is_some()));
        let wanted_namespace: Option<String> = match param_ref.field("namespace").as_text().filter(|namespace| !namespace.is_empty()) {
            Some(namespace) => Some(namespace),
            None if namespaced => match candidate.namespace_name {
                Some(namespace) => Some(namespace.to_string()),
                None => {
                    return Err(format!(
                        "binding '{}' leaves paramRef.namespace empty for namespaced params of kind {kind}, and the object is cluster-scoped",
                        binding.name
                    ))
                }
            },
            None => None,
        };
        let in_namespace = |param: &&&Object| {
            wanted_namespace.as_deref().is_none_or(|namespace| crate::index::effective_namespace(param) == namespace)
        };
        let found: Vec<Value> =
            match (param_ref.field("name").as_text().filter(|name| !name.is_empty()), param_ref.get("selector")) {
                (Some(name), _) => of_kind
                    .iter()
                    .filter(in_namespace)
                    .filter(|param| param.name == name)
                    .map(|param| to_value(&param.root))
                    .collect(),
                (None, Some(selector_node)) => of_kind
                    .iter()
                    .filter(in_namespace)
                    .filter(|param| selector::matches(selector_node, param.labels()))
                    .map(|param| to_value(&param.root))
                    .collect(),
                (None, None) => return Err(format!("binding '{}': paramRef needs a name or a selector", binding.name)),
            };
        if !found.is_empty() {
            return Ok(Some(found));
        }
        match not_found {
            NotFound::Allow => Ok(None),
            NotFound::Deny => Err(format!(
                "no params found for policy binding '{}' with `Deny` parameterNotFoundAction (looked for {kind} {}{})",
                binding.name,
                param_ref
                    .field("name")
                    .as_text()
                    .map(|name| format!("'{name}'"))
                    .unwrap_or_else(|| "by selector".to_string()),
                wanted_namespace.map(|namespace| format!(" in namespace {namespace}")).unwrap_or_default()
            )),
        }
    }
}

fn failure(message: &str) -> String {
    format!("policy failed under failurePolicy Fail: {message}")
}

/// Runs match conditions and validations with the params in place: `None` when a match
/// condition excludes the object (or an error under `failurePolicy: Ignore` does).
fn evaluate_validations(
    policy: &Policy,
    object: &Node,
    globals: &[Value],
    spent: &Cell<u64>,
) -> Option<Vec<Violation>> {
    let activation = Activation::new(globals, &policy.variables, COST_LIMIT * (1 + policy.validations.len() as u64));
    let result = run_validations(policy, object, &activation);
    spent.set(spent.get().saturating_add(activation.spent()));
    result
}

fn run_validations(policy: &Policy, object: &Node, activation: &Activation<'_>) -> Option<Vec<Violation>> {
    let describe = |error: &rampart_cel::Error| match error.variable {
        Some(index) => format!(
            "{} (in variable '{}')",
            error.message,
            policy.variable_names.get(index).map_or("?", String::as_str)
        ),
        None => error.message.clone(),
    };
    let mut condition_error = None;
    for (name, condition) in &policy.match_conditions {
        match condition.program.eval(activation) {
            Ok(Value::Bool(true)) => {}
            Ok(Value::Bool(false)) => return None,
            Ok(other) => {
                condition_error
                    .get_or_insert(format!("matchCondition '{name}' must evaluate to bool, not {}", other.type_name()));
            }
            Err(error) => {
                condition_error
                    .get_or_insert(format!("failed to evaluate matchCondition '{name}': {}", describe(&error)));
            }
        }
    }
    if let Some(message) = condition_error {
        return match policy.failure_policy {
            FailurePolicy::Fail => Some(vec![Violation { path: String::new(), message: failure(&message) }]),
            FailurePolicy::Ignore => None,
        };
    }
    let mut violations = Vec::new();
    // An error ignored under `failurePolicy: Ignore`: without a violation, the object did not
    // pass either, so the evaluation is no evidence.
    let mut ignored = false;
    for validation in &policy.validations {
        match validation.expression.program.eval(activation) {
            Ok(Value::Bool(true)) => {}
            Ok(Value::Bool(false)) => violations.push(Violation {
                path: path_in(object, &validation.paths),
                message: message_of(validation, activation),
            }),
            Ok(other) => {
                ignored |= policy.failure_policy == FailurePolicy::Ignore;
                if policy.failure_policy == FailurePolicy::Fail {
                    violations.push(Violation {
                        path: String::new(),
                        message: failure(&format!(
                            "expression '{}' must evaluate to bool, not {}",
                            validation.expression.text.trim(),
                            other.type_name()
                        )),
                    });
                }
            }
            Err(error) => {
                ignored |= policy.failure_policy == FailurePolicy::Ignore;
                if policy.failure_policy == FailurePolicy::Fail {
                    violations.push(Violation {
                        path: String::new(),
                        message: failure(&format!(
                            "expression '{}' resulted in error: {}",
                            validation.expression.text.trim(),
                            describe(&error)
                        )),
                    });
                }
            }
        }
    }
    if ignored && violations.is_empty() {
        return None;
    }
    Some(violations)
}

/// The message of a failed validation as the API server words it: `messageExpression`
/// when it yields a non-empty one-line string, else `message`, else the expression.
fn message_of(validation: &Validation, activation: &Activation<'_>) -> String {
    if let Some(expression) = &validation.message_expression {
        if let Ok(Value::String(text)) = expression.program.eval(activation) {
            let text = text.trim();
            if !text.is_empty() && !text.contains('\n') {
                return text.to_string();
            }
        }
    }
    match &validation.message {
        Some(message) => message.clone(),
        None => format!("failed expression: {}", validation.expression.text.trim()),
    }
}

/// A document node as a CEL value.
pub fn to_value(node: &Node) -> Value {
    match &node.value {
        tree::Value::Null => Value::Null,
        tree::Value::Bool(flag) => Value::Bool(*flag),
        tree::Value::Int(number) => Value::Int(*number),
        tree::Value::Float(number) => Value::Double(*number),
        tree::Value::String(text) => Value::String(text.as_str().into()),
        tree::Value::Seq(items) => Value::List(items.iter().map(to_value).collect::<Vec<_>>().into()),
        tree::Value::Map(entries) => Value::map(
            entries.iter().map(|entry| (Value::String(entry.key.as_str().into()), to_value(&entry.value))).collect(),
        ),
    }
}

fn text_map(entries: &[(&str, Value)]) -> Value {
    Value::map(entries.iter().map(|(key, value)| (Value::from(*key), value.clone())).collect())
}

/// The variables of an evaluation for `object` (params left null, filled per binding).
fn globals_for(
    object: &Object,
    resource: &ResourceName,
    namespace_name: Option<&str>,
    namespace: Option<&Object>,
) -> Vec<Value> {
    let mut object_value = to_value(&object.root);
    // The API server places a namespaced object in its request's namespace.
    if let (Some(namespace_name), Value::Map(map)) = (namespace_name, &mut object_value) {
        let map = Rc::make_mut(map);
        if let Some((_, Value::Map(metadata))) =
            map.entries.iter_mut().find(|(key, _)| key.as_str() == Some("metadata"))
        {
            let metadata = Rc::make_mut(metadata);
            if metadata.get_str("namespace").is_none() {
                metadata.entries.push((Value::from("namespace"), Value::from(namespace_name)));
            }
        }
    }
    let namespace_value = match (namespace_name, namespace) {
        (None, _) => Value::Null,
        (Some(_), Some(namespace)) => to_value(&namespace.root),
        (Some(name), None) => text_map(&[
            ("apiVersion", Value::from("v1")),
            ("kind", Value::from("Namespace")),
            (
                "metadata",
                text_map(&[
                    ("name", Value::from(name)),
                    ("labels", text_map(&[("kubernetes.io/metadata.name", Value::from(name))])),
                ]),
            ),
        ]),
    };
    let kind = text_map(&[
        ("group", Value::from(resource.group.as_str())),
        ("version", Value::from(resource.version.as_str())),
        ("kind", Value::from(object.kind.as_str())),
    ]);
    let resource_value = text_map(&[
        ("group", Value::from(resource.group.as_str())),
        ("version", Value::from(resource.version.as_str())),
        ("resource", Value::from(resource.resource.as_str())),
    ]);
    let request = text_map(&[
        ("uid", Value::from("")),
        ("kind", kind.clone()),
        ("resource", resource_value.clone()),
        ("subResource", Value::from("")),
        ("requestKind", kind),
        ("requestResource", resource_value),
        ("requestSubResource", Value::from("")),
        ("name", Value::from(object.name.as_str())),
        ("namespace", Value::from(namespace_name.unwrap_or(""))),
        ("operation", Value::from("CREATE")),
        (
            "userInfo",
            text_map(&[
                ("username", Value::from("rampart:check")),
                ("groups", Value::from(vec![Value::from("system:authenticated")])),
            ]),
        ),
        ("dryRun", Value::Bool(true)),
        ("options", text_map(&[("apiVersion", Value::from("meta.k8s.io/v1")), ("kind", Value::from("CreateOptions"))])),
    ]);
    vec![object_value, Value::Null, Value::Null, namespace_value, request]
}
