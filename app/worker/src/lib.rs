//! The training worker: receives `ToWorker` messages, answers with `FromWorker`. It owns the Burn
//! device and all training, so the page's main thread only draws. Built twice (src/bin/): with
//! and without Burn's wgpu backend; without it, WebGPU requests fall back to the CPU with a reason.

mod auto;
mod data;
mod device;
mod download;
mod error;
mod model;
mod session;
mod train;
mod yield_now;

use filterlab_protocol::{FromWorker, ToWorker};
use wasm_bindgen::{JsCast, prelude::*};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Posts one message to the page. A worker that cannot talk to the page is of no use, so a
/// failure is a panic, which the panic hook reports.
pub fn post(message: &FromWorker) {
    if let Err(e) = scope().post_message(&JsValue::from_str(&message.to_json())) {
        panic!("the worker could not post a message to the page: {}", js_error(&e));
    }
}

/// A JavaScript exception's message, or its debug form.
pub fn js_error(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| e.dyn_ref::<js_sys::Error>().map(|e| format!("{}: {}", e.name(), e.message())))
        .unwrap_or_else(|| format!("{e:?}"))
}

/// The size of this worker's WebAssembly memory (it only grows).
pub fn wasm_memory_bytes() -> u64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as u64
}

/// A panic leaves the worker unusable: log it, and tell the page, which offers a restart.
fn report_panics() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let crashed = FromWorker::Crashed { message: info.to_string() };
        // Not `post`: it panics on failure, and this is the panic hook.
        let _ = scope().post_message(&JsValue::from_str(&crashed.to_json()));
    }));
}

/// Installs the message handler and tells the page it is ready.
pub fn run() {
    report_panics();
    let session = session::Session::default();
    let onmessage = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        let Some(json) = event.data().as_string() else {
            post(&FromWorker::Error { message: "the worker got a message that is not text".into() });
            return;
        };
        match ToWorker::from_json(&json) {
            Ok(message) => session.handle(message),
            Err(message) => post(&FromWorker::Error { message }),
        }
    });
    scope().set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    // Messages posted before this point were dropped: the page waits for Ready.
    post(&FromWorker::Ready);
}
