//! A Rust app that uses web-sse on the native transport, and nothing else:
//! its optimized wasm is what the crate costs such an app (scripts/size.sh).

use futures::StreamExt;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub async fn run(url: String) -> Result<u32, JsValue> {
    let source = web_sse::EventSource::new(&url).map_err(|e| JsValue::from_str(&e.to_string()))?;
    let _open = source.on_open(|_| {});
    let _error = source.on_error(|e| { let _ = e.is_fatal(); });
    let _info = source.on("info", |e| { let _ = e.data().len(); });
    let mut events = source.subscribe(&["message", "info"]);
    let mut total = 0;
    while let Some(event) = events.next().await {
        total += event.map_err(|e| JsValue::from_str(&e.to_string()))?.data().len() as u32;
    }
    Ok(total)
}
