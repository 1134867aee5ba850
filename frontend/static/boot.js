// Loads the WebAssembly app (wasm-bindgen's glue), which mounts the page into the body;
// then removes the loading note. An external module rather than an inline script, so a
// strict Content-Security-Policy needs no exception for it.
//
// The app is two modules: the playground's (`rampart_web`, for `/`) and the dashboard's
// (`rampart_web_dashboard`, for every other path: login, clusters, reports, settings), so
// a first visit to the playground never downloads the dashboard. The path is read as the
// app's router reads it (`Route::parse`: trailing slashes dropped, `/index.html` is the
// playground); the app loads the page anew when it goes from one module's pages to the
// other's.
const path = location.pathname.replace(/\/+$/, "");
const stem = path === "" || path === "/index.html" ? "rampart_web" : "rampart_web_dashboard";
// The WebAssembly is requested at once, while the glue loads beside it.
const wasm = fetch(new URL(`${stem}_bg.wasm`, import.meta.url));

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
import(`./${stem}.js`)
  .then((glue) => glue.default({ module_or_path: wasm }))
  .then(() => loading?.remove())
  .catch((error) => {
    if (loading) {
      loading.textContent = `Rampart's engine could not start in this browser: ${error}`;
    }
  });
