//! Typed JSON data (the `json` feature) against a real server.
#![cfg(all(target_arch = "wasm32", feature = "json"))]

mod browser_support;

use std::cell::RefCell;
use std::rc::Rc;

use browser_support::*;
use serde::Deserialize;
use wasm_bindgen_test::*;
use web_sse::Error;

wasm_bindgen_test_configure!(run_in_browser);

#[derive(Debug, Deserialize, PartialEq)]
struct Item {
    id: u32,
    name: String,
}

fn item(id: u32, name: &str) -> Item {
    Item {
        id,
        name: name.to_owned(),
    }
}

fn json_error_type(item: Result<Item, Error>) -> String {
    match item {
        Err(Error::Json {
            event_type,
            message,
        }) => {
            assert!(!message.is_empty());
            event_type
        }
        other => panic!("expected Err(Error::Json), got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn json_stream_decodes_and_survives_bad_data() {
    let key = unique_key("json");
    let source = open(&url("/sse/json", &key)).unwrap();
    let mut items = source.subscribe_json::<Item>(&["message", "update"]);
    let mut got = Vec::new();
    for _ in 0..5 {
        got.push(
            next_within(&mut items, 3000, "a JSON item")
                .await
                .expect("five items"),
        );
    }
    let mut got = got.into_iter();
    let mut next = move || got.next();

    assert_eq!(next().unwrap().unwrap(), item(1, "alpha"));
    assert_eq!(
        json_error_type(next().unwrap()),
        "message",
        "not JSON at all"
    );
    assert_eq!(next().unwrap().unwrap(), item(2, "beta"));
    assert_eq!(
        json_error_type(next().unwrap()),
        "update",
        "JSON of the wrong shape"
    );
    assert_eq!(
        next().unwrap().unwrap(),
        item(3, "gamma"),
        "the stream goes on after errors"
    );

    source.close();
    assert!(next_within(&mut items, 1000, "the end after close")
        .await
        .is_none());
}

#[wasm_bindgen_test]
async fn json_listener_and_event_method() {
    let key = unique_key("json-listener");
    let source = open(&url("/sse/json", &key)).unwrap();
    let updates = Rc::new(RefCell::new(Vec::new()));
    let _updates = source.on_json("update", {
        let updates = updates.clone();
        move |item: Result<Item, Error>| updates.borrow_mut().push(item)
    });
    let mut messages = source.messages();
    let first = next_within(&mut messages, 3000, "the first message")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.json::<Item>().unwrap(), item(1, "alpha"));
    let second = next_within(&mut messages, 3000, "the second message")
        .await
        .unwrap()
        .unwrap();
    match second.json::<Item>() {
        Err(Error::Json { event_type, .. }) => assert_eq!(event_type, "message"),
        other => panic!("expected Err(Error::Json), got {other:?}"),
    }
    wait_until(3000, "two update callbacks", || updates.borrow().len() == 2).await;
    let mut updates = updates.borrow_mut();
    assert_eq!(updates.remove(0).unwrap(), item(2, "beta"));
    assert_eq!(json_error_type(updates.remove(0)), "update");
}
