//! A training run: the core's loop (`Trainer::next`) takes the steps and says what to report;
//! this reports it, publishes each report's model, and yields to the event loop so that Stop and
//! Classify are handled while it runs.

use std::rc::Rc;

use filterlab_core::{Model, Split, TrainConfig, Trainer, burn::prelude::*, my_digits, training::Progress};
use filterlab_protocol::{DeviceKind, FromWorker, Settings};

use crate::{
    data::post_preview,
    device,
    error::WorkerError,
    post,
    session::{Checkpoint, Run, Session},
};

/// Steps between loss read-backs, filter updates and yields to the event loop.
const REPORT_EVERY: usize = 10;

impl Session {
    pub async fn train(&self, mut settings: Settings, resume: bool) -> Result<(), WorkerError> {
        // The page's form checks these too; a message from elsewhere gets the same answer.
        settings.validate().map_err(|e| format!("training refused: {e}"))?;
        let (device, kind) = self.device()?;
        let config = TrainConfig::from(&settings).with_report_every(REPORT_EVERY).with_ops(self.with(|s| s.ops));
        let resumed = if resume {
            let (model, digits) = self.model().ok_or("there is no model to continue: press Train")?;
            if digits != settings.digits {
                return Err(format!("the model tells {}: set Digits to {digits} to continue it", digits.describe()).into());
            }
            // Continue trains the model as it is: its network, whatever the knobs now say (they
            // describe what Train would build). The run's settings say which network ran.
            settings.shape = model.shape();
            settings.frozen.retain(|&f| f < settings.shape.filters);
            Some(model)
        } else {
            None
        };
        // This run supersedes any other from here on, as the split may take a download (the t10k
        // files): a Train, Stop, Reset or import meanwhile wins, and this one ends without a word.
        let run = self.begin();
        let mut split = self.split(settings.digits).await?;
        self.check(run)?;
        // "Train on my digits too": the task's kept digits join this run's training images.
        let mut mine = 0;
        let set = self.with(|s| s.my_digits.clone());
        if settings.my_digits && filterlab_protocol::my_digits::used_by(&set, settings.digits).0 > 0 {
            let (more, used) = my_digits::with_my_digits(&split, &set);
            (split, mine) = (Rc::new(more), used);
        }
        self.with(|s| {
            s.settings = Some(settings.clone());
            if !resume {
                s.history.clear();
            }
        });
        let resumed_from = self.with(|s| s.history.len());
        let trainer = match resumed {
            Some(model) => Trainer::with_model(&split, config, model, &device),
            None => Trainer::new(&split, config, &device).map_err(|e| e.to_string())?,
        };
        post(&FromWorker::Training { settings: settings.clone(), steps_per_epoch: trainer.steps_per_epoch(), resumed_from, train: split.train.len(), my_digits: mine });
        post_preview(&split);
        let steps = Steps { session: self, run, split, device, kind, settings, resumed_from };
        // From here the page knows of the run: taken over, it stopped.
        steps.drive(trainer).await.map_err(WorkerError::in_run)
    }
}

/// One run's loop and what it reports with.
struct Steps<'a> {
    session: &'a Session,
    run: Run,
    split: Rc<Split>,
    device: Device,
    kind: DeviceKind,
    settings: Settings,
    resumed_from: usize,
}

impl Steps<'_> {
    async fn drive(&self, mut trainer: Trainer) -> Result<(), WorkerError> {
        let (session, digits) = (self.session, self.split.digits);
        let failed = |e| WorkerError::Training(e, self.kind);
        let weights = trainer.weights().await.map_err(failed)?;
        session.publish(&weights, digits, &self.device, Checkpoint::None);
        // Dispatches per step count the epoch's steps only: from its start to its last step's
        // report.
        let mut dispatches_before = self.dispatches();
        let mut dispatches_at_last_step = None;
        while let Some(progress) = trainer.next().await.map_err(failed)? {
            // A Stop, Reset, Import or filter edit came in while the steps ran: this run's model
            // is no longer the current one, so nothing of it is published.
            session.check(self.run)?;
            match progress {
                Progress::Step { epoch, step, steps_per_epoch, loss, gradient } => {
                    post(&FromWorker::Step { epoch: self.resumed_from + epoch, step, steps_per_epoch, loss: loss.unwrap_or(f32::NAN), gradient });
                    if step == steps_per_epoch {
                        // Its loss was read back, so every step's dispatches have been issued.
                        dispatches_at_last_step = self.dispatches();
                    }
                    // Publish only finite weights (the core refuses others): a diverging run
                    // keeps the last good model.
                    let weights = trainer.weights().await.map_err(failed)?;
                    session.check(self.run)?;
                    session.publish(&weights, digits, &self.device, Checkpoint::Step);
                    // Let Stop, Reset and Classify messages in.
                    crate::yield_now::yield_now().await;
                    session.check(self.run)?;
                }
                Progress::Epoch(m) => {
                    let mut row = m.row(self.resumed_from, self.settings.epochs, self.settings.optimizer);
                    let steps = trainer.steps_per_epoch() as f64;
                    row.dispatches_per_step = dispatches_at_last_step.zip(dispatches_before).map(|(after, before)| (after - before) / steps);
                    // The epoch's model on the user's digits, beside its test accuracy.
                    let set = session.with(|s| s.my_digits.clone());
                    let model = Model::from_weights(&m.weights, &self.device);
                    row.my_acc = my_digits::score(&model, &set, digits, &self.device).await.map_err(failed)?.accuracy();
                    session.check(self.run)?;
                    session.with(|s| s.history.push(row.clone()));
                    post(&FromWorker::Epoch { row });
                    session.publish(&m.weights, digits, &self.device, Checkpoint::Store);
                    session.post_memory();
                    session.post_confusion().await?;
                    // The test set's evaluation and the confusion matrix are not steps.
                    dispatches_before = self.dispatches();
                }
            }
        }
        post(&FromWorker::Finished);
        Ok(())
    }

    /// WebGPU compute dispatches so far (none counted on the CPU).
    fn dispatches(&self) -> Option<f64> {
        if self.kind == DeviceKind::WebGpu { device::dispatches() } else { None }
    }
}
