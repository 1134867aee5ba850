// Loads the WebAssembly app (wasm-bindgen's glue), which mounts the playground into the
// body; then removes the loading note. An external module rather than an inline script,
// so a strict Content-Security-Policy needs no exception for it.
import init from "./rampart_web.js";

const loading = document.getElementById("loading");
init({ module_or_path: new URL("rampart_web_bg.wasm", import.meta.url) })
  .then(() => loading?.remove())
  .catch((error) => {
    if (loading) {
      loading.textContent = `Rampart's engine could not start in this browser: ${error}`;
    }
  });
