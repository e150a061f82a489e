//! The browser's idea of whether it is online. While it says offline, no
//! reconnection attempt can succeed, so the transports wait for the `online`
//! event instead of spending their attempts, and go at once when it fires.

use gloo_events::EventListener;
use wasm_bindgen::{JsCast, JsValue};

/// `navigator.onLine`; true where the global has no navigator.
pub(crate) fn is_online() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("navigator"))
        .and_then(|navigator| js_sys::Reflect::get(&navigator, &JsValue::from_str("onLine")))
        .ok()
        .and_then(|online| online.as_bool())
        .unwrap_or(true)
}

/// Calls `callback` on the global's `online` events (windows and workers
/// both fire them) until the returned handle is dropped.
pub(crate) fn on_online(callback: impl FnMut(&web_sys::Event) + 'static) -> Option<EventListener> {
    let global = js_sys::global().dyn_into::<web_sys::EventTarget>().ok()?;
    Some(EventListener::new(&global, "online", callback))
}
