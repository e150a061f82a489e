//! Helpers shared by the browser tests: fixture URLs, unique keys, timeouts,
//! and fetch() against the fixture server (tests/fixture/server.mjs).
//!
//! Everything that waits has a deadline, so that a bug fails a test with a
//! message instead of hanging the whole run.
#![allow(dead_code)]

use std::future::Future;

use futures::future::{self, Either};
use futures::{Stream, StreamExt};
use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sse::{Error, EventSource, EventSourceOptions, Transport};
use web_sys::{RequestCredentials, RequestInit, RequestMode, Response};

/// The fixture server's origin; `npm test` starts it on this address.
pub const BASE: &str = match option_env!("WEB_SSE_FIXTURE") {
    Some(base) => base,
    None => "http://127.0.0.1:8787",
};

/// The transport under test. `npm test` builds the browser suite once per
/// transport: `WEB_SSE_TRANSPORT=fetch` (with the `fetch` feature) picks the
/// fetch transport, anything else the native one.
pub fn transport() -> Transport {
    match option_env!("WEB_SSE_TRANSPORT") {
        #[cfg(feature = "fetch")]
        Some("fetch") => Transport::Fetch,
        #[cfg(not(feature = "fetch"))]
        Some("fetch") => panic!("WEB_SSE_TRANSPORT=fetch needs the fetch feature"),
        _ => Transport::Native,
    }
}

pub fn is_fetch() -> bool {
    transport() != Transport::Native
}

/// Options with the transport under test.
pub fn options() -> EventSourceOptions {
    EventSourceOptions::new().transport(transport())
}

/// Opens `url` on the transport under test.
pub fn open(url: &str) -> Result<EventSource, Error> {
    EventSource::with_options(url, &options())
}

/// Checks that `error` is how the transport under test reports that the
/// response at `url` was refused: the native transport cannot say why, the
/// fetch transport gives the status (`None`: a wrong Content-Type).
pub fn assert_refused(error: &Error, url: &str, status: Option<u16>) {
    match (error, status) {
        (Error::ConnectionFailed { url: failed }, _) if !is_fetch() => assert_eq!(failed, url),
        (
            Error::Http {
                url: failed,
                status: got,
                ..
            },
            Some(status),
        ) if is_fetch() => {
            assert_eq!((failed.as_str(), *got), (url, status));
        }
        (Error::NotEventStream { url: failed, .. }, None) if is_fetch() => assert_eq!(failed, url),
        _ => panic!(
            "expected the refusal of {url} (status {status:?}) on {:?}, got {error:?}",
            transport()
        ),
    }
}

/// A key no other test (or browser) uses, so the server's state for it is ours.
pub fn unique_key(name: &str) -> String {
    let random = (js_sys::Math::random() * 1e9) as u64;
    let now = js_sys::Date::now() as u64;
    format!("{name}-{now}-{random}")
}

/// `BASE + path`, with `key` added to the query.
pub fn url(path: &str, key: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{BASE}{path}{sep}key={key}")
}

pub async fn sleep(ms: u32) {
    TimeoutFuture::new(ms).await;
}

/// Runs `fut`, or panics naming `what` when it takes longer than `ms`.
pub async fn within<F: Future>(ms: u32, what: &str, fut: F) -> F::Output {
    match future::select(Box::pin(fut), TimeoutFuture::new(ms)).await {
        Either::Left((output, _)) => output,
        Either::Right(_) => panic!("timed out after {ms} ms waiting for {what}"),
    }
}

/// The next stream item, or a panic after `ms`.
pub async fn next_within<S: Stream + Unpin>(
    stream: &mut S,
    ms: u32,
    what: &str,
) -> Option<S::Item> {
    within(ms, what, stream.next()).await
}

/// Panics if `stream` yields anything (an item or its end) within `ms`.
pub async fn assert_quiet<S: Stream + Unpin>(stream: &mut S, ms: u32, what: &str)
where
    S::Item: std::fmt::Debug,
{
    if let Either::Left((item, _)) = future::select(stream.next(), TimeoutFuture::new(ms)).await {
        panic!("{what}: expected nothing for {ms} ms, got {item:?}");
    }
}

/// Polls `check` every 20 ms until it holds, or panics after `ms`.
pub async fn wait_until(ms: u32, what: &str, mut check: impl FnMut() -> bool) {
    within(ms, what, async {
        while !check() {
            sleep(20).await;
        }
    })
    .await
}

/// GET `url` from the page; `credentials` sends and stores cookies cross-origin.
pub async fn fetch_text(url: &str, credentials: bool) -> String {
    let init = RequestInit::new();
    init.set_mode(RequestMode::Cors);
    init.set_credentials(if credentials {
        RequestCredentials::Include
    } else {
        RequestCredentials::Omit
    });
    let window = web_sys::window().expect("browser tests run in a window");
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .unwrap_or_else(|e| panic!("fetch {url} failed: {e:?}; is the fixture server running?"));
    let response: Response = response.dyn_into().expect("fetch resolves to a Response");
    assert!(response.ok(), "fetch {url}: status {}", response.status());
    let text = JsFuture::from(response.text().expect("Response.text()"))
        .await
        .expect("response body");
    text.as_string().expect("text() gives a string")
}

/// What the fixture server saw for one key.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Requests made to a stream endpoint with this key.
    pub connections: u32,
    /// Those still open.
    pub open: u32,
    /// Events written.
    pub sent: u32,
    /// The `Last-Event-ID` header (or `lastEventId` query parameter) of each
    /// request, in order.
    pub last_event_ids: Vec<Option<String>>,
    /// When each request arrived, in ms since the epoch (the server's clock).
    pub times: Vec<f64>,
}

impl Stats {
    /// The time between one request and the next, in ms.
    pub fn gaps(&self) -> Vec<f64> {
        self.times
            .windows(2)
            .map(|pair| pair[1] - pair[0])
            .collect()
    }
}

pub async fn stats(key: &str) -> Stats {
    let text = fetch_text(&url("/stats", key), false).await;
    let json = js_sys::JSON::parse(&text).expect("stats are JSON");
    let number = |name: &str| {
        js_sys::Reflect::get(&json, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or_else(|| panic!("stats without {name}: {text}")) as u32
    };
    let ids =
        js_sys::Reflect::get(&json, &JsValue::from_str("lastEventIds")).expect("lastEventIds");
    let last_event_ids = js_sys::Array::from(&ids)
        .iter()
        .map(|v| v.as_string())
        .collect();
    let times = js_sys::Reflect::get(&json, &JsValue::from_str("times")).expect("times");
    let times = js_sys::Array::from(&times)
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    Stats {
        connections: number("connections"),
        open: number("open"),
        sent: number("sent"),
        last_event_ids,
        times,
    }
}

/// Polls the server's stats until `check` holds, or panics after `ms`.
pub async fn wait_for_stats(
    key: &str,
    ms: u32,
    what: &str,
    check: impl Fn(&Stats) -> bool,
) -> Stats {
    let deadline = js_sys::Date::now() + f64::from(ms);
    loop {
        let now = within(ms, "the fixture's /stats", stats(key)).await;
        if check(&now) {
            return now;
        }
        if js_sys::Date::now() > deadline {
            panic!(
                "timed out after {ms} ms waiting for the server to see {what}; last stats: {now:?}"
            );
        }
        sleep(50).await;
    }
}

/// Reads a string field of a JSON object.
pub fn json_field(text: &str, name: &str) -> JsValue {
    let json = js_sys::JSON::parse(text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    js_sys::Reflect::get(&json, &JsValue::from_str(name)).expect("field")
}

/// Records every error event of `source`, while the listener lives.
pub fn record_errors(
    source: &EventSource,
) -> (
    std::rc::Rc<std::cell::RefCell<Vec<web_sse::ErrorEvent>>>,
    web_sse::Listener,
) {
    let errors = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let listener = source.on_error({
        let errors = errors.clone();
        move |e| errors.borrow_mut().push(e.clone())
    });
    (errors, listener)
}
