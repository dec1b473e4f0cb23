//! Fetching the MNIST files with progress, streamed so the page can show a progress bar.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Response};

fn js_error(e: JsValue) -> String {
    crate::js_error(&e)
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
    let total = response.headers().get("content-length").ok().flatten().and_then(|v| v.parse().ok());
    let Some(body) = response.body() else { return Err(fail("empty response".into())) };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut bytes = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| fail(js_error(e)))?;
        if Reflect::get(&chunk, &"done".into()).map(|d| d.is_truthy()).unwrap_or(true) {
            break;
        }
        let value = Reflect::get(&chunk, &"value".into()).map_err(|e| fail(js_error(e)))?;
        bytes.extend_from_slice(&Uint8Array::new(&value).to_vec());
        progress(bytes.len() as u64, total);
    }
    Ok(bytes)
}
