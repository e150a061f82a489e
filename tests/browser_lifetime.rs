//! Ownership: close() ends every stream; dropping closes the connection and
//! silences callbacks; a stream keeps its connection alive (gloo#495);
//! dropping a Listener stops only that callback.
#![cfg(target_arch = "wasm32")]

mod browser_support;

use std::cell::Cell;
use std::rc::Rc;

use browser_support::*;
use futures::stream::FusedStream;
use wasm_bindgen_test::*;
use web_sse::ReadyState;

wasm_bindgen_test_configure!(run_in_browser);

fn counter() -> Rc<Cell<u32>> {
    Rc::new(Cell::new(0))
}

fn bump(count: &Rc<Cell<u32>>) -> impl FnMut(&web_sse::MessageEvent) + 'static {
    let count = count.clone();
    move |_| count.set(count.get() + 1)
}

#[wasm_bindgen_test]
async fn close_ends_every_stream_after_its_buffered_events() {
    let key = unique_key("close-all");
    let source = open(&url("/sse/messages?n=3", &key)).unwrap();
    let mut first = source.messages();
    let mut second = source.subscribe(&["message"]);
    let mut several = source.subscribe(&["message", "info"]);
    let mut silent = source.subscribe(&["info"]);
    let seen = counter();
    let _listener = source.on_message(bump(&seen));
    wait_until(3000, "three messages", || seen.get() == 3).await;

    source.close();
    assert_eq!(source.ready_state(), ReadyState::Closed);
    for (stream, name) in [
        (&mut first, "first"),
        (&mut second, "second"),
        (&mut several, "several"),
    ] {
        for n in 1..=3 {
            let event = next_within(stream, 500, name).await;
            let event =
                event.unwrap_or_else(|| panic!("{name}: ended before buffered message {n}"));
            assert_eq!(event.unwrap().data(), format!("message {n}"), "{name}");
        }
        assert!(
            next_within(stream, 500, name).await.is_none(),
            "{name} ends after close"
        );
        assert!(stream.is_terminated(), "{name}");
    }
    assert!(
        next_within(&mut silent, 500, "a stream with nothing buffered")
            .await
            .is_none()
    );
    // Closing twice is harmless, and later streams end at once.
    source.close();
    assert!(
        next_within(&mut source.messages(), 500, "a stream made after close")
            .await
            .is_none()
    );
    wait_for_stats(&key, 3000, "the connection close", |s| s.open == 0).await;
}

#[wasm_bindgen_test]
async fn close_wakes_a_stream_that_is_waiting() {
    let key = unique_key("close-wakes");
    let source = open(&url("/sse/messages?n=0", &key)).unwrap();
    let mut messages = source.messages();
    let (end, ()) = futures::join!(
        next_within(&mut messages, 3000, "the end after close"),
        async {
            sleep(200).await;
            source.close();
        }
    );
    assert!(
        end.is_none(),
        "a pending next() resolves to None on close: {end:?}"
    );
}

#[wasm_bindgen_test]
async fn dropping_everything_closes_the_connection_and_silences_callbacks() {
    let key = unique_key("drop-all");
    let source = open(&url("/sse/tick?interval=50", &key)).unwrap();
    let messages_seen = counter();
    let listener = source.on_message(bump(&messages_seen));
    let opens = counter();
    let open_listener = source.on_open({
        let opens = opens.clone();
        move |_| opens.set(opens.get() + 1)
    });
    let mut stream = source.messages();
    let tick = next_within(&mut stream, 3000, "a tick")
        .await
        .unwrap()
        .unwrap();
    assert!(tick.data().starts_with("tick "));
    wait_until(3000, "a few ticks", || messages_seen.get() >= 3).await;
    assert_eq!(stats(&key).await.open, 1);

    drop(stream);
    drop(source);
    let frozen = messages_seen.get();
    // The Listener handles are still held: they must not keep anything alive.
    let seen = wait_for_stats(&key, 3000, "the browser close the connection", |s| {
        s.open == 0
    })
    .await;
    assert_eq!(seen.connections, 1);
    sleep(400).await;
    assert_eq!(
        messages_seen.get(),
        frozen,
        "no message callback after the drop"
    );
    assert_eq!(opens.get(), 1, "no reconnect");
    assert_eq!(
        stats(&key).await.connections,
        1,
        "the browser did not reconnect"
    );
    drop((listener, open_listener));
}

#[wasm_bindgen_test]
async fn a_stream_outlives_its_dropped_event_source() {
    let key = unique_key("outlive");
    let source = open(&url("/sse/tick?interval=50", &key)).unwrap();
    let mut stream = source.messages();
    drop(source);

    let mut ids = Vec::new();
    for _ in 0..5 {
        let event = next_within(&mut stream, 3000, "ticks after the handle was dropped")
            .await
            .expect("the stream keeps its connection")
            .expect("no error");
        ids.push(event.last_event_id().parse::<u32>().unwrap());
    }
    assert!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "consecutive ticks: {ids:?}"
    );
    assert_eq!(stats(&key).await.open, 1, "still connected");

    drop(stream);
    wait_for_stats(
        &key,
        3000,
        "the last stream's drop close the connection",
        |s| s.open == 0,
    )
    .await;
}

#[wasm_bindgen_test]
async fn dropping_a_listener_stops_only_that_callback() {
    let key = unique_key("listener-drop");
    let source = open(&url("/sse/tick?interval=50", &key)).unwrap();
    let dropped = counter();
    let kept = counter();
    let first = source.on_message(bump(&dropped));
    let _second = source.on_message(bump(&kept));
    let _named = source.on("never", bump(&Rc::new(Cell::new(0))));
    wait_until(3000, "both listeners to fire", || {
        dropped.get() >= 2 && kept.get() >= 2
    })
    .await;

    drop(first);
    let frozen = dropped.get();
    let before = kept.get();
    // The server keeps sending: the kept listener proves events still arrive.
    wait_until(3000, "more ticks for the kept listener", || {
        kept.get() >= before + 5
    })
    .await;
    assert_eq!(
        dropped.get(),
        frozen,
        "the dropped listener never fired again"
    );
    assert_eq!(source.ready_state(), ReadyState::Open);
    assert_eq!(
        stats(&key).await.open,
        1,
        "dropping a listener keeps the connection"
    );
}

#[wasm_bindgen_test]
async fn a_detached_listener_lives_until_the_source_is_gone() {
    let key = unique_key("detach");
    let source = open(&url("/sse/tick?interval=50", &key)).unwrap();
    let seen = counter();
    source.on_message(bump(&seen)).detach();
    wait_until(3000, "the detached listener to fire", || seen.get() >= 3).await;
    drop(source);
    let frozen = seen.get();
    wait_for_stats(&key, 3000, "the connection close", |s| s.open == 0).await;
    sleep(300).await;
    assert_eq!(seen.get(), frozen, "no call after the source was dropped");
}
