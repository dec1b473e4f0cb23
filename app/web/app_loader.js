// Starts the page's WebAssembly (wasm-bindgen's module glue, built by Trunk). A file rather than
// Trunk's inline script, so the Content-Security-Policy allows no inline script at all.
import init from "./app.js";
await init({ module_or_path: new URL("./app_bg.wasm", import.meta.url) });
