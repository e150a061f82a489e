//! Shared sources (`EventSourceOptions::shared`), against the fixture's
//! `/sse/feed`: one timeline of events with consecutive ids per key, which a
//! request with a last event ID resumes after it.
//!
//! Several sources of one key in one page share as tabs do: each has its own
//! lock request and channel object, and a BroadcastChannel delivers to the
//! page's other objects of the same name. What the server sees (connections,
//! the most open at once, each request's last event ID) is the proof.
#![cfg(all(target_arch = "wasm32", feature = "shared"))]

mod browser_support;

use std::cell::RefCell;
use std::rc::Rc;

use browser_support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sse::{EventSource, EventSourceOptions, Listener, ReadyState, SharedRole};

wasm_bindgen_test_configure!(run_in_browser);

/// The transport under test, shared; native resumes through the query
/// parameter the fixture reads.
fn shared_options() -> EventSourceOptions {
    options().shared(true).last_event_id_param("lastEventId")
}

/// What one source delivered: the ids of its events, the last id it had
/// delivered at each `error` and at each change to `Connecting` (a quiet
/// hand-over is one, for every survivor), and its roles as state listeners
/// heard them.
#[derive(Default)]
struct Log {
    ids: Vec<u64>,
    at_errors: Vec<Option<u64>>,
    at_waits: Vec<Option<u64>>,
    opens: usize,
    states: Vec<ReadyState>,
    roles: Vec<SharedRole>,
}

struct Recorded {
    source: EventSource,
    log: Rc<RefCell<Log>>,
    _listeners: [Listener; 4],
}

fn record(source: EventSource) -> Recorded {
    let log = Rc::new(RefCell::new(Log {
        states: vec![source.ready_state()],
        roles: vec![source.shared_role()],
        ..Log::default()
    }));
    let on_message = source.on_message({
        let log = log.clone();
        move |event| {
            let id = event
                .last_event_id()
                .parse()
                .expect("the feed's ids are numbers");
            log.borrow_mut().ids.push(id);
        }
    });
    let on_error = source.on_error({
        let log = log.clone();
        move |_| {
            let last = log.borrow().ids.last().copied();
            log.borrow_mut().at_errors.push(last);
        }
    });
    let on_open = source.on_open({
        let log = log.clone();
        move |_| log.borrow_mut().opens += 1
    });
    let on_state = source.on_state_change({
        let log = log.clone();
        move |state| {
            let mut log = log.borrow_mut();
            if state.ready_state == ReadyState::Connecting
                && log.states.last() != Some(&ReadyState::Connecting)
            {
                let last = log.ids.last().copied();
                log.at_waits.push(last);
            }
            if log.states.last() != Some(&state.ready_state) {
                log.states.push(state.ready_state);
            }
            if log.roles.last() != Some(&state.shared_role) {
                log.roles.push(state.shared_role);
            }
        }
    });
    Recorded {
        source,
        log,
        _listeners: [on_message, on_error, on_open, on_state],
    }
}

fn open_recorded(url: &str, options: &EventSourceOptions, n: usize) -> Vec<Recorded> {
    (0..n)
        .map(|_| record(EventSource::with_options(url, options).expect("opens")))
        .collect()
}

/// The most connections of the key the server had open at once.
async fn max_open(key: &str) -> u32 {
    let text = fetch_text(&url("/stats", key), false).await;
    json_field(&text, "maxOpen").as_f64().unwrap_or(0.0) as u32
}

fn roles(sources: &[Recorded]) -> Vec<SharedRole> {
    sources.iter().map(|r| r.source.shared_role()).collect()
}

/// Panics unless `ids` go up by one, with no gap and no repeat.
fn assert_consecutive(ids: &[u64], what: &str) {
    for pair in ids.windows(2) {
        assert_eq!(
            pair[1],
            pair[0] + 1,
            "{what}: {} follows {} (a lost or repeated event) in {ids:?}",
            pair[1],
            pair[0]
        );
    }
}

async fn wait_for_events(sources: &[Recorded], at_least: u64, what: &str) {
    wait_until(8000, what, || {
        sources
            .iter()
            .all(|r| r.log.borrow().ids.last().is_some_and(|&id| id >= at_least))
    })
    .await;
}

async fn one_leader(sources: &[Recorded]) -> usize {
    wait_until(5000, "one source to lead", || {
        roles(sources)
            .iter()
            .filter(|r| **r == SharedRole::Leader)
            .count()
            == 1
    })
    .await;
    roles(sources)
        .iter()
        .position(|r| *r == SharedRole::Leader)
        .expect("a leader")
}

#[wasm_bindgen_test]
async fn sources_of_one_key_share_one_connection() {
    let key = unique_key("shared-one");
    let url = url("/sse/feed?interval=20", &key);
    let sources = open_recorded(&url, &shared_options(), 6);
    wait_for_events(&sources, 1, "a first event everywhere").await;
    let first = sources[0].log.borrow().ids[0];
    wait_for_events(&sources, first + 29, "30 events everywhere").await;

    let stats = stats(&key).await;
    assert_eq!(
        (stats.connections, max_open(&key).await),
        (1, 1),
        "6 shared sources, one connection: {stats:?}"
    );
    let roles = roles(&sources);
    assert_eq!(
        (
            roles.iter().filter(|r| **r == SharedRole::Leader).count(),
            roles.iter().filter(|r| **r == SharedRole::Follower).count()
        ),
        (1, 5),
        "{roles:?}"
    );
    let expected: Vec<u64> = (first..first + 30).collect();
    for (i, recorded) in sources.iter().enumerate() {
        let ids = &recorded.log.borrow().ids;
        assert_eq!(
            ids[..30],
            expected[..],
            "source {i} got every event, in order"
        );
        assert_consecutive(ids, &format!("source {i}"));
    }
}

#[wasm_bindgen_test]
async fn closing_the_leader_hands_over_without_loss_or_repeat() {
    const HANDOVERS: usize = 4;
    let key = unique_key("shared-handover");
    let url = url("/sse/feed?interval=20", &key);
    let mut sources = open_recorded(&url, &shared_options(), HANDOVERS + 1);
    let mut closed = Vec::new();
    wait_for_events(&sources, 1, "a first event everywhere").await;
    for handover in 1..=HANDOVERS {
        let last = sources
            .iter()
            .filter_map(|r| r.log.borrow().ids.last().copied())
            .max()
            .unwrap_or(0);
        wait_for_events(&sources, last + 10, "10 more events everywhere").await;
        let leader = one_leader(&sources).await;
        let gone = sources.remove(leader);
        let closed_at = js_sys::Date::now();
        gone.source.close();
        closed.push(gone);

        // The next source in the lock's queue connects, with the ID of the
        // last event it delivered.
        let stats = wait_for_stats(&key, 5000, "the new leader's request", |s| {
            s.connections as usize == handover + 1
        })
        .await;
        let leader = one_leader(&sources).await;
        let resumed_from = sources[leader]
            .log
            .borrow()
            .at_waits
            .last()
            .copied()
            .flatten()
            .expect("the new leader saw the hand-over as a wait, after events");
        assert_eq!(
            stats.last_event_ids[handover],
            Some(resumed_from.to_string()),
            "hand-over {handover}: {stats:?}"
        );
        // The server's clock and the page's are one machine's.
        let took = stats.times[handover] - closed_at;
        console_log!("hand-over {handover}: the new leader's request {took:.0} ms after the close");
        assert!(took < 2000.0, "hand-over {handover} took {took} ms");
        let after = resumed_from + 20;
        wait_for_events(&sources, after, "20 events after the hand-over").await;
    }

    let stats = stats(&key).await;
    assert_eq!(stats.connections as usize, HANDOVERS + 1, "{stats:?}");
    assert_eq!(
        stats.last_event_ids[0], None,
        "the first leader starts fresh"
    );
    // No bound on connections open at once here: within one page, closing
    // the leader aborts its request and the next source's request leaves at
    // once, and the browser does not order the old socket's close before
    // the new request (under load the server saw 2 for a moment). Tabs that
    // close or crash are counted by tests/e2e/shared.test.mjs.
    let survivor = &sources[0];
    assert_eq!(survivor.source.shared_role(), SharedRole::Leader);
    let log = survivor.log.borrow();
    assert_consecutive(&log.ids, "the last survivor, across every hand-over");
    // Quiet hand-overs: no error, no second open; a wait for each instead.
    assert_eq!(
        (log.at_errors.len(), log.opens, log.at_waits.len()),
        (0, 1, HANDOVERS),
        "errors at {:?}, waits at {:?}",
        log.at_errors,
        log.at_waits
    );
    assert_eq!(
        log.states,
        [ReadyState::Connecting, ReadyState::Open]
            .repeat(HANDOVERS + 1)
            .as_slice(),
        "the state listener heard each wait and each resumption"
    );
    // Pending, a follower once it heard of the first leader, then the leader.
    assert_eq!(
        log.roles,
        [
            SharedRole::Pending,
            SharedRole::Follower,
            SharedRole::Leader
        ]
    );
    for (i, gone) in closed.iter().enumerate() {
        assert_consecutive(&gone.log.borrow().ids, &format!("closed leader {i}"));
    }
}

#[wasm_bindgen_test]
async fn different_keys_do_not_share() {
    let key = unique_key("shared-keys");
    let base = url("/sse/feed?interval=20", &key);
    let (one, two) = if is_fetch() {
        (
            shared_options().header("X-Tenant", "one"),
            shared_options().header("X-Tenant", "two"),
        )
    } else {
        (shared_options(), shared_options())
    };
    let other = if is_fetch() {
        base.clone()
    } else {
        format!("{base}&other=1")
    };
    let mut sources = open_recorded(&base, &one, 2);
    sources.extend(open_recorded(&other, &two, 2));
    wait_for_events(&sources, 1, "events everywhere").await;
    let last = sources[0].log.borrow().ids[0];
    wait_for_events(&sources, last + 5, "more events everywhere").await;
    let stats = stats(&key).await;
    assert_eq!(stats.connections, 2, "two keys, two connections: {stats:?}");
    let leaders = roles(&sources)
        .iter()
        .filter(|r| **r == SharedRole::Leader)
        .count();
    assert_eq!(leaders, 2, "{:?}", roles(&sources));
}

#[wasm_bindgen_test]
async fn unshared_sources_connect_on_their_own() {
    let key = unique_key("shared-off");
    let url = url("/sse/feed?interval=20", &key);
    let sources = open_recorded(&url, &options().shared(false), 3);
    wait_for_events(&sources, 1, "events everywhere").await;
    wait_for_stats(&key, 3000, "three connections", |s| s.connections == 3).await;
    assert_eq!(roles(&sources), [SharedRole::Unshared; 3]);
}

#[wasm_bindgen_test]
async fn without_web_locks_a_shared_source_connects_alone() {
    let key = unique_key("shared-nolocks");
    let url = url("/sse/feed?interval=20", &key);
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).unwrap();
    // An own property hides the prototype's getter, as a browser without Web
    // Locks (or an insecure context) has none.
    let hidden = js_sys::Object::new();
    js_sys::Reflect::set(&hidden, &"value".into(), &JsValue::UNDEFINED).unwrap();
    js_sys::Reflect::set(&hidden, &"configurable".into(), &JsValue::TRUE).unwrap();
    js_sys::Object::define_property(
        navigator.unchecked_ref::<js_sys::Object>(),
        &"locks".into(),
        &hidden,
    );
    let sources = open_recorded(&url, &shared_options(), 2);
    js_sys::Reflect::delete_property(navigator.unchecked_ref::<js_sys::Object>(), &"locks".into())
        .unwrap();
    assert!(
        js_sys::Reflect::get(&navigator, &"locks".into())
            .unwrap()
            .is_object(),
        "restored"
    );
    assert_eq!(roles(&sources), [SharedRole::Unshared; 2]);
    wait_for_events(&sources, 1, "events everywhere").await;
    wait_for_stats(&key, 3000, "two connections", |s| s.connections == 2).await;
}

// The npm package's shared source (js/shared-connection.js, which loads the
// protocol, js/shared.js), as another tab would run it. The native transport
// only: its leader is the browser's own EventSource (the package's fetch
// class needs the package's wasm).
#[wasm_bindgen(module = "/js/shared-connection.js")]
extern "C" {
    type SharedConnection;

    #[wasm_bindgen(constructor)]
    fn new(url: &str, init: &JsValue, dispatch: &js_sys::Function) -> SharedConnection;

    #[wasm_bindgen(method)]
    fn close(this: &SharedConnection);

    #[wasm_bindgen(method, getter)]
    fn shared(this: &SharedConnection) -> String;

    #[wasm_bindgen(method, getter, js_name = readyState)]
    fn ready_state(this: &SharedConnection) -> u16;

    #[wasm_bindgen(method, getter)]
    fn wanted(this: &SharedConnection) -> JsValue;
}

// wasm-bindgen copies only the modules named in a `module` attribute, not
// what they import: each module of the package that the one above reaches
// is named here, so that the copies sit side by side as in the package.
macro_rules! package_module {
    ($($path:tt as $name:ident),* $(,)?) => {$(
        #[wasm_bindgen(module = $path)]
        extern "C" {
            #[allow(dead_code)]
            type $name;
        }
    )*};
}
package_module!(
    "/js/connection.js" as Connection,
    "/js/options.js" as Options,
    "/js/facts.js" as Facts,
    "/js/shared.js" as Shared,
    "/js/shared-seat.js" as SharedSeat,
    "/js/shared-host.js" as SharedHost,
    "/js/connect.js" as Connect,
    "/js/native.js" as Native,
    "/js/parsed.js" as Parsed,
    "/js/request.js" as RequestFunctions,
    "/js/wasm.js" as Wasm,
);

/// A JS shared source of `url` on the native transport, with the ids of the
/// `message` events it dispatches.
struct JsSource {
    connection: SharedConnection,
    ids: Rc<RefCell<Vec<u64>>>,
    _dispatch: Closure<dyn FnMut(web_sys::Event)>,
}

impl JsSource {
    fn open(url: &str) -> JsSource {
        let init = js_sys::Object::new();
        js_sys::Reflect::set(&init, &"shared".into(), &JsValue::TRUE).unwrap();
        js_sys::Reflect::set(&init, &"lastEventIdParam".into(), &"lastEventId".into()).unwrap();
        Self::open_with(url, &init)
    }

    fn open_with(url: &str, init: &js_sys::Object) -> JsSource {
        let ids = Rc::new(RefCell::new(Vec::new()));
        let dispatch = Closure::<dyn FnMut(web_sys::Event)>::new({
            let ids = ids.clone();
            move |event: web_sys::Event| {
                if let Some(message) = event.dyn_ref::<web_sys::MessageEvent>() {
                    if event.type_() == "message" {
                        ids.borrow_mut().push(
                            message
                                .last_event_id()
                                .parse()
                                .expect("the feed's ids are numbers"),
                        );
                    }
                }
            }
        });
        let connection = SharedConnection::new(url, init, dispatch.as_ref().unchecked_ref());
        // What the package's EventSource does for a `message` listener.
        let wanted = connection.wanted();
        let add: js_sys::Function = js_sys::Reflect::get(&wanted, &"add".into())
            .unwrap()
            .unchecked_into();
        add.call1(&wanted, &"message".into()).unwrap();
        JsSource {
            connection,
            ids,
            _dispatch: dispatch,
        }
    }
}

#[wasm_bindgen_test]
async fn rust_and_javascript_sources_share_one_connection() {
    let key = unique_key("shared-interop");
    let url = url("/sse/feed?interval=20", &key);
    let native = EventSourceOptions::new()
        .shared(true)
        .last_event_id_param("lastEventId");
    // The JS source asks for the lock first, so it leads.
    let js = JsSource::open(&url);
    let sources = open_recorded(&url, &native, 2);
    wait_for_events(&sources, 1, "the JS leader's events in Rust").await;
    let first = sources[0].log.borrow().ids[0];
    wait_for_events(&sources, first + 10, "10 events in Rust").await;
    assert_eq!(js.connection.shared(), "leader");
    assert_eq!(roles(&sources), [SharedRole::Follower; 2]);
    wait_until(3000, "the JS leader's own events", || {
        js.ids.borrow().len() >= 10
    })
    .await;
    assert_eq!(
        stats(&key).await.connections,
        1,
        "one connection for JS and Rust"
    );

    // A Rust source takes over from the JS leader, resumes, and relays to a
    // JS follower.
    let follower = JsSource::open(&url);
    wait_until(3000, "the JS follower's first events", || {
        !follower.ids.borrow().is_empty()
    })
    .await;
    js.connection.close();
    let stats = wait_for_stats(&key, 5000, "the Rust leader's request", |s| {
        s.connections == 2
    })
    .await;
    let leader = one_leader(&sources).await;
    let resumed_from = sources[leader].log.borrow().at_waits[0].expect("events before");
    assert!(
        sources[leader].log.borrow().at_errors.is_empty(),
        "a quiet hand-over"
    );
    assert_eq!(stats.last_event_ids[1], Some(resumed_from.to_string()));
    wait_for_events(&sources, resumed_from + 20, "20 events after the hand-over").await;
    wait_until(
        3000,
        "the JS follower's events from the Rust leader",
        || {
            follower
                .ids
                .borrow()
                .last()
                .is_some_and(|&id| id >= resumed_from + 20)
        },
    )
    .await;
    assert_eq!(follower.connection.shared(), "follower");
    for (i, recorded) in sources.iter().enumerate() {
        assert_consecutive(&recorded.log.borrow().ids, &format!("Rust source {i}"));
    }
    assert_consecutive(&follower.ids.borrow(), "the JS follower");
    assert_eq!(stats_now(&key).await, 2, "still two connections in all");
    follower.connection.close();
}

async fn stats_now(key: &str) -> u32 {
    stats(key).await.connections
}

/// The key is js/shared.js's on the fetch transport too: header names in
/// another case and a lower-case method still name the Rust leader's lock and
/// channel, so a JS source of the same request follows it.
#[cfg(feature = "fetch")]
#[wasm_bindgen_test]
async fn a_javascript_fetch_source_of_the_same_request_follows_a_rust_leader() {
    let key = unique_key("shared-interop-fetch");
    let url = url("/sse/feed?interval=20", &key);
    let rust = EventSourceOptions::new()
        .transport(web_sse::Transport::Fetch)
        .method("GET")
        .header("X-Tenant", "one")
        .shared(true);
    let sources = open_recorded(&url, &rust, 1);
    wait_for_events(&sources, 1, "the Rust leader's events").await;

    let init = js_sys::Object::new();
    let set = |key: &str, value: &JsValue| {
        js_sys::Reflect::set(&init, &key.into(), value).unwrap();
    };
    let headers = js_sys::Object::new();
    js_sys::Reflect::set(&headers, &"x-tenant".into(), &"one".into()).unwrap();
    set("shared", &JsValue::TRUE);
    set("transport", &"fetch".into());
    set("method", &"get".into());
    set("headers", &headers);
    let follower = JsSource::open_with(&url, &init);
    let first = sources[0].log.borrow().ids.last().copied().unwrap_or(0);
    wait_until(3000, "the JS fetch follower's events", || {
        follower
            .ids
            .borrow()
            .last()
            .is_some_and(|&id| id >= first + 10)
    })
    .await;
    assert_eq!(follower.connection.shared(), "follower");
    assert_eq!(sources[0].source.shared_role(), SharedRole::Leader);
    assert_consecutive(&follower.ids.borrow(), "the JS fetch follower");
    assert_eq!(stats_now(&key).await, 1, "one connection for both");
    follower.connection.close();
}

/// What a source reported of a refusal: each error it got.
struct Refused {
    source: EventSource,
    errors: Rc<RefCell<Vec<web_sse::ErrorEvent>>>,
    _listener: Listener,
}

fn open_refused(url: &str, options: &EventSourceOptions, n: usize) -> Vec<Refused> {
    (0..n)
        .map(|_| {
            let source = EventSource::with_options(url, options).expect("opens");
            let errors = Rc::new(RefCell::new(Vec::new()));
            let listener = source.on_error({
                let errors = errors.clone();
                move |event| errors.borrow_mut().push(event.clone())
            });
            Refused {
                source,
                errors,
                _listener: listener,
            }
        })
        .collect()
}

/// Whether `source` got one error, fatal, and is closed.
fn refused(source: &Refused) -> bool {
    let errors = source.errors.borrow();
    errors.len() == 1
        && errors[0].is_fatal()
        && source.source.ready_state() == web_sse::ReadyState::Closed
}

/// The Web Locks of this origin whose names hold `key`: (held, queued).
async fn locks_of(key: &str) -> (Vec<String>, Vec<String>) {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).unwrap();
    let locks = js_sys::Reflect::get(&navigator, &"locks".into()).unwrap();
    let query: js_sys::Function = js_sys::Reflect::get(&locks, &"query".into())
        .unwrap()
        .unchecked_into();
    let promise: js_sys::Promise = query.call0(&locks).unwrap().unchecked_into();
    let snapshot = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .expect("locks.query()");
    let names = |field: &str| -> Vec<String> {
        let list = js_sys::Reflect::get(&snapshot, &field.into()).unwrap();
        js_sys::Array::from(&list)
            .iter()
            .filter_map(|lock| js_sys::Reflect::get(&lock, &"name".into()).ok())
            .filter_map(|name| name.as_string())
            .filter(|name| name.contains(key))
            .collect()
    };
    (names("held"), names("pending"))
}

/// Polls the lock manager until `n` member locks of `key` are held.
async fn wait_for_members(key: &str, n: usize) {
    let deadline = js_sys::Date::now() + 5000.0;
    loop {
        let (held, pending) = locks_of(key).await;
        let members = held
            .iter()
            .filter(|name| name.starts_with("web-sse-member:"))
            .count();
        if members == n {
            return;
        }
        assert!(
            js_sys::Date::now() < deadline,
            "{n} member locks held: held {held:?}, queued {pending:?}"
        );
        sleep(20).await;
    }
}

/// Polls until no lock of `key` is held or queued; `ms` below the 5 s
/// backstop proves the hand-off ended because the members closed.
async fn wait_for_no_locks(key: &str, ms: f64) {
    let deadline = js_sys::Date::now() + ms;
    loop {
        let (held, pending) = locks_of(key).await;
        if held.is_empty() && pending.is_empty() {
            return;
        }
        assert!(
            js_sys::Date::now() < deadline,
            "locks left after {ms} ms: held {held:?}, queued {pending:?}"
        );
        sleep(20).await;
    }
}

/// The leader's request is held by the fixture until every source is set,
/// so the refusal reaches a full lock queue: none of them may ask again.
#[wasm_bindgen_test]
async fn a_fatal_refusal_makes_one_request_and_closes_every_source() {
    const SOURCES: usize = 6;
    let key = unique_key("shared-fatal");
    let url = url("/sse/status?code=404&gate=1", &key);
    let sources = open_refused(&url, &shared_options(), SOURCES);
    wait_for_stats(&key, 5000, "the leader's request", |s| s.connections == 1).await;
    wait_for_members(&key, SOURCES).await;
    fetch_text(&browser_support::url("/gate", &key), false).await;

    wait_until(5000, "a fatal error in every source", || {
        sources.iter().all(refused)
    })
    .await;
    wait_for_no_locks(&key, 3000.0).await;
    let stats = stats(&key).await;
    assert_eq!(
        stats.connections, 1,
        "{SOURCES} sources, one refusal: {stats:?}"
    );
    for (i, source) in sources.iter().enumerate() {
        let errors = source.errors.borrow();
        assert_eq!(errors.len(), 1, "source {i}: {errors:?}");
        assert_refused(errors[0].error().expect("why"), &url, Some(404));
    }
    assert_eq!(
        refused_roles(&sources),
        roles_with_one_leader(SOURCES),
        "the first source led, the others followed to the end"
    );

    // A source opened after the refusal is a new source: it leads and asks
    // again (the gate is open now, so the server answers at once).
    let later = open_refused(&url, &shared_options(), 1);
    wait_until(5000, "the later source's fatal error", || {
        refused(&later[0])
    })
    .await;
    assert_eq!(later[0].source.shared_role(), SharedRole::Leader);
    wait_for_no_locks(&key, 3000.0).await;
    assert_eq!(stats_now(&key).await, 2, "one request more");
}

fn roles_with_one_leader(n: usize) -> Vec<SharedRole> {
    let mut roles = vec![SharedRole::Follower; n];
    roles[0] = SharedRole::Leader;
    roles
}

fn refused_roles(sources: &[Refused]) -> Vec<SharedRole> {
    sources.iter().map(|r| r.source.shared_role()).collect()
}

/// A JS leader waits for the Rust sources' member locks, and a Rust leader
/// for the JS sources': one request either way.
#[wasm_bindgen_test]
async fn a_fatal_refusal_in_a_page_of_rust_and_javascript_sources_makes_one_request() {
    for js_leads in [true, false] {
        let key = unique_key(if js_leads {
            "shared-fatal-js-leads"
        } else {
            "shared-fatal-rust-leads"
        });
        let url = url("/sse/status?code=404&gate=1", &key);
        let native = EventSourceOptions::new().shared(true);
        let mut js = Vec::new();
        if js_leads {
            js.push(JsSource::open(&url));
        }
        let rust = open_refused(&url, &native, 3);
        js.push(JsSource::open(&url));
        js.push(JsSource::open(&url));
        let total = rust.len() + js.len();
        wait_for_stats(&key, 5000, "the leader's request", |s| s.connections == 1).await;
        wait_for_members(&key, total).await;
        fetch_text(&browser_support::url("/gate", &key), false).await;

        wait_until(5000, "every source closed on the refusal", || {
            rust.iter().all(refused) && js.iter().all(|s| s.connection.ready_state() == 2)
        })
        .await;
        wait_for_no_locks(&key, 3000.0).await;
        let stats = stats(&key).await;
        assert_eq!(
            stats.connections, 1,
            "JS leads: {js_leads}; {total} sources, one refusal: {stats:?}"
        );
        if js_leads {
            assert_eq!(js[0].connection.shared(), "leader");
            assert_eq!(refused_roles(&rust), [SharedRole::Follower; 3]);
        } else {
            assert_eq!(refused_roles(&rust), roles_with_one_leader(3));
        }
        for (i, source) in js.iter().enumerate().skip(usize::from(js_leads)) {
            assert_eq!(source.connection.shared(), "follower", "JS source {i}");
        }
        // Native leaders: the browser tells no reason.
        for source in &rust {
            let errors = source.errors.borrow();
            assert!(
                matches!(
                    errors[0].error(),
                    Some(web_sse::Error::ConnectionFailed { url: failed }) if *failed == url
                ),
                "{errors:?}"
            );
        }
    }
}
