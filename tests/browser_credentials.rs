//! `withCredentials` across origins. The test page is served by the
//! wasm-bindgen test runner on another port of 127.0.0.1, so the fixture
//! server is cross-origin (but same-site, so the cookie is first-party).
#![cfg(target_arch = "wasm32")]

mod browser_support;

use browser_support::*;
use wasm_bindgen_test::*;
use web_sse::{EventSource, EventSourceOptions};

wasm_bindgen_test_configure!(run_in_browser);

async fn cookie_seen_by_server(key: &str, options: &EventSourceOptions) -> String {
    let source = EventSource::with_options(&url("/sse/cookie", key), options).unwrap();
    let mut events = source.subscribe(&["cookie"]);
    let event = next_within(&mut events, 3000, "the cookie report")
        .await
        .unwrap()
        .unwrap();
    event.into_data()
}

#[wasm_bindgen_test]
async fn the_cookie_is_sent_only_with_credentials() {
    let page = web_sys::window().unwrap().location().origin().unwrap();
    assert_ne!(
        page, BASE,
        "the page must be cross-origin to the fixture for this test"
    );

    let key = unique_key("cred");
    assert_eq!(fetch_text(&url("/set-cookie", &key), true).await, "set");

    let without = options();
    assert_eq!(
        cookie_seen_by_server(&key, &without).await,
        "none",
        "default: no credentials cross-origin"
    );

    let with = options().with_credentials(true);
    assert_eq!(
        cookie_seen_by_server(&key, &with).await,
        "yes",
        "with_credentials(true) sends the cookie"
    );

    let source = EventSource::with_options(&url("/sse/cookie", &key), &with).unwrap();
    assert!(source.with_credentials());
    let source = EventSource::with_options(&url("/sse/cookie", &key), &without).unwrap();
    assert!(!source.with_credentials());
}
