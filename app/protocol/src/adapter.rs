//! What counts as a software WebGPU adapter: one that emulates a GPU on the CPU. The page (which
//! worker build to load) and the worker (Auto's choice) decide it the same way.

/// `description` is the adapter's vendor / architecture / description joined; `fallback` is its
/// `isFallbackAdapter`.
pub fn is_software(description: &str, fallback: bool) -> bool {
    let lower = description.to_lowercase();
    fallback || ["swiftshader", "llvmpipe", "lavapipe", "software", "basic render"].iter().any(|s| lower.contains(s))
}
