//! The fused step and evaluation on a GPU: CubeCL kernels (WGSL on wgpu, WebGPU in a browser)
//! for every network the knobs allow, in three rooms as Burn's custom-kernel example has them:
//! `plan.rs` (what the kernels know when they compile: the network, its state layout, how the
//! workgroup shares the work), the kernels (`forward.rs`, shared with evaluation; `step.rs`) and
//! their launch (`launch.rs`, the backend extension's GPU half).
//!
//! A training step is one workgroup, because the batch's gradients must be summed before the
//! update and WebGPU has no float atomics; a batch of 256 or more is split over workgroups and
//! summed in a second pass instead (`split.rs`). Invocation `t` owns one filter and a few of its pooled
//! cells (`plan.each`) of one image slot (`Place`), and keeps their filter, fc weights and
//! gradient shares in registers (`Filter`, `Shares`); a round takes `plan.slots` images at
//! once, and a small network splits each pooling window among `plan.parts` invocations so that
//! few stay idle. The step's rounds: stage the images, forward (conv + pool, the logits as partial
//! sums over chunks of the pooled features), the softmax and loss, backward. Then the conv
//! layer's update (each filter's shares summed through workgroup memory, every parameter updated
//! by the invocation that owns its gradient), the linear layer's, and the epoch's figures.
//! WebGPU's guaranteed limits shape it: 16 KiB of workgroup memory, 256 invocations, and barriers
//! only in uniform control flow (loop bounds come from scalars, never from invocation ids).


mod forward;
mod launch;
mod plan;
mod split;
mod step;
