//! What only the fetch transport does, against the fixture server: methods,
//! headers and bodies, errors that carry the response's facts, statuses
//! retried on request, and lossless resumption with `Last-Event-ID`.
#![cfg(all(target_arch = "wasm32", feature = "fetch"))]

mod browser_support;

use browser_support::*;
use futures::stream::FusedStream;
use wasm_bindgen_test::*;
use web_sse::{Error, ErrorEvent, EventSource, EventSourceOptions, ReadyState, Transport};

wasm_bindgen_test_configure!(run_in_browser);

fn fetch() -> EventSourceOptions {
    EventSourceOptions::new().transport(Transport::Fetch)
}

#[wasm_bindgen_test]
async fn custom_headers_and_a_post_body_arrive() {
    let key = unique_key("echo");
    let options = fetch()
        .method("POST")
        .header("Authorization", "Bearer secret-token")
        .header("X-Custom", "yes")
        .header("Content-Type", "application/json")
        .body(r#"{"topic":"prices"}"#);
    let source = EventSource::with_options(&url("/sse/echo", &key), &options).unwrap();
    assert!(
        source.as_raw().is_none(),
        "no native object on the fetch transport"
    );
    let mut echo = source.subscribe(&["echo"]);
    let event = next_within(&mut echo, 3000, "the echo")
        .await
        .expect("an echo event")
        .expect("not an error");
    let text = event.data();
    assert_eq!(
        json_field(text, "method").as_string().as_deref(),
        Some("POST"),
        "{text}"
    );
    assert_eq!(
        json_field(text, "body").as_string().as_deref(),
        Some(r#"{"topic":"prices"}"#),
        "{text}"
    );
    let headers = json_field(text, "headers");
    let header = |name: &str| {
        js_sys::Reflect::get(&headers, &name.into())
            .ok()
            .and_then(|v| v.as_string())
    };
    assert_eq!(
        header("authorization").as_deref(),
        Some("Bearer secret-token"),
        "{text}"
    );
    assert_eq!(header("x-custom").as_deref(), Some("yes"), "{text}");
    assert_eq!(
        header("accept").as_deref(),
        Some("text/event-stream"),
        "{text}"
    );
    assert_eq!(
        header("last-event-id"),
        None,
        "no Last-Event-ID on the first request: {text}"
    );
}

#[wasm_bindgen_test]
async fn a_reset_mid_event_discards_the_partial_event_and_resumes_from_the_last_id() {
    let key = unique_key("reset");
    let source = EventSource::with_options(&url("/sse/reset?n=3", &key), &fetch()).unwrap();
    let (errors, _errors) = record_errors(&source);
    let mut events = source.messages();
    let mut seen = Vec::new();
    for _ in 0..9 {
        let event = next_within(&mut events, 5000, "the events across the resets")
            .await
            .expect("the stream goes on")
            .expect("no error item: a reset is a reconnect");
        seen.push((event.last_event_id().to_owned(), event.data().to_owned()));
    }
    let expected: Vec<(String, String)> = (1..=9)
        .map(|id| (id.to_string(), format!("event {id}")))
        .collect();
    assert_eq!(
        seen, expected,
        "every complete event once, in order; no partial one"
    );
    let stats = stats(&key).await;
    assert_eq!(
        &stats.last_event_ids[..3],
        [None, Some("3".to_owned()), Some("6".to_owned())],
        "Last-Event-ID after each forced disconnect"
    );
    let errors = errors.borrow().clone();
    assert!(errors.len() >= 2, "{errors:?}");
    assert!(errors.iter().all(ErrorEvent::is_reconnecting), "{errors:?}");
}

#[wasm_bindgen_test]
async fn two_thousand_events_over_twenty_drops_arrive_exactly_once_in_order() {
    let key = unique_key("resume");
    // The spec's fixed `retry:` delay: under the default backoff, twenty
    // drops in a second would climb to its 30 s cap (see browser_policy.rs).
    let source = EventSource::with_options(
        &url("/sse/resume?total=2000&drops=20", &key),
        &fetch().reconnect(None),
    )
    .unwrap();
    let mut events = source.messages();
    for expected in 1..=2000u32 {
        let event = next_within(&mut events, 5000, "the next resumed event")
            .await
            .expect("the stream goes on")
            .expect("no error item");
        assert_eq!(event.data(), expected.to_string(), "in order, exactly once");
        assert_eq!(event.last_event_id(), expected.to_string());
    }
    assert_quiet(&mut events, 300, "after the 2000th event").await;
    let stats = stats(&key).await;
    assert!(
        stats.connections >= 21,
        "20 drops, 21 connections at least: {stats:?}"
    );
}

#[wasm_bindgen_test]
async fn a_401_carries_its_status_content_type_and_body() {
    let key = unique_key("401");
    let address = url("/sse/unauthorized", &key);
    let source = EventSource::with_options(&address, &fetch()).unwrap();
    let (errors, _errors) = record_errors(&source);
    let mut events = source.messages();
    let error = next_within(&mut events, 3000, "the fatal error")
        .await
        .expect("an item")
        .expect_err("an error item");
    match &error {
        Error::Http {
            url,
            status,
            status_text,
            content_type,
            body,
        } => {
            assert_eq!((url.as_str(), *status), (address.as_str(), 401));
            assert_eq!(status_text, "Unauthorized");
            assert_eq!(content_type.as_deref(), Some("application/json"));
            assert_eq!(
                json_field(body, "error").as_string().as_deref(),
                Some("token expired")
            );
        }
        other => panic!("expected Error::Http, got {other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.contains("401") && message.contains("retry_on_status"),
        "{message}"
    );
    assert!(next_within(&mut events, 1000, "the end").await.is_none());
    assert!(events.is_terminated());
    assert_eq!(source.ready_state(), ReadyState::Closed);
    let errors = errors.borrow().clone();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].is_fatal());
    assert_eq!(errors[0].error(), Some(&error));
}

#[wasm_bindgen_test]
async fn an_error_body_is_cut_at_one_kib() {
    let key = unique_key("big-error");
    let source = EventSource::with_options(&url("/sse/big-error", &key), &fetch()).unwrap();
    let mut events = source.messages();
    match next_within(&mut events, 3000, "the fatal error").await {
        Some(Err(Error::Http { status, body, .. })) => {
            assert_eq!(status, 500);
            assert_eq!(body.len(), 1024);
        }
        other => panic!("expected Error::Http, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn a_status_chosen_for_retry_reconnects_instead_of_failing() {
    let key = unique_key("retry-503");
    let options = fetch().retry_on_status(503);
    let source =
        EventSource::with_options(&url("/sse/then-fail?code=503", &key), &options).unwrap();
    let (errors, _errors) = record_errors(&source);
    let mut events = source.messages();
    let first = next_within(&mut events, 3000, "the one event")
        .await
        .expect("an item")
        .expect("an event");
    assert_eq!(first.data(), "only event");
    wait_until(5000, "two retried 503s", || {
        errors
            .borrow()
            .iter()
            .filter(|e| matches!(e.error(), Some(Error::Http { status: 503, .. })))
            .count()
            >= 2
    })
    .await;
    assert!(errors.borrow().iter().all(ErrorEvent::is_reconnecting));
    assert_ne!(source.ready_state(), ReadyState::Closed);
    assert_quiet(&mut events, 200, "a retried status is not a stream item").await;
    source.close();
    assert!(next_within(&mut events, 1000, "the end after close")
        .await
        .is_none());
}

#[wasm_bindgen_test]
async fn a_refused_connection_reconnects_with_a_network_error() {
    let source = EventSource::with_options("http://127.0.0.1:1/refused", &fetch()).unwrap();
    let (errors, _errors) = record_errors(&source);
    wait_until(3000, "the network error", || !errors.borrow().is_empty()).await;
    let first = errors.borrow()[0].clone();
    assert!(first.is_reconnecting(), "{first:?}");
    assert!(
        matches!(first.error(), Some(Error::Network { .. })),
        "{first:?}"
    );
    source.close();
    assert_eq!(source.ready_state(), ReadyState::Closed);
}

#[wasm_bindgen_test]
fn a_request_the_browser_cannot_build_fails_at_once() {
    let options = fetch().body("a body on a GET");
    match EventSource::with_options("/events", &options) {
        Err(Error::Js { name, .. }) => assert_eq!(name, "TypeError"),
        other => panic!("expected a TypeError, got {other:?}"),
    }
    match EventSource::with_options("http://[::1", &fetch()) {
        Err(Error::InvalidUrl { url, .. }) => assert_eq!(url, "http://[::1"),
        other => panic!("expected InvalidUrl, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn an_event_over_the_size_limit_is_an_error_item_and_the_stream_goes_on() {
    let key = unique_key("huge");
    let address = url("/sse/huge", &key);
    // A limit under the 1.1 MiB event (the default, 32 MiB, lets it through).
    let source =
        EventSource::with_options(&address, &fetch().max_event_size(Some(1 << 20))).unwrap();
    let mut events = source.messages();
    let what = "the events around the huge one";
    let first = next_within(&mut events, 5000, what).await;
    assert_eq!(first.expect("an item").expect("an event").data(), "before");
    match next_within(&mut events, 5000, what).await {
        Some(Err(Error::Parse { url, error })) => {
            assert_eq!(url, address);
            assert!(error.to_string().contains("limit"), "{error}");
        }
        other => panic!("expected Error::Parse, got {other:?}"),
    }
    let last = next_within(&mut events, 5000, what).await;
    assert_eq!(
        last.expect("an item").expect("the stream goes on").data(),
        "after"
    );
    assert_eq!(source.ready_state(), ReadyState::Open);
}
