//! Custom policies: Kubernetes ValidatingAdmissionPolicy objects (with their bindings and
//! parameter objects), evaluated as the API server evaluates them for a CREATE of each
//! checked object, their failures reported as findings of rule `vap/<policy name>`.
//!
//! [`PolicySet::load`] reads the policies, bindings and params (from policy sources, and
//! from the checked input when asked), compiles every expression once (errors at their line
//! and column in the policy's YAML) and notes what would surprise a reader (a policy
//! without a binding does nothing in a cluster). [`PolicySet::evaluate`] runs the policies
//! that match one object: `matchConstraints`, each binding's `matchResources`, params
//! (`paramRef` by name or selector, `parameterNotFoundAction`), `matchConditions`, lazy
//! `variables`, `validations` (message, messageExpression, fieldPath), `failurePolicy`
//! and `validationActions`.
//!
//! The variables an expression sees: `object` (the manifest, with `metadata.namespace`
//! filled in as the API server would), `oldObject` (null: a CREATE), `params`,
//! `namespaceObject` (the object's Namespace from the input, else a Namespace carrying only
//! its name and `kubernetes.io/metadata.name` label; null for cluster-scoped objects),
//! `request` (a synthetic CREATE by user `rampart:check` in group `system:authenticated`,
//! dry run) and `variables`. `authorizer` is not supported: an expression naming it is an
//! error.
//!
//! The CEL interpreter (crate `rampart-cel`) is built in with the `cel` feature. Without
//! it, the types, the findings' integration and [`Evaluated`] remain: the web app's main
//! module is built so, and asks a second WebAssembly module, fetched only once a policy is
//! present, for the verdicts ([`evaluate_sources`] there), which it hands to the check in
//! [`PolicyOptions::evaluated`]. Both modules parse the same text the same way, so a
//! verdict is found again by its object's place ([`ObjectKey`]).

#[cfg(feature = "cel")]
mod engine;
pub mod resources;

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::object::Object;
use crate::parse::{Limits, ParseError, Source};
use crate::rules::Severity;

#[cfg(feature = "cel")]
pub use engine::{to_value, COST_LIMIT};

/// The API group of policies and bindings.
pub const GROUP: &str = "admissionregistration.k8s.io";
/// The annotation giving a policy's findings their severity.
pub const SEVERITY_ANNOTATION: &str = "rampart.dev/severity";
/// The prefix of a policy's rule id.
pub const RULE_PREFIX: &str = "vap/";

/// What a policy finding suggests doing.
pub const REMEDIATION: &str = "Change the object so that the policy's validation holds (what a cluster enforcing the policy would require), or exempt the object with the annotation rampart.dev/ignore naming the rule vap/<policy name> and a reason.";

/// A remark about the policies that is not a finding (an unbound policy, policies in the
/// input that were not applied).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub source: String,
    pub line: u32,
    pub message: String,
}

/// One policy as a report lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicySummary {
    pub name: String,
    pub rule: String,
    pub source: String,
    pub line: u32,
    /// The bindings it is evaluated through (empty when unbound).
    pub bindings: Vec<String>,
    /// Evaluated as if bound with `validationActions: [Deny]` (it has no binding).
    pub assumed_binding: bool,
}

/// What the report says about policies (serialized only when there are any).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyReport {
    pub policies: Vec<PolicySummary>,
    pub notices: Vec<Notice>,
    /// Policies that could not be read or compiled: each is at the expression's line and
    /// column in the policy's source. A policy with an error is not evaluated.
    pub errors: Vec<ParseError>,
}

impl PolicyReport {
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty() && self.notices.is_empty() && self.errors.is_empty()
    }
}

/// How to gather policies.
#[derive(Clone, Debug, Default)]
pub struct PolicyOptions {
    /// Sources of policies, bindings and params (`--policy`, `policies:` in rampart.yaml,
    /// the playground's Policies panel, a team's policies on the server).
    pub sources: Vec<Source>,
    /// Apply the policies and bindings found in the checked input too.
    pub from_input: bool,
    /// Evaluate a policy without a binding as if bound with `validationActions: [Deny]`.
    pub assume_unbound: bool,
    /// The policies' verdicts, worked out elsewhere for exactly the checked sources (the
    /// web app's policy module, see [`Evaluated`]): used instead of evaluating here.
    pub evaluated: Option<Arc<Evaluated>>,
}

impl PolicyOptions {
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty() && !self.from_input
    }
}

pub(crate) fn is_policy(object: &Object) -> bool {
    object.group() == GROUP && object.kind == "ValidatingAdmissionPolicy"
}

pub(crate) fn is_binding(object: &Object) -> bool {
    object.group() == GROUP && object.kind == "ValidatingAdmissionPolicyBinding"
}

/// Whether an object of the input is a policy or a binding (applied only when asked).
pub fn is_policy_object(object: &Object) -> bool {
    is_policy(object) || is_binding(object)
}

/// The policies of one check: compiled here (the `cel` feature), or their verdicts
/// worked out elsewhere ([`PolicyOptions::evaluated`]).
pub struct PolicySet {
    verdicts: Verdicts,
    pub report: PolicyReport,
}

enum Verdicts {
    #[cfg(feature = "cel")]
    Compiled(engine::Engine),
    Evaluated(HashMap<ObjectKey, Vec<Outcome>>),
}

/// One policy's verdict on one object: evidence for the score, and its violations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub rule: String,
    pub severity: Severity,
    pub violations: Vec<Violation>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub path: String,
    pub message: String,
}

/// Where an object lies in the checked input: its source, document and offset there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ObjectKey {
    pub source: usize,
    pub document: usize,
    pub offset: u32,
}

impl ObjectKey {
    pub fn of(object: &Object) -> ObjectKey {
        ObjectKey { source: object.source, document: object.document, offset: object.root.span.offset }
    }
}

/// The policies' verdicts on every object of some sources: what the policy module answers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluated {
    pub report: PolicyReport,
    pub outcomes: Vec<(ObjectKey, Vec<Outcome>)>,
}

/// What the web app asks its policy module: the sources to check and how to gather the
/// policies (as [`PolicyOptions`] without [`PolicyOptions::evaluated`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EvaluationRequest {
    /// `(name, text)` of each checked source, in order.
    pub sources: Vec<(String, String)>,
    /// `(name, text)` of each policy source.
    pub policies: Vec<(String, String)>,
    pub from_input: bool,
    pub assume_unbound: bool,
}

impl EvaluationRequest {
    pub fn new(sources: &[Source], options: &PolicyOptions) -> EvaluationRequest {
        let pairs =
            |sources: &[Source]| sources.iter().map(|source| (source.name.clone(), source.text.clone())).collect();
        EvaluationRequest {
            sources: pairs(sources),
            policies: pairs(&options.sources),
            from_input: options.from_input,
            assume_unbound: options.assume_unbound,
        }
    }

    pub fn sources(&self) -> Vec<Source> {
        self.sources.iter().map(|(name, text)| Source::new(name.as_str(), text.as_str())).collect()
    }

    pub fn options(&self) -> PolicyOptions {
        PolicyOptions {
            sources: self.policies.iter().map(|(name, text)| Source::new(name.as_str(), text.as_str())).collect(),
            from_input: self.from_input,
            assume_unbound: self.assume_unbound,
            evaluated: None,
        }
    }
}

/// The verdicts of the policies of `request` on every object of its sources (the policy
/// module's one entry point).
#[cfg(feature = "cel")]
pub fn evaluate_sources(request: &EvaluationRequest, limits: &Limits) -> Evaluated {
    let sources = request.sources();
    let mut objects = Vec::new();
    for (position, source) in sources.iter().enumerate() {
        let (documents, _) = crate::parse::parse_source(source, limits);
        for document in documents {
            objects.extend(Object::from_document(position, document));
        }
    }
    let index = crate::index::Index::build(&objects, crate::rules::Mode::default(), false);
    let mut set = PolicySet::load(&request.options(), &objects, &sources, limits);
    let outcomes = objects
        .iter()
        .filter_map(|object| {
            let namespace = object.namespace.as_deref().unwrap_or("default");
            let outcomes = set.evaluate(object, index.namespace(namespace));
            (!outcomes.is_empty()).then(|| (ObjectKey::of(object), outcomes))
        })
        .collect();
    Evaluated { report: set.take_report(), outcomes }
}

impl PolicySet {
    /// Reads and compiles the policies of `options` (and of the input, when asked), or
    /// takes their verdicts from [`PolicyOptions::evaluated`]. `input` is the checked
    /// objects with the sources they came from.
    pub fn load(options: &PolicyOptions, input: &[Object], input_sources: &[Source], limits: &Limits) -> PolicySet {
        if let Some(evaluated) = &options.evaluated {
            return PolicySet {
                verdicts: Verdicts::Evaluated(evaluated.outcomes.iter().cloned().collect()),
                report: evaluated.report.clone(),
            };
        }
        #[cfg(feature = "cel")]
        {
            let (engine, report) = engine::Engine::load(options, input, input_sources, limits);
            PolicySet { verdicts: Verdicts::Compiled(engine), report }
        }
        #[cfg(not(feature = "cel"))]
        {
            let _ = (input, input_sources, limits);
            let report = PolicyReport {
                errors: options
                    .sources
                    .iter()
                    .map(|source| ParseError {
                        source_name: source.name.clone(),
                        line: 1,
                        column: 1,
                        message: "the policy engine is not loaded yet".to_string(),
                    })
                    .collect(),
                ..PolicyReport::default()
            };
            PolicySet { verdicts: Verdicts::Evaluated(HashMap::new()), report }
        }
    }

    /// What the report says about the policies: those applied, notices (the cost budget's
    /// among them, once the evaluations are done) and errors.
    pub fn take_report(&mut self) -> PolicyReport {
        let report = std::mem::take(&mut self.report);
        #[cfg(feature = "cel")]
        let report = {
            let mut report = report;
            if let Verdicts::Compiled(engine) = &self.verdicts {
                report.notices.extend(engine.budget_notice());
            }
            report
        };
        report
    }

    /// Whether no policy is evaluated.
    pub fn is_empty(&self) -> bool {
        match &self.verdicts {
            #[cfg(feature = "cel")]
            Verdicts::Compiled(engine) => engine.is_empty(),
            Verdicts::Evaluated(outcomes) => outcomes.is_empty(),
        }
    }

    /// Evaluates every policy that matches `object`. `namespace` is its Namespace object
    /// when the input holds it.
    pub fn evaluate(&self, object: &Object, namespace: Option<&Object>) -> Vec<Outcome> {
        match &self.verdicts {
            #[cfg(feature = "cel")]
            Verdicts::Compiled(engine) => engine.evaluate(object, namespace),
            Verdicts::Evaluated(outcomes) => {
                let _ = namespace;
                outcomes.get(&ObjectKey::of(object)).cloned().unwrap_or_default()
            }
        }
    }
}
