//! Lets the worker's event loop run (Stop, Reset and Classify messages) between training steps.
//! A message to itself through a MessageChannel, not `setTimeout(0)`: browsers stretch nested
//! zero-delay timers to 4 ms, which added up to a tenth of a CPU epoch.

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::MessageChannel;

pub async fn yield_now() {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let channel = MessageChannel::new().expect("MessageChannel exists in workers");
        channel.port1().set_onmessage(Some(&resolve));
        let _ = channel.port2().post_message(&JsValue::NULL);
    });
    let _ = JsFuture::from(promise).await;
}
