//! The fetch transport's request per attempt (`request_with`, `refresh_on`)
//! and its replay rule (`replay`), against the fixture server, checked by
//! what the server recorded of each request.
#![cfg(all(target_arch = "wasm32", feature = "fetch"))]

mod browser_support;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use browser_support::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use web_sse::{
    Attempt, Error, ErrorEvent, EventSource, EventSourceOptions, ReadyState, Replay, Request,
    Transport,
};

wasm_bindgen_test_configure!(run_in_browser);

fn fetch() -> EventSourceOptions {
    EventSourceOptions::new().transport(Transport::Fetch)
}

/// A list of strings (or nulls) the fixture recorded under `name`.
async fn recorded(key: &str, name: &str) -> Vec<Option<String>> {
    let text = fetch_text(&url("/stats", key), false).await;
    let json = js_sys::JSON::parse(&text).expect("stats are JSON");
    let list = js_sys::Reflect::get(&json, &JsValue::from_str(name)).unwrap_or(JsValue::NULL);
    if list.is_undefined() || list.is_null() {
        return Vec::new();
    }
    js_sys::Array::from(&list)
        .iter()
        .map(|v| v.as_string())
        .collect()
}

/// The `token` events' JSON field `name`, for the first `n` connections.
async fn tokens(source: &EventSource, n: usize, name: &str) -> Vec<String> {
    let mut events = source.subscribe(&["token"]);
    let mut seen = Vec::new();
    while seen.len() < n {
        let event = next_within(&mut events, 5000, "the token events")
            .await
            .expect("the stream goes on")
            .expect("no error");
        seen.push(
            json_field(event.data(), name)
                .as_string()
                .unwrap_or_default(),
        );
    }
    seen
}

#[wasm_bindgen_test]
async fn a_token_that_changes_on_every_attempt_arrives_on_each_request() {
    let key = unique_key("hook-token");
    let told = Rc::new(RefCell::new(Vec::new()));
    let options = fetch().request_with({
        let told = told.clone();
        move |attempt: Attempt| {
            told.borrow_mut()
                .push((attempt.number(), attempt.last_event_id().to_owned()));
            let token = format!("Bearer token-{}", attempt.number());
            async move { Ok::<_, String>(Request::new().header("Authorization", &token)) }
        }
    });
    let source = EventSource::with_options(&url("/sse/token?drops=2", &key), &options).unwrap();
    let seen = tokens(&source, 3, "authorization").await;
    source.close();
    let expected = ["Bearer token-0", "Bearer token-1", "Bearer token-2"];
    assert_eq!(seen, expected);
    let authorizations = recorded(&key, "authorizations").await;
    assert_eq!(
        authorizations[..3],
        expected.map(|token| Some(token.to_owned()))
    );
    assert_eq!(
        told.borrow()[..3],
        [(0, String::new()), (1, "1".into()), (2, "2".into())]
    );
}

#[wasm_bindgen_test]
async fn the_async_hook_is_awaited_for_the_url_headers_and_body() {
    let key = unique_key("hook-async");
    let target = url("/sse/token?drops=1", &key);
    let options = fetch()
        .method("POST")
        .request_with(move |attempt: Attempt| {
            let target = format!("{target}&sig={}", attempt.number());
            async move {
                sleep(100).await;
                Ok::<_, String>(
                    Request::new()
                        .url(&target)
                        .header(
                            "Authorization",
                            &format!("Bearer late-{}", attempt.number()),
                        )
                        .body(&format!("{{\"attempt\":{}}}", attempt.number())),
                )
            }
        });
    let source = EventSource::with_options(&url("/sse/token", &key), &options).unwrap();
    let seen = tokens(&source, 2, "authorization").await;
    assert_eq!(seen, ["Bearer late-0", "Bearer late-1"]);
    assert_eq!(
        source.url(),
        url("/sse/token", &key),
        "the source keeps its URL"
    );
    source.close();
    let bodies = recorded(&key, "bodies").await;
    assert_eq!(
        bodies[..2],
        [
            Some(r#"{"attempt":0}"#.to_owned()),
            Some(r#"{"attempt":1}"#.to_owned())
        ]
    );
    let urls = recorded(&key, "urls").await;
    assert!(urls[0].as_deref().unwrap().ends_with("sig=0"), "{urls:?}");
    assert!(urls[1].as_deref().unwrap().ends_with("sig=1"), "{urls:?}");
    assert_eq!(
        stats(&key).await.last_event_ids[..2],
        [None, Some("1".to_owned())],
        "the POST resumed after the first connection's ID"
    );
}

#[wasm_bindgen_test]
async fn a_401_refreshes_and_retries_once_at_once() {
    let key = unique_key("hook-refresh");
    let token = Rc::new(RefCell::new(String::from("stale")));
    let refreshes = Rc::new(RefCell::new(Vec::new()));
    // A fixed 3 s delay, and 401 retried: a refresh that waited would show.
    let options = fetch()
        .reconnect(None)
        .retry_statuses(&[401])
        .refresh_on(&[401])
        .request_with({
            let token = token.clone();
            let refreshes = refreshes.clone();
            move |attempt: Attempt| {
                refreshes.borrow_mut().push(attempt.refresh());
                if attempt.refresh() == Some(401) {
                    *token.borrow_mut() = "good".into();
                }
                let header = format!("Bearer {}", token.borrow());
                async move { Ok::<_, String>(Request::new().header("Authorization", &header)) }
            }
        });
    let source = EventSource::with_options(&url("/sse/token?fresh=good", &key), &options).unwrap();
    let (errors, _errors) = record_errors(&source);
    let seen = tokens(&source, 1, "authorization").await;
    assert_eq!(seen, ["Bearer good"]);
    sleep(300).await;
    source.close();
    let stats = stats(&key).await;
    assert_eq!(stats.connections, 2, "{stats:?}");
    assert!(
        stats.gaps()[0] < 1000.0,
        "the refresh waited {} ms",
        stats.gaps()[0]
    );
    assert_eq!(
        recorded(&key, "authorizations").await,
        [
            Some("Bearer stale".to_owned()),
            Some("Bearer good".to_owned())
        ]
    );
    assert_eq!(*refreshes.borrow(), [None, Some(401)]);
    assert!(errors.borrow().is_empty(), "{:?}", errors.borrow());
}

#[wasm_bindgen_test]
async fn a_refused_refresh_follows_the_usual_rules() {
    let key = unique_key("hook-refused");
    let options = fetch()
        .refresh_on(&[401])
        .request_with(|attempt: Attempt| async move {
            Ok::<_, String>(
                Request::new().header("Authorization", &format!("Bearer try-{}", attempt.number())),
            )
        });
    let source = EventSource::with_options(&url("/sse/token?fresh=never", &key), &options).unwrap();
    let mut events = source.subscribe(&["token"]);
    match next_within(&mut events, 5000, "the fatal 401").await {
        Some(Err(Error::Http { status: 401, .. })) => {}
        other => panic!("expected a fatal 401, got {other:?}"),
    }
    assert_eq!(source.ready_state(), ReadyState::Closed);
    assert_eq!(
        recorded(&key, "authorizations").await,
        [
            Some("Bearer try-0".to_owned()),
            Some("Bearer try-1".to_owned())
        ]
    );
}

#[wasm_bindgen_test]
async fn a_failing_hook_ends_the_source_with_its_cause() {
    let key = unique_key("hook-fails");
    let calls = Rc::new(Cell::new(0));
    let options = fetch().request_with({
        let calls = calls.clone();
        move |_: Attempt| {
            calls.set(calls.get() + 1);
            async move {
                sleep(10).await;
                Err::<Request, _>("the token service is down")
            }
        }
    });
    let source = EventSource::with_options(&url("/sse/token", &key), &options).unwrap();
    let mut events = source.subscribe(&["token"]);
    let error = match next_within(&mut events, 5000, "the hook's failure").await {
        Some(Err(error @ Error::RequestHook { .. })) => error,
        other => panic!("expected the hook's failure, got {other:?}"),
    };
    assert_eq!(
        error,
        Error::RequestHook {
            url: url("/sse/token", &key),
            message: "the token service is down".into(),
        }
    );
    assert!(
        error.to_string().contains("the token service is down"),
        "{error}"
    );
    assert_eq!(next_within(&mut events, 1000, "the end").await, None);
    assert_eq!(source.ready_state(), ReadyState::Closed);
    assert_eq!(calls.get(), 1);
    assert_eq!(
        stats(&key).await.connections,
        0,
        "no request without its token"
    );
}

/// Opens `path` with `options`, lets it run for `ms`, and returns the
/// errors it reported and the event IDs it delivered.
async fn run_for(
    path: &str,
    key: &str,
    options: EventSourceOptions,
    ms: u32,
) -> (Vec<ErrorEvent>, Vec<String>, ReadyState) {
    let source = EventSource::with_options(&url(path, key), &options).unwrap();
    let (errors, _errors) = record_errors(&source);
    let ids = Rc::new(RefCell::new(Vec::new()));
    let _messages = source.on_message({
        let ids = ids.clone();
        move |event| ids.borrow_mut().push(event.last_event_id().to_owned())
    });
    sleep(ms).await;
    let state = source.ready_state();
    source.close();
    let errors = errors.borrow().clone();
    let ids = ids.borrow().clone();
    (errors, ids, state)
}

/// The error of a `NotReplayed` end by `replay`, after a network error.
fn assert_not_replayed(errors: &[ErrorEvent], replay: Replay) {
    let last = errors.last().expect("an error event");
    assert!(last.is_fatal(), "{errors:?}");
    match last.error() {
        Some(Error::NotReplayed {
            replay: said,
            last: Some(cause),
            ..
        }) if *said == replay && matches!(**cause, Error::Network { .. }) => {}
        other => panic!("expected NotReplayed ({replay:?}) after a network error, got {other:?}"),
    }
    assert_eq!(errors.len(), 1, "{errors:?}");
}

#[wasm_bindgen_test]
async fn a_post_dropped_before_any_id_is_not_replayed() {
    let key = unique_key("replay-post-none");
    let options = fetch().method("POST").body("prompt");
    let (errors, _, state) = run_for("/sse/drop?n=0&retry=10", &key, options, 800).await;
    assert_eq!(stats(&key).await.connections, 1);
    assert_eq!(state, ReadyState::Closed);
    assert_not_replayed(&errors, Replay::Resume);
    let message = errors[0].error().unwrap().to_string();
    assert!(message.contains("no event ID"), "{message}");
}

#[wasm_bindgen_test]
async fn a_post_dropped_after_id_5_resumes_with_last_event_id_5() {
    let key = unique_key("replay-post-five");
    let options = fetch().method("POST").body("prompt");
    let (errors, ids, _) = run_for("/sse/drop?n=5&hold=100&retry=10", &key, options, 800).await;
    let stats = stats(&key).await;
    assert!(stats.connections >= 2, "{stats:?}");
    assert_eq!(stats.last_event_ids[..2], [None, Some("5".to_owned())]);
    assert_eq!(ids[..6], ["1", "2", "3", "4", "5", "6"]);
    assert!(errors.iter().all(ErrorEvent::is_reconnecting), "{errors:?}");
}

#[wasm_bindgen_test]
async fn a_get_keeps_todays_behaviour() {
    let key = unique_key("replay-get");
    let (errors, _, _) = run_for("/sse/drop?n=0&retry=10", &key, fetch(), 800).await;
    let stats = stats(&key).await;
    assert!(stats.connections >= 2, "{stats:?}");
    assert!(
        !errors.is_empty() && errors.iter().all(ErrorEvent::is_reconnecting),
        "{errors:?}"
    );
}

#[wasm_bindgen_test]
async fn always_replays_a_post_and_never_does_not_replay_a_get() {
    let key = unique_key("replay-always");
    let options = fetch().method("POST").body("prompt").replay(Replay::Always);
    let (errors, _, _) = run_for("/sse/drop?n=0&retry=10", &key, options, 800).await;
    let stats_always = stats(&key).await;
    assert!(stats_always.connections >= 2, "{stats_always:?}");
    assert!(errors.iter().all(ErrorEvent::is_reconnecting), "{errors:?}");

    let key = unique_key("replay-never");
    let options = fetch().replay(Replay::Never);
    let (errors, ids, state) = run_for("/sse/drop?n=1&hold=100&retry=10", &key, options, 800).await;
    assert_eq!(stats(&key).await.connections, 1);
    assert_eq!(ids, ["1"]);
    assert_eq!(state, ReadyState::Closed);
    assert_not_replayed(&errors, Replay::Never);
}

#[wasm_bindgen_test]
fn the_default_rule_follows_the_method() {
    assert_eq!(Replay::default_for("GET"), Replay::Always);
    assert_eq!(Replay::default_for("head"), Replay::Always);
    assert_eq!(Replay::default_for("POST"), Replay::Resume);
}
