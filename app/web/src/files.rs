//! Model files in and out of the page: Export hands the latest checkpoint to the browser as a
//! download; Import reads a file the user picked (the page crate reads what is in it).

use filterlab_protocol::MAX_MODEL_FILE_BYTES;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, File, HtmlAnchorElement, Url};

/// A `blob:` address holding `bytes`, for a download link.
pub fn download_url(bytes: &[u8]) -> Result<String, String> {
    download_url_as(bytes, "application/octet-stream")
}

/// The same, of a media type (`text/csv`).
pub fn download_url_as(bytes: &[u8], media_type: &str) -> Result<String, String> {
    let parts = Array::of1(&Uint8Array::from(bytes).into());
    let options = BlobPropertyBag::new();
    options.set_type(media_type);
    let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(|e| format!("{e:?}"))?;
    Url::create_object_url_with_blob(&blob).map_err(|e| format!("{e:?}"))
}

/// Starts the browser's download of `url` as `name`. The link's previous `blob:` address is
/// released (not this one: the download may still be reading it).
pub fn download(link: &HtmlAnchorElement, url: &str, name: &str) {
    let previous = link.href();
    if previous.starts_with("blob:") {
        let _ = Url::revoke_object_url(&previous);
    }
    link.set_href(url);
    link.set_download(name);
    link.click();
}

/// The bytes of a picked file, refusing one too large to be a model before reading it.
pub async fn read(file: &File) -> Result<Vec<u8>, String> {
    read_up_to(file, MAX_MODEL_FILE_BYTES, "a model file").await
}

/// The bytes of a picked file, refusing one larger than `limit` (what `kind` can be) unread.
pub async fn read_up_to(file: &File, limit: usize, kind: &str) -> Result<Vec<u8>, String> {
    let size = file.size() as usize;
    if size > limit {
        return Err(format!("it is {size} bytes, more than the {limit} {kind} can be"));
    }
    let buffer = JsFuture::from(file.array_buffer()).await.map_err(|e| format!("it could not be read: {e:?}"))?;
    Ok(Uint8Array::new(&buffer.unchecked_into::<JsValue>()).to_vec())
}
