//! The worker with Burn's wgpu backend: WebGPU, the CPU, and Auto's calibration between them.
fn main() {
    filterlab_worker::run();
}
