//! The page's lifecycle (src/lifecycle.rs) on both transports: into the
//! back/forward cache and back, a hidden page's pause, a frozen page's
//! resume. The browser's own events are dispatched by hand here (a
//! `PageTransitionEvent` with `persisted`, a `visibilitychange` with
//! `document.visibilityState` overridden, a `resume`); the real back/forward
//! cache, with a navigation, is tests/e2e/lifecycle.test.mjs. The rules
//! themselves are pinned by tests/data/lifecycle.json.
#![cfg(target_arch = "wasm32")]

mod browser_support;

use std::time::Duration;

use browser_support::*;
use wasm_bindgen_test::*;
use web_sse::{EventSource, EventStream, ReadyState, WhenHidden};

wasm_bindgen_test_configure!(run_in_browser);

/// Runs `code` in the page, as a function body.
fn page(code: &str) {
    js_sys::Function::new_no_args(code)
        .call0(&wasm_bindgen::JsValue::UNDEFINED)
        .expect("the page's script runs");
}

fn page_hide() {
    page("dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }))");
}

fn page_show() {
    page("dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }))");
}

/// Makes the document read `state` and tells it, as a tab switch would.
fn visibility(state: &str) {
    page(
        &[
            "Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => '",
            state,
            "' }); document.dispatchEvent(new Event('visibilitychange'))",
        ]
        .concat(),
    );
}

/// Each connection to /sse/drop sends three events from the last event ID
/// on, then holds; `lastEventId` carries the ID on both transports.
fn source(key: &str, when_hidden: WhenHidden) -> EventSource {
    let options = options()
        .last_event_id_param("lastEventId")
        .when_hidden(when_hidden);
    EventSource::with_options(&url("/sse/drop?n=3&hold=60000", key), &options).unwrap()
}

async fn expect_ids(stream: &mut EventStream, ids: std::ops::RangeInclusive<u32>) {
    for id in ids {
        let event = next_within(stream, 5000, "the next event").await;
        let event = event.expect("the stream goes on").expect("no error");
        assert_eq!(
            event.last_event_id(),
            id.to_string(),
            "no event lost or repeated"
        );
    }
}

#[wasm_bindgen_test]
async fn the_back_forward_cache_closes_and_resumes_from_the_last_id() {
    let key = unique_key("bfcache");
    let source = source(&key, WhenHidden::Stay);
    let (errors, _errors) = record_errors(&source);
    let mut events = source.messages();
    expect_ids(&mut events, 1..=3).await;

    page_hide();
    assert_eq!(source.ready_state(), ReadyState::Connecting);
    wait_for_stats(&key, 3000, "the connection closed", |s| s.open == 0).await;
    sleep(300).await;
    assert_eq!(
        stats(&key).await.connections,
        1,
        "no reconnection in the cache"
    );

    page_show();
    expect_ids(&mut events, 4..=6).await;
    let seen = stats(&key).await;
    assert_eq!(seen.connections, 2);
    assert_eq!(seen.last_event_ids[1].as_deref(), Some("3"));
    assert_eq!(source.ready_state(), ReadyState::Open);
    assert!(
        errors.borrow().is_empty(),
        "no error: {:?}",
        errors.borrow()
    );
}

#[wasm_bindgen_test]
async fn a_closed_source_stays_closed_after_the_cache() {
    let key = unique_key("bfcache-closed");
    let source = source(&key, WhenHidden::Stay);
    let mut events = source.messages();
    expect_ids(&mut events, 1..=3).await;
    page_hide();
    source.close();
    page_show();
    sleep(300).await;
    assert_eq!(source.ready_state(), ReadyState::Closed);
    assert_eq!(stats(&key).await.connections, 1);
}

#[wasm_bindgen_test]
async fn a_hidden_page_pauses_after_the_grace_period_and_resumes_when_visible() {
    let key = unique_key("hidden");
    let source = source(&key, WhenHidden::Pause(Duration::from_millis(200)));
    let (errors, _errors) = record_errors(&source);
    let mut events = source.messages();
    expect_ids(&mut events, 1..=3).await;

    // Back within the grace period: nothing closes.
    visibility("hidden");
    sleep(50).await;
    visibility("visible");
    sleep(300).await;
    let seen = stats(&key).await;
    assert_eq!((seen.connections, seen.open), (1, 1));

    visibility("hidden");
    wait_for_stats(&key, 3000, "the paused connection closed", |s| s.open == 0).await;
    assert_eq!(source.ready_state(), ReadyState::Connecting);
    visibility("visible");
    expect_ids(&mut events, 4..=6).await;
    let seen = stats(&key).await;
    assert_eq!(seen.connections, 2);
    assert_eq!(seen.last_event_ids[1].as_deref(), Some("3"));
    assert!(
        errors.borrow().is_empty(),
        "no error: {:?}",
        errors.borrow()
    );
}

#[wasm_bindgen_test]
async fn staying_connected_ignores_a_hidden_page() {
    let key = unique_key("hidden-stay");
    let source = source(&key, WhenHidden::Stay);
    let mut events = source.messages();
    expect_ids(&mut events, 1..=3).await;
    visibility("hidden");
    sleep(300).await;
    visibility("visible");
    let seen = stats(&key).await;
    assert_eq!((seen.connections, seen.open), (1, 1));
}

#[wasm_bindgen_test]
async fn a_resumed_page_reconnects_at_once() {
    let key = unique_key("resume");
    let source = source(&key, WhenHidden::Stay);
    let mut events = source.messages();
    expect_ids(&mut events, 1..=3).await;
    page("document.dispatchEvent(new Event('resume'))");
    expect_ids(&mut events, 4..=6).await;
    let seen = wait_for_stats(&key, 3000, "the stale connection closed", |s| s.open == 1).await;
    assert_eq!(seen.connections, 2);
    assert_eq!(seen.last_event_ids[1].as_deref(), Some("3"));
}

#[wasm_bindgen_test]
async fn a_dropped_source_no_longer_listens() {
    let key = unique_key("bfcache-dropped");
    let source = source(&key, WhenHidden::Stay);
    let mut events = source.messages();
    expect_ids(&mut events, 1..=3).await;
    drop((events, source));
    page_hide();
    page_show();
    sleep(300).await;
    assert_eq!(stats(&key).await.connections, 1);
}
