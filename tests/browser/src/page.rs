//! What the tests do on the page, found by `data-testid`: find (text, attributes, values),
//! act (click, type, draw, tap, keys) and check (wait for a state; accessibility and layout).

use std::{path::{Path, PathBuf}, time::{Duration, Instant}};

use fantoccini::{
    Locator,
    actions::{ActionSequence, InputSource, KeyAction, KeyActions, MOUSE_BUTTON_LEFT, MouseActions, PenActions, PointerAction, TouchActions},
    elements::Element,
    error::CmdError,
};
use serde_json::{Value, json};

use crate::browser::Browser;

/// What draws on the pad.
#[derive(Clone, Copy, Debug)]
pub enum Pointer {
    Mouse,
    Pen,
    Touch,
}

/// axe-core's script (from npm: app/tools.sh `need_axe`).
fn axe_script() -> String {
    let path = std::env::var_os("FILTERLAB_AXE").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(&std::env::var("HOME").unwrap()).join(".cache/filterlab/axe/node_modules/axe-core/axe.min.js")
    });
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("axe-core is installed (app/tools.sh need_axe): {}: {e}", path.display()))
}

impl Browser {
    /// A form field's current value.
    pub async fn value(&self, id: &str) -> String {
        let script = "return document.querySelector(arguments[0]).value;";
        self.c().execute(script, vec![json!(Self::selector(id))]).await.unwrap().as_str().unwrap_or_default().to_string()
    }

    pub(crate) fn selector(id: &str) -> String {
        format!("[data-testid=\"{id}\"]")
    }

    /// Finds the element and acts on it, finding it again when the page rendered it anew
    /// between the find and the act (WebDriver's "stale element reference").
    async fn on_element<T>(&self, id: &str, act: impl AsyncFn(Element) -> Result<T, CmdError>) -> T {
        for _ in 0..10 {
            let element = self.c().find(Locator::Css(&Self::selector(id))).await.unwrap();
            match act(element).await {
                Err(e) if e.is_stale_element_reference() => continue,
                result => return result.unwrap(),
            }
        }
        panic!("{id} was rendered anew ten times in a row");
    }

    /// Whether the page has the element now.
    pub async fn present(&self, id: &str) -> bool {
        let script = "return document.querySelector(arguments[0]) !== null;";
        self.c().execute(script, vec![json!(Self::selector(id))]).await.unwrap().as_bool().unwrap_or(false)
    }

    pub async fn text(&self, id: &str) -> String {
        self.on_element(id, async |e| e.text().await).await
    }

    /// An attribute's value ("" when it is absent). Found and read in one script: an element
    /// the page renders anew between a find and a read would otherwise fail the read as stale.
    pub async fn attr(&self, id: &str, name: &str) -> String {
        let script = "const e = document.querySelector(arguments[0]); return e === null ? null : (e.getAttribute(arguments[1]) ?? '');";
        match self.c().execute(script, vec![json!(Self::selector(id)), json!(name)]).await.unwrap() {
            Value::String(v) => v,
            _ => panic!("no element {id} on the page"),
        }
    }

    /// Waits until a button (or field) can be used.
    pub async fn wait_enabled(&self, id: &str, timeout: Duration) {
        self.wait(&format!("{id} to be enabled"), timeout, async || self.enabled(id).await).await
    }

    pub async fn enabled(&self, id: &str) -> bool {
        self.on_element(id, async |e| e.is_enabled().await).await
    }

    pub async fn click(&self, id: &str) {
        self.on_element(id, async |e| e.click().await).await;
    }

    /// Types into a form field the way a person's edit would arrive: value, then an input event.
    pub async fn set_input(&self, id: &str, value: &str) {
        let script = "const e = document.querySelector(arguments[0]); e.value = arguments[1]; e.dispatchEvent(new Event('input', {bubbles: true}));";
        self.c().execute(script, vec![json!(Self::selector(id)), json!(value)]).await.unwrap();
    }

    /// Picks an option of a select the way a person's choice arrives: value, then a change event.
    pub async fn choose(&self, id: &str, value: &str) {
        let script = "const e = document.querySelector(arguments[0]); e.value = arguments[1]; e.dispatchEvent(new Event('change', {bubbles: true}));";
        self.c().execute(script, vec![json!(Self::selector(id)), json!(value)]).await.unwrap();
    }

    /// Types `text` into a field key by key, as a person would, after emptying it (WebDriver
    /// keystrokes: a field made again mid-typing loses them, and this fails).
    pub async fn type_into(&self, id: &str, text: &str) {
        let field = self.c().find(Locator::Css(&Self::selector(id))).await.unwrap();
        field.click().await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    pub(crate) async fn wait(&self, what: &str, timeout: Duration, mut ok: impl AsyncFnMut() -> bool) {
        let start = Instant::now();
        while !ok().await {
            if start.elapsed() > timeout {
                self.screenshot("timeout").await;
                panic!(
                    "timed out after {timeout:?} waiting for {what}; status: {:?}, error: {:?}",
                    self.text("status").await,
                    self.text("error").await
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    pub async fn wait_text(&self, id: &str, needle: &str, timeout: Duration) {
        self.wait(&format!("{id} to say {needle:?}"), timeout, async || {
            let error = self.text("error").await;
            assert!(error.is_empty(), "the page shows an error: {error}");
            // An element the page has not rendered yet says nothing yet.
            self.present(id).await && self.text(id).await.contains(needle)
        })
        .await
    }

    /// Waits for the error box to mention `needle`, and returns its text.
    pub async fn wait_error(&self, needle: &str, timeout: Duration) -> String {
        let mut error = String::new();
        self.wait(&format!("the error box to say {needle:?}"), timeout, async || {
            error = self.text("error").await;
            error.contains(needle)
        })
        .await;
        error
    }

    pub async fn wait_attr_at_least(&self, id: &str, name: &str, n: usize, timeout: Duration) {
        self.wait(&format!("{id}[{name}] ≥ {n}"), timeout, async || {
            self.attr(id, name).await.parse::<usize>().unwrap_or(0) >= n
        })
        .await
    }

    pub async fn wait_attr_eq(&self, id: &str, name: &str, value: &str, timeout: Duration) {
        self.wait(&format!("{id}[{name}] = {value:?}"), timeout, async || self.attr(id, name).await == value).await
    }

    pub async fn wait_attr_nonempty(&self, id: &str, name: &str, timeout: Duration) {
        self.wait(&format!("{id}[{name}]"), timeout, async || !self.attr(id, name).await.is_empty()).await
    }

    pub async fn wait_attr_empty(&self, id: &str, name: &str, timeout: Duration) {
        self.wait(&format!("{id}[{name}] empty"), timeout, async || self.attr(id, name).await.is_empty()).await
    }

    /// Picks `path` in the file input `id`, as a person choosing a file would.
    pub async fn choose_file(&self, id: &str, path: &Path) {
        let input = self.c().find(Locator::Css(&Self::selector(id))).await.unwrap();
        input.send_keys(&path.display().to_string()).await.unwrap();
    }

    /// Keeps every Blob the page turns into a `blob:` address from now on, for [`Self::offered`]
    /// (the page's CSP lets nothing fetch such an address back).
    pub async fn watch_offers(&self) {
        self.js(
            "if (!window.__offered) { window.__offered = new Map(); const make = URL.createObjectURL;
               URL.createObjectURL = (blob) => { const url = make.call(URL, blob); window.__offered.set(url, blob); return url; }; }",
            vec![],
        )
        .await;
    }

    /// The bytes of the file the page offers now through its hidden download link `id` (its
    /// `blob:` address's Blob, kept since [`Self::watch_offers`]): the same in every engine,
    /// whatever the engine's downloads do with it.
    pub async fn offered(&self, id: &str, timeout: Duration) -> Vec<u8> {
        let script = "const [sel, done] = [arguments[0], arguments[arguments.length - 1]];
            const a = document.querySelector(sel);
            const blob = a === null ? undefined : window.__offered.get(a.href);
            if (blob === undefined) { done(null); return; }
            blob.arrayBuffer().then((b) => done(Array.from(new Uint8Array(b)))).catch((e) => done(String(e)));";
        let start = Instant::now();
        loop {
            match self.js_async(script, vec![json!(Self::selector(id))]).await {
                Value::Array(bytes) => return bytes.iter().map(|b| b.as_u64().unwrap() as u8).collect(),
                Value::String(e) => panic!("reading the offered file failed: {e}"),
                _ => {
                    assert!(start.elapsed() < timeout, "the page never offered a file at {id}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    /// An attribute read as a number (0 when empty).
    pub async fn number(&self, id: &str, name: &str) -> f64 {
        self.attr(id, name).await.parse().unwrap_or(0.0)
    }

    /// Waits for any text to be shown in `id` (the error box, for instance) and returns it.
    pub async fn wait_shown(&self, timeout: Duration) -> String {
        self.wait_attr_nonempty("error", "data-shown", timeout).await;
        self.text("error").await
    }

    /// The epoch log's rows, as cell texts.
    pub async fn epoch_rows(&self) -> Vec<Vec<String>> {
        let script = "return [...document.querySelectorAll('[data-testid=\"epoch-log\"] tr.epoch-row')].map(r => [...r.cells].map(c => c.textContent));";
        serde_json::from_value(self.c().execute(script, vec![]).await.unwrap()).unwrap()
    }

    /// A canvas's pixels, as a data URL.
    pub async fn canvas_png(&self, id: &str) -> String {
        let script = "return document.querySelector(arguments[0]).toDataURL();";
        self.c().execute(script, vec![json!(Self::selector(id))]).await.unwrap().as_str().unwrap().to_string()
    }

    /// Draws strokes on the pad with a mouse through WebDriver actions (real pointer events).
    /// Points are in pad pixels (0..280), origin at the top left.
    pub async fn draw(&self, strokes: &[Vec<(f64, f64)>]) {
        self.draw_with(Pointer::Mouse, strokes).await
    }

    /// Draws strokes with a mouse, a pen or a finger (WebDriver pointer actions of that type).
    pub async fn draw_with(&self, pointer: Pointer, strokes: &[Vec<(f64, f64)>]) {
        let pad = self.c().find(Locator::Css(&Self::selector("draw-pad"))).await.unwrap();
        // On screen first: pointer actions do not scroll, and the layout puts the pad anywhere.
        let size: f64 = self
            .c()
            .execute("const pad = document.querySelector('[data-testid=\"draw-pad\"]'); pad.scrollIntoView({block: 'center'}); return pad.getBoundingClientRect().width;", vec![])
            .await
            .unwrap()
            .as_f64()
            .unwrap();
        let k = size / 280.0;
        for stroke in strokes {
            let to = |p: &(f64, f64)| PointerAction::MoveToElement {
                element: pad.clone(),
                duration: Some(Duration::from_millis(5)),
                x: ((p.0 - 140.0) * k).round(),
                y: ((p.1 - 140.0) * k).round(),
            };
            let mut actions = vec![to(&stroke[0]), PointerAction::Down { button: MOUSE_BUTTON_LEFT }];
            actions.extend(stroke[1..].iter().map(to));
            actions.push(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
            let sequence: ActionSequence = match pointer {
                Pointer::Mouse => actions.into_iter().fold(MouseActions::new("mouse".into()), |a, x| a.then(x)).into(),
                Pointer::Pen => actions.into_iter().fold(PenActions::new("pen".into()), |a, x| a.then(x)).into(),
                Pointer::Touch => actions.into_iter().fold(TouchActions::new("finger".into()), |a, x| a.then(x)).into(),
            };
            self.c().perform_actions(sequence).await.unwrap();
        }
    }

    /// Clicks `id` with a mouse (or taps it with a finger) at (`x`, `y`) CSS pixels from its top
    /// left as drawn at `width` CSS pixels (scaled to the width it has on screen).
    pub async fn click_at(&self, pointer: Pointer, id: &str, width: f64, (x, y): (f64, f64)) {
        let element = self.c().find(Locator::Css(&Self::selector(id))).await.unwrap();
        let script = "arguments[0].scrollIntoView({block: 'center'}); const r = arguments[0].getBoundingClientRect(); return [r.width, r.height];";
        let size = self.js(script, vec![serde_json::to_value(&element).unwrap()]).await;
        let (w, h) = (size[0].as_f64().unwrap(), size[1].as_f64().unwrap());
        let k = w / width;
        // WebDriver's offsets are from the element's centre.
        let to = PointerAction::MoveToElement { element, duration: None, x: (x * k - w / 2.0).floor(), y: (y * k - h / 2.0).floor() };
        let actions = [to, PointerAction::Down { button: MOUSE_BUTTON_LEFT }, PointerAction::Up { button: MOUSE_BUTTON_LEFT }];
        let sequence: ActionSequence = match pointer {
            Pointer::Touch => actions.into_iter().fold(TouchActions::new("finger".into()), |a, x| a.then(x)).into(),
            _ => actions.into_iter().fold(MouseActions::new("mouse".into()), |a, x| a.then(x)).into(),
        };
        self.c().perform_actions(sequence).await.unwrap();
    }

    /// axe-core's violations on the page as it is now: "rule (impact): elements" per violation.
    pub async fn axe_violations(&self) -> Vec<String> {
        self.js(&axe_script(), vec![]).await;
        let script = "const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] })
              .then(r => done(r.violations.map(v => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)))
              .catch(e => done([`axe failed: ${e}`]));";
        serde_json::from_value(self.js_async(script, vec![]).await).unwrap()
    }

    /// How far the page is wider than the screen (0: no sideways scrolling).
    pub async fn overflow_px(&self) -> f64 {
        self.js("return document.documentElement.scrollWidth - document.documentElement.clientWidth;", vec![]).await.as_f64().unwrap()
    }

    /// The elements that reach past the right edge of the window (tag, class, test id, right
    /// edge), for a failing `overflow_px`'s message.
    pub async fn sticking_out(&self) -> Vec<String> {
        let found = self.js(
            "const w = document.documentElement.clientWidth;
             return [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > w + 0.5)
               .map((e) => `${e.tagName.toLowerCase()}.${e.className} ${e.dataset.testid || ''} ${Math.round(e.getBoundingClientRect().right)}`);",
            vec![],
        );
        serde_json::from_value(found.await).unwrap_or_default()
    }

    /// The `data-testid` of the element that has the keyboard focus after one more Tab.
    pub async fn tab(&self) -> String {
        self.press('\u{E004}').await;
        self.js("const a = document.activeElement; return a.dataset.testid || a.id || a.tagName;", vec![]).await.as_str().unwrap_or_default().to_string()
    }

    /// Presses and releases a key, as a keyboard does ('\u{E007}' Enter, ' ' Space, '\u{E004}' Tab).
    pub async fn press(&self, key: char) {
        let keys = KeyActions::new("keyboard".into()).then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
        self.c().perform_actions(keys).await.unwrap();
    }

    /// Taps an element with a finger.
    pub async fn tap(&self, id: &str) {
        let element = self.c().find(Locator::Css(&Self::selector(id))).await.unwrap();
        self.js("arguments[0].scrollIntoView({block: 'center'});", vec![serde_json::to_value(&element).unwrap()]).await;
        let to = PointerAction::MoveToElement { element, duration: None, x: 0.0, y: 0.0 };
        let finger = TouchActions::new("finger".into()).then(to).then(PointerAction::Down { button: MOUSE_BUTTON_LEFT }).then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
        self.c().perform_actions(finger).await.unwrap();
    }
}
