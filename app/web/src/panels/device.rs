//! The device in use, and the Auto / WebGPU / CPU toggle.

use filterlab_protocol::DevicePref;
use leptos::prelude::*;

use crate::page::page;

#[component]
pub fn DeviceBar() -> impl IntoView {
    let page = page();
    let device = page.select(|s| s.worker.device.clone());
    let pref = page.select(|s| s.worker.pref);
    let training = page.select(|s| s.training());
    let button = move |to: DevicePref, id: &'static str, label: &'static str| {
        view! {
            <button data-testid=id class:active=move || pref.get() == to aria-pressed=move || (pref.get() == to).to_string()
                on:click=move |_| page.switch(to) prop:disabled=move || training.get()>{label}</button>
        }
    };
    view! {
        <div class="device-bar">
            <div data-testid="device" class="device" data-kind=move || device.get().map(|d| format!("{:?}", d.kind)).unwrap_or_default()>
                {move || match device.get() {
                    None => view! { <span class="name">"Device: starting…"</span> }.into_any(),
                    Some(d) => view! {
                        <span class="name">{format!("Device: {}", d.name)}</span>
                        <span class="note">{d.note.unwrap_or_default()}</span>
                    }.into_any(),
                }}
            </div>
            <div class="segmented" role="group" aria-label="Device">
                {button(DevicePref::Auto, "device-auto", "Auto")}
                {button(DevicePref::WebGpu, "device-webgpu", "WebGPU")}
                {button(DevicePref::Cpu, "device-cpu", "CPU")}
            </div>
        </div>
    }
}
