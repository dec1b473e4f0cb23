//! Choosing and starting the Burn device: the pure-Rust CPU backend, or a GPU through wgpu.

use burn::prelude::Device;
pub use filterlab_protocol::DeviceKind;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    #[error("no GPU available through wgpu: {0}")]
    NoGpu(String),
    #[error("this build has no wgpu backend")]
    NotBuilt,
}

/// A started device and a line describing it for people.
#[derive(Debug, Clone)]
pub struct StartedDevice {
    pub device: Device,
    pub kind: DeviceKind,
    /// For example "CPU (Burn flex)" or "wgpu: NVIDIA H100 (Vulkan, DiscreteGpu)".
    pub description: String,
}

/// Starts the chosen device; wgpu asks for an adapter, which is asynchronous in browsers.
pub async fn start(kind: DeviceKind) -> Result<StartedDevice, DeviceError> {
    match kind {
        DeviceKind::Cpu => Ok(StartedDevice {
            device: Device::flex(),
            kind,
            description: "CPU (Burn flex backend)".into(),
        }),
        DeviceKind::WebGpu => start_wgpu().await,
    }
}

#[cfg(feature = "wgpu")]
async fn start_wgpu() -> Result<StartedDevice, DeviceError> {
    let (device, setup) = Device::wgpu_options()
        .init_with_setup_async()
        .await
        .map_err(|e| DeviceError::NoGpu(e.to_string()))?;
    let info = setup.adapter.get_info();
    let name = if info.name.is_empty() { info.vendor.to_string() } else { info.name.clone() };
    // A software rasteriser (llvmpipe, SwiftShader, WARP) is no GPU: say so plainly.
    let software = if info.device_type == burn::tensor::wgpu::wgpu::DeviceType::Cpu {
        " — a software adapter: no GPU was found, wgpu emulates one on the CPU"
    } else {
        ""
    };
    Ok(StartedDevice {
        device,
        kind: DeviceKind::WebGpu,
        description: format!("wgpu: {name} ({:?}, {:?}){software}", info.backend, info.device_type),
    })
}

#[cfg(not(feature = "wgpu"))]
async fn start_wgpu() -> Result<StartedDevice, DeviceError> {
    Err(DeviceError::NotBuilt)
}
