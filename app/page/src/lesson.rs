//! Lesson links: a teacher sets up the page (settings, network, hand-set or frozen filters, which
//! panels are shown and which controls locked, a title and a task) and copies one link that opens
//! exactly that page, like TensorFlow Playground's. The lesson travels in the address's fragment
//! (`#v=1&lesson=…`, so no server sees it), parsed with the rest of the fragment in `address.rs`.
//!
//! Its text: the lesson as JSON, in base64url, then `.` and the JSON's CRC-32, so a link cut short
//! or changed is refused whole (with a message, the page opening as without it). The title and
//! the task are plain text only, limited in length, shown as text nodes: nothing in them runs.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use filterlab_protocol::{ModelFile, ModelSource, Settings, model_link};
use serde::{Deserialize, Serialize};

use crate::{
    address::Address,
    form::Form,
    state::PageState,
};

/// The longest title and task a lesson has (characters).
pub const MAX_TITLE: usize = 120;
pub const MAX_TASK: usize = 1200;
/// The longest lesson text a link carries: a model's text at its longest, the title and task at
/// theirs (4 bytes a character at most), in JSON, then in base64 (4 characters for 3 bytes).
pub const MAX_LESSON_CHARS: usize = (model_link::MAX_LINK_CHARS + 4 * (MAX_TITLE + MAX_TASK) + 2000) * 4 / 3;

/// A panel a lesson can hide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Panel {
    Network,
    Charts,
    Drawing,
    Filters,
    Epochs,
    Features,
    Confusion,
    Data,
    Parameters,
    Runs,
    MyDigits,
}

impl Panel {
    pub const ALL: [Panel; 11] = [Panel::Network, Panel::Charts, Panel::Drawing, Panel::Filters, Panel::Epochs, Panel::Features, Panel::Confusion, Panel::Data, Panel::Parameters, Panel::Runs, Panel::MyDigits];

    /// As the lesson builder names it.
    pub fn name(self) -> &'static str {
        match self {
            Panel::Network => "Network",
            Panel::Charts => "Charts",
            Panel::Drawing => "Draw a digit",
            Panel::Filters => "Filters",
            Panel::Epochs => "Epochs",
            Panel::Features => "Feature maps",
            Panel::Confusion => "Confusion matrix",
            Panel::Data => "The data",
            Panel::Parameters => "Parameters",
            Panel::Runs => "Runs",
            Panel::MyDigits => "My digits",
        }
    }

    /// Its word in test ids.
    pub fn word(self) -> &'static str {
        match self {
            Panel::Network => "network",
            Panel::Charts => "charts",
            Panel::Drawing => "drawing",
            Panel::Filters => "filters",
            Panel::Epochs => "epochs",
            Panel::Features => "features",
            Panel::Confusion => "confusion",
            Panel::Data => "data",
            Panel::Parameters => "parameters",
            Panel::Runs => "runs",
            Panel::MyDigits => "my-digits",
        }
    }
}

/// A group of controls a lesson can lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    /// SGD, Momentum, Adam.
    Optimizer,
    /// Learning rate, epochs, batch size, seed, digits.
    Settings,
    /// The network's knobs.
    Network,
    /// The filter editor: filters set by hand, frozen.
    Filters,
}

impl Control {
    pub const ALL: [Control; 4] = [Control::Optimizer, Control::Settings, Control::Network, Control::Filters];

    pub fn name(self) -> &'static str {
        match self {
            Control::Optimizer => "Optimizer",
            Control::Settings => "Learning rate, epochs, batch, seed, digits",
            Control::Network => "Network knobs",
            Control::Filters => "Filter editor (set by hand, freeze)",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Control::Optimizer => "optimizer",
            Control::Settings => "settings",
            Control::Network => "network",
            Control::Filters => "filters",
        }
    }
}

/// A lesson, as its link carries it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lesson {
    pub title: String,
    pub task: String,
    pub settings: Settings,
    pub hidden: Vec<Panel>,
    pub locked: Vec<Control>,
    /// The model (its hand-set filters), as `model_link` writes it.
    pub model: Option<String>,
}

impl Lesson {
    /// The lesson's text for a link.
    pub fn encode(&self) -> String {
        let json = serde_json::to_string(self).expect("a lesson serialises");
        format!("{}.{:08x}", URL_SAFE_NO_PAD.encode(&json), crc32fast::hash(json.as_bytes()))
    }

    /// The lesson in a link's text, checked whole, or why it cannot be opened.
    pub fn decode(text: &str) -> Result<Self, String> {
        if text.len() > MAX_LESSON_CHARS {
            return Err(format!("it is {} characters, more than the {MAX_LESSON_CHARS} a lesson can be", text.len()));
        }
        let cut = "it is damaged or cut short (its check does not match): ask for the whole link";
        let (body, check) = text.rsplit_once('.').ok_or(cut)?;
        let json = URL_SAFE_NO_PAD.decode(body).map_err(|_| cut)?;
        if format!("{:08x}", crc32fast::hash(&json)) != check {
            return Err(cut.into());
        }
        let lesson: Self = serde_json::from_slice(&json).map_err(|e| format!("it is not a lesson this page can read ({e})"))?;
        lesson.check()?;
        Ok(lesson)
    }

    /// What a lesson may hold: plain text of a limited length, settings the form accepts.
    fn check(&self) -> Result<(), String> {
        let plain = |what: &str, text: &str, most: usize, newlines: bool| {
            if text.chars().count() > most {
                return Err(format!("its {what} is longer than {most} characters"));
            }
            if text.chars().any(|c| (c.is_control() && !(newlines && c == '\n')) || invisible(c)) {
                return Err(format!("its {what} holds control or invisible formatting characters"));
            }
            Ok(())
        };
        plain("title", &self.title, MAX_TITLE, false)?;
        plain("task", &self.task, MAX_TASK, true)?;
        self.settings.validate().map_err(|e| format!("its settings are not possible ({e})"))
    }
}

/// Unicode's invisible formatting characters that can make text read other than it is (bidi
/// overrides and isolates, zero-width characters).
fn invisible(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// A lesson on the page: as opened, and whether the student unlocked everything.
#[derive(Clone, Debug, PartialEq)]
pub struct LessonView {
    pub lesson: Lesson,
    pub unlocked: bool,
}

/// What the teacher is building: title, task, hidden panels, locked controls.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LessonDraft {
    pub title: String,
    pub task: String,
    pub hidden: Vec<Panel>,
    pub locked: Vec<Control>,
}

impl PageState {
    /// The lesson a link's fragment carries: its settings fill the form (and win over a restored
    /// model's), its model opens with the page. A damaged or hostile one is refused with a
    /// message, and the page opens as if the fragment had none.
    pub(crate) fn open_lesson(&mut self, address: &Address) {
        match address.fragment.lesson().and_then(|l| l.map(Lesson::decode).transpose()) {
            Ok(Some(lesson)) => {
                let model = match lesson.model.as_deref().map(model_link::decode).transpose() {
                    Ok(model) => model,
                    Err(why) => return self.refuse_lesson(format!("its model: {why}")),
                };
                self.form = Form::from_settings(&lesson.settings);
                self.link_settings = true;
                if let Some(file) = model {
                    self.model.restore = Some((file.to_bytes(), ModelSource::Link));
                }
                self.lesson = Some(LessonView { lesson, unlocked: false });
            }
            Ok(None) => {}
            Err(why) => self.refuse_lesson(why),
        }
    }

    fn refuse_lesson(&mut self, why: String) {
        self.messages.error = Some(format!("The lesson link was not opened: {why}. The page opened without it."));
        self.lesson_refused = true;
    }

    /// Whether a panel is shown (a lesson may hide it, until Unlock everything).
    pub fn shown(&self, panel: Panel) -> bool {
        !self.lesson.as_ref().is_some_and(|l| !l.unlocked && l.lesson.hidden.contains(&panel))
    }

    /// Whether a lesson locks any control now: then its settings stay whatever model comes (a run
    /// opened, a file imported).
    pub fn lesson_locks(&self) -> bool {
        Control::ALL.iter().any(|&c| self.locked(c))
    }

    /// Whether a lesson locks these controls (until Unlock everything).
    pub fn locked(&self, control: Control) -> bool {
        self.lesson.as_ref().is_some_and(|l| !l.unlocked && l.lesson.locked.contains(&control))
    }

    /// "Unlock everything": every panel and control back; the title and task stay on the page,
    /// and the lesson leaves the address (a reload opens the full lab).
    pub fn unlock(&mut self) {
        if let Some(l) = self.lesson.as_mut() {
            l.unlocked = true;
        }
    }

    /// Whether the address should still carry the lesson (not once refused or unlocked).
    pub fn keeps_lesson(&self) -> bool {
        !self.lesson_refused && !self.lesson.as_ref().is_some_and(|l| l.unlocked)
    }

    /// The lesson the builder describes, with the form's settings and the current model (when it
    /// fits a link), or what stops it.
    pub fn build_lesson(&self) -> Result<Lesson, String> {
        let settings = self.form.settings().map_err(|e| format!("The lesson needs settings the form accepts: {e}."))?;
        let model = match &self.model.checkpoint {
            None => None,
            Some(bytes) => {
                let file = ModelFile::from_bytes(bytes).map_err(|e| e.to_string())?;
                Some(model_link::encode(&file).ok_or("This model is too large for a link (a link carries networks of up to about 3,000 parameters): use a smaller network, or share the model file with Export.")?)
            }
        };
        let d = &self.lesson_draft;
        let lesson = Lesson { title: d.title.trim().to_string(), task: d.task.trim().to_string(), settings, hidden: d.hidden.clone(), locked: d.locked.clone(), model };
        lesson.check().map_err(|e| format!("The lesson cannot be made: {e}."))?;
        if lesson.encode().len() > MAX_LESSON_CHARS {
            return Err(format!("The lesson cannot be made: it is longer than the {MAX_LESSON_CHARS} characters a lesson link carries; shorten the task."));
        }
        Ok(lesson)
    }

    /// The lesson's link (relative: `?…#…`), or what stops it.
    pub fn lesson_link(&self, address: &Address) -> Result<String, String> {
        let lesson = self.build_lesson()?;
        Ok(format!("{}{}", address.with_form(&self.form), address.fragment.with_lesson(&lesson.encode())))
    }
}

#[cfg(test)]
mod tests {
    use filterlab_protocol::{Digits, NetShape, OptimizerKind, Weights};

    use super::*;

    fn model_text() -> String {
        let weights = Weights::from_slice(NetShape::NOTEBOOK, &(0..338).map(|i| i as f32 / 338.0).collect::<Vec<_>>());
        model_link::encode(&ModelFile { weights, digits: Digits::default(), record: String::new() }).unwrap()
    }

    fn lesson() -> Lesson {
        Lesson {
            title: "Edges <script>alert(1)</script>".into(),
            task: "Train with SGD.\nWhich filter finds edges?".into(),
            settings: Settings { optimizer: OptimizerKind::Adam, frozen: vec![0, 1], ..Settings::default() },
            hidden: vec![Panel::Confusion],
            locked: vec![Control::Optimizer],
            model: Some(model_text()),
        }
    }

    fn opened(fragment: &str) -> PageState {
        PageState::new(&Address::parse_page("", fragment))
    }

    #[test]
    fn a_lesson_link_opens_exactly_that_page() {
        let text = lesson().encode();
        let p = opened(&format!("#v=1&lesson={text}"));
        assert_eq!(p.messages.error, None);
        let view = p.lesson.as_ref().unwrap();
        assert_eq!(view.lesson, lesson());
        assert_eq!(view.lesson.title, "Edges <script>alert(1)</script>", "kept as text, to be shown as text");
        assert_eq!(p.form.settings().unwrap().frozen, [0, 1]);
        assert_eq!(p.form.optimizer, OptimizerKind::Adam);
        assert!(p.link_settings, "its settings win over the restored model's");
        assert!(matches!(p.model.restore, Some((_, ModelSource::Link))));
        assert!(!p.shown(Panel::Confusion) && p.shown(Panel::Charts));
        assert!(p.locked(Control::Optimizer) && !p.locked(Control::Network));
        assert!(p.keeps_lesson());
    }

    #[test]
    fn unlock_everything_returns_the_full_lab() {
        let mut p = opened(&format!("#v=1&lesson={}", lesson().encode()));
        p.unlock();
        assert!(p.shown(Panel::Confusion) && !p.locked(Control::Optimizer));
        assert!(!p.keeps_lesson(), "a reload opens the full lab");
        assert_eq!(p.lesson.as_ref().unwrap().lesson.title, "Edges <script>alert(1)</script>", "the title stays shown");
    }

    #[test]
    fn damaged_and_hostile_lessons_are_refused_and_the_page_opens_normally() {
        let text = lesson().encode();
        let refused = |fragment: String, says: &str| {
            let p = opened(&fragment);
            let error = p.messages.error.clone().unwrap_or_default();
            assert!(error.starts_with("The lesson link was not opened: ") && error.contains(says), "{fragment:.60}: {error}");
            assert!(p.lesson.is_none() && p.model.restore.is_none() && !p.keeps_lesson());
            assert_eq!(p.form, Form::default());
        };
        refused(format!("#v=1&lesson={}", &text[..text.len() - 3]), "cut short");
        refused(format!("#v=1&lesson={}", &text[..text.len() / 2]), "cut short");
        refused(format!("#v=1&lesson={}x", text), "cut short");
        refused(format!("#v=2&lesson={text}"), "version");
        refused(format!("#lesson={text}"), "no version");
        let long = Lesson { title: "x".repeat(MAX_TITLE + 1), ..lesson() };
        refused(format!("#v=1&lesson={}", long.encode()), "title is longer than 120");
        for title in ["a\u{1b}[31m", "txt.\u{202e}exe", "a\u{200b}b", "\u{2066}x"] {
            let hostile = Lesson { title: title.into(), ..lesson() };
            refused(format!("#v=1&lesson={}", hostile.encode()), "control or invisible formatting characters");
        }
        let bad_settings = Lesson { settings: Settings { lr: -1.0, ..Settings::default() }, ..lesson() };
        refused(format!("#v=1&lesson={}", bad_settings.encode()), "settings are not possible");
        let bad_model = Lesson { model: Some("AAAA".into()), ..lesson() };
        refused(format!("#v=1&lesson={}", bad_model.encode()), "its model");
        // Unknown panels (a newer page's lesson) are refused, not half-read.
        let json = serde_json::to_string(&lesson()).unwrap().replace("\"confusion\"", "\"hologram\"");
        let forged = format!("{}.{:08x}", URL_SAFE_NO_PAD.encode(&json), crc32fast::hash(json.as_bytes()));
        refused(format!("#v=1&lesson={forged}"), "not a lesson this page can read");
    }

    #[test]
    fn locks_hold_whatever_model_comes_and_the_page_link_is_not_the_lesson() {
        use filterlab_protocol::{FromWorker, RunRecord};
        let mut p = opened(&format!("#v=1&lesson={}", Lesson { model: None, ..lesson() }.encode()));
        // A profile with kept runs: the lesson's page opens, not the newest run.
        let run = RunRecord { version: 1, id: "r".into(), number: 1, label: "r".into(), parent: None, started_ms: 0.0, updated_ms: 0.0, device: None, settings: None, history: vec![], batches: vec![], file_bytes: 1 };
        assert_eq!(p.library_listed(vec![run], vec![]), vec![]);
        // A file imported, a model restored: the locked lesson's settings stay.
        let sgd = Settings { optimizer: OptimizerKind::Sgd, frozen: vec![], ..Settings::default() };
        p.apply(FromWorker::Restored { source: ModelSource::File { name: "m.flab".into() }, digits: Digits::default(), shape: NetShape::NOTEBOOK, settings: Some(sgd), history: vec![] }, 0.0);
        assert_eq!((p.form.optimizer, p.form.frozen.clone()), (OptimizerKind::Adam, vec![0, 1]));
        // Reset keeps frozen filters only where the lesson locks the filter editor.
        p.reset();
        assert!(p.form.frozen.is_empty(), "a lock on the optimizer alone does not keep them");
        let mut locked = opened(&format!("#v=1&lesson={}", Lesson { model: None, locked: vec![Control::Filters], ..lesson() }.encode()));
        locked.reset();
        assert_eq!(locked.form.frozen, [0, 1]);
        // The page's own link (Copy link) drops the lesson, keeps the version.
        let a = Address::parse_page("", &format!("#v=1&lesson={}", lesson().encode()));
        assert!(!p.link(&a).unwrap().contains("lesson="));
        assert_eq!(a.fragment.set("x", Some("1")).text().split('&').next(), Some("#v=1"));
        assert_eq!(Address::parse_page("", "#v=2&model=abc").fragment.text(), "#v=2&model=abc");
    }

    #[test]
    fn the_builder_makes_the_link_from_the_page() {
        let mut p = opened("");
        p.form.optimizer = OptimizerKind::Momentum;
        p.form.frozen = vec![1];
        p.lesson_draft = LessonDraft { title: " Momentum ".into(), task: "Watch the loss.".into(), hidden: vec![Panel::Runs], locked: vec![Control::Network] };
        let link = p.lesson_link(&Address::parse("?device=cpu")).unwrap();
        assert!(link.starts_with("?device=cpu&optimizer=momentum&") && link.contains("#v=1&lesson="), "{link}");
        let opened = PageState::new(&Address::parse_page(&link[..link.find('#').unwrap()], &link[link.find('#').unwrap()..]));
        let l = &opened.lesson.as_ref().unwrap().lesson;
        assert_eq!((l.title.as_str(), l.settings.optimizer, l.settings.frozen.clone(), l.model.is_none()), ("Momentum", OptimizerKind::Momentum, vec![1], true));
        p.lesson_draft.title = "x".repeat(200);
        assert!(p.lesson_link(&Address::default()).unwrap_err().contains("title is longer"));
    }
}
