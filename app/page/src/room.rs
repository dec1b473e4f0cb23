//! When the browser's storage is full: the run is not kept, training goes on with the run on the
//! page, and the page offers to delete the oldest kept runs, as few as make room for this one,
//! then to save again (one click).

use filterlab_protocol::RunRecord;

use crate::state::{Effect, PageState};

/// The oldest kept runs that, deleted, would leave room for the run that could not be kept.
#[derive(Clone, Debug, PartialEq)]
pub struct Room {
    /// Their ids and numbers, oldest first.
    pub runs: Vec<(String, u32)>,
}

impl Room {
    /// The offer's button: "Delete run #1, the oldest, and save again".
    pub fn offer(&self) -> String {
        let numbers: Vec<String> = self.runs.iter().map(|(_, n)| format!("#{n}")).collect();
        match &numbers[..] {
            [one] => format!("Delete run {one}, the oldest, and save again"),
            [first @ .., last] => format!("Delete runs {} and {last}, the oldest, and save again", first.join(", ")),
            [] => String::new(),
        }
    }
}

impl PageState {
    /// Keeping the current run failed (`full`: for lack of space). Training goes on; the run
    /// stays on the page, and with `full` the oldest runs that would make room are offered.
    pub fn keep_failed(&mut self, record: &RunRecord, file_bytes: usize, why: &str, full: bool) {
        let goes_on = if self.training() { " Training goes on, and the run stays on this page." } else { " The run stays on this page." };
        let mut said = format!("The model is not saved in this browser: {why}.{goes_on}");
        self.room = None;
        if full {
            let needed = record.to_json().len() + file_bytes;
            let (mut runs, mut freed) = (Vec::new(), 0);
            // Oldest first, never this run or one training in another tab.
            for r in self.library.iter().rev().filter(|r| r.id != record.id && !self.training_elsewhere(&r.id)) {
                if freed >= needed {
                    break;
                }
                freed += r.to_json().len() + r.file_bytes;
                runs.push((r.id.clone(), r.number));
            }
            if freed >= needed {
                self.room = Some(Room { runs });
            } else {
                said += " No kept run frees enough space: free some for this site in the browser's settings.";
            }
        }
        self.messages.notice = Some(said);
    }

    /// The offer taken: those runs are deleted, then the current run is kept again.
    pub fn make_room(&mut self, now_ms: f64) -> Vec<Effect> {
        let Some(room) = self.room.take() else { return Vec::new() };
        let Some(Effect::Keep { record, file }) = self.keep(now_ms) else { return Vec::new() };
        self.messages.notice = None;
        vec![Effect::MakeRoom { delete: room.runs.into_iter().map(|r| r.0).collect(), record, file }]
    }
}

#[cfg(test)]
mod tests {
    use filterlab_protocol::BatchLoss;

    use crate::state::{
        Effect,
        tests::{page, record},
    };

    #[test]
    fn a_full_storage_offers_the_oldest_runs_that_make_room_then_saves_again() {
        let mut p = page();
        let mut big = record("oldest", 1, 1.0);
        big.batches = vec![BatchLoss { at: 0.5, loss: 0.25, gradient: None }; 1000];
        p.library_listed(vec![big, record("older", 2, 2.0), record("newer", 3, 3.0)], vec![]);
        let mut current = record("now", 4, 4.0);
        current.batches = vec![BatchLoss { at: 0.5, loss: 0.25, gradient: None }; 20];
        p.model.record = Some(current.clone());
        p.model.checkpoint = Some(vec![1; 1400]);
        p.model.history = current.history.clone();
        p.model.own_record = true;

        p.keep_failed(&current, 1400, "no space (QuotaExceededError)", true);
        let notice = p.messages.notice.clone().unwrap();
        assert!(notice.contains("no space") && notice.ends_with("The run stays on this page."), "{notice}");
        // The oldest run alone is large enough.
        assert_eq!(p.room.as_ref().map(|r| r.offer()).as_deref(), Some("Delete run #1, the oldest, and save again"));
        let effects = p.make_room(10.0);
        let [Effect::MakeRoom { delete, record: kept, file }] = &effects[..] else { panic!("{effects:?}") };
        assert_eq!((delete.clone(), kept.id.as_str(), file.len()), (vec!["oldest".to_string()], "now", 1400));
        assert!(p.room.is_none());

        // Small runs: as many of the oldest as it takes, never the run itself.
        let mut p2 = page();
        p2.library_listed(vec![record("a", 1, 1.0), record("b", 2, 2.0), record("c", 3, 3.0), current.clone()], vec![]);
        p2.keep_failed(&current, 200, "full", true);
        let room = p2.room.clone().unwrap();
        assert!(room.runs.len() >= 2 && room.runs.iter().all(|r| r.0 != "now"), "{room:?}");
        assert_eq!(room.runs[0].1, 1, "oldest first");
        // Nothing could make room, or another failure: said, nothing offered.
        p2.keep_failed(&current, 1 << 20, "full", true);
        assert!(p2.room.is_none() && p2.messages.notice.as_deref().unwrap().contains("No kept run frees enough space"));
        p2.keep_failed(&current, 10, "the browser did not complete the write", false);
        assert!(p2.room.is_none());
    }
}
