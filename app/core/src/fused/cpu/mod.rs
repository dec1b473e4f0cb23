//! The fused step and evaluation as plain loops over slices: what Burn's CPU backend (flex) runs,
//! and the same arithmetic as the GPU kernels (`gpu/`). No intermediate tensors, no im2col.
//!
//! One driver over a [`Pass`], one image's way forward and back, of which there are two: any
//! shape's loops sized at run time (`pass.rs`), and the notebook's in fixed sizes
//! (`notebook.rs`). The second is worth its 170 lines (2026-12-04, this 2-core machine): natively
//! the sized loops take 0.13 s a notebook epoch against its 0.09 s; a copy of them compiled for
//! the notebook's shape as a constant matched 0.09 s natively, but in the page (headless
//! Chromium, runs alternated with the previous build on a noisy machine) its epochs took
//! 0.17–0.26 s against 0.12–0.19 s.

mod notebook;
mod pass;

use super::layout::{Layout, StepArgs};
use crate::{
    dataset::{WORDS, unpack},
    idx::PIXELS,
    model::NetShape,
};

/// One image's way through a network whose parameters the pass holds.
trait Pass {
    /// Conv → max-pool → linear → log-softmax: afterwards `log_probs` holds the image's.
    fn forward(&mut self, image: &[f32]);
    fn log_probs(&self) -> &[f32];
    /// Whether the model picks `class` (the first most likely class, as Burn's argmax), and the
    /// loss for `class`.
    fn outcome(&self, class: usize) -> (bool, f32);
    /// Adds this image's gradient, given d(loss)/d(logits), to `grad` (laid out like the
    /// parameters).
    fn backward(&self, d_logits: &[f32], grad: &mut [f32]);
}

/// One training step on `state` (laid out by [`Layout::of`] for `args.shape`): the batch
/// `order[start..start+len]`, its mean NLL loss's exact gradient, the optimizer's update, and the
/// epoch's running figures. `images` packed four bytes a word (`Samples::packed`).
pub fn train_step(images: &[i32], classes: &[i32], order: &[i32], state: &mut [f32], args: &StepArgs) {
    let l = Layout::of(args.shape);
    let params = &state[..l.params];
    let (mut grad, loss_sum, correct) = if args.shape == NetShape::NOTEBOOK {
        batch(notebook::Pass::new(params), &l, images, classes, order, args)
    } else {
        batch(pass::Pass::new(l, params), &l, images, classes, order, args)
    };
    l.finish_step(state, &mut grad, args, loss_sum, correct);
}

/// Σ NLL loss and the number of correct predictions over every image of a set.
pub fn evaluate(images: &[i32], classes: &[i32], params: &[f32], shape: NetShape) -> [f32; 2] {
    let l = Layout::of(shape);
    let params = &params[..l.params];
    if shape == NetShape::NOTEBOOK { totals(notebook::Pass::new(params), images, classes) } else { totals(pass::Pass::new(l, params), images, classes) }
}

/// The batch's gradient (summed over its images, of the mean loss), Σ loss and number correct.
fn batch(mut pass: impl Pass, l: &Layout, images: &[i32], classes: &[i32], order: &[i32], args: &StepArgs) -> (Vec<f32>, f32, f32) {
    let (start, len) = (args.start as usize, args.len as usize);
    let mut grad = vec![0.0f32; l.params];
    let mut d = vec![0.0f32; l.shape.classes];
    let (mut loss_sum, mut correct) = (0.0f32, 0.0f32);
    let scale = 1.0 / len as f32;
    let mut image = [0.0f32; PIXELS];
    for &n in &order[start..start + len] {
        let n = n as usize;
        unpack(&images[n * WORDS..(n + 1) * WORDS], &mut image);
        pass.forward(&image);
        let class = classes[n] as usize;
        let (right, loss) = pass.outcome(class);
        loss_sum += loss;
        correct += f32::from(u8::from(right));
        // d(mean NLL)/d(logits) = (softmax − one-hot) / batch.
        for (c, (d, lp)) in d.iter_mut().zip(pass.log_probs()).enumerate() {
            *d = (lp.exp() - f32::from(u8::from(c == class))) * scale;
        }
        pass.backward(&d, &mut grad);
    }
    (grad, loss_sum, correct)
}

fn totals(mut pass: impl Pass, images: &[i32], classes: &[i32]) -> [f32; 2] {
    let mut totals = [0.0f32; 2];
    let mut image = [0.0f32; PIXELS];
    for (words, &class) in images.chunks_exact(WORDS).zip(classes) {
        unpack(words, &mut image);
        pass.forward(&image);
        let (right, loss) = pass.outcome(class as usize);
        totals[0] += loss;
        totals[1] += f32::from(u8::from(right));
    }
    totals
}
