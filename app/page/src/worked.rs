//! The worked convolution: which feature-map cell of the drawing is being worked out, and asking
//! the worker (the core computes it) again whenever the cell, the drawing or the model changes.

use filterlab_protocol::{MapCell, ToWorker, WorkedStep};

use crate::state::{Effect, PageState};

impl PageState {
    /// Works out `cell` of the drawing's maps (a filter the model lacks becomes its last one).
    pub fn work_on(&mut self, cell: MapCell) -> Vec<Effect> {
        let Some(prediction) = &self.model.prediction else { return Vec::new() };
        let filters = prediction.explanation.shape.filters;
        // (`moved((0, 0))` keeps the row and column on the 28×28 map.)
        let cell = MapCell { filter: cell.filter.min(filters.saturating_sub(1)), ..cell.moved((0, 0)) };
        self.model.work = Some(cell);
        vec![Effect::Send(ToWorker::Work { image: prediction.image.clone(), cell })]
    }

    /// Moves the window `by` (rows, columns), staying on the map.
    pub fn move_work(&mut self, by: (isize, isize)) -> Vec<Effect> {
        match self.model.work {
            Some(cell) => self.work_on(cell.moved(by)),
            None => Vec::new(),
        }
    }

    /// The same cell of another filter.
    pub fn work_filter(&mut self, filter: usize) -> Vec<Effect> {
        match self.model.work {
            Some(cell) => self.work_on(MapCell { filter, ..cell }),
            None => Vec::new(),
        }
    }

    pub fn close_work(&mut self) {
        self.model.work = None;
        self.model.worked = None;
    }

    /// The worked step to show: the chosen cell's, of the drawing shown now.
    pub fn worked(&self) -> Option<&WorkedStep> {
        let step = self.model.worked.as_ref()?;
        let shape = self.model.prediction.as_ref()?.explanation.shape;
        (Some(step.cell) == self.model.work && step.shape == shape).then_some(step)
    }

    /// A new prediction (another drawing, or the model changed): the chosen cell is worked out
    /// again.
    pub(crate) fn rework(&mut self) -> Vec<Effect> {
        match self.model.work {
            Some(cell) => self.work_on(cell),
            None => Vec::new(),
        }
    }

    /// The worker's answer: kept if it is the chosen cell's (a quick run of arrow keys answers
    /// each one in turn).
    pub(crate) fn take_worked(&mut self, step: WorkedStep) {
        if Some(step.cell) == self.model.work {
            self.model.worked = Some(step);
        }
    }
}

#[cfg(test)]
mod tests {
    use filterlab_protocol::{Digits, Explanation, FromWorker, NetShape, PoolStep, Prediction};

    use super::*;
    use crate::state::tests::page;

    fn prediction(shape: NetShape) -> Prediction {
        let explanation = Explanation { shape, conv: vec![], pooled: vec![], contributions: vec![], logits: vec![0.0, 1.0] };
        Prediction { digits: Digits::default(), probabilities: vec![0.2, 0.8], image: vec![0.5; 784], explanation }
    }

    fn step(shape: NetShape, cell: MapCell) -> WorkedStep {
        let pool = PoolStep { row: 0, col: 0, winner: (0, 0), value: 0.0, feature: 0, weights: vec![], contributions: vec![] };
        WorkedStep { shape, cell, inputs: vec![], weights: vec![], products: vec![], sum: 0.0, bias: 0.0, value: 0.0, pool }
    }

    fn sent(effects: &[Effect]) -> Option<MapCell> {
        match effects {
            [Effect::Send(ToWorker::Work { image, cell })] if image.len() == 784 => Some(*cell),
            _ => None,
        }
    }

    #[test]
    fn a_cell_is_asked_for_moved_and_kept_on_the_map() {
        let mut p = page();
        let cell = MapCell { filter: 3, row: 0, col: 27 };
        assert!(p.work_on(cell).is_empty(), "nothing to work out before a drawing is read");
        p.apply(FromWorker::Prediction(prediction(NetShape::NOTEBOOK)), 0.0);
        assert_eq!(sent(&p.work_on(cell)), Some(cell));
        assert_eq!(sent(&p.move_work((-1, 1))), Some(cell), "the corner stays the corner");
        assert_eq!(sent(&p.move_work((1, -1))), Some(MapCell { filter: 3, row: 1, col: 26 }));
        assert_eq!(sent(&p.work_filter(9)), Some(MapCell { filter: 7, row: 1, col: 26 }), "the notebook has 8 filters");
        // An answer for a cell no longer chosen is not shown; the chosen one's is.
        p.apply(FromWorker::Worked(step(NetShape::NOTEBOOK, cell)), 0.0);
        assert_eq!(p.worked(), None);
        let chosen = MapCell { filter: 7, row: 1, col: 26 };
        p.apply(FromWorker::Worked(step(NetShape::NOTEBOOK, chosen)), 0.0);
        assert_eq!(p.worked().map(|s| s.cell), Some(chosen));
    }

    #[test]
    fn a_new_prediction_works_the_cell_out_again_and_reset_forgets_it() {
        let mut p = page();
        p.apply(FromWorker::Prediction(prediction(NetShape::NOTEBOOK)), 0.0);
        let cell = MapCell { filter: 5, row: 10, col: 10 };
        p.work_on(cell);
        p.apply(FromWorker::Worked(step(NetShape::NOTEBOOK, cell)), 0.0);
        // A model of two filters: the cell moves to its last filter, and the old answer (another
        // network's) is not shown meanwhile.
        let two = NetShape { filters: 2, ..NetShape::NOTEBOOK };
        let effects = p.apply(FromWorker::Prediction(prediction(two)), 0.0);
        assert_eq!(sent(&effects), Some(MapCell { filter: 1, ..cell }));
        assert_eq!(p.worked(), None);
        p.close_work();
        assert!(p.apply(FromWorker::Prediction(prediction(two)), 0.0).is_empty(), "a closed view asks nothing");
        p.work_on(cell);
        p.reset();
        assert_eq!((p.model.work, p.worked()), (None, None));
    }
}
