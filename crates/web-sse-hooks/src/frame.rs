//! One animation-frame callback, owned: dropping the handle cancels it and
//! frees its closure (no `Closure::forget`).

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// A pending (or already run) `requestAnimationFrame` callback.
pub(crate) struct Frame {
    id: i32,
    _closure: Closure<dyn FnMut()>,
}

impl Frame {
    /// Runs `f` once, in the next animation frame; `None` where there is no
    /// `window` or it refused, so the caller can run it at once instead.
    pub(crate) fn request(f: impl FnOnce() + 'static) -> Option<Frame> {
        let window = web_sys::window()?;
        let mut f = Some(f);
        let closure = Closure::<dyn FnMut()>::new(move || {
            if let Some(f) = f.take() {
                f();
            }
        });
        let id = window
            .request_animation_frame(closure.as_ref().unchecked_ref())
            .ok()?;
        Some(Frame {
            id,
            _closure: closure,
        })
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        // Cancelling a frame that already ran does nothing; one that has not
        // must not call into a freed closure.
        if let Some(window) = web_sys::window() {
            let _ = window.cancel_animation_frame(self.id);
        }
    }
}
