//! The page's logic without the browser: its state and how worker messages change it
//! (`state`), the training form (`form`) and the address (`address`). The Leptos page
//! (`app/web`) draws this state and runs the effects it asks for; tested natively here.

pub mod address;
pub mod files;
pub mod form;
pub mod lesson;
pub mod library;
pub mod my_digits;
pub mod presets;
pub mod room;
pub mod state;
pub mod words;
pub mod worked;

pub use address::Address;
pub use form::Form;
pub use state::{Effect, Failure, PageState};
