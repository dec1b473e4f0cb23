//! Offline after the first visit: once the data is ready, the page tells its service worker
//! (`sw.js`, registered by `app_loader.js`) which files this visit used beyond the page itself:
//! the worker build it chose and the MNIST files. The service worker keeps them with the page.

use filterlab_protocol::mnist;
use leptos::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::ServiceWorkerRegistration;

use crate::{site::base_url, worker::Build};

/// `ten_digits`: the t10k files were used too (the ten-digit task's test set).
pub fn keep(build: Build, ten_digits: bool) {
    let base = base_url();
    let mut files = vec![
        "worker_loader.js".to_string(),
        format!("{}.js", build.name()),
        format!("{}_bg.wasm", build.name()),
        format!("{}{}", mnist::FOLDER, mnist::TRAIN_LABELS),
        format!("{}{}", mnist::FOLDER, mnist::TRAIN_IMAGES),
    ];
    if ten_digits {
        files.extend([mnist::TEST_LABELS, mnist::TEST_IMAGES].map(|f| format!("{}{f}", mnist::FOLDER)));
    }
    let urls: js_sys::Array = files.iter().map(|f| wasm_bindgen::JsValue::from(format!("{base}{f}"))).collect();
    leptos::task::spawn_local(async move {
        // No service worker (not supported, or refused): the page works online only.
        let Ok(ready) = window().navigator().service_worker().ready() else { return };
        let Ok(registration) = JsFuture::from(ready).await else { return };
        let registration: ServiceWorkerRegistration = registration.into();
        if let Some(active) = registration.active() {
            let _ = active.post_message(&urls);
        }
    });
}
