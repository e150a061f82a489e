//! A stream that is being read never lags: where this crate reads the body
//! (the fetch transport, sources made from a stream), the reader pauses while
//! a stream is half full, until its consumer drains it. A consumer that stops
//! polling altogether is abandoned after 3 s and lags, as documented on
//! `Overflow`; `Overflow::Backpressure` waits for it however long.
#![cfg(target_arch = "wasm32")]

mod browser_support;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use browser_support::*;
use futures::StreamExt;
use wasm_bindgen_test::*;
use web_sse::{Error, EventSource, EventStream};

wasm_bindgen_test_configure!(run_in_browser);

fn open_with(url: &str, options: web_sse::EventSourceOptions) -> EventSource {
    EventSource::with_options(url, &options).expect("the source opens")
}

/// Reads events `from..=to` (data `i`, maybe zero-padded) in order, failing on
/// anything else: a gap, a repeat, a `Lagged`, an early end.
async fn expect_in_order(events: &mut EventStream, from: u32, to: u32, ms: u32) {
    let mut next = from;
    within(ms, "every event, in order", async {
        while next <= to {
            match events.next().await {
                Some(Ok(event)) => {
                    assert_eq!(event.data().parse::<u32>(), Ok(next), "event {next}");
                    next += 1;
                }
                other => panic!("event {next} of {to}: expected it, got {other:?}"),
            }
        }
    })
    .await;
}

/// Records the errors the source reports, in order.
fn record_errors(source: &EventSource) -> (Rc<RefCell<Vec<String>>>, web_sse::Listener) {
    let errors = Rc::new(RefCell::new(Vec::new()));
    let listener = source.on_error({
        let errors = Rc::clone(&errors);
        move |event| errors.borrow_mut().push(format!("{:?}", event.error()))
    });
    (errors, listener)
}

#[wasm_bindgen_test]
async fn a_stream_read_in_a_loop_gets_200_000_events_complete_and_in_order() {
    const N: u32 = 200_000;
    let key = unique_key("pace-loop");
    let source = open_with(&url(&format!("/sse/flood?n={N}&size=64"), &key), options());
    let mut events = source.messages();
    expect_in_order(&mut events, 1, N, 120_000).await;
    source.close();
    assert!(events.next().await.is_none(), "the stream ends after close");
}

#[cfg(feature = "fetch")]
#[wasm_bindgen_test]
async fn a_stream_made_from_one_huge_chunk_read_in_a_loop_does_not_lag() {
    const N: u32 = 100_000;
    let mut body = String::new();
    for i in 1..=N {
        body.push_str(&format!("data: {i}\n\n"));
    }
    let chunks = futures::stream::iter([Ok::<_, std::convert::Infallible>(body.into_bytes())]);
    let source = EventSource::from_stream(chunks);
    let mut events = source.messages();
    expect_in_order(&mut events, 1, N, 60_000).await;
    assert!(
        events.next().await.is_none(),
        "the stream ends with its body"
    );
}

#[wasm_bindgen_test]
async fn a_consumer_that_pauses_for_2_s_loses_nothing_and_the_idle_timeout_waits() {
    if !is_fetch() {
        // The browser's EventSource cannot be paused: there a stream slower
        // than the server lags once full (browser_policy's lagging test).
        return;
    }
    let key = unique_key("pace-pause");
    let source = open_with(
        &url("/sse/flood?n=5000", &key),
        options()
            .stream_capacity(100)
            .idle_timeout(Some(Duration::from_millis(1000))),
    );
    let (errors, _errors) = record_errors(&source);
    let mut events = source.messages();
    expect_in_order(&mut events, 1, 10, 10_000).await;
    // Twice the idle timeout: the reader is paused, not the server silent.
    sleep(2_000).await;
    expect_in_order(&mut events, 11, 5_000, 20_000).await;
    assert_eq!(
        *errors.borrow(),
        Vec::<String>::new(),
        "no error while paused"
    );
    assert_eq!(
        stats(&key).await.connections,
        1,
        "no reconnect while paused"
    );
    source.close();
}

#[wasm_bindgen_test]
async fn with_backpressure_a_stream_not_polled_for_4_s_still_loses_nothing() {
    if !is_fetch() {
        return;
    }
    let key = unique_key("pace-backpressure");
    let source = open_with(
        &url("/sse/flood?n=5000", &key),
        options()
            .stream_capacity(100)
            .overflow(web_sse::Overflow::Backpressure),
    );
    let mut events = source.messages();
    // Longer than the 3 s after which the default takes a stream for
    // abandoned.
    sleep(4_000).await;
    expect_in_order(&mut events, 1, 5_000, 20_000).await;
    source.close();
}

#[wasm_bindgen_test]
async fn an_abandoned_stream_lags_once_and_does_not_hold_the_others() {
    let key = unique_key("pace-abandoned");
    let source = open_with(
        &url("/sse/flood?n=5000", &key),
        options().stream_capacity(100),
    );
    let mut abandoned = source.messages();
    let mut read = source.messages();
    // The stream that is read gets everything, once the reader stops
    // waiting for the other (after 3 s on the fetch transport).
    expect_in_order(&mut read, 1, 5_000, 20_000).await;
    match abandoned.next().await {
        Some(Err(Error::Lagged { skipped })) => assert_eq!(skipped, 4_900),
        other => panic!("expected Lagged, got {other:?}"),
    }
    expect_in_order(&mut abandoned, 4_901, 5_000, 5_000).await;
    source.close();
}
