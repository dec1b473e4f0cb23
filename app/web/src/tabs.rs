//! The other tabs of this site in this browser: each tells the others when it has kept or
//! deleted a run or changed the kept digits (`BroadcastChannel`), so every tab's run list follows without a reload, and beats
//! once a second while it trains a run (a tab that is closed or killed stops beating, so no mark
//! outlives it). What a message changes is decided in `filterlab_page::library` (`kept_elsewhere`,
//! `deleted`, `beat_heard`).

use std::cell::RefCell;

use wasm_bindgen::{JsCast, prelude::*};
use web_sys::{BroadcastChannel, MessageEvent};

const CHANNEL: &str = "filterlab-runs";

thread_local! {
    static CHANNEL_HERE: RefCell<Option<BroadcastChannel>> = const { RefCell::new(None) };
}

/// What one tab tells the others.
pub enum News {
    Kept(String),
    Deleted(String),
    /// This run is training here now.
    Training(String),
    /// The kept digits changed: read them again.
    Digits,
}

impl News {
    fn to_text(&self) -> String {
        match self {
            News::Kept(id) => format!("kept {id}"),
            News::Deleted(id) => format!("deleted {id}"),
            News::Training(id) => format!("training {id}"),
            News::Digits => "digits -".into(),
        }
    }

    fn from_text(text: &str) -> Option<Self> {
        let (what, id) = text.split_once(' ')?;
        match what {
            "kept" => Some(News::Kept(id.into())),
            "deleted" => Some(News::Deleted(id.into())),
            "training" => Some(News::Training(id.into())),
            "digits" => Some(News::Digits),
            _ => None,
        }
    }
}

/// Listens to the other tabs (a browser without BroadcastChannel: each tab on its own).
pub fn listen(on_news: impl Fn(News) + 'static) {
    let Ok(channel) = BroadcastChannel::new(CHANNEL) else { return };
    let handler = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        if let Some(news) = event.data().as_string().as_deref().and_then(News::from_text) {
            on_news(news);
        }
    });
    channel.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
    CHANNEL_HERE.with(|c| *c.borrow_mut() = Some(channel));
}

/// Tells the other tabs (never this one: a channel does not hear its own messages).
pub fn tell(news: News) {
    CHANNEL_HERE.with(|c| {
        if let Some(channel) = c.borrow().as_ref() {
            let _ = channel.post_message(&JsValue::from_str(&news.to_text()));
        }
    });
}
