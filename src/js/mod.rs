//! The wasm half of the npm package (feature `js`): what the hand-written
//! connections in `js/parsed.js` call into (the fetch transport and
//! `fromReadableStream`); the native transport runs on the browser's object
//! alone. An error crosses as its facts (`crate::facts`), and each call says
//! what it carries with a [`Signal`].
//!
//! The connection task holds the page's dispatcher only while it runs: a
//! close, a fatal error or the end of the task drops it, so no wasm-held
//! reference pins the page's object after that.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use wasm_bindgen::prelude::*;

use crate::facts;
use crate::parse::{Event, Parser};
use crate::transport::fetch;
use crate::transport::stream::URL;
use crate::transport::task::{self, Control, Output};
use crate::{Error, EventSourceOptions};

mod request;

/// What the dispatcher's first argument says, by name on both sides: the
/// glue exports it, and js/parsing.js reads `Signal.Events`, `Signal.Open`...
#[wasm_bindgen]
#[derive(Clone, Copy)]
pub enum Signal {
    /// A chunk's events, as a batch (see [`encode_event`]).
    Events = 0,
    /// The connection opened; the payload is the origin.
    Open = 1,
    /// The connection dropped and will reconnect; the payload holds the facts.
    Reconnecting = 2,
    /// The source failed for good; the payload holds the facts.
    Failed = 3,
    /// Something to warn about that ends nothing (an oversized event).
    Problem = 4,
    /// The reconnect state: `{attempt, delay, nextAttemptAt}`.
    State = 5,
    /// The end sentinel was met: the source is over, cleanly.
    Finished = 6,
}
/// The largest batch allocation kept from one slice to the next.
const BATCH_KEEP: usize = 64 * 1024;
/// The bytes parsed, and dispatched as one batch, at a time. The browser
/// hands over whatever the socket buffered while the page was busy, several
/// megabytes after a stall: parsed whole, such a chunk would size the copy,
/// the batch and the allocator's high-water mark, which wasm memory never
/// gives back.
const SLICE: usize = 64 * 1024;

/// A fetch-transport connection for the JS class.
#[wasm_bindgen]
pub struct FetchTransport {
    control: Rc<Control>,
}

#[wasm_bindgen]
impl FetchTransport {
    /// Starts the connection. `url` is already resolved; `headers` holds
    /// `name\rvalue\rname\rvalue…` (what a CORS error names; `build` sends
    /// them); `build(url, lastEventId, signal, headers, body)` returns one
    /// attempt's `Request`, or throws (see js/parsing.js), with the hook's
    /// headers (`name\rvalue…`) and body when it set them; `retry_statuses` replaces the default
    /// 502, 503 and 504 when given; `policy` is `[base, cap, max_attempts
    /// (-1: none), reset_after]` in ms, or absent for the spec's fixed delay;
    /// `idle_timeout` is in ms (0: off; absent: the default);
    /// `last_event_id` is sent on the first request when not empty, and
    /// `reconnection_time` (ms) is the server's `retry:` from before a
    /// `reconnect()`;
    /// `last_event_id_param` names the query parameter that carries the ID
    /// instead of the header; `max_event_size` is in bytes (negative: no
    /// limit; absent: the default).
    /// `request` is the page's hook, `refresh_on` its statuses and `replay`
    /// the rule's index in `REPLAY` (see js/request.js).
    /// `dispatch(kind, payload)` receives, once per chunk, the chunk's events
    /// as a batch (see [`encode_event`]), and `open` (the origin),
    /// `reconnecting`, `failed`, `problem` (an object with the error's facts,
    /// src/facts.rs) and `state` (`{attempt, delay, nextAttemptAt}`) as they
    /// happen, each named by a [`Signal`].
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(constructor)]
    pub fn new(
        url: &str,
        build: js_sys::Function,
        method: &str,
        headers: &str,
        retry_statuses: Option<Vec<u16>>,
        policy: Option<Vec<f64>>,
        idle_timeout: Option<f64>,
        last_event_id: &str,
        reconnection_time: Option<f64>,
        last_event_id_param: Option<String>,
        max_event_size: Option<f64>,
        dispatch: js_sys::Function,
        request: Option<js_sys::Function>,
        refresh_on: Option<Vec<u16>>,
        replay: Option<u8>,
    ) -> Result<FetchTransport, JsValue> {
        // Fields set in place, not through the builder: each builder call
        // moves the whole options struct, which costs code at every call.
        let mut options = EventSourceOptions::new();
        options.transport = crate::Transport::Fetch;
        options.method = Some(method.to_owned());
        // No header name or value can hold a CR.
        let mut fields = headers.split('\r');
        while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
            options.headers.push((name.to_owned(), value.to_owned()));
        }
        if let Some(statuses) = retry_statuses {
            options.retry_statuses = statuses;
        }
        options.reconnect = Some(policy.as_deref().map(policy_from));
        if let Some(millis) = idle_timeout {
            options.idle_timeout = Some(Some(millis_to_duration(millis)));
        }
        if !last_event_id.is_empty() {
            options.last_event_id = Some(last_event_id.to_owned());
        }
        options.reconnection_time = reconnection_time.map(millis_to_duration);
        options.last_event_id_param = last_event_id_param;
        if let Some(bytes) = max_event_size {
            // `as` saturates: a huge limit is no limit.
            options.max_event_size = (bytes >= 0.0).then_some(bytes as usize);
        }
        options = request::with_request(options, request, refresh_on, replay);
        let output = JsOutput {
            dispatch,
            batch: RefCell::new(String::new()),
            state: RefCell::new(String::new()),
        };
        let spec = fetch::RequestSpec::with_maker(url, &options, Box::new(JsRequest(build)))
            .map_err(|error| {
                let text = match &error {
                    Error::Js { message, .. } => message.as_str(),
                    _ => "the request could not be built",
                };
                JsValue::from(js_sys::TypeError::new(text))
            })?;
        let control = fetch::start_with(spec, &options, Box::new(output));
        Ok(FetchTransport { control })
    }
}

#[wasm_bindgen]
impl FetchTransport {
    /// Ends the source cleanly at an event whose `data` (`kind` "data") or
    /// type ("event") is `value`; "js" when the class matches a predicate
    /// itself, so that only an early end (truncated) is seen here.
    /// `delivered`: the sentinel is dispatched before the end. Called right
    /// after the constructor, before the task reads anything.
    #[wasm_bindgen(js_name = endOn)]
    pub fn end_on(&self, kind: &str, value: &str, delivered: bool) {
        let end = match kind {
            "data" => crate::EndOn::data(value),
            "event" => crate::EndOn::event(value),
            _ => crate::EndOn::elsewhere(),
        };
        *self.control.end_on.borrow_mut() = Some(end.delivered(delivered));
    }

    /// Whether the page listens to comments: they cross, in the batches,
    /// only then.
    pub fn comments(&self, on: bool) {
        self.control.comments.set(on);
    }
}

// The class frees the object to close it (`free()`): the request is aborted,
// no reconnect follows, and nothing more is dispatched.
impl Drop for FetchTransport {
    fn drop(&mut self) {
        self.control.close();
    }
}

/// The page's request builder (js/parsing.js): the options' method,
/// headers, body and credentials live there, so that the wasm holds no
/// web-sys request code.
struct JsRequest(js_sys::Function);

impl fetch::MakeRequest for JsRequest {
    fn make(
        &self,
        url: &str,
        last_event_id: &str,
        signal: Option<&web_sys::AbortSignal>,
        extra: Option<&crate::Request>,
    ) -> Result<web_sys::Request, JsValue> {
        let args = js_sys::Array::of3(
            &url.into(),
            &last_event_id.into(),
            &signal.map_or(JsValue::UNDEFINED, JsValue::from),
        );
        if let Some(extra) = extra {
            // No header name or value can hold a CR.
            let mut headers = String::new();
            for (name, value) in &extra.headers {
                for part in [name, value] {
                    headers.push_str(part);
                    headers.push('\r');
                }
            }
            args.push(&headers.into());
            args.push(
                &extra
                    .body
                    .as_deref()
                    .map_or(JsValue::UNDEFINED, JsValue::from),
            );
        }
        self.0
            .apply(&JsValue::NULL, &args)
            .map(JsCast::unchecked_into)
    }
}

struct JsOutput {
    dispatch: js_sys::Function,
    batch: RefCell<String>,
    /// The last event ID and reconnection time last sent, as encoded.
    state: RefCell<String>,
}

impl JsOutput {
    fn send(&self, signal: Signal, payload: &JsValue) {
        // An exception in a page listener is the browser's to report; it
        // must not stop the connection.
        let _ = self
            .dispatch
            .call2(&JsValue::NULL, &(signal as u32).into(), payload);
    }

    /// The error's facts (src/facts.rs).
    fn send_error(&self, signal: Signal, error: Option<&Error>) {
        let details = js_sys::Object::new();
        if let Some(error) = error {
            facts::write(&details, error);
        }
        self.send(signal, &details);
    }
}

impl Output for JsOutput {
    fn alive(&self) -> bool {
        true
    }

    fn event(&self, event: Event<'_>) {
        encode_event(&mut self.batch.borrow_mut(), &event);
    }

    /// In the batch as an event of no type, which no event has (an empty
    /// `event:` field means `message`).
    fn comment(&self, text: &str) {
        let mut batch = self.batch.borrow_mut();
        batch.push('\r');
        batch.push_str(text.strip_prefix(' ').unwrap_or(text));
        batch.push_str("\r\r");
    }

    fn finished(&self) {
        self.send(Signal::Finished, &JsValue::UNDEFINED);
    }

    fn slice_len(&self) -> usize {
        SLICE
    }

    fn flush(&self, parser: &Parser) {
        let mut batch = std::mem::take(&mut *self.batch.borrow_mut());
        let mut state = self.state.borrow_mut();
        let before = std::mem::take(&mut *state);
        encode_state(&mut state, parser);
        // Sent when there are events, or when an `id:` or `retry:` alone
        // changed the source's state.
        if !batch.is_empty() || *state != before {
            batch.push_str(&state);
            drop(state);
            self.send(Signal::Events, &JsValue::from_str(&batch));
        }
        // Only the task writes the batch, and it is here: keep the
        // allocation for the next chunk, unless a burst made it large.
        if batch.capacity() <= BATCH_KEEP {
            batch.clear();
            *self.batch.borrow_mut() = batch;
        }
    }

    fn opened(&self, origin: &str) {
        self.send(Signal::Open, &origin.into());
    }

    fn reconnecting(&self, error: Option<Error>, attempt: u32, delay: Duration) {
        // The state first, so that `error` listeners can read the delay.
        let state = js_sys::Object::new();
        let millis = delay.as_secs_f64() * 1000.0;
        facts::number(&state, "attempt", f64::from(attempt));
        facts::number(&state, "delay", millis);
        facts::number(&state, "nextAttemptAt", js_sys::Date::now() + millis);
        self.send(Signal::State, &state);
        self.send_error(Signal::Reconnecting, error.as_ref());
    }

    fn ended(&self, error: Option<Error>) {
        self.send_error(Signal::Failed, error.as_ref());
    }

    fn problem(&self, error: Error) {
        // The class only warns on the console: no event to order.
        self.send_error(Signal::Problem, Some(&error));
    }
}

/// A policy from `[base, cap, max_attempts (-1: none), reset_after]` in ms.
fn policy_from(fields: &[f64]) -> crate::ReconnectPolicy {
    let field = |index: usize| fields.get(index).copied();
    let mut policy = crate::ReconnectPolicy::new();
    if let Some(base) = field(0) {
        policy = policy.base(millis_to_duration(base));
    }
    if let Some(cap) = field(1) {
        policy = policy.cap(millis_to_duration(cap));
    }
    if let Some(limit) = field(2).filter(|limit| *limit >= 0.0) {
        policy = policy.max_attempts(limit.min(f64::from(u32::MAX)) as u32);
    }
    if let Some(reset) = field(3) {
        policy = policy.reset_after(millis_to_duration(reset));
    }
    policy
}

/// Milliseconds from JS; NaN and negatives are zero, anything past a day a day.
fn millis_to_duration(millis: f64) -> Duration {
    // `clamp` keeps NaN, and `as` makes it 0.
    Duration::from_millis(millis.clamp(0.0, 86_400_000.0) as u64)
}

/// A batch is one string, so that a chunk's events cross into JS in one
/// call: `type\rdata\rid\r` per event (`\rtext\r\r` per comment, while the
/// page listens to them), then the source's last event ID and
/// reconnection time (`id\rmillis`, empty without `retry:`). No field can
/// hold a CR, which ends lines in the stream.
fn encode_event(batch: &mut String, event: &Event<'_>) {
    // Exactly, for a large event: doubling from a small batch would hold up
    // to twice its size.
    batch.reserve(event.event_type.len() + event.data.len() + event.last_event_id.len() + 3);
    for field in [&event.event_type, &event.data, &event.last_event_id] {
        batch.push_str(field);
        batch.push('\r');
    }
}

fn encode_state(batch: &mut String, parser: &Parser) {
    batch.push_str(parser.last_event_id());
    batch.push('\r');
    if let Some(retry) = parser.retry() {
        // A number as text without formatting machinery.
        let mut digits = [0u8; 20];
        let mut value = retry.as_millis().min(u128::from(u64::MAX)) as u64;
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (value % 10) as u8;
            value /= 10;
            if value == 0 {
                break;
            }
        }
        batch.extend(digits[start..].iter().map(|&d| char::from(d)));
    }
}

/// The parser for `EventSource.fromReadableStream()`: the JS class reads the
/// stream and hands each chunk over; no JS value is held on this side. It
/// parses through the same path as the fetch transport, so the wasm holds one
/// copy of the parser.
#[wasm_bindgen]
pub struct StreamParser {
    parser: Parser,
    output: BatchOutput,
    control: Control,
}

#[wasm_bindgen]
impl StreamParser {
    /// A parser at the start of a stream.
    #[wasm_bindgen(constructor)]
    pub fn new() -> StreamParser {
        StreamParser {
            parser: Parser::new(),
            output: BatchOutput::default(),
            control: Control::default(),
        }
    }

    /// Parses a chunk; returns its events and the source's state as a batch
    /// (see [`encode_event`]).
    pub fn feed(&mut self, chunk: &[u8]) -> String {
        task::feed(&mut self.parser, chunk, URL, &self.output, &self.control);
        self.output.batch.take()
    }

    /// Events skipped so far for being over the size limit.
    #[wasm_bindgen(getter)]
    pub fn oversized(&self) -> u32 {
        self.output.oversized.get()
    }
}

impl Default for StreamParser {
    fn default() -> Self {
        Self::new()
    }
}

/// Collects a chunk's batch for [`StreamParser`].
#[derive(Default)]
struct BatchOutput {
    batch: RefCell<String>,
    oversized: Cell<u32>,
}

impl Output for BatchOutput {
    fn alive(&self) -> bool {
        true
    }

    fn opened(&self, _: &str) {}

    fn event(&self, event: Event<'_>) {
        encode_event(&mut self.batch.borrow_mut(), &event);
    }

    fn flush(&self, parser: &Parser) {
        encode_state(&mut self.batch.borrow_mut(), parser);
    }

    fn reconnecting(&self, _: Option<Error>, _: u32, _: Duration) {}

    fn ended(&self, _: Option<Error>) {}

    fn problem(&self, _: Error) {
        self.oversized.set(self.oversized.get() + 1);
    }
}
