//! The browser tests' bench, shared by every test in tests/: a fault-injecting server for the
//! built app (`server`), a browser session driven through WebDriver (`browser`), what tests do on
//! the page (`page`: find / act / check), what they hand it (`inputs`), and the run library's
//! storage as tests plant and read it (`runs`).

pub mod browser;
pub mod inputs;
pub mod page;
pub mod runs;
pub mod server;

pub use browser::{Browser, DESKTOP, Engine, Gpu, MINUTE, PHONE, SMALL_PHONE, Screen, TABLET, WIDE};
pub use inputs::{eight, fixture, model_file, one, seven, temp_file, weights_in};
pub use page::Pointer;
pub use server::{Fault, page_policy};
