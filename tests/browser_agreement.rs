//! Where the spec speaks, the fetch transport does what the browser's
//! `EventSource` does: the server's `retry:` paces a server that ends each
//! response, a CORS refusal is fatal, resuming works with servers set up for
//! `EventSource`, and large events arrive whole. The suite runs on both
//! transports; the fetch-only parts say why.
#![cfg(target_arch = "wasm32")]

mod browser_support;

use browser_support::*;
use wasm_bindgen_test::*;
use web_sse::{Error, EventSource, EventStream, ReadyState};

wasm_bindgen_test_configure!(run_in_browser);

fn open_with(url: &str, options: web_sse::EventSourceOptions) -> EventSource {
    EventSource::with_options(url, &options).expect("the source opens")
}

/// The next item, which must be an event with this ID and data.
async fn expect_event(events: &mut EventStream, id: u32, data: &str) {
    match next_within(events, 10_000, "the next event").await {
        Some(Ok(event)) => {
            assert_eq!(
                (event.last_event_id(), event.data()),
                (id.to_string().as_str(), data)
            );
        }
        other => panic!("expected event {id}, got {other:?}"),
    }
}

/// The next item, which must be the fatal CORS error; then the end.
#[cfg(feature = "fetch")]
async fn expect_cors(source: &EventSource, events: &mut EventStream, headers: &str) {
    match next_within(events, 15_000, "the CORS error").await {
        Some(Err(Error::Cors { url, headers: got })) => {
            assert!(url.starts_with(BASE), "{url}");
            assert_eq!(got, headers);
        }
        other => panic!("expected Error::Cors, got {other:?}"),
    }
    assert!(next_within(events, 1_000, "the end").await.is_none());
    assert_eq!(source.ready_state(), ReadyState::Closed);
}

#[wasm_bindgen_test]
async fn a_server_that_ends_each_response_is_reconnected_at_its_retry() {
    // 2,000 events, 100 per response, `retry: 50`: every event once, in
    // order, and never a wait that a growing backoff would make.
    let key = unique_key("agree-retry");
    let source = open_with(&url("/sse/drop?n=100&retry=50", &key), options());
    let mut events = source.messages();
    within(60_000, "2,000 events", async {
        for id in 1..=2_000 {
            expect_event(&mut events, id, &format!("event {id}")).await;
        }
    })
    .await;
    source.close();
    let seen = stats(&key).await;
    assert!(seen.connections >= 20, "{seen:?}");
    if !is_fetch() {
        // The browser's own pace: Chromium waits the 50 ms, Firefox never
        // less than 500 ms.
        return;
    }
    let gaps = seen.gaps();
    assert!(
        gaps[..19].iter().all(|gap| *gap <= 250.0),
        "a wait over 250 ms between responses: {gaps:?}"
    );
}

#[cfg(feature = "fetch")]
#[wasm_bindgen_test]
async fn a_cross_origin_response_without_allow_origin_is_fatal() {
    if !is_fetch() {
        // The browser's EventSource fails for good by itself
        // (browser_failure covers native refusals).
        return;
    }
    let key = unique_key("agree-cors");
    let source = open(&url("/sse/drop?n=1&cors=none", &key)).unwrap();
    let mut events = source.messages();
    expect_cors(&source, &mut events, "").await;
    // The request, and the probe that told a refusal from the network.
    let seen = stats(&key).await;
    assert_eq!(seen.connections, 2, "{seen:?}");
    sleep(500).await;
    assert_eq!(
        stats(&key).await.connections,
        2,
        "no retry after the refusal"
    );
}

#[wasm_bindgen_test]
async fn an_unreachable_port_still_reconnects() {
    if !is_fetch() {
        return;
    }
    let policy = web_sse::ReconnectPolicy::new()
        .base(std::time::Duration::from_millis(20))
        .cap(std::time::Duration::from_millis(40));
    // Port 9 (discard) refuses connections here: a network failure.
    let source = open_with(
        "http://127.0.0.1:9/events",
        options().reconnect(Some(policy)),
    );
    wait_until(10_000, "three attempts", || source.state().attempt >= 3).await;
    let state = source.state();
    assert_eq!(state.ready_state, ReadyState::Connecting);
    assert!(
        matches!(state.last_error, Some(Error::Network { .. })),
        "{state:?}"
    );
    source.close();
}

#[wasm_bindgen_test]
async fn resuming_from_a_server_set_up_for_event_source_uses_the_query() {
    // The server allows the origin but answers no preflight, as a server set
    // up for the browser's EventSource does. It cuts each response 100 ms
    // after its event: a cut at once can lose the event in flight (Chromium
    // then fails the read before handing the bytes over), and the test is
    // about the resume, not about that. With the ID in the query, a
    // cross-origin resume needs no preflight.
    let key = unique_key("agree-param");
    let source = open_with(
        &url("/sse/drop?n=1&hold=100&retry=50&cors=origin", &key),
        options().last_event_id_param("lastEventId"),
    );
    let mut events = source.messages();
    for id in 1..=3 {
        expect_event(&mut events, id, &format!("event {id}")).await;
    }
    source.close();
    if !is_fetch() {
        // Native resumes with its own header, which needs no preflight.
        return;
    }
    let seen = stats(&key).await;
    assert_eq!(
        seen.last_event_ids[..3],
        [None, Some("1".into()), Some("2".into())],
        "{seen:?}"
    );
}

#[cfg(feature = "fetch")]
#[wasm_bindgen_test]
async fn a_refused_preflight_for_last_event_id_is_one_typed_error() {
    if !is_fetch() {
        return;
    }
    let key = unique_key("agree-preflight");
    let source = open(&url("/sse/drop?n=1&hold=100&retry=50&cors=origin", &key)).unwrap();
    let mut events = source.messages();
    expect_event(&mut events, 1, "event 1").await;
    expect_cors(&source, &mut events, "Last-Event-ID").await;
    // The first response, and the probe: the refused preflight reaches no
    // route.
    let seen = stats(&key).await;
    assert_eq!(seen.connections, 2, "{seen:?}");
    sleep(500).await;
    assert_eq!(stats(&key).await.connections, 2, "the source does not spin");
}

#[wasm_bindgen_test]
async fn a_20_mib_event_arrives_whole_in_one_write_and_split_at_random() {
    for split in ["one", "random"] {
        let key = unique_key("agree-big");
        let size = 20 << 20;
        let source = open(&url(&format!("/sse/big?size={size}&split={split}"), &key)).unwrap();
        let mut events = source.messages();
        match next_within(&mut events, 60_000, "the 20 MiB event").await {
            Some(Ok(event)) => {
                assert_eq!(event.data().len(), size, "split {split}");
                assert!(event.data().bytes().all(|b| b == b'x'), "split {split}");
            }
            other => panic!("split {split}: expected the event, got {other:?}"),
        }
        expect_event(&mut events, 2, "after").await;
        source.close();
    }
}

#[wasm_bindgen_test]
async fn a_set_size_limit_skips_a_larger_event_in_order() {
    if !is_fetch() {
        // The browser has no limit.
        return;
    }
    let key = unique_key("agree-limit");
    let source = open_with(
        &url("/sse/big?size=2000000&split=random", &key),
        options().max_event_size(Some(1 << 20)),
    );
    let mut events = source.messages();
    match next_within(&mut events, 20_000, "the size error").await {
        Some(Err(Error::Parse { .. })) => {}
        other => panic!("expected a parse error for the 2 MB event, got {other:?}"),
    }
    expect_event(&mut events, 2, "after").await;
    source.close();
}
