//! The "web-sse Rust Stream" client of `npm run bench` (benches/browser):
//! a fetch-transport `EventSource` read through its `messages()` stream.

use futures::StreamExt;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sse::{EventSource, EventSourceOptions, Transport};

/// `performance.now()`, in a window or a worker.
fn now() -> f64 {
    let global = js_sys::global();
    if let Some(window) = global.dyn_ref::<web_sys::Window>() {
        if let Some(performance) = window.performance() {
            return performance.now();
        }
    }
    if let Some(worker) = global.dyn_ref::<web_sys::WorkerGlobalScope>() {
        if let Some(performance) = worker.performance() {
            return performance.now();
        }
    }
    js_sys::Date::now()
}

/// Opens a fetch-transport source at `url`, reads `n` events from
/// `source.messages()`, closes it, and returns `[elapsed ms, total data
/// bytes]`: the time from construction to the n-th event, and the data
/// lengths summed so that nothing is optimized away.
#[wasm_bindgen]
pub async fn stream_count(url: String, n: u32) -> Result<Box<[f64]>, JsError> {
    let start = now();
    let options = EventSourceOptions::new().transport(Transport::Fetch);
    let source = EventSource::with_options(&url, &options).map_err(|e| JsError::new(&e.to_string()))?;
    let mut messages = source.messages();
    let mut count = 0u32;
    let mut bytes = 0usize;
    while count < n {
        match messages.next().await {
            Some(Ok(event)) => {
                bytes += event.data().len();
                count += 1;
            }
            Some(Err(error)) => return Err(JsError::new(&format!("after {count} events: {error}"))),
            None => return Err(JsError::new(&format!("the stream ended after {count} events"))),
        }
    }
    let elapsed = now() - start;
    source.close();
    drop(messages);
    Ok(vec![elapsed, bytes as f64].into_boxed_slice())
}
