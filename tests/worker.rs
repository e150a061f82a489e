//! `is_supported` and opening a source where there is no `window`.
#![cfg(target_arch = "wasm32")]

use futures::StreamExt;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use web_sse::{is_supported, Error, EventSource, ReadyState};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn fixture(path: &str) -> String {
    let base = option_env!("WEB_SSE_FIXTURE").unwrap_or("http://127.0.0.1:8787");
    format!("{base}{path}")
}

#[wasm_bindgen_test]
fn worker_has_no_window_but_has_event_source() {
    let global = js_sys::global();
    let window = js_sys::Reflect::get(&global, &JsValue::from_str("window")).unwrap();
    assert!(window.is_undefined(), "this test must run in a worker");
    assert!(is_supported());
}

#[wasm_bindgen_test]
fn missing_constructor_is_unsupported_not_a_panic() {
    let global = js_sys::global();
    let key = JsValue::from_str("EventSource");
    let saved = js_sys::Reflect::get(&global, &key).unwrap();
    js_sys::Reflect::set(&global, &key, &JsValue::UNDEFINED).unwrap();
    let supported = is_supported();
    let opened = EventSource::new("/events");
    js_sys::Reflect::set(&global, &key, &saved).unwrap();

    assert!(!supported);
    assert_eq!(opened.err(), Some(Error::Unsupported));
    assert!(is_supported(), "the constructor was restored");
}

#[wasm_bindgen_test]
async fn close_in_a_worker_ends_the_stream() {
    let source = EventSource::new(&fixture("/worker-never-sends")).unwrap();
    assert_eq!(source.ready_state(), ReadyState::Connecting);
    let mut events = source.messages();
    source.close();
    assert_eq!(source.ready_state(), ReadyState::Closed);
    assert!(events.next().await.is_none());
}

#[cfg(feature = "fetch")]
#[wasm_bindgen_test]
async fn the_fetch_transport_works_in_a_worker() {
    use web_sse::{EventSourceOptions, Transport};

    let options = EventSourceOptions::new().transport(Transport::Fetch);
    let key = format!("worker-fetch-{}", js_sys::Math::random());
    let source =
        EventSource::with_options(&fixture(&format!("/sse/messages?n=2&key={key}")), &options)
            .unwrap();
    assert!(source.as_raw().is_none());
    let mut events = source.messages();
    for n in 1..=2 {
        let event = events.next().await.expect("an item").expect("an event");
        assert_eq!(event.data(), format!("message {n}"));
    }
    source.close();
    assert!(events.next().await.is_none());
}
