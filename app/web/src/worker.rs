//! The page's end of the worker link: picks and spawns the training worker build, waits for its
//! Ready, and delivers its messages. The one place on the page that calls `postMessage`.

use std::{cell::RefCell, rc::Rc};

use filterlab_protocol::{FromWorker, ToWorker, adapter};
use js_sys::Reflect;
use wasm_bindgen::{JsCast, prelude::*};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions};

/// The two builds of the worker (app/worker/src/bin): the CPU one is a fraction of the download.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Build {
    Cpu,
    Gpu,
}

impl Build {
    /// The name `worker_loader.js` loads `NAME.js` and `NAME_bg.wasm` by.
    pub fn name(self) -> &'static str {
        match self {
            Build::Cpu => "worker_cpu",
            Build::Gpu => "worker_gpu",
        }
    }
}

type OnMessage = Rc<dyn Fn(FromWorker)>;
type OnCrash = Rc<dyn Fn(String)>;

#[derive(Default)]
struct Link {
    worker: Option<(Worker, Build)>,
    ready: bool,
    /// Messages sent before the worker said Ready; a wasm worker drops those, so we hold them.
    queue: Vec<ToWorker>,
    handlers: Option<(OnMessage, OnCrash)>,
}

thread_local! {
    static LINK: RefCell<Link> = RefCell::new(Link::default());
}

/// Where the worker's messages and crashes go.
pub fn init(on_message: impl Fn(FromWorker) + 'static, on_crash: impl Fn(String) + 'static) {
    LINK.with(|l| l.borrow_mut().handlers = Some((Rc::new(on_message), Rc::new(on_crash))));
}

/// The build running now, if any.
pub fn current() -> Option<Build> {
    LINK.with(|l| l.borrow().worker.as_ref().map(|w| w.1))
}

/// Sends a message to the worker (held back until it is ready).
pub fn send(message: ToWorker) {
    LINK.with(|l| {
        let mut link = l.borrow_mut();
        match (&link.worker, link.ready) {
            (Some((worker, _)), true) => {
                let _ = worker.post_message(&JsValue::from_str(&message.to_json()));
            }
            _ => link.queue.push(message),
        }
    });
}

/// Whether the browser offers a WebGPU adapter that is a real GPU (not a software emulation).
/// The worker checks again and says why; this only decides which build to download.
pub async fn has_hardware_adapter() -> bool {
    let get = |target: &JsValue, key: &str| Reflect::get(target, &key.into()).unwrap_or(JsValue::UNDEFINED);
    let gpu = get(&leptos::prelude::window().navigator(), "gpu");
    let Ok(request) = get(&gpu, "requestAdapter").dyn_into::<js_sys::Function>() else { return false };
    let Ok(promise) = request.call0(&gpu) else { return false };
    let Ok(adapter) = JsFuture::from(js_sys::Promise::from(promise)).await else { return false };
    if adapter.is_null() || adapter.is_undefined() {
        return false;
    }
    let info = get(&adapter, "info");
    let description: Vec<String> = ["vendor", "architecture", "description"].iter().filter_map(|k| get(&info, k).as_string()).collect();
    let fallback = get(&adapter, "isFallbackAdapter").is_truthy() || get(&info, "isFallbackAdapter").is_truthy();
    !adapter::is_software(&description.join(" / "), fallback)
}

/// Makes `build` the running worker: starts it (ending another build's worker) if it is not, or
/// if `fresh` (a crashed worker is replaced). Messages sent after this go to it.
pub fn use_build(build: Build, fresh: bool) -> Result<(), String> {
    let (running, handlers) = LINK.with(|l| {
        let link = l.borrow();
        (link.worker.as_ref().map(|w| w.1), link.handlers.clone())
    });
    if running == Some(build) && !fresh {
        return Ok(());
    }
    let (on_message, on_crash) = handlers.ok_or("worker::init was not called")?;
    let options = WorkerOptions::new();
    options.set_name(build.name());
    let worker = Worker::new_with_options("./worker_loader.js", &options)
        .map_err(|e| format!("could not start the training worker: {e:?}"))?;
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
    LINK.with(|l| {
        let mut link = l.borrow_mut();
        if let Some((old, _)) = link.worker.take() {
            old.terminate();
        }
        link.worker = Some((worker, build));
        link.ready = false;
        // Whatever was queued for the old worker was meant for a device that is gone.
        link.queue.clear();
    });
    Ok(())
}
