//! The draw pad: mouse, pen or touch through pointer events; white ink on black, as MNIST.
//! When a stroke ends, the raw pixels go to the worker, which makes them MNIST-like and classifies.

use std::cell::Cell;

use filterlab_protocol::ToWorker;
use leptos::{html, prelude::*};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, PointerEvent};

use crate::worker;

pub const SIZE: u32 = 280;

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

fn clear(canvas: &HtmlCanvasElement) {
    if let Some(ctx) = context(canvas) {
        ctx.set_fill_style_str("black");
        ctx.fill_rect(0.0, 0.0, SIZE as f64, SIZE as f64);
    }
}

/// Pointer position in canvas pixels, whatever size CSS gives the canvas.
fn position(canvas: &HtmlCanvasElement, ev: &PointerEvent) -> (f64, f64) {
    let rect = canvas.get_bounding_client_rect();
    let sx = SIZE as f64 / rect.width().max(1.0);
    let sy = SIZE as f64 / rect.height().max(1.0);
    ((ev.client_x() as f64 - rect.left()) * sx, (ev.client_y() as f64 - rect.top()) * sy)
}

thread_local! {
    /// The last drawing sent, so the page can ask again when the model changes.
    static LAST: std::cell::RefCell<Option<ToWorker>> = const { std::cell::RefCell::new(None) };
}

fn send_drawing(canvas: &HtmlCanvasElement) {
    let Some(ctx) = context(canvas) else { return };
    let Ok(image) = ctx.get_image_data(0.0, 0.0, SIZE as f64, SIZE as f64) else { return };
    // RGBA → one intensity per pixel (the ink is white, so red is enough).
    let ink: Vec<u8> = image.data().0.chunks_exact(4).map(|p| p[0]).collect();
    let message = ToWorker::Classify { width: SIZE, height: SIZE, ink };
    LAST.with(|l| *l.borrow_mut() = Some(message.clone()));
    worker::send(message);
}

/// Classifies the last drawing again (after an epoch, the feature maps follow the model).
pub fn resend() {
    if let Some(message) = LAST.with(|l| l.borrow().clone()) {
        worker::send(message);
    }
}

#[component]
pub fn DrawPad(on_clear: impl Fn() + 'static) -> impl IntoView {
    let canvas = NodeRef::<html::Canvas>::new();
    let drawing = std::rc::Rc::new(Cell::new(false));
    // The kind of pointer of the last stroke ("mouse", "pen", "touch"): shown to the tests.
    let (pointer, set_pointer) = signal(String::new());
    Effect::new(move |_| {
        if let Some(c) = canvas.get() {
            clear(&c);
        }
    });
    let (down, moving, up) = (drawing.clone(), drawing.clone(), drawing);
    view! {
        <canvas
            node_ref=canvas
            data-testid="draw-pad"
            class="pad"
            width=SIZE
            height=SIZE
            data-pointer=move || pointer.get()
            on:pointerdown=move |ev: PointerEvent| {
                set_pointer.set(ev.pointer_type());
                let Some(c) = canvas.get() else { return };
                let _ = c.set_pointer_capture(ev.pointer_id());
                let Some(ctx) = context(&c) else { return };
                let (x, y) = position(&c, &ev);
                ctx.set_stroke_style_str("white");
                // About MNIST's stroke width once the digit is scaled to 20 px.
                ctx.set_line_width(22.0);
                ctx.set_line_cap("round");
                ctx.set_line_join("round");
                ctx.begin_path();
                ctx.move_to(x, y);
                ctx.line_to(x + 0.1, y + 0.1);
                ctx.stroke();
                down.set(true);
            }
            on:pointermove=move |ev: PointerEvent| {
                if !moving.get() { return }
                let Some(c) = canvas.get() else { return };
                let Some(ctx) = context(&c) else { return };
                let (x, y) = position(&c, &ev);
                ctx.line_to(x, y);
                ctx.stroke();
            }
            on:pointerup=move |_| {
                if up.replace(false) {
                    if let Some(c) = canvas.get() { send_drawing(&c) }
                }
            }
        ></canvas>
        <button data-testid="clear" on:click=move |_| {
            LAST.with(|l| *l.borrow_mut() = None);
            if let Some(c) = canvas.get() { clear(&c) }
            on_clear();
        }>"Clear"</button>
    }
}
