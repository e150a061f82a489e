//! What the transports that parse in wasm share (the fetch transport and
//! sources made from a stream): the task's control block, where the task
//! reports, and feeding a body, chunk by chunk, into the parser.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use gloo_timers::future::TimeoutFuture;

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::event::MessageEvent;
use crate::hub::{Driver, Hub};
use crate::parse::{Event, Item, Parser};
use crate::Error;

#[wasm_bindgen]
extern "C" {
    // The global `fetch`, so that windows and workers both work.
    #[wasm_bindgen(js_name = fetch)]
    pub(crate) fn global_fetch(request: &web_sys::Request) -> js_sys::Promise;

    /// What a reader's `read()` resolves to. Its fields are read through
    /// getters: `Reflect::get` would build the key strings in JS on every
    /// read, which cost more than the parsing when chunks are small.
    type ReadResult;
    #[wasm_bindgen(method, getter)]
    fn done(this: &ReadResult) -> bool;
    #[wasm_bindgen(method, getter)]
    fn value(this: &ReadResult) -> JsValue;
}

/// What the driver and its task share: the close flag, and what a close must
/// interrupt: the request (abort), the body's reader (cancel), a wait.
#[derive(Default)]
pub(crate) struct Control {
    closed: Cell<bool>,
    /// An event was delivered since [`Control::take_delivered`] last looked.
    delivered: Cell<bool>,
    abort: RefCell<Option<web_sys::AbortController>>,
    reader: RefCell<Option<web_sys::ReadableStreamDefaultReader>>,
    waker: RefCell<Option<Waker>>,
    /// The sentinel that ends the source cleanly, if any.
    pub(crate) end_on: RefCell<Option<crate::EndOn>>,
    /// The sentinel was met: nothing more is delivered.
    finished: Cell<bool>,
    /// Someone listens to comments: only then are they handed over.
    pub(crate) comments: Cell<bool>,
    /// The parser's last event ID after the last chunk, for a restart.
    last_event_id: RefCell<String>,
    /// The server's reconnection time, as the parser last had it.
    retry: Cell<Option<Duration>>,
}

impl Control {
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Whether the end sentinel was met.
    pub(crate) fn is_finished(&self) -> bool {
        self.finished.get()
    }

    /// Whether a sentinel is expected: a response that ends before it is
    /// truncated.
    pub(crate) fn expects_end(&self) -> bool {
        self.end_on.borrow().is_some()
    }

    /// The last event ID as of the last chunk read.
    pub(crate) fn last_event_id(&self) -> String {
        self.last_event_id.borrow().clone()
    }

    /// The server's reconnection time, if it set one.
    pub(crate) fn retry(&self) -> Option<Duration> {
        self.retry.get()
    }

    pub(crate) fn remember(&self, parser: &Parser) {
        self.retry.set(parser.retry());
        let id = parser.last_event_id();
        let mut kept = self.last_event_id.borrow_mut();
        if *kept != id {
            kept.clear();
            kept.push_str(id);
        }
    }

    /// Whether an event was delivered since the last call.
    pub(crate) fn take_delivered(&self) -> bool {
        self.delivered.replace(false)
    }

    /// Stops the task for good: aborts the request, cancels the body, ends a
    /// wait. The pending fetch or read then settles and the task ends.
    pub(crate) fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        let reader = self.reader.borrow_mut().take();
        if let Some(abort) = self.abort.borrow_mut().take() {
            // A fetch's body errors with it: no cancel needed.
            abort.abort();
        } else if let Some(reader) = reader {
            // A stream we were handed: cancelling it resolves the pending
            // read with `done`. Awaited, so that a rejection is handled
            // rather than reported to the page.
            wasm_bindgen_futures::spawn_local(async move {
                let _ = JsFuture::from(reader.cancel()).await;
            });
        }
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
    }

    pub(crate) fn set_abort(&self, abort: Option<web_sys::AbortController>) {
        *self.abort.borrow_mut() = abort;
    }

    /// Aborts the request under way (an idle timeout), without closing.
    pub(crate) fn abort_request(&self) {
        let abort = self.abort.borrow_mut().take();
        if let Some(abort) = abort {
            abort.abort();
        }
    }

    /// Remembers who to wake when the source is closed during a wait.
    pub(crate) fn set_waker(&self, waker: Option<&Waker>) {
        *self.waker.borrow_mut() = waker.cloned();
    }

    /// Wakes the task's wait (the browser came back online).
    pub(crate) fn wake(&self) {
        let waker = self.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// `future`'s output, or `None` when `idle` passes first.
pub(crate) async fn within<F>(future: F, idle: Option<Duration>) -> Option<F::Output>
where
    F: Future + Unpin,
{
    let Some(idle) = idle else {
        return Some(future.await);
    };
    let mut future = future;
    let mut timer = TimeoutFuture::new(u32::try_from(idle.as_millis()).unwrap_or(u32::MAX));
    poll_fn(|cx| {
        if let Poll::Ready(output) = Pin::new(&mut future).poll(cx) {
            return Poll::Ready(Some(output));
        }
        Pin::new(&mut timer).poll(cx).map(|()| None)
    })
    .await
}

/// The driver of a task-run transport: closing it closes the task.
pub(crate) struct TaskDriver(pub(crate) Rc<Control>);

impl Driver for TaskDriver {
    fn watch(&self, _: &str) {}

    fn close(&self) {
        self.0.close();
    }
}

/// Where a task reports. The hub, for Rust code; the JS class's dispatcher,
/// in batches, for pages (`src/js`).
pub(crate) trait Output {
    /// Whether anyone still listens; the task ends when nobody does.
    fn alive(&self) -> bool;
    fn opened(&self, origin: &str);
    fn event(&self, event: Event<'_>);
    /// A comment's text after the colon, as sent; called only while
    /// [`Control::comments`] is on.
    fn comment(&self, _text: &str) {}
    /// The end sentinel was met: the end, cleanly.
    fn finished(&self) {
        self.ended(None);
    }
    /// The end of a chunk's events; the parser holds the source's last event
    /// ID and reconnection time as they stand now.
    fn flush(&self, _parser: &Parser) {}
    /// The connection dropped; attempt `attempt` starts after `delay`.
    fn reconnecting(&self, error: Option<Error>, attempt: u32, delay: Duration);
    /// The end, for good: with an error, or without (a stream that ended).
    fn ended(&self, error: Option<Error>);
    fn problem(&self, error: Error);
    /// The bytes to parse at a time, between two looks at
    /// [`poll_room`](Output::poll_room); the default, whole chunks.
    fn slice_len(&self) -> usize {
        usize::MAX
    }
    /// `Some` when a subscriber is congested and the reader must wait (see
    /// [`make_room`]): how long for one that does not poll at all (`None`:
    /// however long). Starts the clock for
    /// [`abandon_unpolled`](Output::abandon_unpolled).
    fn congested(&self) -> Option<Option<Duration>> {
        None
    }
    /// `Ready` once every subscriber has room; otherwise `cx` is woken when
    /// one drains.
    fn poll_room(&self, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Ready(())
    }
    /// The wait timed out: congested subscribers that did not poll
    /// meanwhile are left to lag.
    fn abandon_unpolled(&self) {}
}

/// Reports to the hub, which it holds weakly: when the last handle and stream
/// are gone, the task ends.
pub(crate) struct HubOutput {
    hub: Weak<Hub>,
    origin: RefCell<Arc<str>>,
    /// The last event type and ID, shared by the events that repeat them
    /// (most do), so that an event usually allocates for its data alone.
    event_type: RefCell<Arc<str>>,
    last_event_id: RefCell<Arc<str>>,
}

impl HubOutput {
    pub(crate) fn new(hub: Weak<Hub>) -> Self {
        HubOutput {
            hub,
            origin: RefCell::new(Arc::from("")),
            event_type: RefCell::new(Arc::from("message")),
            last_event_id: RefCell::new(Arc::from("")),
        }
    }
}

/// `text`, sharing the cached copy when it is the same.
fn shared(cache: &RefCell<Arc<str>>, text: &str) -> Arc<str> {
    let mut cached = cache.borrow_mut();
    if **cached != *text {
        *cached = Arc::from(text);
    }
    Arc::clone(&cached)
}

impl Output for HubOutput {
    fn alive(&self) -> bool {
        self.hub.strong_count() > 0
    }

    fn opened(&self, origin: &str) {
        *self.origin.borrow_mut() = Arc::from(origin);
        if let Some(hub) = self.hub.upgrade() {
            hub.opened();
        }
    }

    fn event(&self, event: Event<'_>) {
        if let Some(hub) = self.hub.upgrade() {
            hub.message(&MessageEvent::new(
                shared(&self.event_type, &event.event_type),
                Arc::from(&*event.data),
                shared(&self.last_event_id, &event.last_event_id),
                Arc::clone(&self.origin.borrow()),
            ));
        }
    }

    fn comment(&self, text: &str) {
        if let Some(hub) = self.hub.upgrade() {
            hub.comment(text);
        }
    }

    fn finished(&self) {
        if let Some(hub) = self.hub.upgrade() {
            hub.finished();
        }
    }

    fn reconnecting(&self, error: Option<Error>, attempt: u32, delay: Duration) {
        if let Some(hub) = self.hub.upgrade() {
            hub.reconnecting(error, Some((attempt, delay)));
        }
    }

    fn ended(&self, error: Option<Error>) {
        if let Some(hub) = self.hub.upgrade() {
            hub.ended(error);
        }
    }

    fn problem(&self, error: Error) {
        if let Some(hub) = self.hub.upgrade() {
            hub.problem(error);
        }
    }

    fn slice_len(&self) -> usize {
        self.hub.upgrade().map_or(usize::MAX, |hub| hub.slice_len())
    }

    fn congested(&self) -> Option<Option<Duration>> {
        let hub = self.hub.upgrade()?;
        hub.is_congested().then(|| {
            hub.mark_unpolled();
            hub.abandon_after()
        })
    }

    fn poll_room(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.hub
            .upgrade()
            .map_or(Poll::Ready(()), |hub| hub.poll_room(cx))
    }

    fn abandon_unpolled(&self) {
        if let Some(hub) = self.hub.upgrade() {
            hub.abandon_unpolled();
        }
    }
}

/// Parses one chunk and reports its items, in stream order. Nothing is
/// reported once the source is closed, even mid-chunk (a listener may close
/// it), nor after the end sentinel. Comments cross only while someone
/// listens: otherwise no text of theirs leaves the parser.
pub(crate) fn feed(
    parser: &mut Parser,
    chunk: &[u8],
    url: &str,
    output: &dyn Output,
    control: &Control,
) {
    let end_on = control.end_on.borrow();
    let comments = control.comments.get();
    parser.feed_reporting(
        chunk,
        |item| {
            if control.is_closed() || control.is_finished() {
                return;
            }
            match item {
                Item::Event(event) => {
                    if let Some(end) = end_on.as_ref().filter(|end| end.matches(&event)) {
                        control.finished.set(true);
                        if !end.is_delivered() {
                            return;
                        }
                    }
                    control.delivered.set(true);
                    output.event(event);
                }
                Item::Comment(text) if comments => output.comment(&text),
                _ => {}
            }
        },
        |error| {
            if !control.is_closed() && !control.is_finished() {
                output.problem(Error::Parse {
                    url: url.to_owned(),
                    error,
                });
            }
        },
    );
    drop(end_on);
    control.remember(parser);
    output.flush(parser);
}

/// Waits while a stream of `output` is at its high-water mark: until
/// its consumer drains it, the source closes, or nobody listens any more. A
/// stream that is not polled at all for the hub's bound is abandoned to lag
/// (`Overflow::Lag`), so that it cannot stall the source for ever.
///
/// The wait is for the consumer, not a timer: its polls wake the reader.
/// Nothing is read meanwhile, so the idle timeout, which only runs during a
/// read, cannot take a paused reader for a silent server.
pub(crate) async fn make_room(output: &dyn Output, control: &Control) {
    let Some(bound) = output.congested() else {
        return;
    };
    loop {
        let mut timer = bound
            .map(|bound| TimeoutFuture::new(u32::try_from(bound.as_millis()).unwrap_or(u32::MAX)));
        let room = poll_fn(|cx| {
            if control.is_closed() || !output.alive() || output.poll_room(cx).is_ready() {
                return Poll::Ready(true);
            }
            control.set_waker(Some(cx.waker()));
            match &mut timer {
                Some(timer) => Pin::new(timer).poll(cx).map(|()| false),
                None => Poll::Pending,
            }
        })
        .await;
        control.set_waker(None);
        if room {
            return;
        }
        output.abandon_unpolled();
    }
}

/// How reading a body ended.
pub(crate) enum BodyEnd {
    /// The body ended cleanly (or was cancelled by a close).
    Done,
    /// Nobody listens any more, or the source was closed.
    Gone,
    /// The read failed: the exception.
    Failed(JsValue),
    /// Nothing arrived for the idle timeout.
    Idle,
    /// The end sentinel was met; the body is left unread.
    Finished,
}

/// The chunk that `read` (a reader's `read()`) resolves to: `Ok(None)` at
/// the end, `Err` with the exception when the read fails or a chunk is not
/// bytes.
pub(crate) async fn read_chunk(
    read: js_sys::Promise,
    idle: Option<Duration>,
) -> Option<Result<Option<js_sys::Uint8Array>, JsValue>> {
    let result = match within(JsFuture::from(read), idle).await? {
        Ok(result) => result,
        Err(exception) => return Some(Err(exception)),
    };
    let result: ReadResult = result.unchecked_into();
    if result.done() {
        return Some(Ok(None));
    }
    let value = result.value();
    Some(match value.dyn_into::<js_sys::Uint8Array>() {
        Ok(bytes) => Ok(Some(bytes)),
        Err(_) => Err(js_sys::TypeError::new("the stream's chunks must be Uint8Arrays").into()),
    })
}

/// Locks `body` and returns its reader.
pub(crate) fn reader(body: &web_sys::ReadableStream) -> web_sys::ReadableStreamDefaultReader {
    body.get_reader().unchecked_into()
}

/// Reads a body to its end into the parser, one copy into wasm memory per
/// chunk, starting with `first` when the caller already asked for the first
/// chunk. `close()` cancels it; `idle` ends it when nothing arrives for that
/// long.
pub(crate) async fn read_body(
    reader: web_sys::ReadableStreamDefaultReader,
    mut first: Option<js_sys::Promise>,
    parser: &mut Parser,
    url: &str,
    output: &dyn Output,
    control: &Control,
    idle: Option<Duration>,
) -> BodyEnd {
    *control.reader.borrow_mut() = Some(reader.clone());
    let mut chunk = Vec::new();
    let slice_len = u32::try_from(output.slice_len()).unwrap_or(u32::MAX);
    let end = 'read: loop {
        let read = read_chunk(first.take().unwrap_or_else(|| reader.read()), idle).await;
        if control.is_closed() || !output.alive() {
            break BodyEnd::Gone;
        }
        let value = match read {
            None => break BodyEnd::Idle,
            Some(Err(exception)) => break BodyEnd::Failed(exception),
            Some(Ok(None)) => break BodyEnd::Done,
            Some(Ok(Some(value))) => value,
        };
        // Copied into wasm memory one slice at a time, so that a burst of
        // megabytes does not size the buffer.
        let length = value.length();
        let mut start = 0;
        while start < length {
            let stop = length.min(start.saturating_add(slice_len));
            chunk.resize((stop - start) as usize, 0);
            // A chunk no longer than a slice, the usual case, is copied as
            // it is, without a subarray view.
            if start == 0 && stop == length {
                value.copy_to(&mut chunk);
            } else {
                value.subarray(start, stop).copy_to(&mut chunk);
            }
            feed(parser, &chunk, url, output, control);
            if control.is_finished() {
                break 'read BodyEnd::Finished;
            }
            start = stop;
            make_room(output, control).await;
            if control.is_closed() || !output.alive() {
                break 'read BodyEnd::Gone;
            }
        }
    };
    control.reader.borrow_mut().take();
    end
}
