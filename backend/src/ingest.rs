//! The one path a scan's objects take from wherever they come from into the store.
//!
//! A source (the API scanner, an uploaded snapshot's text, an agent's deliveries) sends
//! [`Delivery`]s into a bounded channel, in two phases:
//!
//! 1. **Context**: every object of the kinds the engine's index reads
//!    ([`rampart_core::index::Index::reads`]: Namespaces, ServiceAccounts,
//!    NetworkPolicies, webhooks, policy engines, DaemonSets, Services, Roles and
//!    ClusterRoles), and any others the source likes (a snapshot adds every object with
//!    a pod template), in [`Delivery::Context`] messages, then one [`Delivery::ContextDone`] with what the
//!    source could not read so far and the rules it therefore cannot judge. Context
//!    objects only build the index (of each, what context rules read); they are not
//!    checked in this phase.
//! 2. **Batches**: every object to check, context kinds included, in
//!    [`Delivery::Batch`]es of any size, in the order they should be checked (context
//!    kinds first keeps anchors stable; the kinds judged by the pods they select,
//!    [`rampart_core::index::Index::checks_after_pods`], after every object with a pod
//!    template unless those were all context); [`Delivery::Error`] for a kind that failed
//!    part-way (a kind with pod templates leaves the rules judging by pods unjudged). The channel closing ends the scan; [`Delivery::Failed`] ends it `failed`.
//!
//! [`ingest`] builds the index, then checks each batch on a blocking thread with the
//! engine's [`Checker`] while the previous one is recorded ([`Store::record_batch`], one
//! transaction per batch, by difference), and finishes the scan. Memory is the index, a
//! few batches in flight and 8 bytes per object seen, whatever the cluster's size.
//!
//! **Skipping unchanged objects.** A rescan need not run the engine on an object whose
//! content, and everything else its findings depend on, are what the cluster's last complete
//! scan saw: the state that scan kept of it ([`crate::store::object_states`]) is replayed
//! instead (its score, its findings' counts, its rule results), and its stored findings stay
//! open with no read and no write. What else findings depend on is one digest
//! ([`inputs_digest`]): the engine (its version, rule catalog, score formula and the very
//! binary), the options (settings, exemptions in force), and what the context index keeps
//! that objects of any namespace read ([`rampart_core::index::Index::hash_kept`] of those
//! context objects, in order). What only one namespace's objects read (its Namespace,
//! ServiceAccounts, NetworkPolicies, Services and Roles) is digested per namespace into
//! each of its objects' digest instead, beside their content's ([`object_digest`]). An
//! object is skipped only when the inputs digest, its own digest and the anchors it gets
//! all match; the kinds judged by the pods they select
//! ([`rampart_core::index::Index::checks_after_pods`]) are always checked, and a skipped
//! object's pod labels still go into the index. Custom policies, context that could not
//! all be read, or rules that cannot be judged turn skipping off for the scan. Memory: one
//! state per object of the cluster (a few dozen bytes each).

use rampart_core::compliance::RuleResults;
use rampart_core::engine::{Checker, Options, Passed};
use rampart_core::index::Index;
use rampart_core::object::Object;
use rampart_core::parse::Source;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::store::object_states::{rule_position, ObjectState, PreviousStates};
use crate::store::recording::{object_hash, Batch, Kept, Observed, SeenObject};
use crate::store::scans::ScanError;
use crate::store::Store;

/// How many deliveries (and checked batches) may wait in a channel: what bounds memory.
pub const QUEUE: usize = 2;

/// Objects per batch for sources that choose (a snapshot's text).
pub const BATCH_OBJECTS: usize = 500;

/// Checked batches are recorded together until they hold this many findings (or
/// [`RECORD_OBJECTS`] objects): each transaction costs a commit and, on SQLite, writing
/// every index page its inserts touched, so fewer, larger transactions write less. What
/// waits is the findings themselves, a few MB.
pub const RECORD_FINDINGS: usize = 20_000;
/// See [`RECORD_FINDINGS`].
pub const RECORD_OBJECTS: usize = 5_000;

/// One message of a source. The objects are the engine's; an agent lists into messages
/// whose objects are their JSON (`O` = [`crate::agent::wire::Encoded`]), sent on as such.
#[derive(Debug)]
pub enum Delivery<O = Object> {
    /// Objects of the kinds the index reads (all of them, before any batch).
    Context(Vec<O>),
    /// The context is complete. `errors`: what could not be read so far (a kind, or input
    /// not attributable to a kind, which stops anything from being resolved); `unjudged_rules`:
    /// rules the scan cannot judge (they conclude from the absence of a kind it could not
    /// list); the checker does not run them and their findings are neither opened nor resolved.
    ContextDone { errors: Vec<ScanError>, unjudged_rules: Vec<String> },
    /// Objects to check.
    Batch(Vec<O>),
    /// A kind that could not be read after the context phase (its findings stay as they
    /// were); the scan ends `partial`.
    Error(ScanError),
    /// The source could not deliver the cluster at all: the scan ends `failed` with this
    /// message for a person.
    Failed(String),
}

/// How an ingestion ended.
#[derive(Debug)]
pub enum Ingested {
    /// Recorded: the scan's counts and where its time went, for the log.
    Recorded { objects: i64, findings: i64, errors: usize, written: i64, timings: Timings },
    /// The source failed; the scan should end `failed` with this message.
    Failed(String),
    /// The scan is no longer this runner's (it stalled and the scan was handed on):
    /// nothing more was written.
    NotOurs,
}

/// Where a scan's time went, for its log line.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timings {
    /// The recorder's steps ([`Store::record_batch`], [`Store::finish_recording`]).
    pub recording: crate::store::recording::Timings,
    /// The recorder waiting for checked batches.
    pub recorder_waiting: Duration,
    /// The checker running the engine over batches and reducing its results.
    pub checking: Duration,
    /// The checker waiting for the source's batches (listing and reading them).
    pub checker_waiting: Duration,
    /// Objects skipped (not checked: unchanged since the last complete scan).
    pub objects_skipped: i64,
    /// Object states written or removed for the next scan.
    pub states_written: i64,
}

/// What the checking thread hands back.
enum Checked {
    /// A batch, what its rules concluded (for the compliance views), and what is kept of
    /// each of its objects.
    Batch(Batch, RuleResults, Vec<Option<Kept>>),
    /// A kind failed part-way; the rules it leaves unjudged (their findings are neither
    /// opened nor resolved from now on, and they do not run on the objects still to come).
    Error(ScanError, Vec<String>),
    /// The custom policies' cost budget is spent: from the next batch (sent before it) on,
    /// policies are not evaluated, so the scan resolves nothing.
    PoliciesStopped(ScanError),
    Failed(String),
}

/// What the scan's errors say of a custom policy: the kind they are under.
pub const POLICY_ERROR_KIND: &str = "ValidatingAdmissionPolicy";

/// The team's policies that do not compile (a stored policy the engine no longer reads,
/// say): each error is one of the scan's, and the scan resolves nothing, since the
/// findings of a policy it cannot evaluate are neither there nor gone.
fn policy_errors(options: &Options) -> Vec<ScanError> {
    if options.policies.is_empty() {
        return Vec::new();
    }
    let report = rampart_core::policy::PolicySet::load(&options.policies, &[], &[], &options.limits).report;
    report
        .errors
        .into_iter()
        .map(|error| ScanError {
            kind: Some(POLICY_ERROR_KIND.to_string()),
            message: format!(
                "{}, line {}, column {}: {} (not evaluated; this scan resolves no finding)",
                error.source_name, error.line, error.column, error.message
            ),
        })
        .collect()
}

/// The digest of an object's content: its whole tree, without positions.
pub fn content_digest(object: &Object) -> i64 {
    CONTENT.with_borrow_mut(|bytes| {
        bytes.clear();
        rampart_core::index::hash_content(&object.root, &mut Gathered(bytes));
        let mut hasher = DefaultHasher::new();
        hasher.write(bytes);
        hasher.finish() as i64
    })
}

thread_local! {
    /// The bytes [`content_digest`] hashes, gathered first (the buffer is reused).
    static CONTENT: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A `Hasher` that only gathers what it is fed: an object's content comes as hundreds of
/// small writes (a tag, a length, a key), each of which SipHash takes at a cost of its own;
/// gathered, they are hashed in one call (the same bytes, so the same collisions, at a
/// fraction of the time).
struct Gathered<'a>(&'a mut Vec<u8>);

impl Hasher for Gathered<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    fn finish(&self) -> u64 {
        unreachable!("the gathered bytes are hashed by their owner")
    }
}

/// What identifies the engine: the crate's version, the score formula, the rule catalog and
/// the running binary (its size and time), so that any other build checks everything again
/// (the digests themselves are only stable within one build).
static ENGINE: LazyLock<u64> = LazyLock::new(|| {
    let mut hasher = DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut hasher);
    rampart_core::score::FORMULA_VERSION.hash(&mut hasher);
    for rule in rampart_core::RULES.iter() {
        (rule.id, rule.severity.as_str(), rule.title).hash(&mut hasher);
    }
    let binary = std::env::current_exe().and_then(std::fs::metadata);
    match binary {
        Ok(metadata) => (metadata.len(), metadata.modified().ok()).hash(&mut hasher),
        // Unknown: this process's own, so that no other process skips on its states.
        Err(_) => (std::process::id(), std::time::SystemTime::now()).hash(&mut hasher),
    }
    hasher.finish()
});

/// The digest of everything an object's findings depend on besides the object itself: the
/// engine, the options (settings, exemptions in force) and the context index's digest.
/// `None` with custom policies (their cost budget is spent across objects, and their params
/// are read whole), which always check everything.
pub fn inputs_digest(options: &Options, index_digest: u64) -> Option<i64> {
    if !options.policies.is_empty() {
        return None;
    }
    let mut hasher = DefaultHasher::new();
    (*ENGINE, format!("{options:?}"), index_digest).hash(&mut hasher);
    Some(hasher.finish() as i64)
}

/// What the checking thread needs to skip objects and keep their states.
struct Skipping {
    previous: Arc<PreviousStates>,
    inputs_digest: i64,
    /// The digest of what the index keeps for each namespace's objects alone.
    namespaces: HashMap<String, u64>,
}

/// What the context index keeps, digested as it is delivered: what objects of any
/// namespace may read, and what only each namespace's objects read
/// ([`Index::kept_for`]), so that a change in one namespace's context does not make the
/// others' objects checked again. Each kind is digested in its own order (a kind's pages
/// come in order), the kinds then in a fixed one: the API lists several kinds at once, and
/// how their pages interleave changes nothing any rule concludes (rules ask whether any
/// webhook, policy engine or DaemonSet does something; the lists they name in messages
/// hold one kind each).
#[derive(Default)]
struct ContextDigest {
    /// By scope (`None`: any namespace's objects read it), group and kind.
    kinds: HashMap<(Option<String>, String, String), DefaultHasher>,
}

impl ContextDigest {
    fn add(&mut self, object: &Object) {
        let Some(scope) = Index::kept_for(object) else { return };
        let key = (scope.map(str::to_string), object.group().to_string(), object.kind.clone());
        Index::hash_kept(object, self.kinds.entry(key).or_default());
    }

    /// The digest of what any namespace's objects read, and of what each namespace's do.
    fn finish(self) -> (u64, HashMap<String, u64>) {
        let mut kinds: Vec<_> = self.kinds.into_iter().map(|(key, hasher)| (key, hasher.finish())).collect();
        kinds.sort_unstable();
        let mut global = DefaultHasher::new();
        let mut namespaces: HashMap<String, DefaultHasher> = HashMap::new();
        for ((scope, group, kind), digest) in kinds {
            let hasher = match scope {
                None => &mut global,
                Some(namespace) => namespaces.entry(namespace).or_default(),
            };
            (group, kind, digest).hash(hasher);
        }
        (global.finish(), namespaces.into_iter().map(|(namespace, hasher)| (namespace, hasher.finish())).collect())
    }
}

/// The digest an object's state is kept under: its content's, and what the index keeps
/// for its namespace's objects (for a Namespace, of its own name too).
fn object_digest(object: &Object, namespaces: &HashMap<String, u64>) -> i64 {
    let mut hasher = DefaultHasher::new();
    content_digest(object).hash(&mut hasher);
    namespaces.get(rampart_core::index::effective_namespace(object)).hash(&mut hasher);
    if object.is("", "Namespace") {
        namespaces.get(&object.name).hash(&mut hasher);
    }
    hasher.finish() as i64
}

/// Takes a scan's deliveries into the store: see the module's documentation. `options`
/// are the engine's (cluster mode, exemptions); the scan is `running` under `runner`.
/// `skip_unchanged`: skip the engine for unchanged objects (and keep their states).
pub async fn ingest(
    store: &Store,
    scan_id: i64,
    cluster_id: i64,
    runner: &str,
    options: Options,
    mut deliveries: mpsc::Receiver<Delivery>,
    skip_unchanged: bool,
) -> Result<Ingested, sqlx::Error> {
    // Phase 1: the index, and the objects the custom policies take params from.
    let mut index = Index::new(options.mode, options.complete);
    let param_kinds = rampart_core::policy::param_kinds(&options.policies, &options.limits);
    let mut params: Vec<Object> = Vec::new();
    let mut errors = Vec::new();
    // Each namespace's labels, for routing notifications by namespace label.
    let mut namespace_labels: Vec<(String, String)> = Vec::new();
    // What the index keeps, in order (see the module's documentation).
    let mut context_digest = ContextDigest::default();
    let mut context_errors = false;
    let unjudged_rules = loop {
        match deliveries.recv().await {
            Some(Delivery::Context(objects)) => {
                for object in objects {
                    context_digest.add(&object);
                    if object.kind == "Namespace"
                        && object.api_version == "v1"
                        && namespace_labels.len() < crate::store::routing::MAX_LABELLED_NAMESPACES
                    {
                        namespace_labels.push((object.name.clone(), object.labels().to_json().to_string()));
                    }
                    index.add(&object);
                    if param_kinds.iter().any(|(version, kind)| *version == object.api_version && *kind == object.kind)
                    {
                        params.push(object);
                    }
                }
            }
            Some(Delivery::ContextDone { errors: more, unjudged_rules }) => {
                context_errors |= !more.is_empty();
                errors.extend(more);
                break unjudged_rules;
            }
            Some(Delivery::Error(error)) => {
                context_errors = true;
                errors.push(error);
            }
            Some(Delivery::Failed(message)) => return Ok(Ingested::Failed(message)),
            Some(Delivery::Batch(_)) => {
                return Ok(Ingested::Failed("the scan's source sent objects before their context".into()))
            }
            None => return Ok(Ingested::Failed("the scan's source stopped before delivering anything".into())),
        }
    };
    let broken_policies = policy_errors(&options);
    let may_resolve = errors.iter().all(|error| error.kind.is_some()) && broken_policies.is_empty();
    errors.extend(broken_policies);
    // Skipping needs the whole context, every rule judged and no custom policy.
    let (global_digest, namespace_digests) = context_digest.finish();
    let inputs_digest = inputs_digest(&options, global_digest)
        .filter(|_| skip_unchanged && may_resolve && !context_errors && unjudged_rules.is_empty());
    let skipping = match inputs_digest {
        Some(inputs_digest) => Some(Skipping {
            previous: Arc::new(store.previous_states(cluster_id).await?),
            inputs_digest,
            namespaces: namespace_digests,
        }),
        None => None,
    };
    let mut recording = store.begin_recording(scan_id, cluster_id, runner, &unjudged_rules, may_resolve).await?;
    if let Some(skipping) = &skipping {
        recording.keep_object_states(skipping.previous.clone(), Some(skipping.inputs_digest));
    }

    // Phase 2: the source, the checker (a blocking thread) and the store each work on
    // their own batch; the bounded channels between them hold the rest of memory.
    let mut options = options;
    options.fixes = false;
    options.config.disable.extend(unjudged_rules);
    let (checked_sender, mut checked) = mpsc::channel::<Checked>(QUEUE);
    let checker = tokio::task::spawn_blocking(move || {
        check_batches(index, &options, &params, skipping.as_ref(), deliveries, checked_sender)
    });
    let mut outcome = None;
    let mut rule_results = RuleResults::default();
    let mut pending = Batch::default();
    let mut pending_kept: Vec<Option<Kept>> = Vec::new();
    let mut recorder_waiting = Duration::ZERO;
    loop {
        // The next message other than a batch, or `Some(None)` when the batches waiting
        // are many enough to record now.
        let waiting = Instant::now();
        let received = checked.recv().await;
        recorder_waiting += waiting.elapsed();
        let message = match received {
            Some(Checked::Batch(batch, rules, kept)) => {
                rule_results.merge(rules);
                // What is kept lines up with the objects (none for those before it).
                pending_kept.resize(pending.objects.len(), None);
                pending_kept.extend(kept);
                pending.absorb(batch);
                if pending.findings.len() < RECORD_FINDINGS && pending.objects.len() < RECORD_OBJECTS {
                    continue;
                }
                Some(None)
            }
            other => other.map(Some),
        };
        if !pending.objects.is_empty()
            && !store
                .record_checked(&mut recording, &std::mem::take(&mut pending), &std::mem::take(&mut pending_kept))
                .await?
        {
            outcome = Some(Ingested::NotOurs);
            break;
        }
        match message {
            None => break,
            Some(None | Some(Checked::Batch(..))) => {}
            Some(Some(Checked::Error(error, unjudged))) => {
                recording.stop_judging(unjudged);
                errors.push(error);
            }
            Some(Some(Checked::PoliciesStopped(error))) => {
                recording.stop_resolving();
                errors.push(error);
            }
            Some(Some(Checked::Failed(message))) => {
                outcome = Some(Ingested::Failed(message));
                break;
            }
        }
    }
    // Closing the channel stops the checker, whose end of the deliveries then closes and
    // stops the source.
    drop(checked);
    let Ok((checking, checker_waiting)) = checker.await else {
        return Ok(Ingested::Failed("the check stopped unexpectedly; see the server's log".into()));
    };
    if let Some(outcome) = outcome {
        return Ok(outcome);
    }
    store.set_scan_rule_results(scan_id, &rule_results).await?;
    if !store.finish_recording(&mut recording, &errors).await? {
        return Ok(Ingested::NotOurs);
    }
    store.record_namespace_labels(cluster_id, scan_id, &namespace_labels).await?;
    Ok(Ingested::Recorded {
        objects: recording.tally.objects,
        findings: recording.tally.findings,
        errors: errors.len(),
        written: recording.findings_written,
        timings: Timings {
            recording: recording.timings,
            recorder_waiting,
            checking,
            checker_waiting,
            objects_skipped: recording.objects_skipped,
            states_written: recording.states_written,
        },
    })
}

/// The checking thread: each batch through the engine, reduced for the store. Returns the
/// time it spent checking, and waiting for the source.
fn check_batches(
    index: Index,
    options: &Options,
    params: &[Object],
    skipping: Option<&Skipping>,
    mut deliveries: mpsc::Receiver<Delivery>,
    out: mpsc::Sender<Checked>,
) -> (Duration, Duration) {
    let sources = [Source::new("scan", String::new())];
    // The params gathered with the context, as the CLI offers its whole input.
    // It adds the labels of the pod templates it checks to the index: the kinds judged by
    // the pods they select come after every pod template.
    let mut checker = Checker::owning(index, options, params);
    let mut policies_stopped = false;
    let (mut checking, mut waiting) = (Duration::ZERO, Duration::ZERO);
    loop {
        let started = Instant::now();
        let Some(delivery) = deliveries.blocking_recv() else { break };
        waiting += started.elapsed();
        let started = Instant::now();
        let message = match delivery {
            Delivery::Batch(objects) => {
                let digests: Vec<i64> = match skipping {
                    Some(skipping) => {
                        objects.iter().map(|object| object_digest(object, &skipping.namespaces)).collect()
                    }
                    None => Vec::new(),
                };
                let mut position = 0;
                let (checked, passed) = checker.check_unless(&sources, &objects, |object, anchors| {
                    position += 1;
                    skipping.is_some_and(|skipping| unchanged(skipping, object, digests[position - 1], anchors))
                });
                let mut rules = RuleResults::from_results(&checked.objects, &checked.findings);
                if !policies_stopped && checker.policy_budget_notice().is_some() {
                    policies_stopped = true;
                    let error = ScanError {
                        kind: Some(POLICY_ERROR_KIND.to_string()),
                        message: format!(
                            "the custom policies' cost budget for one scan ({} units) is spent: they were not evaluated on the objects left; a policy does too much work on each object (this scan resolves no finding)",
                            options.limits.policy_cost
                        ),
                    };
                    if out.blocking_send(Checked::PoliciesStopped(error)).is_err() {
                        break;
                    }
                }
                let (batch, kept) = match skipping {
                    Some(skipping) => to_kept_batch(&objects, checked, &passed, &digests, &skipping.previous),
                    None => (to_batch(&objects, checked), Vec::new()),
                };
                for state in kept.iter().flatten().filter(|kept| kept.skipped) {
                    rules.merge(state.state.rule_results());
                }
                drop(objects);
                checking += started.elapsed();
                Checked::Batch(batch, rules, kept)
            }
            Delivery::Error(error) => {
                // The pod templates of a kind listed in part leave the rules that judge
                // objects by the pods they select unjudged (they come after every kind
                // with pod templates, so none of their findings is recorded yet).
                let by_pods = error.kind.as_deref().is_some_and(crate::scanner::kinds::has_pod_template);
                let unjudged: &[&str] = if by_pods { &crate::scanner::kinds::RULES_BY_PODS } else { &[] };
                checker.stop_judging(unjudged);
                Checked::Error(error, unjudged.iter().map(|rule| rule.to_string()).collect())
            }
            Delivery::Failed(message) => Checked::Failed(message),
            // The context is complete by now; more of it changes nothing already checked.
            Delivery::Context(_) | Delivery::ContextDone { .. } => continue,
        };
        if out.blocking_send(message).is_err() {
            break;
        }
    }
    (checking, waiting)
}

/// Whether an object may be skipped: the last complete scan kept a state of it under the
/// same inputs, with the same content digest and anchors, and it is not of a kind judged by
/// the pods it selects.
fn unchanged(skipping: &Skipping, object: &Object, digest: i64, anchors: rampart_core::index::Anchors) -> bool {
    if object.kind.is_empty() || Index::checks_after_pods(object.group(), &object.kind) {
        return false;
    }
    let hash = object_hash(&object.kind, object.namespace.as_deref().unwrap_or_default(), &object.name);
    skipping
        .previous
        .usable(Some(skipping.inputs_digest), hash)
        .is_some_and(|state| state.content == digest && state.anchors == anchors)
}

/// [`to_batch`] for a batch some of whose objects were skipped (`passed` says which, and
/// their anchors; `digests` their content's), with what is kept of each object: the
/// replayed state of each object skipped, the state of each object checked (its findings'
/// counts left to the recorder), nothing for an object with a custom policy's results.
fn to_kept_batch(
    objects: &[Object],
    checked: rampart_core::engine::Checked,
    passed: &[Passed],
    digests: &[i64],
    previous: &PreviousStates,
) -> (Batch, Vec<Option<Kept>>) {
    let mut kept = Vec::with_capacity(objects.len());
    // Each checked object's position among all the batch's objects.
    let mut positions = Vec::with_capacity(checked.objects.len());
    let mut reports = checked.objects.iter();
    let mut states: Vec<Option<ObjectState>> = Vec::with_capacity(checked.objects.len());
    let mut seen = Vec::with_capacity(objects.len());
    for (position, ((object, passed), digest)) in objects.iter().zip(passed).zip(digests).enumerate() {
        let namespace = object.namespace.clone().unwrap_or_default();
        if passed.skipped {
            let hash = object_hash(&object.kind, &namespace, &object.name);
            let state = previous.states.get(&hash).cloned().expect("a skipped object has a state");
            seen.push(SeenObject {
                kind: object.kind.clone(),
                namespace,
                name: object.name.clone(),
                score: state.score,
            });
            kept.push(Some(Kept { state, skipped: true }));
            continue;
        }
        let report = reports.next().expect("a report per object checked");
        let score = report.score.filter(|_| report.judged);
        let applied: Option<Vec<u16>> =
            report.passed.iter().chain(&report.failed).map(|id| rule_position(id)).collect();
        let state = match (applied, report.passed_policies.is_empty() && report.failed_policies.is_empty()) {
            (Some(applied), true) => Some(ObjectState {
                content: *digest,
                anchors: passed.anchors,
                score,
                applied,
                ..ObjectState::default()
            }),
            _ => None,
        };
        positions.push(position);
        states.push(state);
        seen.push(SeenObject { kind: object.kind.clone(), namespace, name: object.name.clone(), score });
        kept.push(None);
    }
    // The rules of each checked object's findings applied too; those not exempted failed.
    for finding in &checked.findings {
        let Some(state) = states.get_mut(finding.object) else { continue };
        let Some(rule) = rule_position(&finding.rule) else {
            *state = None;
            continue;
        };
        let Some(state) = state else { continue };
        state.applied.push(rule);
        if !finding.exempted {
            match state.failed.iter_mut().find(|(failed, _)| *failed == rule) {
                Some((_, count)) => *count += 1,
                None => state.failed.push((rule, 1)),
            }
        }
    }
    for (position, state) in positions.iter().zip(states) {
        kept[*position] = state.map(|mut state| {
            state.applied.sort_unstable();
            state.applied.dedup();
            state.failed.sort_unstable();
            Kept { state, skipped: false }
        });
    }
    let findings = checked.findings.into_iter().map(|finding| observed(positions[finding.object], finding)).collect();
    (Batch { objects: seen, findings }, kept)
}

/// The engine's results for a batch, reduced to what the store keeps.
pub fn to_batch(objects: &[Object], checked: rampart_core::engine::Checked) -> Batch {
    let seen = checked
        .objects
        .iter()
        .zip(objects)
        .map(|(report, object)| SeenObject {
            kind: object.kind.clone(),
            namespace: object.namespace.clone().unwrap_or_default(),
            name: object.name.clone(),
            // Only the scores of objects a medium-or-higher rule judged count in the
            // scan's (the formula's overall score).
            score: report.score.filter(|_| report.judged),
        })
        .collect();
    let findings = checked.findings.into_iter().map(|finding| observed(finding.object, finding)).collect();
    Batch { objects: seen, findings }
}

/// A finding of the engine as the store records it, for the batch's object at `object`.
fn observed(object: usize, finding: rampart_core::engine::Finding) -> Observed {
    Observed {
        object,
        rule: finding.rule,
        severity: finding.severity,
        path: finding.path,
        message: finding.message,
        exempted: finding.exempted,
        exemption_reason: finding.exemption_reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(yaml: &str) -> Object {
        let source = Source::new("a.yaml", yaml);
        let (mut objects, errors) = rampart_core::engine::read_objects(0, &source, &Default::default());
        assert!(errors.is_empty(), "{errors:?}");
        objects.remove(0)
    }

    #[test]
    fn content_digests_follow_the_content_not_its_positions() {
        let deployment = "kind: Deployment\nmetadata: {name: web, labels: {app.kubernetes.io/managed-by: Helm}}\nspec:\n  replicas: 2\n  template: {spec: {containers: [{name: a, image: a}]}}\n";
        let moved = format!("# a comment that moves every line\n\n{deployment}");
        let digest = content_digest(&object(deployment));
        assert_eq!(digest, content_digest(&object(&moved)));
        assert_ne!(digest, content_digest(&object(&deployment.replace("replicas: 2", "replicas: 3"))));
        // Gathered and hashed at once, the bytes hash as when fed one write at a time.
        let mut hasher = DefaultHasher::new();
        rampart_core::index::hash_content(&object(deployment).root, &mut hasher);
        assert_eq!(digest, hasher.finish() as i64);
    }
}
