//! Staying connected: the reconnect policy, the idle timeout, offline and
//! online, bounded streams and the observable state, on the transport under
//! test. Timing is read from the fixture server's record of each attempt, with
//! a tolerance, never from sleeps in the test.
#![cfg(target_arch = "wasm32")]

mod browser_support;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use browser_support::*;
use futures::StreamExt;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use web_sse::{ConnectionState, Error, EventSource, ReadyState, ReconnectPolicy};

wasm_bindgen_test_configure!(run_in_browser);

/// Slack for timers, the event loop and the request itself, in ms. Generous:
/// the bound that matters is the upper one, and a policy that did not back
/// off would overshoot it by far more.
const SLACK: f64 = 250.0;

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// A policy fast enough for tests: ceilings of 100, 200, 400, 400... ms.
fn quick_policy() -> ReconnectPolicy {
    ReconnectPolicy::new().base(ms(100)).cap(ms(400))
}

fn open_with(url: &str, options: web_sse::EventSourceOptions) -> EventSource {
    EventSource::with_options(url, &options).expect("the source opens")
}

/// Records every state change.
fn record_states(source: &EventSource) -> (Rc<RefCell<Vec<ConnectionState>>>, web_sse::Listener) {
    let states = Rc::new(RefCell::new(Vec::new()));
    let listener = source.on_state_change({
        let states = Rc::clone(&states);
        move |state| states.borrow_mut().push(state.clone())
    });
    (states, listener)
}

#[wasm_bindgen_test]
async fn backoff_grows_within_full_jitter_bounds_up_to_the_cap_and_the_limit() {
    let key = unique_key("policy-backoff");
    // Every attempt is refused: 503 is retried on fetch; on native the
    // browser gives up at each, and the policy opens a new object.
    let url = url("/sse/fail?k=1000&code=503", &key);
    let policy = quick_policy().max_attempts(5);
    let source = open_with(&url, options().reconnect(Some(policy)));
    let (states, _states) = record_states(&source);
    let fatal = Rc::new(RefCell::new(None));
    let _errors = source.on_error({
        let fatal = Rc::clone(&fatal);
        move |event| {
            if event.is_fatal() {
                *fatal.borrow_mut() = event.error().cloned();
            }
        }
    });

    wait_until(10_000, "the policy to give up", || fatal.borrow().is_some()).await;
    let seen = stats(&key).await;
    assert_eq!(
        seen.connections, 6,
        "the first attempt and 5 reconnections, then no more: {seen:?}"
    );
    for (attempt, gap) in seen.gaps().into_iter().enumerate() {
        let ceiling = policy.ceiling(attempt as u32, None).as_secs_f64() * 1000.0;
        assert!(
            gap <= ceiling + SLACK,
            "attempt {attempt} came {gap} ms after the one before, over its ceiling {ceiling} ms: {:?}",
            seen.gaps()
        );
    }
    assert_eq!(source.ready_state(), ReadyState::Closed);
    match fatal.borrow().as_ref() {
        Some(Error::AttemptsExhausted { attempts, last, .. }) => {
            assert_eq!(*attempts, 5);
            let last = last.as_deref().expect("the last failure");
            if is_fetch() {
                assert!(matches!(last, Error::Http { status: 503, .. }), "{last:?}");
            } else {
                assert!(matches!(last, Error::ConnectionFailed { .. }), "{last:?}");
            }
        }
        other => panic!("expected AttemptsExhausted, got {other:?}"),
    }

    // The state told each wait: attempt n waited at most its ceiling, and
    // said when the next attempt would start.
    let states = states.borrow();
    let waits: Vec<_> = states.iter().filter(|s| s.delay.is_some()).collect();
    assert_eq!(waits.len(), 5, "{states:?}");
    for (n, state) in waits.iter().enumerate() {
        assert_eq!(state.attempt, n as u32 + 1, "{states:?}");
        assert_eq!(state.ready_state, ReadyState::Connecting);
        let delay = state.delay.unwrap();
        assert!(delay <= policy.ceiling(n as u32, None), "{states:?}");
        assert!(state.next_attempt_at.is_some());
        assert!(state.last_error.is_some());
    }
    let last = states.last().unwrap();
    assert_eq!(last.ready_state, ReadyState::Closed);
    assert_eq!((last.delay, last.next_attempt_at), (None, None));
}

#[wasm_bindgen_test]
async fn the_jitter_is_random_not_fixed() {
    // Ten sources wait out their first reconnection at once; with full
    // jitter over a 400 ms ceiling their delays cannot all be equal.
    let mut delays = Vec::new();
    let mut sources = Vec::new();
    let mut listeners = Vec::new();
    let seen = Rc::new(RefCell::new(Vec::new()));
    for n in 0..10 {
        let key = unique_key(&format!("policy-jitter-{n}"));
        let policy = ReconnectPolicy::new().base(ms(400)).cap(ms(400));
        let source = open_with(
            &url("/sse/fail?k=1000&code=503", &key),
            options().reconnect(Some(policy)),
        );
        listeners.push(source.on_state_change({
            let seen = Rc::clone(&seen);
            move |state| {
                if let Some(delay) = state.delay {
                    seen.borrow_mut().push(delay);
                }
            }
        }));
        sources.push(source);
    }
    wait_until(5_000, "every source's first wait", || {
        seen.borrow().len() >= 10
    })
    .await;
    delays.extend(seen.borrow().iter().copied());
    for source in &sources {
        source.close();
    }
    assert!(delays.iter().all(|d| *d <= ms(400)), "{delays:?}");
    let first = delays[0];
    assert!(
        delays.iter().any(|d| d.abs_diff(first) > ms(5)),
        "ten draws of full jitter were all {first:?}: {delays:?}"
    );
}

#[wasm_bindgen_test]
async fn a_stable_connection_resets_the_backoff() {
    // Each connection lasts 300 ms and delivers one event, then drops. With a
    // reset after 200 ms, every reconnection starts from the base again;
    // without it, the ceilings would double to the cap.
    if !is_fetch() {
        // On native a dropped connection is the browser's to retry, at its
        // own fixed delay: the policy acts only when the browser gives up.
        return;
    }
    let key = unique_key("policy-reset");
    let policy = ReconnectPolicy::new()
        .base(ms(150))
        .cap(ms(5_000))
        .reset_after(ms(200));
    let source = open_with(
        &url("/sse/drop?n=1&hold=300", &key),
        options().reconnect(Some(policy)),
    );
    let (states, _states) = record_states(&source);
    let seen = wait_for_stats(&key, 10_000, "six connections", |s| s.connections >= 6).await;
    source.close();
    // From one request to the next: 300 ms open, the drop reaching the
    // client (Firefox takes longer), at most the 150 ms base, the request.
    for gap in seen.gaps() {
        assert!(
            gap <= 300.0 + 150.0 + 2.0 * SLACK,
            "a reconnection after a stable connection waited too long: {:?}",
            seen.gaps()
        );
    }
    let attempts: Vec<_> = states
        .borrow()
        .iter()
        .filter(|s| s.delay.is_some())
        .map(|s| s.attempt)
        .collect();
    assert!(attempts.iter().all(|&a| a == 1), "{attempts:?}");
    // Each reconnection resumed after the event before it.
    let ids: Vec<_> = seen.last_event_ids.iter().take(4).cloned().collect();
    assert_eq!(
        ids,
        [
            None,
            Some("1".to_owned()),
            Some("2".to_owned()),
            Some("3".to_owned())
        ]
    );
}

#[wasm_bindgen_test]
async fn without_a_stable_connection_the_backoff_keeps_growing() {
    // Connections that open but deliver nothing, and never last the 60 s of
    // the default reset: the attempt count climbs. (One event would reset
    // it: see the next test.)
    if !is_fetch() {
        return;
    }
    let key = unique_key("policy-no-reset");
    let policy = ReconnectPolicy::new().base(ms(20)).cap(ms(5_000));
    let source = open_with(
        &url("/sse/drop?n=0", &key),
        options().reconnect(Some(policy)),
    );
    let (states, _states) = record_states(&source);
    wait_until(10_000, "a fifth wait", || {
        states.borrow().iter().any(|s| s.attempt >= 5)
    })
    .await;
    source.close();
    let attempts: Vec<_> = states
        .borrow()
        .iter()
        .filter(|s| s.delay.is_some())
        .map(|s| s.attempt)
        .collect();
    assert_eq!(attempts[..5], [1, 2, 3, 4, 5], "{attempts:?}");
}

#[wasm_bindgen_test]
async fn a_connection_that_delivered_an_event_resets_the_count() {
    // The same server, with one event per connection: each connection
    // worked, so every wait is a first one, at the reconnection time.
    if !is_fetch() {
        return;
    }
    let key = unique_key("policy-delivered");
    let policy = ReconnectPolicy::new().base(ms(20)).cap(ms(5_000));
    let source = open_with(
        &url("/sse/drop?n=1", &key),
        options().reconnect(Some(policy)),
    );
    let (states, _states) = record_states(&source);
    wait_until(10_000, "five waits", || {
        states.borrow().iter().filter(|s| s.delay.is_some()).count() >= 5
    })
    .await;
    source.close();
    let waits: Vec<_> = states
        .borrow()
        .iter()
        .filter_map(|s| s.delay.map(|delay| (s.attempt, delay)))
        .collect();
    for (attempt, delay) in &waits[..5] {
        assert_eq!(*attempt, 1, "{waits:?}");
        assert!(*delay >= ms(16) && *delay <= ms(20), "{waits:?}");
    }
}

#[wasm_bindgen_test]
async fn on_native_a_connection_that_delivered_an_event_resets_the_count() {
    // Native's policy acts when the idle timeout drops a connection: one
    // event per connection resets the count, none lets it grow.
    if is_fetch() {
        return;
    }
    let attempts = |events: u32| async move {
        let key = unique_key(&format!("policy-native-delivered-{events}"));
        let policy = ReconnectPolicy::new().base(ms(20)).cap(ms(40));
        let source = open_with(
            &url(&format!("/sse/stall?n={events}"), &key),
            options()
                .reconnect(Some(policy))
                .idle_timeout(Some(ms(300)))
                .last_event_id_param("lastEventId"),
        );
        // Native sees the events of the types with listeners.
        let _messages = source.on_message(|_| {});
        let (states, _states) = record_states(&source);
        wait_until(10_000, "four waits", || {
            states.borrow().iter().filter(|s| s.delay.is_some()).count() >= 4
        })
        .await;
        source.close();
        let attempts: Vec<u32> = states
            .borrow()
            .iter()
            .filter(|s| s.delay.is_some())
            .map(|s| s.attempt)
            .collect();
        attempts[..4].to_vec()
    };
    assert_eq!(attempts(1).await, [1, 1, 1, 1]);
    assert_eq!(attempts(0).await, [1, 2, 3, 4]);
}

#[wasm_bindgen_test]
async fn an_idle_connection_reconnects_with_the_last_event_id() {
    // Two events, then silence without a close: a half-open connection as
    // far as the client can tell.
    let key = unique_key("policy-idle");
    let source = open_with(
        &url("/sse/stall?n=2", &key),
        options()
            .idle_timeout(Some(ms(400)))
            .reconnect(Some(ReconnectPolicy::new().base(ms(50))))
            .last_event_id_param("lastEventId"),
    );
    let timeouts = Rc::new(Cell::new(0));
    let _errors = source.on_error({
        let timeouts = Rc::clone(&timeouts);
        move |event| {
            if matches!(event.error(), Some(Error::Timeout { .. })) {
                timeouts.set(timeouts.get() + 1);
            }
        }
    });
    // The native transport hears only the types it listens to.
    let mut events = source.messages();
    let seen = wait_for_stats(&key, 8_000, "three connections", |s| s.connections >= 3).await;
    source.close();
    assert_eq!(
        seen.last_event_ids[..3],
        [None, Some("2".to_owned()), Some("4".to_owned())],
        "each reopen resumed after the last event: {seen:?}"
    );
    assert!(timeouts.get() >= 2, "error listeners heard the timeouts");
    let mut data = Vec::new();
    while let Some(Ok(event)) = events.next().await {
        data.push(event.data().to_owned());
    }
    assert_eq!(data[..4], ["event 1", "event 2", "event 3", "event 4"]);
    wait_for_stats(&key, 3_000, "no open connection", |s| s.open == 0).await;
}

#[wasm_bindgen_test]
async fn an_idle_timeout_is_off_by_default_on_native() {
    if is_fetch() {
        return;
    }
    let key = unique_key("policy-idle-off");
    let source = open(&url("/sse/stall?n=1", &key)).unwrap();
    let mut events = source.messages();
    next_within(&mut events, 3_000, "the event").await;
    sleep(1_000).await;
    assert_eq!(stats(&key).await.connections, 1);
    source.close();
}

/// Makes the page report itself offline (`navigator.onLine` false), or
/// online again, firing `online`.
fn set_online(online: bool) {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).unwrap();
    if online {
        js_sys::Reflect::delete_property(&navigator.into(), &"onLine".into()).unwrap();
        let event = web_sys::Event::new("online").unwrap();
        let global: web_sys::EventTarget = wasm_bindgen::JsCast::unchecked_into(js_sys::global());
        global.dispatch_event(&event).unwrap();
    } else {
        let descriptor = js_sys::Object::new();
        js_sys::Reflect::set(&descriptor, &"value".into(), &JsValue::FALSE).unwrap();
        js_sys::Reflect::set(&descriptor, &"configurable".into(), &JsValue::TRUE).unwrap();
        js_sys::Object::define_property(&navigator.into(), &"onLine".into(), &descriptor);
    }
}

#[wasm_bindgen_test]
async fn offline_waits_for_online_then_reconnects_at_once() {
    let key = unique_key("policy-offline");
    let policy = ReconnectPolicy::new().base(ms(50)).cap(ms(100));
    let source = open_with(
        &url("/sse/fail?k=1000&code=503", &key),
        options().reconnect(Some(policy)),
    );
    wait_for_stats(&key, 5_000, "two attempts", |s| s.connections >= 2).await;
    set_online(false);
    // Attempts already under way may land; then nothing while offline,
    // though the policy's delays are 100 ms at most.
    sleep(300).await;
    let offline = stats(&key).await.connections;
    sleep(1_000).await;
    let still = stats(&key).await;
    assert_eq!(
        still.connections, offline,
        "no attempt while offline: {still:?}"
    );
    let back = js_sys::Date::now();
    set_online(true);
    let seen = wait_for_stats(&key, 3_000, "an attempt once online", |s| {
        s.connections > offline
    })
    .await;
    let first = seen.times[offline as usize];
    assert!(
        first - back < 100.0 + SLACK,
        "reconnected {} ms after going online",
        first - back
    );
    source.close();
}

#[wasm_bindgen_test]
async fn a_lagging_stream_skips_the_oldest_and_says_how_many() {
    let key = unique_key("policy-lagged");
    let source = open_with(
        &url("/sse/flood?n=5000", &key),
        options().stream_capacity(100),
    );
    let mut events = source.messages();
    // A listener counts what arrived while the stream is not polled.
    let count = Rc::new(Cell::new(0));
    let _count = source.on_message({
        let count = Rc::clone(&count);
        move |_| count.set(count.get() + 1)
    });
    wait_until(10_000, "all 5000 events", || count.get() == 5000).await;
    match events.next().await {
        Some(Err(Error::Lagged { skipped })) => assert_eq!(skipped, 4900),
        other => panic!("expected Lagged, got {other:?}"),
    }
    let mut data = Vec::new();
    for _ in 0..100 {
        data.push(events.next().await.unwrap().unwrap().data().to_owned());
    }
    assert_eq!(data.first().map(String::as_str), Some("4901"));
    assert_eq!(data.last().map(String::as_str), Some("5000"));
    source.close();
    assert!(events.next().await.is_none(), "the stream ends after close");
}

#[wasm_bindgen_test]
async fn nothing_runs_after_close() {
    let key = unique_key("policy-close");
    let policy = ReconnectPolicy::new().base(ms(50)).cap(ms(100));
    let source = open_with(
        &url("/sse/fail?k=1000&code=503", &key),
        options().reconnect(Some(policy)),
    );
    let mut events = source.messages();
    wait_for_stats(&key, 5_000, "three attempts", |s| s.connections >= 3).await;
    source.close();
    assert!(
        next_within(&mut events, 1_000, "the end of the stream")
            .await
            .is_none(),
        "close ends the stream"
    );
    let at_close = stats(&key).await.connections;
    // Ten times the longest delay: a timer left running would have fired.
    sleep(1_000).await;
    let after = stats(&key).await;
    assert!(
        after.connections <= at_close + 1,
        "attempts went on after close: {at_close} then {after:?}"
    );
    assert_eq!(after.open, 0);
    assert_eq!(source.state().ready_state, ReadyState::Closed);

    // And a connected source leaves no connection open on the server.
    let key = unique_key("policy-close-open");
    let source = open_with(
        &url("/sse/stall?n=1", &key),
        options().idle_timeout(Some(ms(200))),
    );
    let mut events = source.messages();
    next_within(&mut events, 3_000, "the event").await;
    source.close();
    let closed = wait_for_stats(&key, 3_000, "no open connection", |s| s.open == 0).await;
    sleep(600).await;
    assert_eq!(
        stats(&key).await.connections,
        closed.connections,
        "the idle timer did not reopen a closed source"
    );
}

#[wasm_bindgen_test]
async fn a_policy_on_native_reopens_with_the_last_event_id_in_the_query() {
    // The browser gives up on a 503; the policy opens a new object that
    // resumes through the query parameter.
    if is_fetch() {
        return;
    }
    let key = unique_key("policy-native-param");
    let source = open_with(
        &url("/sse/then-fail?code=503&id=7", &key),
        options()
            .reconnect(Some(quick_policy().max_attempts(2)))
            .last_event_id_param("lastEventId"),
    );
    let mut events = source.messages();
    next_within(&mut events, 3_000, "the only event").await;
    let seen = wait_for_stats(&key, 5_000, "reopens", |s| s.connections >= 3).await;
    source.close();
    // The browser's own reconnect sends the header; the policy's reopen,
    // a new browser object, sends the query parameter (the fixture records
    // either).
    assert_eq!(
        seen.last_event_ids[..3],
        [None, Some("7".to_owned()), Some("7".to_owned())],
        "{seen:?}"
    );
}

#[cfg(feature = "fetch")]
#[wasm_bindgen_test]
async fn the_fetch_transport_resumes_from_a_given_last_event_id() {
    if !is_fetch() {
        return;
    }
    let key = unique_key("policy-resume-from");
    let source = open_with(&url("/sse/echo", &key), options().last_event_id("41"));
    let mut echo = source.subscribe(&["echo"]);
    let event = next_within(&mut echo, 3_000, "the echo")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        json_field(event.data(), "lastEventId")
            .as_string()
            .as_deref(),
        Some("41")
    );
    source.close();
}

#[cfg(feature = "fetch")]
#[wasm_bindgen_test]
async fn fetch_retries_502_503_504_by_default_and_stops_on_others() {
    if !is_fetch() {
        return;
    }
    let key = unique_key("policy-default-statuses");
    let source = open_with(
        &url("/sse/fail?k=2&code=502", &key),
        options().reconnect(Some(quick_policy())),
    );
    let mut ready = source.subscribe(&["ready"]);
    let event = next_within(&mut ready, 5_000, "the event after two 502s")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event.data(), "3");
    source.close();

    let key = unique_key("policy-default-stop");
    let source = open_with(
        &url("/sse/fail?k=2&code=500", &key),
        options().reconnect(Some(quick_policy())),
    );
    let mut ready = source.subscribe(&["ready"]);
    match next_within(&mut ready, 5_000, "the fatal error").await {
        Some(Err(Error::Http { status: 500, .. })) => {}
        other => panic!("expected a fatal 500, got {other:?}"),
    }
    assert_eq!(stats(&key).await.connections, 1);
}
