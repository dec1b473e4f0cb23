// Starts the page's WebAssembly (wasm-bindgen's module glue, built by Trunk). A file rather than
// Trunk's inline script, so the Content-Security-Policy allows no inline script at all.
import init from "./app.js";

// Offline after the first visit (sw.js). Paths are relative to this file: the site works from
// any folder of a static host.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register(new URL("sw.js", import.meta.url)).catch((e) => console.warn("Filterlab will not work offline here:", e));
}

await init({ module_or_path: new URL("./app_bg.wasm", import.meta.url) });
