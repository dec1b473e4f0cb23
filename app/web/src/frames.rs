//! Canvas redraws wait for the next animation frame: a burst of worker messages (one every few
//! milliseconds on a fast device) then costs one draw per frame, not one per message, and the
//! main thread keeps its frames short.

use std::{cell::Cell, rc::Rc};

use leptos::prelude::request_animation_frame;

/// Returns a function that schedules `draw` for the next animation frame, once however often it
/// is called before that frame.
pub fn on_next_frame(draw: impl Fn() + 'static) -> impl Fn() + Clone + 'static {
    let draw = Rc::new(draw);
    let pending = Rc::new(Cell::new(false));
    move || {
        if !pending.replace(true) {
            let (draw, pending) = (draw.clone(), pending.clone());
            request_animation_frame(move || {
                pending.set(false);
                draw();
            });
        }
    }
}
