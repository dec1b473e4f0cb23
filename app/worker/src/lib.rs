//! The training worker: receives `ToWorker` messages, answers with `FromWorker`. It owns the Burn
//! device and all training, so the page's main thread only draws. Built twice (src/bin/): with
//! and without Burn's wgpu backend; without it, WebGPU requests fall back to the CPU with a reason.

mod auto;
mod download;
mod gpu;
mod session;
mod yield_now;

use filterlab_protocol::{FromWorker, ToWorker};
use wasm_bindgen::{JsCast, prelude::*};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Posts one message to the page.
pub fn post(message: &FromWorker) {
    if let Err(e) = scope().post_message(&JsValue::from_str(&message.to_json())) {
        web_sys::console::error_1(&e);
    }
}

/// Installs the message handler and tells the page it is ready.
pub fn run() {
    console_error_panic_hook::set_once();
    let onmessage = Closure::<dyn Fn(MessageEvent)>::new(|event: MessageEvent| {
        let Some(json) = event.data().as_string() else {
            post(&FromWorker::Error { message: "the worker got a message that is not text".into() });
            return;
        };
        match ToWorker::from_json(&json) {
            Ok(message) => session::handle(message),
            Err(message) => post(&FromWorker::Error { message }),
        }
    });
    scope().set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    // Messages posted before this point were dropped: the page waits for Ready.
    post(&FromWorker::Ready);
}
