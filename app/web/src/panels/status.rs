//! What is happening (one line, announced to screen readers), the data's download, and what
//! went wrong with the way back it offers.

use filterlab_page::Failure;
use filterlab_protocol::DevicePref;
use leptos::prelude::*;

use crate::page::page;

#[component]
pub fn Status() -> impl IntoView {
    let page = page();
    let status = page.select(|s| s.messages.status.clone());
    let first_step_ms = page.select(|s| s.first_step_ms);
    let progress = page.select(|s| s.worker.progress);
    let data_ready = page.select(|s| s.worker.data_ready);
    view! {
        <div class="status-bar">
            <p data-testid="status" class="status" role="status" aria-live="polite"
                data-first-step-ms=move || first_step_ms.get().map(|ms| format!("{ms:.0}")).unwrap_or_default()>{move || status.get()}</p>
            <progress
                data-testid="data-progress"
                aria-label="MNIST download"
                max=move || progress.get().and_then(|p| p.total).unwrap_or(1) as f64
                value=move || progress.get().map(|p| p.loaded).unwrap_or(0) as f64
                class:hidden=move || data_ready.get()
            ></progress>
        </div>
    }
}

#[component]
pub fn Problems() -> impl IntoView {
    let page = page();
    let error = page.select(|s| s.messages.error.clone());
    let notice = page.select(|s| s.messages.notice.clone());
    let room = page.select(|s| s.room.as_ref().map(|r| r.offer()));
    let failure = page.select(|s| s.worker.failure);
    let data_ready = page.select(|s| s.worker.data_ready);
    let pref = move || page.state.with_untracked(|s| s.worker.pref);
    view! {
        <div data-testid="error" class="error" role="alert" class:hidden=move || error.get().is_none() data-shown=move || error.get().map(|_| "yes").unwrap_or_default()>
            <span>{move || error.get().unwrap_or_default()}</span>
            // The data or the device did not come up: the worker is alive, so try again.
            <button data-testid="retry" class:hidden=move || data_ready.get() || failure.get().is_some() on:click=move |_| page.switch(pref())>"Retry"</button>
            <button data-testid="continue-cpu" class:hidden=move || failure.get() != Some(Failure::DeviceLost) on:click=move |_| page.switch(DevicePref::Cpu)>"Continue on the CPU"</button>
            <button data-testid="restart" class:hidden=move || failure.get() != Some(Failure::Crashed) on:click=move |_| page.restart(pref(), true)>"Restart the worker"</button>
        </div>
        <div data-testid="notice" class="notice" role="status" class:hidden=move || notice.get().is_none()>
            <span>{move || notice.get().unwrap_or_default()}</span>
            // The storage is full: the oldest runs that make room, deleted with one click.
            {move || room.get().map(|offer| view! {
                <button data-testid="make-room" on:click=move |_| { let now = page.state.with_untracked(|s| s.opened_ms); page.act(|s| s.make_room(js_sys::Date::now() - now)) }>{offer}</button>
            })}
        </div>
    }
}
