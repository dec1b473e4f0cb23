//! Choosing and starting the Burn device: the pure-Rust CPU backend, or a GPU through wgpu.

use burn::prelude::Device;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceChoice {
    Cpu,
    Wgpu,
}

impl std::str::FromStr for DeviceChoice {
    type Err = DeviceError;
    fn from_str(s: &str) -> Result<Self, DeviceError> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" => Ok(Self::Cpu),
            "wgpu" | "gpu" | "webgpu" => Ok(Self::Wgpu),
            _ => Err(DeviceError::Unknown(s.to_string())),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    #[error("unknown device {0:?}: expected cpu or wgpu")]
    Unknown(String),
    #[error("no GPU available through wgpu: {0}")]
    NoGpu(String),
    #[error("this build has no wgpu backend")]
    NotBuilt,
}

/// A started device and a line describing it for people.
#[derive(Debug, Clone)]
pub struct StartedDevice {
    pub device: Device,
    pub choice: DeviceChoice,
    /// For example "CPU (Burn flex)" or "wgpu: NVIDIA H100 (Vulkan, DiscreteGpu)".
    pub description: String,
}

/// Starts the chosen device; wgpu asks for an adapter, which is asynchronous in browsers.
pub async fn start(choice: DeviceChoice) -> Result<StartedDevice, DeviceError> {
    match choice {
        DeviceChoice::Cpu => Ok(StartedDevice {
            device: Device::flex(),
            choice,
            description: "CPU (Burn flex backend)".into(),
        }),
        DeviceChoice::Wgpu => start_wgpu().await,
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
        choice: DeviceChoice::Wgpu,
        description: format!("wgpu: {name} ({:?}, {:?}){software}", info.backend, info.device_type),
    })
}

#[cfg(not(feature = "wgpu"))]
async fn start_wgpu() -> Result<StartedDevice, DeviceError> {
    Err(DeviceError::NotBuilt)
}
