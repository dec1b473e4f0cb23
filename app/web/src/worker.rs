//! The page's end of the worker link: spawns the training worker, waits for its Ready, and
//! delivers its messages. The one place on the page that calls `postMessage`.

use std::cell::RefCell;

use filterlab_protocol::{FromWorker, ToWorker};
use wasm_bindgen::{JsCast, prelude::*};
use web_sys::{ErrorEvent, MessageEvent, Worker};

#[derive(Default)]
struct Link {
    worker: Option<Worker>,
    ready: bool,
    /// Messages sent before the worker said Ready; a wasm worker drops those, so we hold them.
    queue: Vec<ToWorker>,
}

thread_local! {
    static LINK: RefCell<Link> = RefCell::new(Link::default());
}

/// Sends a message to the worker (held back until it is ready).
pub fn send(message: ToWorker) {
    LINK.with(|l| {
        let mut link = l.borrow_mut();
        match (&link.worker, link.ready) {
            (Some(worker), true) => {
                let _ = worker.post_message(&JsValue::from_str(&message.to_json()));
            }
            _ => link.queue.push(message),
        }
    });
}

/// Starts `worker_loader.js` (Trunk's loader for the worker binary) and routes its messages.
pub fn spawn(on_message: impl Fn(FromWorker) + 'static, on_crash: impl Fn(String) + 'static) -> Result<(), String> {
    let worker = Worker::new("./worker_loader.js").map_err(|e| format!("could not start the training worker: {e:?}"))?;
    let onmessage = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        let Some(json) = event.data().as_string() else { return };
        match FromWorker::from_json(&json) {
            Ok(FromWorker::Ready) => {
                let queued = LINK.with(|l| {
                    let mut link = l.borrow_mut();
                    link.ready = true;
                    std::mem::take(&mut link.queue)
                });
                queued.into_iter().for_each(send);
                on_message(FromWorker::Ready);
            }
            Ok(message) => on_message(message),
            Err(message) => on_message(FromWorker::Error { message }),
        }
    });
    let onerror = Closure::<dyn Fn(ErrorEvent)>::new(move |event: ErrorEvent| {
        on_crash(format!("the training worker crashed: {}", event.message()));
    });
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    onmessage.forget();
    onerror.forget();
    LINK.with(|l| l.borrow_mut().worker = Some(worker));
    Ok(())
}
