// Starts the training worker build named by the page (`new Worker(..., {name})`: worker_cpu or
// worker_gpu; wasm-bindgen's no-modules glue, built by Trunk). Before that it
// counts WebGPU compute dispatches, so the worker can report dispatches per training step
// and the GPU buffers alive (self.filterlabGpuCounts, read in device.rs; one integer add per call),
// and records why a
// WebGPU device was lost (self.filterlabDeviceLost), which wgpu does not pass on to Burn.
"use strict";
(() => {
  const counts = { dispatches: 0, submits: 0, buffers: 0 };
  self.filterlabGpuCounts = counts;
  const count = (proto, method, key) => {
    const original = proto && proto[method];
    if (typeof original !== "function") return;
    proto[method] = function (...args) {
      counts[key] += 1;
      return original.apply(this, args);
    };
  };
  if (self.GPUComputePassEncoder) {
    count(GPUComputePassEncoder.prototype, "dispatchWorkgroups", "dispatches");
    count(GPUComputePassEncoder.prototype, "dispatchWorkgroupsIndirect", "dispatches");
  }
  if (self.GPUQueue) count(GPUQueue.prototype, "submit", "submits");
  // GPU buffers alive: created minus destroyed (a leak shows as a count that keeps growing).
  if (self.GPUDevice && self.GPUBuffer) {
    const create = GPUDevice.prototype.createBuffer;
    GPUDevice.prototype.createBuffer = function (...args) {
      counts.buffers += 1;
      return create.apply(this, args);
    };
    const destroy = GPUBuffer.prototype.destroy;
    GPUBuffer.prototype.destroy = function (...args) {
      counts.buffers -= 1;
      return destroy.apply(this, args);
    };
  }
  const requestDevice = self.GPUAdapter && GPUAdapter.prototype.requestDevice;
  if (typeof requestDevice === "function") {
    GPUAdapter.prototype.requestDevice = async function (...args) {
      const device = await requestDevice.apply(this, args);
      device.lost.then((info) => {
        self.filterlabDeviceLost = info.message || info.reason || "unknown reason";
      });
      return device;
    };
  }
})();
const build = ["worker_cpu", "worker_gpu"].includes(self.name) ? self.name : "worker_gpu";
importScripts(`./${build}.js`);
wasm_bindgen(`./${build}_bg.wasm`);
