//! Where the site's files are: the page, the worker builds and the MNIST files are relative to
//! the page's folder, so the same build works at a host's root or in a sub-folder.

use leptos::prelude::*;

/// The folder the page is in ("https://host/some/path/").
pub fn base_url() -> String {
    let page = document().base_uri().ok().flatten().unwrap_or_default();
    web_sys::Url::new_with_base(".", &page).map(|u| u.href()).unwrap_or_else(|_| "/".into())
}
