//! Sources read from a stream: `EventSource::from_readable_stream` (the
//! proposed `EventSource.fromReadableStream()`) and `EventSource::from_stream`,
//! in both browsers, with the shared vectors fed whole and byte by byte.
#![cfg(all(target_arch = "wasm32", feature = "fetch"))]

mod browser_support;

use std::cell::RefCell;
use std::convert::Infallible;
use std::rc::Rc;

use browser_support::*;
use futures::stream::{self, FusedStream};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sse::{Error, ErrorEvent, EventSource, MessageEvent, ReadyState};

wasm_bindgen_test_configure!(run_in_browser);

/// A `ReadableStream` of `text`, as a `Response` body.
fn readable(text: &str) -> web_sys::ReadableStream {
    web_sys::Response::new_with_opt_str(Some(text))
        .expect("a Response")
        .body()
        .expect("a body")
}

/// A `ReadableStream` that errors at once.
fn failing() -> web_sys::ReadableStream {
    js_sys::Function::new_no_args(
        "return new ReadableStream({ start(c) { c.error(new Error('broken')); } })",
    )
    .call0(&JsValue::NULL)
    .expect("a stream")
    .unchecked_into()
}

async fn take_all(source: &EventSource, types: &[&str]) -> Vec<MessageEvent> {
    let mut events = source.subscribe(types);
    let mut seen = Vec::new();
    while let Some(item) = next_within(&mut events, 3000, "the stream's events").await {
        seen.push(item.expect("no error item"));
    }
    assert!(events.is_terminated());
    seen
}

#[wasm_bindgen_test]
async fn a_readable_stream_is_read_once_then_the_source_ends_cleanly() {
    let source =
        EventSource::from_readable_stream(&readable("id: 7\ndata: hello\n\ndata: cut off"))
            .unwrap();
    assert_eq!(source.url(), "about:event-stream");
    assert!(!source.with_credentials());
    assert_eq!(source.ready_state(), ReadyState::Connecting);
    let opened = Rc::new(RefCell::new(0));
    let _open = source.on_open({
        let opened = opened.clone();
        move |_| *opened.borrow_mut() += 1
    });
    let errors = Rc::new(RefCell::new(Vec::<ErrorEvent>::new()));
    let _errors = source.on_error({
        let errors = errors.clone();
        move |e| errors.borrow_mut().push(e.clone())
    });
    let events = take_all(&source, &["message"]).await;
    assert_eq!(events.len(), 1, "the unfinished event is discarded");
    assert_eq!(
        (
            events[0].data(),
            events[0].last_event_id(),
            events[0].origin()
        ),
        ("hello", "7", "null")
    );
    assert_eq!(*opened.borrow(), 1);
    assert_eq!(source.ready_state(), ReadyState::Closed);
    let errors = errors.borrow().clone();
    assert_eq!(errors.len(), 1, "one error event at the end: {errors:?}");
    assert!(
        errors[0].is_fatal() && errors[0].error().is_none(),
        "{errors:?}"
    );
}

#[wasm_bindgen_test]
fn a_locked_stream_is_a_type_error() {
    let stream = readable("data: x\n\n");
    let _reader = stream.get_reader();
    match EventSource::from_readable_stream(&stream) {
        Err(Error::Js { name, .. }) => assert_eq!(name, "TypeError"),
        other => panic!("expected a TypeError, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn an_error_in_the_stream_is_an_error_item_then_the_end() {
    let source = EventSource::from_readable_stream(&failing()).unwrap();
    let mut events = source.messages();
    match next_within(&mut events, 3000, "the error").await {
        Some(Err(Error::Stream { message })) => assert_eq!(message, "broken"),
        other => panic!("expected Error::Stream, got {other:?}"),
    }
    assert!(next_within(&mut events, 1000, "the end").await.is_none());
    assert_eq!(source.ready_state(), ReadyState::Closed);
}

#[wasm_bindgen_test]
async fn close_ends_a_stream_source_that_never_ends() {
    let pipe = web_sys::TransformStream::new().unwrap();
    let source = EventSource::from_readable_stream(&pipe.readable()).unwrap();
    let mut events = source.messages();
    sleep(50).await;
    assert_eq!(source.ready_state(), ReadyState::Open);
    source.close();
    assert_eq!(source.ready_state(), ReadyState::Closed);
    assert!(next_within(&mut events, 1000, "the end after close")
        .await
        .is_none());
}

#[wasm_bindgen_test]
async fn a_rust_stream_of_chunks_works_with_listeners_and_streams() {
    let chunks = ["event: info\nda", "ta: split\n\n", "data: two\n", "\n"];
    let source = EventSource::from_stream(stream::iter(
        chunks.map(|chunk| Ok::<_, Infallible>(chunk.as_bytes())),
    ));
    let infos = Rc::new(RefCell::new(Vec::new()));
    let _info = source.on("info", {
        let infos = infos.clone();
        move |e| infos.borrow_mut().push(e.data().to_owned())
    });
    let events = take_all(&source, &["message", "info"]).await;
    let data: Vec<_> = events.iter().map(MessageEvent::data).collect();
    assert_eq!(data, ["split", "two"]);
    assert_eq!(*infos.borrow(), ["split"]);
}

#[wasm_bindgen_test]
async fn an_err_chunk_ends_a_rust_stream_source_with_its_message() {
    let chunks: Vec<Result<&[u8], String>> =
        vec![Ok(b"data: before\n\n"), Err("the body broke".to_owned())];
    let source = EventSource::from_stream(stream::iter(chunks));
    let mut events = source.messages();
    let first = next_within(&mut events, 3000, "the event").await;
    assert_eq!(first.expect("an item").expect("an event").data(), "before");
    match next_within(&mut events, 3000, "the error").await {
        Some(Err(Error::Stream { message })) => assert_eq!(message, "the body broke"),
        other => panic!("expected Error::Stream, got {other:?}"),
    }
    assert!(next_within(&mut events, 1000, "the end").await.is_none());
}

/// The shared vectors' chunks as bytes; `None` for a vector of several
/// connections, which one stream cannot stand for.
fn vector_bytes(vector: &JsValue) -> Option<Vec<Vec<u8>>> {
    let chunks = js_sys::Reflect::get(vector, &"chunks".into()).ok()?;
    if chunks.is_undefined() {
        return None;
    }
    let chunks = js_sys::Array::from(&chunks);
    Some(
        chunks
            .iter()
            .map(|chunk| match chunk.as_string() {
                Some(text) => text.into_bytes(),
                None => {
                    let hex = js_sys::Reflect::get(&chunk, &"bytes_hex".into())
                        .ok()
                        .and_then(|hex| hex.as_string())
                        .expect("a string or bytes_hex chunk");
                    (0..hex.len())
                        .step_by(2)
                        .map(|at| u8::from_str_radix(&hex[at..at + 2], 16).expect("hex"))
                        .collect()
                }
            })
            .collect(),
    )
}

#[wasm_bindgen_test]
async fn the_vectors_through_a_stream_whole_and_byte_by_byte() {
    let json = js_sys::JSON::parse(include_str!("data/sse-vectors.json")).expect("JSON");
    let vectors = js_sys::Array::from(&js_sys::Reflect::get(&json, &"vectors".into()).unwrap());
    let mut runs = 0;
    for vector in vectors.iter() {
        let Some(chunks) = vector_bytes(&vector) else {
            continue;
        };
        let id = js_sys::Reflect::get(&vector, &"id".into())
            .unwrap()
            .as_string()
            .unwrap();
        let expect = js_sys::Reflect::get(&vector, &"expect".into()).unwrap();
        let expected =
            js_sys::Array::from(&js_sys::Reflect::get(&expect, &"events".into()).unwrap());
        let field = |event: &JsValue, name: &str| {
            js_sys::Reflect::get(event, &name.into())
                .ok()
                .and_then(|v| v.as_string())
        };
        let mut types: Vec<String> = expected
            .iter()
            .filter_map(|event| field(&event, "type"))
            .collect();
        types.push("message".into());
        types.dedup();
        let whole: Vec<u8> = chunks.concat();
        let byte_by_byte: Vec<Vec<u8>> = whole.iter().map(|b| vec![*b]).collect();
        for (how, parts) in [("whole", chunks.clone()), ("byte by byte", byte_by_byte)] {
            let source =
                EventSource::from_stream(stream::iter(parts.into_iter().map(Ok::<_, Infallible>)));
            let type_refs: Vec<&str> = types.iter().map(String::as_str).collect();
            let got = take_all(&source, &type_refs).await;
            assert_eq!(got.len() as u32, expected.length(), "{id} ({how}): {got:?}");
            for (event, want) in got.iter().zip(expected.iter()) {
                assert_eq!(
                    Some(event.event_type()),
                    field(&want, "type").as_deref(),
                    "{id} ({how})"
                );
                assert_eq!(
                    Some(event.data()),
                    field(&want, "data").as_deref(),
                    "{id} ({how})"
                );
                if let Some(last) = field(&want, "lastEventId") {
                    assert_eq!(event.last_event_id(), last, "{id} ({how})");
                }
            }
            runs += 1;
        }
    }
    assert_eq!(runs, 94, "47 single-body vectors, two ways each");
}
