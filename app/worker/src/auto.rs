//! "Auto": train on whichever device is faster here. A software adapter (SwiftShader, llvmpipe)
//! emulates a GPU on the CPU and loses to the CPU path by far, so it is not even timed unless the
//! page asks; otherwise a few training steps run on each device and the faster one wins.

use filterlab_core::{Ops, Split, TrainConfig, Trainer, burn::prelude::Device};
use filterlab_protocol::{DeviceKind, DevicePref};
use web_time::Instant;

use crate::device::{self, Started};

/// Steps run before timing (shader compiles, first allocations) and steps timed.
const WARMUP: usize = 2;
const TIMED: usize = 5;

pub enum Plan {
    Decided(Started),
    /// WebGPU started; time it against the CPU once the data is loaded.
    Calibrate(Started),
}

fn cpu_because(why: impl std::fmt::Display) -> Started {
    device::cpu(Some(format!("Auto chose the CPU: {why}")))
}

/// Decides what can be decided without data: no WebGPU, or a software adapter, means the CPU.
pub async fn plan(calibrate: bool) -> Plan {
    let adapter = match device::describe_adapter().await {
        Ok(adapter) => adapter,
        Err(why) => return Plan::Decided(cpu_because(why)),
    };
    if adapter.software && !calibrate {
        return Plan::Decided(cpu_because(format!(
            "the only WebGPU adapter, {}, is a software one that emulates a GPU on the CPU, where this model trains far faster directly",
            adapter.name.trim_start_matches("WebGPU: ")
        )));
    }
    let started = device::start(DevicePref::WebGpu).await;
    match started.kind {
        DeviceKind::WebGpu => Plan::Calibrate(started),
        DeviceKind::Cpu => Plan::Decided(cpu_because(started.note.unwrap_or_default())),
    }
}

/// Mean milliseconds per training step (the notebook's batch of 64) on `device`, after a warm-up.
async fn ms_per_step(split: &Split, device: &Device, ops: Ops) -> Result<f64, String> {
    let mut trainer = Trainer::new(split, TrainConfig::new().with_ops(ops), device).map_err(|e| e.to_string())?;
    // As training takes them: several steps an op (one dispatch on WebGPU).
    trainer.steps(WARMUP);
    // Reading the loss back waits for the device to finish the queued steps.
    trainer.last_loss().await.map_err(|e| e.to_string())?;
    let start = Instant::now();
    trainer.steps(TIMED);
    trainer.last_loss().await.map_err(|e| e.to_string())?;
    Ok(start.elapsed().as_secs_f64() * 1000.0 / TIMED as f64)
}

/// Times both devices and returns the faster, with the figures in its note.
pub async fn calibrate(split: &Split, webgpu: Started, ops: Ops) -> Started {
    let gpu_ms = match ms_per_step(split, &webgpu.device, ops).await {
        Ok(ms) => ms,
        Err(e) => return cpu_because(format!("WebGPU failed while being timed: {e}")),
    };
    let cpu = device::cpu(None);
    let cpu_ms = match ms_per_step(split, &cpu.device, ops).await {
        Ok(ms) => ms,
        Err(e) => return Started { note: Some(format!("Auto chose WebGPU: the CPU failed while being timed: {e}")), ..webgpu },
    };
    let figures = format!("{gpu_ms:.1} ms per step on WebGPU, {cpu_ms:.1} ms on the CPU ({TIMED} steps timed each)");
    if gpu_ms < cpu_ms {
        Started { note: Some(format!("Auto chose WebGPU: {figures}")), ..webgpu }
    } else {
        Started { note: Some(format!("Auto chose the CPU: {figures}")), ..cpu }
    }
}
