//! The policy module: the CEL interpreter and the policy evaluator live in a second
//! WebAssembly module (crate `rampart-web-policy`, `rampart_web_policy_bg.wasm`), fetched
//! the first time the page holds a custom policy, so a visitor who never writes one never
//! downloads them. `boot.js` loads it (`rampartLoadPolicyModule`, a dynamic `import()` of
//! its wasm-bindgen glue); this side asks it for the policies' verdicts on the checked
//! sources with one JSON call ([`EvaluationRequest`] in, [`Evaluated`] out) and hands them
//! to the check in [`PolicyOptions::evaluated`]. Like the main module, it is one of the
//! page's own files: nothing leaves the page.

use std::cell::RefCell;
use std::sync::Arc;

use js_sys::{Function, Promise, Reflect};
use rampart_core::policy::{Evaluated, EvaluationRequest, PolicyOptions, PolicyReport};
use rampart_core::{ParseError, Source};
use wasm_bindgen::{JsCast, JsValue};

/// The global function `boot.js` defines to load the module (once; a promise of its exports).
const LOADER: &str = "rampartLoadPolicyModule";

/// Where the module is.
#[derive(Clone, Debug, Default)]
pub enum Status {
    #[default]
    NotLoaded,
    Loading,
    Ready(JsValue),
    Failed(String),
}

thread_local! {
    static STATUS: RefCell<Status> = const { RefCell::new(Status::NotLoaded) };
}

pub fn status() -> Status {
    STATUS.with(|status| status.borrow().clone())
}

/// Starts loading the module unless it is loaded or loading; `then` runs once it is ready
/// (or has failed).
pub fn load(then: impl FnOnce() + 'static) {
    if !matches!(status(), Status::NotLoaded) {
        return;
    }
    STATUS.with(|status| *status.borrow_mut() = Status::Loading);
    wasm_bindgen_futures::spawn_local(async move {
        let loaded = match start_loading() {
            Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise).await.map_err(|error| describe(&error)),
            Err(error) => Err(error),
        };
        let next = match loaded {
            Ok(module) => Status::Ready(module),
            Err(error) => Status::Failed(error),
        };
        STATUS.with(|status| *status.borrow_mut() = next);
        then();
    });
}

fn start_loading() -> Result<Promise, String> {
    let loader = Reflect::get(&js_sys::global(), &JsValue::from_str(LOADER))
        .ok()
        .and_then(|loader| loader.dyn_into::<Function>().ok())
        .ok_or_else(|| format!("the page does not define {LOADER} (boot.js)"))?;
    loader
        .call0(&JsValue::NULL)
        .map_err(|error| describe(&error))?
        .dyn_into::<Promise>()
        .map_err(|error| describe(&error))
}

fn describe(error: &JsValue) -> String {
    error.as_string().unwrap_or_else(|| format!("{error:?}"))
}

/// The policies' verdicts on `sources`, from the loaded module; `None` while it is not.
/// A module that failed to load, or an answer that cannot be read, is an error on the
/// policies' first line (never policies silently passing).
pub fn evaluate(sources: &[Source], options: &PolicyOptions) -> Option<Arc<Evaluated>> {
    let module = match status() {
        Status::Ready(module) => module,
        Status::Failed(error) => {
            return Some(failure(options, &format!("the policy engine could not be loaded: {error}")))
        }
        Status::NotLoaded | Status::Loading => return None,
    };
    let request = serde_json::to_string(&EvaluationRequest::new(sources, options)).unwrap_or_default();
    let answer = Reflect::get(&module, &JsValue::from_str("evaluate"))
        .ok()
        .and_then(|evaluate| evaluate.dyn_into::<Function>().ok())
        .ok_or_else(|| "the policy module has no evaluate function".to_string())
        .and_then(|evaluate| {
            evaluate.call1(&JsValue::NULL, &JsValue::from_str(&request)).map_err(|error| describe(&error))
        })
        .and_then(|answer| answer.as_string().ok_or_else(|| "the policy module answered no text".to_string()))
        .and_then(|answer| serde_json::from_str::<Evaluated>(&answer).map_err(|error| error.to_string()));
    Some(match answer {
        Ok(evaluated) => Arc::new(evaluated),
        Err(error) => failure(options, &format!("the policy engine failed: {error}")),
    })
}

fn failure(options: &PolicyOptions, message: &str) -> Arc<Evaluated> {
    let errors = options
        .sources
        .iter()
        .map(|source| ParseError { source_name: source.name.clone(), line: 1, column: 1, message: message.to_string() })
        .collect();
    Arc::new(Evaluated { report: PolicyReport { errors, ..PolicyReport::default() }, outcomes: Vec::new() })
}
