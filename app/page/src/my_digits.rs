//! "My digits": the drawings the user keeps with the digit they are. What Keep, Relabel, Delete
//! and Import do to the set is decided here; `app/web/src/store.rs` writes it (one record per
//! digit, with the runs) and the worker gets the whole set after every change, to score the model
//! on it and, when asked, to train on it too.

use filterlab_protocol::{MyDigit, MyScore, ToWorker, my_digits};

use crate::{
    state::{Effect, PageState},
    words::a,
};

/// The kept set, as listed from the browser's storage and changed since.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MyDigits {
    /// In the order they were kept.
    pub set: Vec<MyDigit>,
    /// Whether the storage has been read (until then, nothing is sent to the worker).
    pub listed: bool,
    /// A digit whose Delete was pressed once: a second press deletes it.
    pub confirm_delete: Option<String>,
}

impl PageState {
    /// The kept digits as read from the browser's storage (at load, or after another tab changed
    /// them); `skipped`: the records that could not be read, each with why.
    pub fn my_digits_listed(&mut self, mut set: Vec<MyDigit>, skipped: Vec<String>) -> Vec<Effect> {
        set.sort_by(|a, b| a.kept_ms.total_cmp(&b.kept_ms));
        self.my_digits.set = set;
        self.my_digits.listed = true;
        if !skipped.is_empty() {
            self.messages.add_notice(format!("Skipped in your digits: {}. Every other digit is listed.", skipped.join("; ")));
        }
        vec![self.send_my_digits()]
    }

    /// The whole set, for the worker (a new worker gets it too, once it is ready).
    pub(crate) fn send_my_digits(&self) -> Effect {
        Effect::Send(ToWorker::MyDigits { set: self.my_digits.set.clone() })
    }

    /// "Keep as `digit`" under the draw pad: the drawing as the network saw it joins the set.
    pub fn keep_drawing(&mut self, digit: u8, now_ms: f64) -> Vec<Effect> {
        if self.my_digits.set.len() >= my_digits::MAX_MY_DIGITS {
            self.messages.error = Some(format!("The drawing was not kept: you keep {} digits, the most a set can hold (and its file carry). Delete some first.", my_digits::MAX_MY_DIGITS));
            return Vec::new();
        }
        let Some(image) = self.model.seen.clone() else {
            self.messages.error = Some("Draw a digit first: the drawing the network read is what is kept.".into());
            return Vec::new();
        };
        let kept = match MyDigit::from_image(digit, &image, self.opened_ms + now_ms) {
            Ok(kept) => kept,
            Err(why) => {
                self.messages.error = Some(format!("The drawing was not kept: {why}."));
                return Vec::new();
            }
        };
        if self.my_digits.set.iter().any(|d| d.id == kept.id) {
            self.messages.notice = Some(format!("This drawing is already kept as {}.", a(digit)));
            return Vec::new();
        }
        vec![Effect::ChangeDigits { add: vec![kept], remove: Vec::new(), said: format!("Kept the drawing as {}.", a(digit)) }]
    }

    /// A kept digit's label changed: the same drawing as another digit.
    pub fn relabel_digit(&mut self, id: &str, digit: u8) -> Vec<Effect> {
        let Some(old) = self.my_digits.set.iter().find(|d| d.id == id) else { return Vec::new() };
        let Ok(new) = old.relabelled(digit) else { return Vec::new() };
        if new.id == old.id {
            return Vec::new();
        }
        // The same drawing already kept as that digit: the two become one.
        let (add, said) = match self.my_digits.set.iter().any(|d| d.id == new.id) {
            true => (Vec::new(), format!("Relabelled {} as {}: the same drawing was already kept as {}, so the two are one.", a(old.digit), a(digit), a(digit))),
            false => (vec![new], format!("Relabelled {} as {}.", a(old.digit), a(digit))),
        };
        vec![Effect::ChangeDigits { add, remove: vec![id.into()], said }]
    }

    /// Delete pressed on a kept digit: the first press asks to confirm, the second deletes.
    pub fn delete_digit(&mut self, id: &str) -> Vec<Effect> {
        let Some(d) = self.my_digits.set.iter().find(|d| d.id == id) else { return Vec::new() };
        if self.my_digits.confirm_delete.as_deref() != Some(id) {
            self.my_digits.confirm_delete = Some(id.into());
            return Vec::new();
        }
        self.my_digits.confirm_delete = None;
        vec![Effect::ChangeDigits { add: Vec::new(), remove: vec![id.into()], said: format!("Deleted {} from your digits.", a(d.digit)) }]
    }

    /// A file of digits was read ("Import digits"): the ones not kept yet join the set. A file
    /// that cannot be read changes nothing.
    pub fn import_digits(&mut self, name: &str, read: Result<Vec<MyDigit>, String>) -> Vec<Effect> {
        let incoming = match read {
            Ok(digits) => digits,
            Err(why) => {
                self.messages.error = Some(format!("{name} was not imported: {why}. Nothing was changed."));
                return Vec::new();
            }
        };
        let total = incoming.len();
        let mut add: Vec<MyDigit> = Vec::new();
        for d in incoming {
            if !self.my_digits.set.iter().chain(&add).any(|k| k.id == d.id) {
                add.push(d);
            }
        }
        if add.is_empty() {
            self.messages.notice = Some(format!("{name}: {} already kept, nothing to import.", digits_word(total)));
            return Vec::new();
        }
        if self.my_digits.set.len() + add.len() > my_digits::MAX_MY_DIGITS {
            self.messages.error = Some(format!(
                "{name} was not imported: with its {} new digits you would keep more than the {} a set can hold (and its file carry). Nothing was changed.",
                add.len(),
                my_digits::MAX_MY_DIGITS
            ));
            return Vec::new();
        }
        let mut said = format!("Imported {} from {name}", digits_word(add.len()));
        if add.len() < total {
            said += &format!(" ({} already kept)", digits_word(total - add.len()));
        }
        vec![Effect::ChangeDigits { add, remove: Vec::new(), said: said + "." }]
    }

    /// A change to the set was written to the browser's storage: the page and the worker follow.
    pub fn digits_changed(&mut self, add: Vec<MyDigit>, remove: &[String], said: String) -> Vec<Effect> {
        self.my_digits.set.retain(|d| !remove.contains(&d.id));
        for d in add {
            if !self.my_digits.set.iter().any(|k| k.id == d.id) {
                self.my_digits.set.push(d);
            }
        }
        self.my_digits.set.sort_by(|a, b| a.kept_ms.total_cmp(&b.kept_ms));
        // A change that went through dismisses the last one's error.
        self.messages.error = None;
        self.messages.notice = Some(said);
        vec![self.send_my_digits()]
    }

    /// The set as a file ("Export my digits"): MNIST's idx format in a zip.
    pub fn export_my_digits(&self) -> Result<Vec<u8>, String> {
        if self.my_digits.set.is_empty() {
            return Err("There are no kept digits to export: draw one and keep it.".into());
        }
        Ok(my_digits::write(&self.my_digits.set))
    }

    /// The current model's score on the kept digits: shown when it is about this model's task.
    pub(crate) fn take_my_score(&mut self, score: MyScore) {
        let task = self.model.confusion.as_ref().map(|c| c.digits).or(self.model.prediction.as_ref().map(|p| p.digits));
        if task.is_none_or(|t| t == score.digits) {
            self.model.my_score = Some(score);
        }
    }

    /// How many of the set the form's task uses, and how many it leaves.
    pub fn my_digits_used(&self) -> (usize, usize) {
        match self.form.settings() {
            Ok(s) => my_digits::used_by(&self.my_digits.set, s.digits),
            Err(_) => (0, self.my_digits.set.len()),
        }
    }
}

/// "1 digit", "3 digits".
pub fn digits_word(n: usize) -> String {
    if n == 1 { "1 digit".into() } else { format!("{n} digits") }
}

#[cfg(test)]
mod tests {
    use filterlab_protocol::{Digits, Explanation, FromWorker, NetShape, Prediction};

    use super::*;
    use crate::state::tests::{page, started};

    /// Applies the effects as the browser would once its storage has written them.
    fn written(p: &mut PageState, effects: Vec<Effect>) -> Vec<Effect> {
        let mut out = Vec::new();
        for e in effects {
            match e {
                Effect::ChangeDigits { add, remove, said } => out.extend(p.digits_changed(add, &remove, said)),
                other => out.push(other),
            }
        }
        out
    }

    fn drew(p: &mut PageState, ink: f32) {
        let explanation = Explanation { shape: NetShape::NOTEBOOK, conv: vec![], pooled: vec![], contributions: vec![], logits: vec![0.0, 1.0] };
        let mut image = vec![0.0; 784];
        image[300] = ink;
        p.apply(FromWorker::Prediction(Prediction { digits: Digits::default(), probabilities: vec![0.2, 0.8], image, explanation }), 0.0);
    }

    fn sent(effects: &[Effect]) -> Vec<u8> {
        let [Effect::Send(ToWorker::MyDigits { set })] = effects else { panic!("{effects:?}") };
        set.iter().map(|d| d.digit).collect()
    }

    #[test]
    fn drawings_are_kept_relabelled_and_deleted() {
        let mut p = page();
        started(&mut p);
        assert_eq!(p.keep_drawing(1, 0.0), vec![]);
        assert!(p.messages.error.as_deref().unwrap().starts_with("Draw a digit first"));
        assert_eq!(sent(&p.my_digits_listed(vec![], vec![])), Vec::<u8>::new());
        drew(&mut p, 1.0);
        let effects = p.keep_drawing(1, 5.0);
        let [Effect::ChangeDigits { add, remove, .. }] = &effects[..] else { panic!("{effects:?}") };
        assert_eq!((add[0].digit, add[0].pixels[300], remove.len()), (1, 255, 0));
        assert!(p.my_digits.set.is_empty(), "listed only once written");
        assert_eq!(sent(&written(&mut p, effects)), [1]);
        assert_eq!(p.messages.notice.as_deref(), Some("Kept the drawing as a 1."));
        assert_eq!(p.keep_drawing(1, 6.0), vec![], "the same drawing, the same digit: already kept");
        drew(&mut p, 0.5);
        let effects = p.keep_drawing(3, 7.0);
        assert_eq!(sent(&written(&mut p, effects)), [1, 3]);
        // Relabel the 3 as an 8; then the 1 as an 8 too (another drawing: both stay).
        let three = p.my_digits.set[1].id.clone();
        let effects = p.relabel_digit(&three, 8);
        assert_eq!(sent(&written(&mut p, effects)), [1, 8]);
        assert_eq!(p.my_digits_used(), (2, 0));
        // The 8's drawing kept again as a 3, then relabelled as the 8 it is already kept as: the
        // two become one.
        p.model.seen = Some(p.my_digits.set[1].image());
        let effects = p.keep_drawing(3, 9.0);
        assert_eq!(sent(&written(&mut p, effects)), [1, 8, 3]);
        let three = p.my_digits.set[2].id.clone();
        let effects = p.relabel_digit(&three, 8);
        let [Effect::ChangeDigits { add, remove, said }] = &effects[..] else { panic!("{effects:?}") };
        assert!(add.is_empty() && remove == &[three.clone()], "{effects:?}");
        assert_eq!(said, "Relabelled a 3 as an 8: the same drawing was already kept as an 8, so the two are one.");
        assert_eq!(sent(&written(&mut p, effects)), [1, 8]);
        // Training on them says how many images the run has, and whose.
        p.form.my_digits = true;
        let settings = p.form.settings().unwrap();
        assert!(settings.my_digits);
        p.apply(FromWorker::Training { settings, steps_per_epoch: 166, resumed_from: 0, train: 10603, my_digits: 2 }, 0.0);
        assert_eq!(p.messages.status, "Training with SGD (lr 0.001) on 10603 images (10593 of MNIST's and 2 of your digits, 5 times each: as drawn and shifted a pixel up, down, left and right)…");
        // Delete asks first.
        let eight = p.my_digits.set[1].id.clone();
        assert_eq!(p.delete_digit(&eight), vec![]);
        let effects = p.delete_digit(&eight);
        assert_eq!(sent(&written(&mut p, effects)), [1]);
        assert_eq!(p.messages.notice.as_deref(), Some("Deleted an 8 from your digits."));
    }

    #[test]
    fn an_import_adds_only_new_digits_and_a_bad_file_changes_nothing() {
        let mut p = page();
        p.my_digits_listed(vec![MyDigit::new(1, vec![1; 784], 1.0).unwrap()], vec![]);
        let file = my_digits::write(&[MyDigit::new(1, vec![1; 784], 0.0).unwrap(), MyDigit::new(7, vec![2; 784], 0.0).unwrap(), MyDigit::new(8, vec![3; 784], 0.0).unwrap()]);
        let effects = p.import_digits("class.zip", my_digits::read(&file, 10.0));
        assert_eq!(sent(&written(&mut p, effects)), [1, 7, 8]);
        assert_eq!(p.messages.notice.as_deref(), Some("Imported 2 digits from class.zip (1 digit already kept)."));
        assert_eq!(p.my_digits_used(), (2, 1), "the 7 is kept, not used by 8 vs 1");
        assert_eq!(p.import_digits("class.zip", my_digits::read(&file, 11.0)), vec![]);
        assert_eq!(p.messages.notice.as_deref(), Some("class.zip: 3 digits already kept, nothing to import."));
        assert_eq!(p.import_digits("bad.zip", my_digits::read(b"junk", 0.0)), vec![]);
        assert!(p.messages.error.as_deref().unwrap().starts_with("bad.zip was not imported: it is not a zip file"), "{:?}", p.messages.error);
        assert_eq!(p.my_digits.set.len(), 3);
        // Export gives the set back.
        assert_eq!(my_digits::read(&p.export_my_digits().unwrap(), 0.0).unwrap().len(), 3);
    }

    #[test]
    fn a_drawing_is_kept_before_any_model_and_a_full_set_says_so() {
        let mut p = page();
        started(&mut p);
        p.my_digits_listed(vec![], vec![]);
        let mut image = vec![0.0; 784];
        image[10] = 1.0;
        p.apply(FromWorker::Drawn { image }, 0.0);
        assert_eq!(p.messages.error, None, "no model is no error");
        let effects = p.keep_drawing(4, 0.0);
        assert_eq!(sent(&written(&mut p, effects)), [4]);
        // A set at its most takes no more, and no file brings more.
        let full: Vec<MyDigit> = (0..my_digits::MAX_MY_DIGITS).map(|i| MyDigit::new(1, [(i % 256) as u8, (i / 256) as u8].into_iter().chain([0; 782]).collect(), i as f64).unwrap()).collect();
        p.my_digits_listed(full, vec![]);
        assert_eq!(p.keep_drawing(5, 1.0), vec![]);
        assert!(p.messages.error.as_deref().unwrap().contains("the most a set can hold"));
        let one = my_digits::write(&[MyDigit::new(2, vec![9; 784], 0.0).unwrap()]);
        assert_eq!(p.import_digits("more.zip", my_digits::read(&one, 0.0)), vec![]);
        assert!(p.messages.error.as_deref().unwrap().starts_with("more.zip was not imported: with its 1 new digits you would keep more than the 10000"));
    }

    #[test]
    fn a_new_worker_gets_the_set_and_the_score_follows_the_model() {
        let mut p = page();
        p.my_digits_listed(vec![MyDigit::new(8, vec![1; 784], 1.0).unwrap()], vec!["digit x: it is damaged".into()]);
        assert!(p.messages.notice.as_deref().unwrap().contains("digit x: it is damaged"));
        assert_eq!(sent(&p.apply(FromWorker::Ready, 0.0)), [8]);
        let score = MyScore { digits: Digits::default(), matrix: vec![vec![1, 0], vec![0, 0]], unused: 0 };
        p.apply(FromWorker::MyScore(score.clone()), 0.0);
        assert_eq!(p.model.my_score, Some(score));
        p.reset();
        assert_eq!(p.model.my_score, None);
    }
}
