//! Fetching the MNIST files with progress, streamed so the page can show a progress bar. A
//! download that stops delivering bytes, or ends before the size it announced, is an error that
//! names the file, rather than a page that waits forever or a confusing parse error.

use js_sys::{Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Response};

/// Seconds without a single byte after which a download counts as stalled.
const STALL_SECONDS: i32 = 20;

fn js_error(e: JsValue) -> String {
    crate::js_error(&e)
}

/// A promise that resolves to `undefined` after `ms` milliseconds.
fn after(ms: i32) -> Promise {
    Promise::new(&mut |resolve, _| {
        let _ = crate::scope().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    })
}

/// Downloads `url`, calling `progress(bytes_so_far, announced_size)` as chunks arrive.
pub async fn fetch(url: &str, mut progress: impl FnMut(u64, Option<u64>)) -> Result<Vec<u8>, String> {
    let fail = |why: String| format!("could not load {url}: {why}");
    let response: Response = JsFuture::from(crate::scope().fetch_with_str(url))
        .await
        .map_err(|e| fail(js_error(e)))?
        .unchecked_into();
    if !response.ok() {
        return Err(fail(format!("HTTP {} {}", response.status(), response.status_text())));
    }
    let header = |name: &str| response.headers().get(name).ok().flatten();
    let total: Option<u64> = header("content-length").and_then(|v| v.parse().ok());
    // With a content encoding the announced size is the encoded one, not what we read.
    let encoded = header("content-encoding").is_some_and(|e| e != "identity");
    let Some(body) = response.body() else { return Err(fail("empty response".into())) };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut bytes = Vec::new();
    loop {
        let next = Promise::race(&js_sys::Array::of2(&reader.read(), &after(STALL_SECONDS * 1000)));
        let chunk = JsFuture::from(next).await.map_err(|e| fail(format!("the download broke off ({})", js_error(e))))?;
        if chunk.is_undefined() {
            let _ = reader.cancel();
            return Err(fail(format!("the download stalled: no data for {STALL_SECONDS} s after {} bytes", bytes.len())));
        }
        if Reflect::get(&chunk, &"done".into()).map(|d| d.is_truthy()).unwrap_or(true) {
            break;
        }
        let value = Reflect::get(&chunk, &"value".into()).map_err(|e| fail(js_error(e)))?;
        bytes.extend_from_slice(&Uint8Array::new(&value).to_vec());
        progress(bytes.len() as u64, total);
    }
    match total {
        Some(total) if !encoded && (bytes.len() as u64) < total => {
            Err(fail(format!("the download was cut short: {} of {total} bytes arrived", bytes.len())))
        }
        _ => Ok(bytes),
    }
}
