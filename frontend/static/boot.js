// Loads the WebAssembly app (wasm-bindgen's glue), which mounts the playground into the
// body; then removes the loading note. An external module rather than an inline script,
// so a strict Content-Security-Policy needs no exception for it.
import init from "./rampart_web.js";

// The policy module (the CEL interpreter and the policy evaluator), fetched only when the
// page first holds a custom policy: the app calls this and awaits its exports.
let policyModule;
globalThis.rampartLoadPolicyModule = () => {
  policyModule ??= import("./rampart_web_policy.js").then(async (module) => {
    await module.default({ module_or_path: new URL("rampart_web_policy_bg.wasm", import.meta.url) });
    return module;
  });
  return policyModule;
};

const loading = document.getElementById("loading");
init({ module_or_path: new URL("rampart_web_bg.wasm", import.meta.url) })
  .then(() => loading?.remove())
  .catch((error) => {
    if (loading) {
      loading.textContent = `Rampart's engine could not start in this browser: ${error}`;
    }
  });
