//! Responses the browser refuses: a non-200 status or a wrong Content-Type
//! give one fatal error item, then the end, and the source is Closed.
#![cfg(target_arch = "wasm32")]

mod browser_support;

use std::cell::RefCell;
use std::rc::Rc;

use browser_support::*;
use futures::stream::FusedStream;
use wasm_bindgen_test::*;
use web_sse::{Error, ReadyState};

wasm_bindgen_test_configure!(run_in_browser);

async fn assert_fatal(path: &str, name: &str, status: Option<u16>) {
    let key = unique_key(name);
    let address = url(path, &key);
    let source = open(&address).unwrap();
    let errors = Rc::new(RefCell::new(Vec::new()));
    let _errors = source.on_error({
        let errors = errors.clone();
        move |e| errors.borrow_mut().push(e.clone())
    });
    let mut messages = source.messages();
    let mut several = source.subscribe(&["message", "info"]);

    for (stream, what) in [(&mut messages, "messages()"), (&mut several, "subscribe")] {
        match next_within(stream, 3000, &format!("{name}: the fatal error of {what}")).await {
            Some(Err(error)) => assert_refused(&error, &address, status),
            other => panic!("{name}: {what} expected an error item, got {other:?}"),
        }
        assert!(
            next_within(stream, 1000, &format!("{name}: the end of {what}"))
                .await
                .is_none(),
            "{name}: {what} ends after the error"
        );
        assert!(stream.is_terminated());
    }
    assert_eq!(source.ready_state(), ReadyState::Closed, "{name}");
    let errors = errors.borrow().clone();
    assert_eq!(errors.len(), 1, "{name}: one error event: {errors:?}");
    assert!(
        errors[0].is_fatal() && !errors[0].is_reconnecting(),
        "{name}: {errors:?}"
    );
    assert_eq!(errors[0].ready_state(), ReadyState::Closed);
    let reason = errors[0].error().expect("a fatal error event says why");
    assert_refused(reason, &address, status);

    let shown = Error::ConnectionFailed {
        url: address.clone(),
    }
    .to_string();
    assert!(shown.contains(&address), "{shown}");
    // The browser gave up: it does not come back.
    sleep(300).await;
    assert_eq!(
        stats(&key).await.connections,
        1,
        "{name}: no retry after a fatal error"
    );
}

#[wasm_bindgen_test]
async fn status_500_is_fatal() {
    assert_fatal("/sse/status?code=500", "status-500", Some(500)).await;
}

#[wasm_bindgen_test]
async fn status_404_is_fatal() {
    assert_fatal("/sse/status?code=404", "status-404", Some(404)).await;
}

#[wasm_bindgen_test]
async fn status_204_is_fatal() {
    assert_fatal("/sse/status?code=204", "status-204", Some(204)).await;
}

#[wasm_bindgen_test]
async fn wrong_content_type_is_fatal() {
    assert_fatal("/sse/wrong-type", "wrong-type", None).await;
}

#[wasm_bindgen_test]
async fn a_stream_made_after_the_failure_ends_at_once() {
    let key = unique_key("after-fail");
    let source = open(&url("/sse/status?code=500", &key)).unwrap();
    wait_until(3000, "the source to fail", || {
        source.ready_state() == ReadyState::Closed
    })
    .await;
    let mut late = source.messages();
    assert!(next_within(&mut late, 500, "the end of a late stream")
        .await
        .is_none());
}
