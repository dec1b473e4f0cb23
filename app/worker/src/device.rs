//! Starting the device the user asked for (the CPU, or WebGPU with a fallback to the CPU), and
//! saying honestly which one runs and why; and what `worker_loader.js` counts on WebGPU.

use std::cell::RefCell;

use filterlab_core::burn::prelude::Device;
use filterlab_core::device as core_device;
use filterlab_protocol::{DeviceKind, DevicePref, GpuMemory};
use js_sys::Reflect;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

thread_local! {
    /// Burn's wgpu runtime can be started once per page; later switches reuse it.
    static WEBGPU: RefCell<Option<(Device, String)>> = const { RefCell::new(None) };
}

pub struct Started {
    pub device: Device,
    pub kind: DeviceKind,
    pub name: String,
    pub note: Option<String>,
}

pub fn cpu(note: Option<String>) -> Started {
    Started { device: Device::flex(), kind: DeviceKind::Cpu, name: "CPU (Burn flex, WebAssembly)".into(), note }
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// The browser's WebGPU adapter, as people should read it.
pub struct Adapter {
    /// For example "WebGPU: google / swiftshader (software fallback adapter)".
    pub name: String,
    /// A CPU pretending to be a GPU (SwiftShader, llvmpipe, WARP…).
    pub software: bool,
}

/// Describes the browser's WebGPU adapter, or says why there is none.
pub async fn describe_adapter() -> Result<Adapter, String> {
    let gpu = get(&crate::scope().navigator(), "gpu");
    if gpu.is_undefined() {
        return Err("this browser exposes no WebGPU (navigator.gpu is missing)".into());
    }
    let failed = |e: JsValue| format!("asking WebGPU for an adapter failed ({})", crate::js_error(&e));
    let request = get(&gpu, "requestAdapter");
    let promise = js_sys::Function::from(request).call0(&gpu).map_err(failed)?;
    let adapter = JsFuture::from(js_sys::Promise::from(promise)).await.map_err(failed)?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err("WebGPU is present but gave no adapter".into());
    }
    let info = get(&adapter, "info");
    let field = |k: &str| get(&info, k).as_string().filter(|s| !s.is_empty());
    let mut parts: Vec<String> = [field("vendor"), field("architecture"), field("description")].into_iter().flatten().collect();
    if parts.is_empty() {
        parts.push("unnamed adapter".into());
    }
    let fallback = get(&adapter, "isFallbackAdapter").is_truthy() || get(&info, "isFallbackAdapter").is_truthy();
    let joined = parts.join(" / ");
    let software = filterlab_protocol::adapter::is_software(&joined, fallback);
    let name = format!("WebGPU: {joined}{}", if software { " (software fallback adapter)" } else { "" });
    Ok(Adapter { name, software })
}

/// Why the browser says the WebGPU device was lost, if it was (`worker_loader.js` listens).
pub fn lost_reason() -> Option<String> {
    get(&js_sys::global(), "filterlabDeviceLost").as_string()
}

/// Forgets the started WebGPU device after it failed. Burn's wgpu runtime starts once per worker,
/// so WebGPU needs a new worker after this; the page starts one on the next switch.
pub fn forget() {
    WEBGPU.with(|w| *w.borrow_mut() = None);
}

/// What the GPU allocator holds, where the backend reports it.
pub fn memory(device: &Device) -> Option<GpuMemory> {
    device.memory_pool_usage().map(|m| GpuMemory {
        allocations: m.number_allocs,
        bytes_in_use: m.bytes_in_use,
        bytes_reserved: m.bytes_reserved,
        buffers: get(&get(&js_sys::global(), "filterlabGpuCounts"), "buffers").as_f64().map(|n| n as u64),
    })
}

/// WebGPU compute dispatches so far in this worker (counted by `worker_loader.js`), if counted.
pub fn dispatches() -> Option<f64> {
    get(&get(&js_sys::global(), "filterlabGpuCounts"), "dispatches").as_f64()
}

/// Starts the device asked for (`Auto` is decided in auto.rs); WebGPU falls back to the CPU with
/// the reason as `note`.
pub async fn start(pref: DevicePref) -> Started {
    match pref {
        DevicePref::Cpu => cpu(None),
        DevicePref::Auto => unreachable!("Auto is decided in auto.rs"),
        DevicePref::WebGpu => {
            if let Some((device, name)) = WEBGPU.with(|w| w.borrow().clone()) {
                return Started { device, kind: DeviceKind::WebGpu, name, note: None };
            }
            if let Some(reason) = lost_reason() {
                return cpu(Some(format!("this worker's WebGPU device was lost ({reason}); reload the page to use WebGPU again")));
            }
            let name = match describe_adapter().await {
                Ok(adapter) => adapter.name,
                Err(why) => return cpu(Some(why)),
            };
            match core_device::start(DeviceKind::WebGpu).await {
                Ok(started) => {
                    WEBGPU.with(|w| *w.borrow_mut() = Some((started.device.clone(), name.clone())));
                    Started { device: started.device, kind: DeviceKind::WebGpu, name, note: None }
                }
                Err(e) => cpu(Some(format!("WebGPU could not start: {e}"))),
            }
        }
    }
}
