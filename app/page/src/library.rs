//! The run library's decisions: which run the current model is, when it is kept, what the list
//! holds and what Open, Delete and the other tabs' news do to it. `app/web/src/store.rs` only
//! reads and writes what these decide; the records themselves are `filterlab_protocol::library`.

use filterlab_protocol::{EpochRow, Filters, KeptRun, Library, ModelFile, ModelSource, MyDigit, RunRecord, Settings};

use crate::state::{Compared, Effect, PageState};

impl PageState {
    /// The run library as listed from the browser's storage (`skipped`: the records that could
    /// not be read, each with why). The page opens on the most recent run, unless a model is
    /// already there or on its way.
    pub fn library_listed(&mut self, mut runs: Vec<RunRecord>, skipped: Vec<String>) -> Vec<Effect> {
        // Runs kept by this tab before the list came stay listed.
        runs.extend(self.library.drain(..).filter(|k| !runs.iter().any(|r| r.id == k.id)).collect::<Vec<_>>());
        runs.sort_by(newest_first);
        self.library = runs;
        if !skipped.is_empty() {
            self.messages.add_notice(format!("Skipped in the run library: {}. Every other run is listed.", skipped.join("; ")));
        }
        match self.library.first().map(|r| r.id.clone()) {
            // A lesson opens on its own page, not on a kept run.
            Some(newest) if self.model.restore.is_none() && self.model.checkpoint.is_none() && self.model.opening.is_none() && !self.training() && self.lesson.is_none() => {
                self.model.opening = Some(newest.clone());
                vec![Effect::Open { id: newest, at_load: true }]
            }
            _ => Vec::new(),
        }
    }

    /// Opens a kept run (the Runs panel's Open): its model file is read, then given to the worker.
    pub fn open(&mut self, id: &str) -> Vec<Effect> {
        if self.training() || !self.library.iter().any(|r| r.id == id) {
            return Vec::new();
        }
        self.model.opening = Some(id.into());
        vec![Effect::Open { id: id.into(), at_load: false }]
    }

    /// A kept run's model file, read from the browser's storage: it becomes the current model once
    /// the worker has its data (now, if it has), unless another model is already on its way.
    pub fn run_file_read(&mut self, id: String, at_load: bool, bytes: Vec<u8>) -> Vec<Effect> {
        if self.model.opening.as_deref() != Some(id.as_str()) || self.training() {
            return Vec::new();
        }
        self.model.opening = None;
        // The checkpoint follows once the worker has taken the file (a refused one changes
        // nothing).
        self.model.restore = Some((bytes, ModelSource::Kept { id, at_load }));
        if self.worker.data_ready { self.take_restore().into_iter().collect() } else { Vec::new() }
    }

    /// The run was written to the browser's storage: it is listed, and "Saved" shows when it is
    /// the current model's.
    pub fn kept(&mut self, record: RunRecord) {
        if self.model.record.as_ref().is_some_and(|r| r.id == record.id) {
            self.model.saved_epochs = Some(record.history.len());
            self.room = None;
        }
        self.kept_elsewhere(record);
    }

    /// Another tab kept a run: it is listed (or its entry brought up to date).
    pub fn kept_elsewhere(&mut self, record: RunRecord) {
        match self.library.iter_mut().find(|r| r.id == record.id) {
            Some(listed) => *listed = record,
            None => {
                self.library.push(record);
                self.library.sort_by(newest_first);
            }
        }
    }

    /// Delete pressed on a kept run: the first press asks to confirm, the second deletes.
    pub fn delete(&mut self, id: &str) -> Vec<Effect> {
        if !self.can_delete(id) {
            return Vec::new();
        }
        if self.confirm_delete.as_deref() == Some(id) {
            self.confirm_delete = None;
            vec![Effect::Delete { id: id.into() }]
        } else {
            self.confirm_delete = Some(id.into());
            Vec::new()
        }
    }

    /// Rename pressed on a kept run: its name becomes editable.
    pub fn start_rename(&mut self, id: &str) {
        self.renaming = self.library.iter().find(|r| r.id == id).map(|r| (r.id.clone(), r.label.clone()));
    }

    /// Save pressed: the typed name is written (a blank one is refused, the name stays).
    pub fn finish_rename(&mut self) -> Vec<Effect> {
        let Some((id, draft)) = self.renaming.take() else { return Vec::new() };
        let name = draft.trim();
        if name.is_empty() {
            self.messages.error = Some("A run needs a name: the old one stays.".into());
            return Vec::new();
        }
        let Some(record) = self.library.iter().find(|r| r.id == id) else { return Vec::new() };
        let record = RunRecord { label: name.chars().take(120).collect(), ..record.clone() };
        vec![Effect::Relabel { record }]
    }

    /// A run's new name is written: the list and the current model's record follow.
    pub fn relabelled(&mut self, record: RunRecord) {
        if let Some(current) = self.model.record.as_mut().filter(|r| r.id == record.id) {
            current.label = record.label.clone();
        }
        self.kept_elsewhere(record);
    }

    /// Whether to ask the browser for persistent storage now: once, after a run is kept (the
    /// browser may grant it, refuse it or ask the user).
    pub fn ask_persist(&mut self) -> bool {
        let ask = self.persist.is_none() && !self.library.is_empty();
        if ask {
            self.persist = Some(None);
        }
        ask
    }

    /// A run can be deleted unless it is being trained, here or in another tab (its next epoch
    /// would be written back).
    pub fn can_delete(&self, id: &str) -> bool {
        !(self.training() && self.model.record.as_ref().is_some_and(|r| r.id == id)) && !self.training_elsewhere(id)
    }

    /// Whether another tab that is still open is training this run.
    pub fn training_elsewhere(&self, id: &str) -> bool {
        self.elsewhere.iter().any(|(e, _)| e == id)
    }

    /// Another tab beat for the run it trains.
    pub fn beat_heard(&mut self, id: String, now_ms: f64) {
        match self.elsewhere.iter_mut().find(|(e, _)| *e == id) {
            Some(entry) => entry.1 = now_ms,
            None => self.elsewhere.push((id, now_ms)),
        }
    }

    /// This tab's beat, once a second: the run it trains, to tell the other tabs.
    pub fn beat(&self) -> Option<String> {
        self.model.record.as_ref().filter(|_| self.training()).map(|r| r.id.clone())
    }

    /// Whether a run's mark is older than [`BEAT_LOST_MS`]: its tab is gone (closed, killed,
    /// frozen) or has stopped training.
    pub fn beats_lost(&self, now_ms: f64) -> bool {
        self.elsewhere.iter().any(|(_, at)| now_ms - at > BEAT_LOST_MS)
    }

    /// Forgets the marks whose beats were lost.
    pub fn forget_lost_beats(&mut self, now_ms: f64) {
        self.elsewhere.retain(|(_, at)| now_ms - at <= BEAT_LOST_MS);
    }

    /// A kept run was deleted from the browser's storage. A current model that was that run
    /// stays on the page, no longer kept (its next epoch is kept as a new run).
    pub fn deleted(&mut self, id: &str) {
        self.library.retain(|r| r.id != id);
        self.overlays.retain(|o| o != id);
        self.compare.take_if(|c| c.id == id);
        if self.model.record.as_ref().is_some_and(|r| r.id == id) {
            self.model.record = None;
            self.model.saved_epochs = None;
        }
    }

    /// A library file was read ("Import library"): its runs join the library, numbered after
    /// every run listed, oldest first, and its digits the kept digits (those not kept yet). A run already here (same id, same epochs and model size) is
    /// recognised and left alone; one with the same id but other content comes in as a copy under
    /// a new id. Nothing kept is overwritten, and a refused file changes nothing.
    pub fn import_library(&mut self, name: &str, read: Result<Library, String>, now_ms: f64) -> Vec<Effect> {
        let (mut incoming, digits) = match read {
            Ok(Library { runs, digits }) => (runs, digits),
            Err(why) => {
                self.messages.error = Some(format!("{name} was not imported: {why}. Nothing was changed."));
                return Vec::new();
            }
        };
        incoming.sort_by(|a, b| a.record.started_ms.total_cmp(&b.record.started_ms).then(a.record.number.cmp(&b.record.number)));
        let first = self.next_number();
        let (mut add, mut already) = (Vec::new(), 0);
        for KeptRun { mut record, file } in incoming {
            let number = first + add.len() as u32;
            match self.library.iter().find(|r| r.id == record.id) {
                Some(here) if here.history == record.history && here.file_bytes == record.file_bytes => {
                    already += 1;
                    continue;
                }
                Some(_) => {
                    record.id = self.run_id(self.opened_ms + now_ms, number);
                    record.label += " (imported copy)";
                }
                None => {}
            }
            record.number = number;
            add.push(KeptRun { record, file });
        }
        let mut new_digits: Vec<MyDigit> = Vec::new();
        for d in digits {
            if !self.my_digits.set.iter().chain(&new_digits).any(|k| k.id == d.id) {
                new_digits.push(d);
            }
        }
        if add.is_empty() && new_digits.is_empty() {
            self.messages.notice = Some(format!("{name}: {} already here, nothing to import.", runs_word(already)));
            return Vec::new();
        }
        vec![Effect::KeepAll { runs: add, digits: new_digits, already, name: name.into() }]
    }

    /// The runs and digits of an imported library file were written (all in one transaction):
    /// they are listed (and the worker gets the digits).
    pub fn library_imported(&mut self, runs: Vec<RunRecord>, digits: Vec<MyDigit>, already: usize, name: &str) -> Vec<Effect> {
        let mut said = format!("Imported {} from {name}", runs_word(runs.len()));
        if !digits.is_empty() {
            said += &format!(" and {}", crate::my_digits::digits_word(digits.len()));
        }
        if already > 0 {
            said += &format!(" ({} already here)", runs_word(already));
        }
        for record in runs {
            self.kept_elsewhere(record);
        }
        if digits.is_empty() {
            self.messages.notice = Some(said + ".");
            return Vec::new();
        }
        self.digits_changed(digits, &[], said + ".")
    }

    /// Compare pressed on a kept run: its filters are shown next to the current model's (a second
    /// press, or Compare on another run, changes that).
    pub fn compare(&mut self, id: &str) -> Vec<Effect> {
        if self.compare.as_ref().is_some_and(|c| c.id == id) {
            self.compare = None;
            return Vec::new();
        }
        let Some(run) = self.library.iter().find(|r| r.id == id) else { return Vec::new() };
        self.compare = Some(Compared { id: id.into(), title: format!("#{} {}", run.number, run.label), filters: None });
        vec![Effect::Compare { id: id.into() }]
    }

    /// The compared run's model file was read: its filters are shown.
    pub fn compare_read(&mut self, id: &str, bytes: Result<Vec<u8>, String>) {
        let Some(compared) = self.compare.as_mut().filter(|c| c.id == id) else { return };
        match bytes.and_then(|b| ModelFile::from_bytes(&b).map_err(|e| e.to_string())) {
            Ok(file) => compared.filters = Some(Filters::from(&file.weights)),
            Err(e) => {
                self.messages.error = Some(format!("The filters of {} could not be read: {e}.", compared.title));
                self.compare = None;
            }
        }
    }

    pub fn toggle_overlay(&mut self, id: &str) {
        if self.overlays.iter().any(|o| o == id) {
            self.overlays.retain(|o| o != id);
        } else if self.library.iter().any(|r| r.id == id) {
            self.overlays.push(id.into());
        }
    }

    /// A new run's record (Train), or Continue's: the same record when this tab started it, else
    /// a new one naming the run it continues.
    pub(crate) fn start_record(&mut self, settings: &Settings, resumed: bool, now_ms: f64) {
        if resumed && self.model.own_record && self.model.record.is_some() {
            return;
        }
        let parent = self.model.record.as_ref().filter(|_| resumed).map(|p| (p.id.clone(), p.number));
        let mut label = filterlab_protocol::library::describe(settings);
        if let Some((_, number)) = parent {
            label += &format!(" → #{number} continued");
        }
        self.new_record(label, parent.map(|p| p.0), Some(settings.clone()), Vec::new(), now_ms);
        self.model.imported = false;
    }

    /// Makes the current model a new run of this tab's, numbered after every run listed.
    pub(crate) fn new_record(&mut self, label: String, parent: Option<String>, settings: Option<Settings>, history: Vec<EpochRow>, now_ms: f64) {
        let now = self.opened_ms + now_ms;
        let number = self.next_number();
        self.model.record = Some(RunRecord {
            version: filterlab_protocol::RECORD_VERSION,
            id: self.run_id(now, number),
            number,
            label,
            parent,
            started_ms: now,
            updated_ms: now,
            device: self.worker.device.as_ref().map(|d| d.kind),
            settings,
            history,
            batches: Vec::new(),
            file_bytes: 0,
        });
        self.model.own_record = true;
        self.model.saved_epochs = None;
    }

    /// The number of the next run in this library's list.
    fn next_number(&self) -> u32 {
        self.library.iter().chain(&self.model.record).map(|r| r.number).max().unwrap_or(0) + 1
    }

    /// The id for a model kept by the layout before the library, should the store find one: it
    /// becomes run #1 (number 0 in its id, so no run of this tab has it).
    pub fn old_model_id(&self) -> String {
        self.run_id(self.opened_ms, 0)
    }

    /// A run id no other tab or browser makes: the time, the run's number, this tab's name.
    fn run_id(&self, now_ms: f64, number: u32) -> String {
        format!("{:011x}-{number}-{}", now_ms as u64, self.tab)
    }

    /// The current model's record brought up to date with its checkpoint, to keep, when it has a
    /// record and a finished epoch.
    pub(crate) fn keep(&mut self, now_ms: f64) -> Option<Effect> {
        let model = &mut self.model;
        let (Some(record), Some(file)) = (model.record.as_mut(), model.checkpoint.as_ref()) else { return None };
        if !model.own_record || (model.history.is_empty() && !model.imported) {
            return None;
        }
        record.updated_ms = self.opened_ms + now_ms;
        record.settings = self.run.clone().or(record.settings.take());
        record.history = model.history.clone();
        record.batches = model.batches.clone();
        record.file_bytes = file.len();
        if let Some(d) = &self.worker.device {
            record.device = Some(d.kind);
        }
        Some(Effect::Keep { record: record.clone(), file: file.clone() })
    }
}

/// How long after its last beat a run stops being marked as training in another tab: a few beats
/// (one a second), as a background tab's timers may run late.
pub const BEAT_LOST_MS: f64 = 4000.0;

/// The run library's order: the latest started first (the higher number on a tie).
fn newest_first(a: &RunRecord, b: &RunRecord) -> std::cmp::Ordering {
    b.started_ms.total_cmp(&a.started_ms).then(b.number.cmp(&a.number))
}

/// "1 run", "3 runs".
fn runs_word(n: usize) -> String {
    if n == 1 { "1 run".into() } else { format!("{n} runs") }
}

#[cfg(test)]
mod tests {
    use filterlab_protocol::{KeptRun, Library, MyDigit};

    use super::BEAT_LOST_MS;
    use crate::state::{
        Effect,
        tests::{page, record, row},
    };

    fn kept(id: &str, number: u32, started_ms: f64) -> KeptRun {
        KeptRun { record: record(id, number, started_ms), file: vec![number as u8; 10] }
    }

    #[test]
    fn an_imported_library_adds_what_is_new_and_overwrites_nothing() {
        let mut p = page();
        p.tab = "tab".into();
        p.library_listed(vec![record("a", 1, 1.0), record("b", 2, 2.0)], vec![]);
        // "a" is the same run; "b" has the same id but went on training elsewhere; "c" and "d" are new.
        let mut b = kept("b", 5, 2.0);
        b.record.history.push(row(2, 2, 0.95));
        let digits = vec![MyDigit::new(3, vec![7; 784], 1.0).unwrap()];
        let effects = p.import_library("lib.zip", Ok(Library { runs: vec![kept("d", 9, 4.0), kept("a", 1, 1.0), b, kept("c", 3, 3.0)], digits: digits.clone() }), 50.0);
        let [Effect::KeepAll { runs, digits: new_digits, already: 1, name }] = &effects[..] else { panic!("{effects:?}") };
        assert_eq!(new_digits, &digits);
        assert_eq!(name, "lib.zip");
        let added: Vec<_> = runs.iter().map(|r| (r.record.id.as_str(), r.record.number, r.record.label.as_str())).collect();
        // Oldest first, numbered after the library's runs; the changed "b" comes in under a new id.
        assert_eq!(added[0].1..added[2].1 + 1, 3..6);
        assert_eq!((added[0].0 != "b", added[0].2), (true, "run 5 (imported copy)"));
        assert_eq!((added[1].0, added[2].0), ("c", "d"));
        assert!(p.library.iter().all(|r| r.label.starts_with("run ")), "nothing listed changed before the write");
        let records = runs.iter().map(|r| r.record.clone()).collect();
        let effects = p.library_imported(records, digits, 1, "lib.zip");
        assert!(matches!(&effects[..], [Effect::Send(filterlab_protocol::ToWorker::MyDigits { set })] if set.len() == 1), "{effects:?}");
        assert_eq!(p.messages.notice.as_deref(), Some("Imported 3 runs from lib.zip and 1 digit (1 run already here)."));
        assert_eq!(p.library.len(), 5);
        assert_eq!(p.library.iter().find(|r| r.id == "b").unwrap().history.len(), 1, "the kept b is as it was");
    }

    #[test]
    fn a_kept_runs_filters_are_compared_with_the_current_models() {
        let mut p = page();
        p.library_listed(vec![record("a", 1, 1.0), record("b", 2, 2.0)], vec![]);
        assert_eq!(p.compare("a"), vec![Effect::Compare { id: "a".into() }]);
        assert_eq!(p.compare.as_ref().map(|c| (c.title.as_str(), c.filters.is_none())), Some(("#1 run 1", true)));
        let shape = filterlab_protocol::NetShape::NOTEBOOK;
        let weights = filterlab_protocol::Weights::from_slice(shape, &vec![0.25; shape.params()]);
        let file = filterlab_protocol::ModelFile { weights, digits: Default::default(), record: String::new() }.to_bytes();
        p.compare_read("b", Ok(file.clone()));
        assert!(p.compare.as_ref().unwrap().filters.is_none(), "a file read for another run is not shown");
        p.compare_read("a", Ok(file));
        let filters = p.compare.as_ref().unwrap().filters.clone().unwrap();
        assert_eq!((filters.weights.len(), filters.biases.len(), filters.weights[0]), (72, 8, 0.25));
        // Again: closed. A damaged file says so; a deleted run's comparison goes with it.
        assert_eq!(p.compare("a"), vec![]);
        assert!(p.compare.is_none());
        p.compare("b");
        p.compare_read("b", Ok(b"FLAB".to_vec()));
        assert!(p.compare.is_none() && p.messages.error.as_deref().unwrap().starts_with("The filters of #2 run 2 could not be read: "));
        p.compare("a");
        p.deleted("a");
        assert!(p.compare.is_none());
    }

    #[test]
    fn a_run_training_in_another_tab_is_marked_while_that_tab_beats() {
        let mut p = page();
        p.library_listed(vec![record("a", 1, 1.0), record("b", 2, 2.0)], vec![]);
        p.beat_heard("a".into(), 1000.0);
        assert!(p.training_elsewhere("a") && !p.can_delete("a") && p.can_delete("b"));
        assert_eq!(p.delete("a"), vec![]);
        p.beat_heard("a".into(), 2000.0);
        assert!(!p.beats_lost(2000.0 + BEAT_LOST_MS));
        // The tab is closed or killed: no more beats, no mark left behind.
        assert!(p.beats_lost(2001.0 + BEAT_LOST_MS));
        p.forget_lost_beats(2001.0 + BEAT_LOST_MS);
        assert!(!p.training_elsewhere("a") && p.can_delete("a"));
        assert_eq!(p.beat(), None, "this tab trains nothing");
    }

    #[test]
    fn a_library_already_here_or_refused_changes_nothing() {
        let mut p = page();
        p.library_listed(vec![record("a", 1, 1.0)], vec![]);
        assert_eq!(p.import_library("same.zip", Ok(Library { runs: vec![kept("a", 1, 1.0)], digits: vec![] }), 0.0), vec![]);
        assert_eq!(p.messages.notice.as_deref(), Some("same.zip: 1 run already here, nothing to import."));
        assert_eq!(p.import_library("bad.zip", Err("it is not a zip file Filterlab can read (x)".into()), 0.0), vec![]);
        assert_eq!(p.messages.error.as_deref(), Some("bad.zip was not imported: it is not a zip file Filterlab can read (x). Nothing was changed."));
        assert_eq!(p.library.len(), 1);
    }
}
