//! The browser's own reconnection: `retry`, `Last-Event-ID`, and how a
//! transient drop differs from the end in streams and error listeners.
#![cfg(target_arch = "wasm32")]

mod browser_support;

use std::cell::RefCell;
use std::rc::Rc;

use browser_support::*;
use futures::stream::FusedStream;
use wasm_bindgen_test::*;
use web_sse::ReadyState;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn reconnect_sends_last_event_id_after_retry() {
    let key = unique_key("reconnect");
    let source = open(&url("/sse/reconnect?retry=50", &key)).unwrap();
    let errors = Rc::new(RefCell::new(Vec::new()));
    let _errors = source.on_error({
        let errors = errors.clone();
        move |e| errors.borrow_mut().push(e.ready_state())
    });
    let opens = Rc::new(RefCell::new(0));
    let _opens = source.on_open({
        let opens = opens.clone();
        move |_| *opens.borrow_mut() += 1
    });
    let mut events = source.subscribe(&["message", "reconnected"]);

    let first = next_within(&mut events, 3000, "the event before the drop")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (first.data(), first.last_event_id()),
        ("before reconnect", "evt-41")
    );

    // The server ends the response; the stream does not end, it waits.
    let second = next_within(&mut events, 3000, "the event after the reconnect")
        .await
        .expect("a transient drop does not end the stream")
        .expect("a transient drop is not an error item");
    assert_eq!(second.event_type(), "reconnected");
    assert_eq!(second.last_event_id(), "evt-42");
    assert_eq!(
        json_field(second.data(), "lastEventId")
            .as_string()
            .as_deref(),
        Some("evt-41"),
        "the browser sent Last-Event-ID: {}",
        second.data()
    );
    let gap = json_field(second.data(), "gapMs").as_f64().unwrap();
    // retry: 50 was honoured; the browsers' defaults are 3 s (Chrome) and 5 s (Firefox).
    assert!(
        gap < 2000.0,
        "reconnected {gap} ms after the drop, expected about 50 ms"
    );

    let seen = stats(&key).await;
    assert_eq!(seen.last_event_ids, [None, Some("evt-41".to_owned())]);
    assert_eq!(
        *errors.borrow(),
        [ReadyState::Connecting],
        "one transient error, no fatal one"
    );
    assert_eq!(*opens.borrow(), 2, "open fires again after the reconnect");
    assert_eq!(source.ready_state(), ReadyState::Open);
    assert!(!events.is_terminated());
}

#[wasm_bindgen_test]
async fn a_long_retry_delays_the_reconnect() {
    let key = unique_key("long-retry");
    let source = open(&url("/sse/reconnect?retry=60000", &key)).unwrap();
    let mut events = source.messages();
    let first = next_within(&mut events, 3000, "the first event")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.data(), "before reconnect");
    wait_until(3000, "the drop to be seen", || {
        source.ready_state() == ReadyState::Connecting
    })
    .await;
    // Longer than Chrome's 3 s default: only the retry field keeps it waiting.
    assert_quiet(&mut events, 3500, "while waiting 60 s to reconnect").await;
    let seen = stats(&key).await;
    assert_eq!(seen.connections, 1, "no reconnect yet: {seen:?}");
    assert_eq!(source.ready_state(), ReadyState::Connecting);
    source.close();
    assert!(next_within(&mut events, 1000, "the end after close")
        .await
        .is_none());
}

#[wasm_bindgen_test]
async fn a_failed_reconnect_ends_the_stream_after_its_events() {
    let key = unique_key("then-fail");
    let address = url("/sse/then-fail?code=404", &key);
    let source = open(&address).unwrap();
    let errors = Rc::new(RefCell::new(Vec::new()));
    let _errors = source.on_error({
        let errors = errors.clone();
        move |e| {
            errors
                .borrow_mut()
                .push((e.is_reconnecting(), e.is_fatal()))
        }
    });
    let mut events = source.messages();

    let only = next_within(&mut events, 3000, "the one event")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(only.data(), "only event");
    match next_within(&mut events, 3000, "the fatal error item").await {
        Some(Err(error)) => assert_refused(&error, &address, Some(404)),
        other => panic!("expected an error item, got {other:?}"),
    }
    assert!(
        next_within(&mut events, 1000, "the end after the fatal error")
            .await
            .is_none()
    );
    assert!(events.is_terminated());
    assert_eq!(source.ready_state(), ReadyState::Closed);
    assert_eq!(
        *errors.borrow(),
        [(true, false), (false, true)],
        "first transient, then fatal"
    );
    assert_eq!(stats(&key).await.connections, 2);
}
