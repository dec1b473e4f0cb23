//! The worker without Burn's wgpu backend: trains on the CPU (Burn flex) only.
fn main() {
    filterlab_worker::run();
}
