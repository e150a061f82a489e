//! Clean ends (`end_on`, truncated answers), comments, and `reconnect()`,
//! against the fixture's `/sse/chat` (a chat model's answer that ends with
//! `data: [DONE]` and then stays open) and its request record.
//!
//! The clean ends and comments are the fetch transport's; `reconnect()` runs
//! on the transport under test.
#![cfg(target_arch = "wasm32")]

mod browser_support;

use std::cell::RefCell;
use std::rc::Rc;

use browser_support::*;
use futures::StreamExt;
use wasm_bindgen_test::*;
use web_sse::{Error, EventSource, EventSourceOptions, EventStream, ReadyState};

wasm_bindgen_test_configure!(run_in_browser);

/// Every item until the stream ends, which must be within `ms`.
#[cfg_attr(not(feature = "fetch"), allow(dead_code))] // every caller is a fetch test
async fn drain(stream: &mut EventStream, ms: u32, what: &str) -> Vec<Result<String, Error>> {
    within(ms, what, async {
        let mut items = Vec::new();
        while let Some(item) = stream.next().await {
            items.push(item.map(|event| event.data().to_owned()));
        }
        items
    })
    .await
}

fn log() -> Rc<RefCell<Vec<String>>> {
    Rc::new(RefCell::new(Vec::new()))
}

#[cfg(feature = "fetch")]
mod ends {
    use super::*;
    use web_sse::{EndOn, Transport};

    fn chat(end: EndOn) -> EventSourceOptions {
        EventSourceOptions::new()
            .transport(Transport::Fetch)
            .end_on(end)
    }

    /// The errors error listeners hear, in order.
    fn errors_of(source: &EventSource) -> (Rc<RefCell<Vec<Option<Error>>>>, web_sse::Listener) {
        let errors = Rc::new(RefCell::new(Vec::new()));
        let listener = source.on_error({
            let errors = errors.clone();
            move |event| errors.borrow_mut().push(event.error().cloned())
        });
        (errors, listener)
    }

    #[wasm_bindgen_test]
    async fn done_closes_the_source_though_the_server_keeps_the_connection_open() {
        let key = unique_key("ends-done");
        let source =
            EventSource::with_options(&url("/sse/chat?n=3", &key), &chat(EndOn::data("[DONE]")))
                .unwrap();
        let (errors, _errors) = errors_of(&source);
        let states = Rc::new(RefCell::new(Vec::new()));
        let _states = source.on_state_change({
            let states = states.clone();
            move |state| {
                states
                    .borrow_mut()
                    .push((state.ready_state, state.finished))
            }
        });
        let mut messages = source.messages();
        let items = drain(&mut messages, 5000, "the end at [DONE]").await;
        assert_eq!(
            items,
            [
                Ok("token 1".into()),
                Ok("token 2".into()),
                Ok("token 3".into())
            ],
            "the sentinel is not delivered, and the stream ends after it"
        );
        assert_eq!(source.ready_state(), ReadyState::Closed);
        assert!(source.state().finished);
        assert_eq!(states.borrow().last(), Some(&(ReadyState::Closed, true)));
        assert!(
            errors.borrow().is_empty(),
            "no error: {:?}",
            errors.borrow()
        );
        // The server never ends that response: the source aborted it.
        wait_for_stats(&key, 3000, "the answer's connection closed", |s| {
            s.open == 0
        })
        .await;
        sleep(400).await;
        let seen = stats(&key).await;
        assert_eq!(seen.connections, 1, "no reconnect after the end: {seen:?}");
    }

    #[wasm_bindgen_test]
    async fn an_event_sentinel_can_be_delivered_before_the_end() {
        let key = unique_key("ends-event");
        let options = chat(EndOn::event("end").delivered(true));
        let source =
            EventSource::with_options(&url("/sse/chat?n=2&sentinel=event", &key), &options)
                .unwrap();
        let mut events = source.subscribe(&["message", "end"]);
        let items = drain(&mut events, 5000, "the end at the end event").await;
        assert_eq!(
            items,
            [Ok("token 1".into()), Ok("token 2".into()), Ok("bye".into())]
        );
        assert!(source.state().finished);
    }

    #[wasm_bindgen_test]
    async fn a_predicate_ends_the_source() {
        let key = unique_key("ends-when");
        let options = chat(EndOn::when(|event| event.data == "token 2"));
        let source = EventSource::with_options(&url("/sse/chat?n=5", &key), &options).unwrap();
        let mut messages = source.messages();
        let items = drain(&mut messages, 5000, "the end at token 2").await;
        assert_eq!(items, [Ok("token 1".into())]);
        assert!(source.state().finished);
    }

    /// A response that ends (`how`) after event 2 of 3: truncated, then the
    /// resumption from ID 2 finishes the answer.
    async fn truncated(how: &str) -> Vec<Option<Error>> {
        let key = unique_key(&format!("ends-truncated-{how}"));
        let source = EventSource::with_options(
            &url(&format!("/sse/chat?n=3&cut=2&how={how}"), &key),
            &chat(EndOn::data("[DONE]")),
        )
        .unwrap();
        let (errors, _errors) = errors_of(&source);
        let mut messages = source.messages();
        let items = drain(&mut messages, 8000, "the resumed answer's end").await;
        assert_eq!(
            items,
            [
                Ok("token 1".into()),
                Ok("token 2".into()),
                Ok("token 3".into())
            ]
        );
        assert!(source.state().finished);
        let seen = stats(&key).await;
        assert_eq!(seen.last_event_ids, [None, Some("2".into())], "{seen:?}");
        let errors = errors.borrow().clone();
        errors
    }

    #[wasm_bindgen_test]
    async fn a_response_that_ends_before_the_sentinel_is_truncated() {
        let errors = truncated("end").await;
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            matches!(
                &errors[0],
                Some(Error::Truncated { last_event_id, cause: None, .. }) if last_event_id == "2"
            ),
            "{errors:?}"
        );
    }

    #[wasm_bindgen_test]
    async fn a_response_that_drops_before_the_sentinel_is_truncated_with_the_cause() {
        let errors = truncated("cut").await;
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            matches!(
                &errors[0],
                Some(Error::Truncated { last_event_id, cause: Some(cause), .. })
                    if last_event_id == "2" && matches!(**cause, Error::Network { .. })
            ),
            "{errors:?}"
        );
    }

    #[wasm_bindgen_test]
    async fn comments_arrive_in_order_among_the_events() {
        let key = unique_key("ends-comments");
        let source =
            EventSource::with_options(&url("/sse/chat?n=2", &key), &chat(EndOn::data("[DONE]")))
                .unwrap();
        let seen = log();
        let _comments = source.on_comment({
            let seen = seen.clone();
            move |text| seen.borrow_mut().push(format!("comment {text}"))
        });
        let _messages = source.on_message({
            let seen = seen.clone();
            move |event| seen.borrow_mut().push(format!("event {}", event.data()))
        });
        wait_until(5000, "the end", || source.state().finished).await;
        assert_eq!(
            *seen.borrow(),
            [
                "comment connected",
                "comment tick 1",
                "event token 1",
                "comment tick 2",
                "event token 2",
            ]
        );
    }

    #[wasm_bindgen_test]
    async fn a_dropped_comment_listener_hears_nothing_more() {
        let key = unique_key("ends-comments-off");
        let source = EventSource::with_options(
            &url("/sse/chat?n=2&cut=1&how=end", &key),
            &chat(EndOn::data("[DONE]")),
        )
        .unwrap();
        let seen = log();
        let comments = source.on_comment({
            let seen = seen.clone();
            move |text| seen.borrow_mut().push(text.to_owned())
        });
        let mut messages = source.messages();
        let first = next_within(&mut messages, 3000, "token 1").await;
        assert_eq!(first.unwrap().unwrap().data(), "token 1");
        drop(comments);
        let heard = seen.borrow().len();
        let rest = drain(&mut messages, 8000, "the end").await;
        assert_eq!(rest, [Ok("token 2".into())]);
        assert_eq!(seen.borrow().len(), heard, "{:?}", seen.borrow());
    }
}

// --- reconnect(), on the transport under test -------------------------------

/// Options that resume on both transports: a new native browser object sends
/// the last event ID only in a query parameter; fetch sends the header.
fn resumable() -> EventSourceOptions {
    if is_fetch() {
        options()
    } else {
        options().last_event_id_param("lastEventId")
    }
}

async fn next_data(stream: &mut EventStream, what: &str) -> String {
    next_within(stream, 5000, what)
        .await
        .unwrap_or_else(|| panic!("{what}: the stream ended"))
        .unwrap_or_else(|error| panic!("{what}: {error}"))
        .data()
        .to_owned()
}

#[wasm_bindgen_test]
async fn reconnect_an_open_source_resumes_from_the_last_event_id() {
    let key = unique_key("reconnect-open");
    let source =
        EventSource::with_options(&url("/sse/drop?n=3&hold=30000", &key), &resumable()).unwrap();
    let opens = Rc::new(RefCell::new(0));
    let _opens = source.on_open({
        let opens = opens.clone();
        move |_| *opens.borrow_mut() += 1
    });
    let heard = log();
    let _heard = source.on_message({
        let heard = heard.clone();
        move |event| heard.borrow_mut().push(event.data().to_owned())
    });
    let mut messages = source.messages();
    for n in 1..=3 {
        assert_eq!(
            next_data(&mut messages, "before").await,
            format!("event {n}")
        );
    }
    assert_eq!(source.ready_state(), ReadyState::Open);
    source.reconnect();
    assert_eq!(source.ready_state(), ReadyState::Connecting);
    for n in 4..=6 {
        assert_eq!(
            next_data(&mut messages, "after the reconnect").await,
            format!("event {n}"),
            "the same stream goes on"
        );
    }
    assert_eq!(*opens.borrow(), 2);
    assert_eq!(heard.borrow().len(), 6, "the listener goes on too");
    let seen = wait_for_stats(&key, 3000, "the first connection closed", |s| s.open == 1).await;
    assert_eq!(seen.last_event_ids, [None, Some("3".into())], "{seen:?}");
}

/// The server sends `retry: 40` on its first connection only; the second,
/// made by `reconnect()`, is cut after 300 ms. The delay then follows the
/// server's 40 ms, not the policy's base (fetch: the browser's own object
/// on native cannot be given a reconnection time).
#[wasm_bindgen_test]
async fn the_servers_retry_outlives_reconnect() {
    if !is_fetch() {
        return;
    }
    let key = unique_key("reconnect-retry");
    let source = EventSource::with_options(
        &url("/sse/drop?n=1&hold=300&retryOnce=40", &key),
        &options(),
    )
    .unwrap();
    let mut messages = source.messages();
    assert_eq!(next_data(&mut messages, "event 1").await, "event 1");
    source.reconnect();
    assert_eq!(next_data(&mut messages, "event 2").await, "event 2");
    wait_until(3000, "the second connection's drop", || {
        source.ready_state() == ReadyState::Connecting
    })
    .await;
    let delay = source.state().delay.expect("a delay while reconnecting");
    assert!(
        delay > std::time::Duration::ZERO && delay <= std::time::Duration::from_millis(40),
        "the delay follows the server's retry: 40 ms, not the policy's base: {delay:?}"
    );
    source.close();
}

#[wasm_bindgen_test]
async fn reconnect_while_waiting_connects_now() {
    let key = unique_key("reconnect-waiting");
    // retry: 10 s, a fixed wait on both transports.
    let options = resumable().reconnect(None);
    let source =
        EventSource::with_options(&url("/sse/drop?n=1&hold=100&retry=10000", &key), &options)
            .unwrap();
    let mut messages = source.messages();
    assert_eq!(next_data(&mut messages, "event 1").await, "event 1");
    wait_until(3000, "the drop", || {
        source.ready_state() == ReadyState::Connecting
    })
    .await;
    source.reconnect();
    assert_eq!(
        next_data(&mut messages, "the event after reconnect()").await,
        "event 2"
    );
    let seen = stats(&key).await;
    assert_eq!(seen.last_event_ids, [None, Some("1".into())], "{seen:?}");
    assert!(
        seen.gaps()[0] < 5000.0,
        "reconnect() did not wait the 10 s: {seen:?}"
    );
}

#[wasm_bindgen_test]
async fn reconnect_revives_a_failed_source_with_its_listeners() {
    let key = unique_key("reconnect-fatal");
    let source =
        EventSource::with_options(&url("/sse/fail?k=1&code=404", &key), &options()).unwrap();
    let ready = log();
    let _ready = source.on("ready", {
        let ready = ready.clone();
        move |event| ready.borrow_mut().push(event.data().to_owned())
    });
    let mut before = source.subscribe(&["ready"]);
    let items = within(5000, "the fatal 404", async {
        let mut items = Vec::new();
        while let Some(item) = before.next().await {
            items.push(item.is_err());
        }
        items
    })
    .await;
    assert_eq!(items, [true], "one error, then the end");
    assert_eq!(source.ready_state(), ReadyState::Closed);

    source.reconnect();
    assert_eq!(source.ready_state(), ReadyState::Connecting);
    let mut after = source.subscribe(&["ready"]);
    assert_eq!(next_data(&mut after, "a new stream's event").await, "2");
    assert_eq!(*ready.borrow(), ["2"], "the listener from before hears it");
    assert_eq!(source.ready_state(), ReadyState::Open);
    assert!(
        futures::stream::FusedStream::is_terminated(&before),
        "an ended stream stays ended"
    );
}

#[wasm_bindgen_test]
async fn reconnect_after_close_opens_again() {
    let key = unique_key("reconnect-closed");
    let source = EventSource::with_options(&url("/sse/messages?n=2", &key), &options()).unwrap();
    let heard = log();
    let _heard = source.on_message({
        let heard = heard.clone();
        move |event| heard.borrow_mut().push(event.data().to_owned())
    });
    wait_until(5000, "two messages", || heard.borrow().len() == 2).await;
    source.close();
    source.reconnect();
    wait_until(5000, "two more messages", || heard.borrow().len() == 4).await;
    assert_eq!(source.ready_state(), ReadyState::Open);
    assert_eq!(stats(&key).await.connections, 2);
}
