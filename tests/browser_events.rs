//! Receiving events from a real server: open, default and named events,
//! multi-line data, ids, and opening errors.
#![cfg(target_arch = "wasm32")]

mod browser_support;

use std::cell::RefCell;
use std::rc::Rc;

use browser_support::*;
use futures::stream::FusedStream;
use wasm_bindgen_test::*;
use web_sse::{is_supported, Error, MessageEvent, ReadyState};

wasm_bindgen_test_configure!(run_in_browser);

/// Takes `n` events from `stream`, each within 3 s, panicking on an error item.
async fn take_events(stream: &mut web_sse::EventStream, n: usize, what: &str) -> Vec<MessageEvent> {
    let mut events = Vec::new();
    for i in 0..n {
        let item = next_within(stream, 3000, what)
            .await
            .unwrap_or_else(|| panic!("{what}: stream ended after {i} events"));
        events.push(item.unwrap_or_else(|e| panic!("{what}: error item {e}")));
    }
    events
}

fn data(events: &[MessageEvent]) -> Vec<&str> {
    events.iter().map(|e| e.data()).collect()
}

#[wasm_bindgen_test]
fn is_supported_in_a_window() {
    assert!(is_supported());
}

#[wasm_bindgen_test]
async fn open_fires_and_ready_state_follows() {
    let key = unique_key("open");
    let address = url("/sse/messages?n=0", &key);
    let source = open(&address).unwrap();
    assert_eq!(source.ready_state(), ReadyState::Connecting);
    assert_eq!(source.url(), address);
    assert!(!source.with_credentials());

    let opened = Rc::new(RefCell::new(Vec::new()));
    let _open = source.on_open({
        let opened = opened.clone();
        move |_| opened.borrow_mut().push(())
    });
    wait_until(3000, "the open event", || !opened.borrow().is_empty()).await;
    sleep(100).await;
    assert_eq!(opened.borrow().len(), 1, "open fires once");
    // The raw object exists on the native transport only.
    if let Some(raw) = source.as_raw() {
        assert_eq!(raw.ready_state(), ReadyState::Open.as_u16());
    }
    assert_eq!(source.as_raw().is_some(), !is_fetch());
    assert_eq!(source.ready_state(), ReadyState::Open);
    let seen = stats(&key).await;
    assert_eq!(
        (seen.connections, seen.open),
        (1, 1),
        "one live connection on the server"
    );
}

#[wasm_bindgen_test]
async fn default_message_events_arrive_in_order() {
    let key = unique_key("messages");
    let source = open(&url("/sse/messages?n=3", &key)).unwrap();
    let mut messages = source.messages();
    let events = take_events(&mut messages, 3, "three messages").await;
    assert_eq!(data(&events), ["message 1", "message 2", "message 3"]);
    for event in &events {
        assert_eq!(event.event_type(), "message");
        assert_eq!(event.origin(), BASE, "origin is the fixture server's");
        assert_eq!(event.last_event_id(), "");
    }
    // The server stays open and sends nothing more.
    assert_quiet(&mut messages, 200, "after three messages").await;
    assert_eq!(source.ready_state(), ReadyState::Open);

    let owned = events.into_iter().next().unwrap().into_data();
    assert_eq!(owned, "message 1");
}

#[wasm_bindgen_test]
async fn named_events_reach_only_their_subscribers() {
    let key = unique_key("named");
    let source = open(&url("/sse/named", &key)).unwrap();
    let mut info = source.subscribe(&["info"]);
    let mut info_and_update = source.subscribe(&["info", "update"]);
    let mut messages = source.messages();
    let info_seen = Rc::new(RefCell::new(Vec::new()));
    let _info_listener = source.on("info", {
        let info_seen = info_seen.clone();
        move |event| info_seen.borrow_mut().push(event.data().to_owned())
    });

    let events = take_events(&mut info, 2, "two info events").await;
    assert_eq!(data(&events), ["first info", "second info"]);
    assert!(events.iter().all(|e| e.event_type() == "info"));

    let events = take_events(&mut info_and_update, 3, "info and update events").await;
    let types: Vec<_> = events.iter().map(|e| e.event_type()).collect();
    assert_eq!(
        types,
        ["info", "update", "info"],
        "one stream, arrival order"
    );
    assert_eq!(data(&events), ["first info", "an update", "second info"]);

    let events = take_events(&mut messages, 1, "the one message").await;
    assert_eq!(data(&events), ["a plain message"]);
    // Listeners run in registration order, and the browser runs the test's
    // continuation between two listeners of one event: wait for the last one.
    wait_until(1000, "the `on(\"info\")` listener", || {
        info_seen.borrow().len() >= 2
    })
    .await;
    assert_eq!(*info_seen.borrow(), ["first info", "second info"]);

    // Nothing else is queued for the message stream: named events are not messages.
    source.close();
    assert!(next_within(&mut messages, 1000, "the end after close")
        .await
        .is_none());
}

#[wasm_bindgen_test]
async fn multi_line_data_is_joined_with_newlines() {
    let key = unique_key("multiline");
    let source = open(&url("/sse/multiline", &key)).unwrap();
    let mut events = source.subscribe(&["message", "done"]);
    let got = take_events(&mut events, 3, "multi-line events").await;
    assert_eq!(got[0].data(), "line one\nline two\nline three");
    // CRLF endings, no space after the colon, and a trailing empty data line.
    assert_eq!(got[1].data(), "crlf one\ncrlf two\n");
    assert_eq!((got[2].event_type(), got[2].data()), ("done", "end"));
}

#[wasm_bindgen_test]
async fn ids_set_last_event_id_until_reset() {
    let key = unique_key("ids");
    let source = open(&url("/sse/ids", &key)).unwrap();
    let mut messages = source.messages();
    let got = take_events(&mut messages, 4, "events with ids").await;
    let pairs: Vec<_> = got.iter().map(|e| (e.data(), e.last_event_id())).collect();
    assert_eq!(
        pairs,
        [
            ("one", "id-1"),
            ("two", "id-1"),
            ("three", "id-3"),
            ("four", "")
        ],
        "an id persists until the next id field; an empty id resets it"
    );
}

#[wasm_bindgen_test]
async fn a_stream_from_a_closed_source_ends_at_once() {
    let key = unique_key("closed-first");
    let source = open(&url("/sse/messages?n=3", &key)).unwrap();
    source.close();
    assert_eq!(source.ready_state(), ReadyState::Closed);
    let mut messages = source.messages();
    assert!(
        next_within(&mut messages, 500, "the end of a stream of a closed source")
            .await
            .is_none()
    );
    assert!(messages.is_terminated());
    let mut several = source.subscribe(&["info", "update"]);
    assert!(
        next_within(&mut several, 500, "the end of a multi-type stream")
            .await
            .is_none()
    );
}

#[wasm_bindgen_test]
fn an_invalid_url_is_an_error_not_a_panic() {
    let bad = "http://[not-a-host/events";
    match open(bad) {
        Err(Error::InvalidUrl { url, message }) => {
            assert_eq!(url, bad);
            assert!(!message.is_empty(), "the browser's explanation is kept");
        }
        other => panic!("expected Error::InvalidUrl, got {other:?}"),
    }
    let shown = open(bad).unwrap_err().to_string();
    assert!(shown.contains(bad), "the message names the URL: {shown}");
}
