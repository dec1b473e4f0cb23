//! The page's one state ([`PageState`], plain Rust in `filterlab-page`) in a signal, shared with
//! every panel through context, and the side of the page that acts on it: the worker link, the
//! browser's storage, the address.

use filterlab_page::{Address, Effect as Do, PageState, address::Fragment};
use filterlab_protocol::{DevicePref, FromWorker, ToWorker};
use leptos::prelude::*;

use crate::{
    offline, pad,
    site::base_url,
    store,
    tabs::{self, News},
    worker,
};

/// What every panel gets from `use_context`: cheap to copy.
#[derive(Clone, Copy)]
pub struct Page {
    pub state: RwSignal<PageState>,
    address: StoredValue<Address>,
}

/// The page's context, for the panels.
pub fn page() -> Page {
    expect_context::<Page>()
}

fn query() -> String {
    window().location().search().unwrap_or_default()
}

/// The fragment (`#…`), which the settings in the query string never replace.
fn hash() -> String {
    window().location().hash().unwrap_or_default()
}

/// Milliseconds since the page was opened.
pub fn since_open_ms() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or_default()
}

impl Page {
    /// The page's state from its address, wired to the worker; starts the device it asks for.
    pub fn start() -> Self {
        let address = Address::parse_page(&query(), &hash());
        let mut state = PageState::new(&address);
        // Run ids name the tab that started them, and the time.
        state.tab = format!("{:06x}", (js_sys::Math::random() * 16_777_216.0) as u32);
        state.opened_ms = js_sys::Date::now() - since_open_ms();
        let page = Self { state: RwSignal::new(state), address: StoredValue::new(address) };
        worker::init(
            move |message: FromWorker| page.apply(message),
            move |crash| page.state.update(|s| s.worker_died(crash)),
        );
        // Runs kept or deleted in another tab of this browser appear or go here too.
        tabs::listen(move |news| match news {
            News::Kept(id) => leptos::task::spawn_local(async move {
                if let Ok(Some(record)) = store::record(&id).await {
                    page.state.update(|s| s.kept_elsewhere(record));
                }
            }),
            News::Deleted(id) => page.state.update(|s| s.deleted(&id)),
            News::Training(id) => page.state.update(|s| s.beat_heard(id, since_open_ms())),
            News::Digits => page.list_digits(),
        });
        // Once a second: this tab's beat while it trains, and the marks of tabs that stopped.
        let heartbeat = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
            let now = since_open_ms();
            if page.state.with_untracked(|s| s.beats_lost(now)) {
                page.state.update(|s| s.forget_lost_beats(now));
            }
            if let Some(id) = page.state.with_untracked(PageState::beat) {
                tabs::tell(News::Training(id));
            }
        });
        let _ = window().set_interval_with_callback_and_timeout_and_arguments_0(wasm_bindgen::JsCast::unchecked_ref(heartbeat.as_ref()), 1000);
        heartbeat.forget();
        // The run library; the most recent run comes back once the worker has its data.
        leptos::task::spawn_local(async move {
            let id = page.state.with_untracked(PageState::old_model_id);
            match store::list(id, js_sys::Date::now()).await {
                Ok(listed) => {
                    let now = since_open_ms();
                    page.act(|s| {
                        s.listed_ms = Some(now);
                        s.library_listed(listed.runs, listed.skipped)
                    });
                    page.measure_storage();
                }
                Err(e) => page.notice(format!("Runs cannot be kept in this browser: {e}")),
            }
        });
        page.list_digits();
        page.launch(page.state.with_untracked(|s| s.worker.pref), false);
        // The settings live in the address, so a link reproduces a run's setup.
        Effect::new(move |_| {
            // The fragment (a link's model, a lesson) stays across edits and reloads; a refused
            // model or lesson goes, and so does an unlocked lesson.
            let fragment = page.state.with(|s| {
                let mut fragment = Fragment::parse(&hash());
                if s.link_refused {
                    fragment = fragment.set("model", None);
                }
                if !s.keeps_lesson() {
                    fragment = fragment.set("lesson", None);
                }
                fragment.text()
            });
            let q = page.state.with(|s| page.address.with_value(|a| a.with_form(&s.form))) + &fragment;
            if q != query() + &hash() {
                if let Ok(history) = window().history() {
                    let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&q));
                }
            }
        });
        page
    }

    /// A part of the state, as a memo: a panel redraws only when its part changes.
    pub fn select<T: Clone + PartialEq + Send + Sync + 'static>(self, part: impl Fn(&PageState) -> T + Send + Sync + 'static) -> Memo<T> {
        Memo::new(move |_| self.state.with(&part))
    }

    fn apply(self, message: FromWorker) {
        let now = since_open_ms();
        self.act(|s| s.apply(message, now));
    }

    /// Changes the state, then does what the change asks for outside it.
    pub fn act(self, change: impl FnOnce(&mut PageState) -> Vec<Do>) {
        let effects = self.state.try_update(change).unwrap_or_default();
        self.run(effects);
    }

    /// Does what a change asked for. Not generic: an effect may change the state again (a run's
    /// file read, then opened), and a closure inside `act` would make `act` instantiate itself.
    fn run(self, effects: Vec<Do>) {
        for effect in effects {
            match effect {
                Do::Send(message) => worker::send(message),
                Do::Reclassify => pad::resend(),
                Do::Keep { record, file } => leptos::task::spawn_local(self.keep(record, file)),
                Do::MakeRoom { delete, record, file } => leptos::task::spawn_local(async move {
                    for id in delete {
                        if let Err(e) = self.delete(id).await {
                            return self.error(format!("No room was made: {e}."));
                        }
                    }
                    self.keep(record, file).await;
                }),
                Do::KeepAll { runs, digits, already, name } => leptos::task::spawn_local(async move {
                    match store::keep_all(&runs, &digits).await {
                        Ok(()) => {
                            let records: Vec<_> = runs.into_iter().map(|r| r.record).collect();
                            for r in &records {
                                tabs::tell(News::Kept(r.id.clone()));
                            }
                            if !digits.is_empty() {
                                tabs::tell(News::Digits);
                            }
                            self.act(|s| s.library_imported(records, digits, already, &name));
                            self.measure_storage();
                        }
                        Err(e) => self.error(format!("{name} was not imported: {e}. Nothing was changed.")),
                    }
                }),
                Do::ChangeDigits { add, remove, said } => leptos::task::spawn_local(async move {
                    match store::change_digits(&add, &remove).await {
                        Ok(()) => {
                            tabs::tell(News::Digits);
                            self.act(|s| s.digits_changed(add, &remove, said));
                            self.measure_storage();
                        }
                        Err(e) => self.error(format!("Your digits were not saved: {e}. Nothing was changed.")),
                    }
                }),
                Do::Relabel { record } => leptos::task::spawn_local(async move {
                    match store::put_record(&record).await {
                        Ok(()) => {
                            tabs::tell(News::Kept(record.id.clone()));
                            self.state.update(|s| s.relabelled(record));
                        }
                        Err(e) => self.error(format!("The run was not renamed: {e}.")),
                    }
                }),
                Do::Open { id, at_load } => leptos::task::spawn_local(async move {
                    match store::file(&id).await {
                        Ok(bytes) => self.act(|s| s.run_file_read(id, at_load, bytes)),
                        Err(e) => self.error(format!("The run could not be opened: {e}.")),
                    }
                }),
                Do::Compare { id } => leptos::task::spawn_local(async move {
                    let bytes = store::file(&id).await;
                    self.state.update(|s| s.compare_read(&id, bytes));
                }),
                Do::Delete { id } => leptos::task::spawn_local(async move {
                    if let Err(e) = self.delete(id).await {
                        self.error(format!("The run was not deleted: {e}."));
                    }
                }),
                Do::KeepOffline { ten_digits } => {
                    if let Some(build) = worker::current() {
                        offline::keep(build, ten_digits);
                    }
                }
            }
        }
    }

    /// Reads the kept digits from the browser's storage (at load, and when another tab changed
    /// them).
    fn list_digits(self) {
        leptos::task::spawn_local(async move {
            match store::digits().await {
                Ok((set, skipped)) => self.act(|s| s.my_digits_listed(set, skipped)),
                Err(e) => self.notice(format!("Your digits cannot be kept in this browser: {e}")),
            }
        });
    }

    /// Keeps a run in the browser's storage; "Saved" once the write completed, else why not.
    async fn keep(self, record: filterlab_protocol::RunRecord, file: Vec<u8>) {
        match store::keep(&record, &file).await {
            Ok(()) => {
                tabs::tell(News::Kept(record.id.clone()));
                self.state.update(|s| s.kept(record));
                self.measure_storage();
                if self.state.try_update(PageState::ask_persist).unwrap_or(false) {
                    let answer = store::persist().await;
                    self.state.update(|s| s.persist = Some(answer));
                }
            }
            Err(e) => self.state.update(|s| s.keep_failed(&record, file.len(), &e, e == store::FULL)),
        }
    }

    /// Deletes a kept run, and tells the other tabs.
    async fn delete(self, id: String) -> Result<(), String> {
        store::delete(&id).await?;
        tabs::tell(News::Deleted(id.clone()));
        self.state.update(|s| s.deleted(&id));
        self.measure_storage();
        Ok(())
    }

    /// Measures what the site stores against what the browser allows it, for the Runs panel.
    fn measure_storage(self) {
        leptos::task::spawn_local(async move {
            if let Some(measured) = store::estimate().await {
                self.state.update(|s| s.storage = Some(measured));
            }
        });
    }

    /// The page's link, with the current model when it fits: copied to the clipboard where the
    /// browser allows, and returned to be shown for copying by hand.
    pub fn copy_link(self) -> Option<String> {
        let relative = self.state.with_untracked(|s| self.address.with_value(|a| s.link(a)));
        self.copy(relative, "Link copied", "Copy the link below", "it opens this network, its settings and (when it fits) this model, in any browser.")
    }

    /// The lesson the builder describes, as a link, copied and returned as [`Page::copy_link`]'s.
    pub fn copy_lesson_link(self) -> Option<String> {
        let relative = self.state.with_untracked(|s| self.address.with_value(|a| s.lesson_link(a)));
        self.copy(relative, "Lesson link copied", "Copy the lesson link below", "it opens this page as set here (settings, network, filters, panels, locks, title and task), in any browser.")
    }

    /// A link of this page (`relative`: `?…#…`, or why there is none) made absolute, copied to
    /// the clipboard where the browser allows it, and returned to be shown; the notice says which.
    fn copy(self, relative: Result<String, String>, copied: &'static str, by_hand: &'static str, what: &'static str) -> Option<String> {
        let link = match relative {
            Ok(relative) => {
                let l = window().location();
                format!("{}{}{relative}", l.origin().unwrap_or_default(), l.pathname().unwrap_or_default())
            }
            Err(e) => {
                self.error(e);
                return None;
            }
        };
        let copy = window().navigator().clipboard().write_text(&link);
        leptos::task::spawn_local(async move {
            let said = if wasm_bindgen_futures::JsFuture::from(copy).await.is_ok() { copied } else { by_hand };
            self.notice(format!("{said}: {what}"));
        });
        Some(link)
    }

    pub fn notice(self, text: String) {
        self.state.update(|s| s.messages.notice = Some(text));
    }

    pub fn error(self, text: String) {
        self.state.update(|s| s.messages.error = Some(text));
    }

    /// Starts the device the user asked for, in the worker build that can run it: Auto needs the
    /// WebGPU build only when there is a real GPU to time against the CPU. `fresh` replaces a
    /// crashed worker even when it is the right build.
    fn launch(self, to: DevicePref, fresh: bool) {
        let (calibrate, ops) = self.address.with_value(|a| (a.calibrate_always, a.ops));
        leptos::task::spawn_local(async move {
            let build = match to {
                DevicePref::Cpu => worker::Build::Cpu,
                DevicePref::WebGpu => worker::Build::Gpu,
                DevicePref::Auto if calibrate || worker::has_hardware_adapter().await => worker::Build::Gpu,
                DevicePref::Auto => worker::Build::Cpu,
            };
            match worker::use_build(build, fresh) {
                Ok(()) => worker::send(ToWorker::Start { device: to, base_url: base_url(), calibrate, ops }),
                Err(e) => self.error(e),
            }
        });
    }

    /// Every way to a new device or worker keeps the model: the latest checkpoint goes back in.
    /// `fresh`: a new worker even if the build is the same (after a crash).
    pub fn restart(self, to: DevicePref, fresh: bool) {
        self.state.update(|s| s.restart(to));
        self.launch(to, fresh);
    }

    pub fn switch(self, to: DevicePref) {
        self.restart(to, false);
    }

    pub fn train(self, resume: bool) {
        if let Some(message) = self.state.try_update(|s| s.train(resume)).flatten() {
            worker::send(message);
        }
    }

    /// Starts afresh: the model is forgotten on the page and in the worker; kept runs stay.
    pub fn reset(self) {
        self.act(PageState::reset);
    }
}
