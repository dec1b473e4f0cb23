//! Each optimizer once: its stock Burn optimizer and the fused path's update (the CPU loops apply
//! it here; the GPU kernel's `update`, in `fused/gpu/step.rs`, takes it as its launch argument).
//! A new kind is a variant of the protocol's `OptimizerKind`, its arms here, and its code and
//! arithmetic in the kernel.

use burn::optim::{AdamConfig, ModuleOptimizer, SgdConfig, momentum::MomentumConfig};

use crate::training::{OptimizerKind, TrainConfig};

/// Adam's constants: Burn's defaults for the betas, PyTorch's epsilon (the notebook's Adam).
const ADAM_BETA_1: f32 = 0.9;
const ADAM_BETA_2: f32 = 0.999;
const ADAM_EPSILON: f32 = 1e-8;
/// `torch.optim.SGD(momentum=0.9)`: dampening 0, no Nesterov.
const MOMENTUM: f32 = 0.9;

/// The stock path's optimizer for `kind`.
pub fn stock(kind: OptimizerKind) -> ModuleOptimizer {
    match kind {
        OptimizerKind::Sgd => SgdConfig::new().init(),
        // Burn's default dampening is 0.1; PyTorch's is 0.
        OptimizerKind::Momentum => {
            let momentum = MomentumConfig::new().with_momentum(MOMENTUM as f64).with_dampening(0.0).with_nesterov(false);
            SgdConfig::new().with_momentum(Some(momentum)).init()
        }
        // PyTorch's epsilon, so Adam behaves as in the notebook.
        OptimizerKind::Adam => AdamConfig::new().with_beta_1(ADAM_BETA_1).with_beta_2(ADAM_BETA_2).with_epsilon(ADAM_EPSILON).init(),
    }
}

/// The fused path's update for step `steps` (1-based) of a run of `config`.
pub fn fused(config: &TrainConfig, steps: u32) -> Update {
    let lr = config.lr as f32;
    match config.optimizer {
        OptimizerKind::Sgd => Update::Sgd { lr },
        OptimizerKind::Momentum => Update::Momentum { lr, momentum: MOMENTUM },
        OptimizerKind::Adam => Update::adam(config.lr, steps, ADAM_BETA_1, ADAM_BETA_2, ADAM_EPSILON),
    }
}

/// The fused op's schedule for `count` steps from step `from` (1-based): each step's
/// [`Update::constants`], two numbers a step.
pub fn schedule(config: &TrainConfig, from: u32, count: u32) -> Vec<f32> {
    (from..from + count).flat_map(|t| fused(config, t).constants()).collect()
}

/// The optimizer's update, with every per-step constant worked out on the host in f32 exactly as
/// Burn's optimizers do, so the fused and stock paths agree to the last bits that matter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Update {
    /// `p -= lr · g`.
    Sgd { lr: f32 },
    /// PyTorch's SGD with momentum (dampening 0), as Burn's `Momentum` with dampening 0:
    /// `v = μ·v + g` (so `v = g` on the first step, from a zero velocity), `p -= lr · v`.
    Momentum { lr: f32, momentum: f32 },
    /// Burn's Adam (`burn-optim` AdaptiveMomentum): `m = β1·m + (1−β1)·g`, `v = β2·v + (1−β2)·g²`,
    /// `p -= lr · m·scale / (√v + eps_hat)` with `scale = √(1−β2ᵗ)/(1−β1ᵗ)`, `eps_hat = ε·√(1−β2ᵗ)`.
    Adam { lr: f32, beta_1: f32, beta_2: f32, scale: f32, eps_hat: f32 },
}

impl Update {
    /// Adam's constants for step `time` (1-based), as Burn computes them.
    pub fn adam(lr: f64, time: u32, beta_1: f32, beta_2: f32, epsilon: f32) -> Self {
        let t = time as i32;
        let correction_2 = (1.0 - beta_2.powi(t)).sqrt();
        Self::Adam { lr: lr as f32, beta_1, beta_2, scale: correction_2 / (1.0 - beta_1.powi(t)), eps_hat: epsilon * correction_2 }
    }

    /// The numbers that change from step to step (Adam's scale and eps_hat; none for the others),
    /// as the fused op's schedule holds them, two per step.
    pub fn constants(&self) -> [f32; 2] {
        match *self {
            Self::Adam { scale, eps_hat, .. } => [scale, eps_hat],
            Self::Sgd { .. } | Self::Momentum { .. } => [0.0; 2],
        }
    }

    /// This update with another step's [`Update::constants`].
    pub fn with_constants(self, [s, e]: [f32; 2]) -> Self {
        match self {
            Self::Adam { lr, beta_1, beta_2, .. } => Self::Adam { lr, beta_1, beta_2, scale: s, eps_hat: e },
            other => other,
        }
    }

    /// The new value of parameter `p` with gradient `g` and the optimizer's two slots `m`, `v`
    /// (updated in place).
    #[inline]
    pub fn apply(&self, p: f32, g: f32, m: &mut f32, v: &mut f32) -> f32 {
        match *self {
            Self::Sgd { lr } => p - g * lr,
            Self::Momentum { lr, momentum } => {
                *m = *m * momentum + g;
                p - *m * lr
            }
            Self::Adam { lr, beta_1, beta_2, scale, eps_hat } => {
                *m = *m * beta_1 + g * (1.0 - beta_1);
                *v = *v * beta_2 + g * g * (1.0 - beta_2);
                p - (*m * scale) / (v.sqrt() + eps_hat) * lr
            }
        }
    }
}
