//! The subscriber hub: transports push events in, and the hub fans them out by
//! type to callbacks and stream channels.
//!
//! It replaces what `addEventListener` gave for free, so it copies the DOM's
//! dispatch rules on purpose: a subscriber added during a dispatch does not
//! see the event being dispatched, and one removed during a dispatch is not
//! called afterwards, even for that event.

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use crate::event::{ConnectionState, ErrorEvent, MessageEvent, OpenEvent, ReadyState};
use crate::queue::Queue;
use crate::{Error, Overflow};

mod flow;
#[cfg(test)]
mod tests;

/// What the hub needs from a running transport.
pub(crate) trait Driver {
    /// Deliver events of this type from now on. The native transport listens
    /// per type; the fetch transport delivers every type anyway.
    fn watch(&self, event_type: &str);

    /// Stop for good: no reconnect, no more events.
    fn close(&self);

    /// The browser's object, on the native transport.
    fn raw(&self) -> Option<web_sys::EventSource> {
        None
    }

    /// Close the current connection, if any, and open a new one now with
    /// the last event ID; also after a close or a fatal error. `false` for a
    /// driver that cannot (a source read from a stream, a shared source):
    /// nothing changes then.
    fn can_reconnect(&self) -> bool {
        false
    }

    /// Does it; called only when [`can_reconnect`](Driver::can_reconnect).
    fn reconnect(&self) {}

    /// Whether anyone listens to comments: the transport hands them over
    /// only then. The native transport never sees them.
    fn comments(&self, _on: bool) {}

    /// This source's part in a shared connection; only the shared driver
    /// has one.
    #[cfg(feature = "shared")]
    fn shared_role(&self) -> crate::SharedRole {
        crate::SharedRole::Unshared
    }
}

type Callback<E> = Rc<RefCell<dyn FnMut(&E)>>;
/// A comment listener: the text is lent, never copied.
type CommentCallback = Rc<RefCell<dyn FnMut(&str)>>;

/// What one subscriber receives.
#[derive(Clone)]
enum Sink {
    Open(Callback<OpenEvent>),
    Error(Callback<ErrorEvent>),
    Message(String, Callback<MessageEvent>),
    State(Callback<ConnectionState>),
    /// A comment's text, borrowed from the parser.
    Comment(CommentCallback),
    /// A stream of several types; it also ends on a fatal error.
    Stream(Rc<[String]>, Rc<Queue>),
}

struct Subscriber {
    id: u32,
    sink: Sink,
}

/// One connection's subscribers and state, shared by the handle and its
/// streams; listeners and the transport hold it weakly.
pub(crate) struct Hub {
    pub(crate) url: String,
    pub(crate) with_credentials: bool,
    /// Set once, right after the hub exists: the driver holds a weak
    /// reference back to it.
    driver: OnceCell<Box<dyn Driver>>,
    state: Cell<ReadyState>,
    /// The reconnect policy's progress; its `ready_state` is unused (`state`
    /// is the one truth).
    progress: RefCell<ConnectionState>,
    /// How many events each new stream holds for a lagging consumer.
    pub(crate) stream_capacity: usize,
    /// Whether the reader gives up on a stream nobody polls.
    #[cfg_attr(not(feature = "fetch"), allow(dead_code))]
    overflow: Overflow,
    /// `None` marks a subscriber removed during a dispatch; the slots are
    /// compacted once no dispatch is running, so indices stay put meanwhile.
    subscribers: RefCell<Vec<Option<Subscriber>>>,
    dispatching: Cell<u32>,
    /// A subscriber was removed during a dispatch: compact afterwards.
    holes: Cell<bool>,
    next_id: Cell<u32>,
    /// The page's listeners (src/lifecycle.rs), removed with the hub.
    lifecycle: OnceCell<crate::lifecycle::Lifecycle>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("url", &self.url)
            .field("state", &self.state.get())
            .field("subscribers", &self.subscribers.borrow().len())
            .finish()
    }
}

impl Hub {
    pub(crate) fn new(url: String, with_credentials: bool) -> Self {
        Hub {
            url,
            with_credentials,
            driver: OnceCell::new(),
            state: Cell::new(ReadyState::Connecting),
            progress: RefCell::new(ConnectionState::default()),
            stream_capacity: crate::options::STREAM_CAPACITY,
            overflow: Overflow::Lag,
            subscribers: RefCell::new(Vec::new()),
            dispatching: Cell::new(0),
            holes: Cell::new(false),
            next_id: Cell::new(0),
            lifecycle: OnceCell::new(),
        }
    }

    /// Streams of this hub hold at most `capacity` events.
    pub(crate) fn with_stream_capacity(mut self, capacity: usize) -> Self {
        self.stream_capacity = capacity;
        self
    }

    pub(crate) fn set_driver(&self, driver: Box<dyn Driver>) {
        // Only the constructor calls this, once.
        let _ = self.driver.set(driver);
    }

    pub(crate) fn driver(&self) -> Option<&dyn Driver> {
        self.driver.get().map(Box::as_ref)
    }

    pub(crate) fn ready_state(&self) -> ReadyState {
        self.state.get()
    }

    /// The ready state and the reconnect policy's progress.
    pub(crate) fn connection_state(&self) -> ConnectionState {
        let mut state = self.progress.borrow().clone();
        state.ready_state = self.state.get();
        state
    }

    pub(crate) fn on_state_change(&self, callback: impl FnMut(&ConnectionState) + 'static) -> u32 {
        self.add(Sink::State(Rc::new(RefCell::new(callback))))
    }

    pub(crate) fn on_open(&self, callback: impl FnMut(&OpenEvent) + 'static) -> u32 {
        self.add(Sink::Open(Rc::new(RefCell::new(callback))))
    }

    pub(crate) fn on_error(&self, callback: impl FnMut(&ErrorEvent) + 'static) -> u32 {
        self.add(Sink::Error(Rc::new(RefCell::new(callback))))
    }

    pub(crate) fn on_message(
        &self,
        event_type: &str,
        callback: impl FnMut(&MessageEvent) + 'static,
    ) -> u32 {
        self.watch(event_type);
        self.add(Sink::Message(
            event_type.to_owned(),
            Rc::new(RefCell::new(callback)),
        ))
    }

    /// Adds a stream's queue, unless the source is closed (then the queue
    /// is closed at once: the stream ends).
    pub(crate) fn add_stream(&self, event_types: &[&str], queue: Rc<Queue>) -> Option<u32> {
        if self.state.get() == ReadyState::Closed {
            queue.close();
            return None;
        }
        for event_type in event_types {
            self.watch(event_type);
        }
        let types = event_types.iter().map(|t| (*t).to_owned()).collect();
        Some(self.add(Sink::Stream(types, queue)))
    }

    pub(crate) fn remove(&self, id: u32) {
        let removed = {
            let mut subscribers = self.subscribers.borrow_mut();
            let index = subscribers
                .iter()
                .position(|slot| slot.as_ref().is_some_and(|s| s.id == id));
            match index {
                Some(index) if self.dispatching.get() > 0 => {
                    self.holes.set(true);
                    subscribers[index].take()
                }
                Some(index) => subscribers.remove(index),
                None => None,
            }
        };
        // A reader paused for this stream must not wait for it any more.
        #[cfg(feature = "fetch")]
        if let Some(Subscriber {
            sink: Sink::Stream(_, queue),
            ..
        }) = &removed
        {
            queue.close();
        }
        let was_comment = matches!(
            &removed,
            Some(Subscriber {
                sink: Sink::Comment(_),
                ..
            })
        );
        if was_comment && !self.has_comment_listener() {
            if let Some(driver) = self.driver() {
                driver.comments(false);
            }
        }
        // Dropped outside the borrow: a callback's captures may hold handles
        // whose drop comes back here.
        drop(removed);
    }

    fn add(&self, sink: Sink) -> u32 {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        self.subscribers
            .borrow_mut()
            .push(Some(Subscriber { id, sink }));
        id
    }

    fn watch(&self, event_type: &str) {
        if let Some(driver) = self.driver() {
            driver.watch(event_type);
        }
    }

    // --- called by drivers ----------------------------------------------------

    /// The connection is open.
    pub(crate) fn opened(&self) {
        self.state.set(ReadyState::Open);
        {
            let mut progress = self.progress.borrow_mut();
            progress.delay = None;
            progress.next_attempt_at = None;
        }
        self.state_changed();
        self.dispatch(|sink| {
            if let Sink::Open(callback) = sink {
                call(callback, &OpenEvent {});
            }
        });
    }

    /// An event arrived. Nothing is delivered once the source is closed.
    pub(crate) fn message(&self, event: &MessageEvent) {
        if self.state.get() == ReadyState::Closed {
            return;
        }
        let event_type = event.event_type();
        self.dispatch(|sink| match sink {
            Sink::Message(wanted, callback) if wanted == event_type => call(callback, event),
            Sink::Stream(types, queue) if types.iter().any(|t| t == event_type) => {
                queue.push(Ok(event.clone()));
            }
            _ => {}
        });
    }

    /// The connection dropped and the driver is reconnecting: attempt
    /// `attempt` starts after `delay`, when the driver knows it (the
    /// browser's own reconnects on the native transport keep it hidden).
    pub(crate) fn reconnecting(&self, error: Option<Error>, schedule: Option<(u32, Duration)>) {
        if self.state.get() == ReadyState::Closed {
            return;
        }
        self.state.set(ReadyState::Connecting);
        {
            let mut progress = self.progress.borrow_mut();
            if let Some((attempt, delay)) = schedule {
                progress.attempt = attempt;
                progress.delay = Some(delay);
                progress.next_attempt_at =
                    Some(crate::reconnect::now() + delay.as_secs_f64() * 1000.0);
            }
            if error.is_some() {
                progress.last_error = error.clone();
            }
        }
        self.state_changed();
        let event = ErrorEvent::new(ReadyState::Connecting, error);
        self.dispatch(|sink| {
            if let Sink::Error(callback) = sink {
                call(callback, &event);
            }
        });
    }

    /// The attempt count, where it changed without a wait of the driver's
    /// own: on the native transport, a connection that worked ended and the
    /// browser retries by itself. The `reconnecting` that follows reports it.
    pub(crate) fn set_attempt(&self, attempt: u32) {
        self.progress.borrow_mut().attempt = attempt;
    }

    /// The driver gave up: error listeners hear it, then every stream yields
    /// `error` and ends.
    pub(crate) fn failed(&self, error: Error) {
        self.ended(Some(error));
    }

    /// The source is over for good. Error listeners hear it (as the proposal
    /// for `fromReadableStream` says, even for a clean end of the stream);
    /// streams yield the error, if there is one, and end.
    pub(crate) fn ended(&self, error: Option<Error>) {
        let closed = self.close_for_good(|progress| {
            if error.is_some() {
                progress.last_error = error.clone();
            }
        });
        if !closed {
            return;
        }
        let event = ErrorEvent::new(ReadyState::Closed, error.clone());
        self.dispatch(|sink| match sink {
            Sink::Error(callback) => call(callback, &event),
            Sink::Stream(_, queue) => {
                if let Some(error) = &error {
                    queue.push(Err(error.clone()));
                }
                queue.close();
            }
            _ => {}
        });
    }

    /// The stream broke a limit and one event was skipped: streams get the
    /// error as an item and go on, error listeners hear it with the current
    /// state.
    #[cfg(any(feature = "fetch", feature = "shared"))]
    pub(crate) fn problem(&self, error: Error) {
        if self.state.get() == ReadyState::Closed {
            return;
        }
        let event = ErrorEvent::new(self.state.get(), Some(error.clone()));
        self.dispatch(|sink| match sink {
            Sink::Error(callback) => call(callback, &event),
            Sink::Stream(_, queue) => queue.push(Err(error.clone())),
            _ => {}
        });
    }

    /// The reconnect progress a shared source's leader reports; state
    /// listeners hear it when it changes anything.
    #[cfg(feature = "shared")]
    pub(crate) fn relayed_progress(
        &self,
        attempt: u32,
        delay: Option<Duration>,
        next_attempt_at: Option<f64>,
        last_error: Option<Error>,
    ) {
        if self.state.get() == ReadyState::Closed {
            return;
        }
        let changed = {
            let mut progress = self.progress.borrow_mut();
            let before = progress.clone();
            progress.attempt = attempt;
            progress.delay = delay;
            progress.next_attempt_at = next_attempt_at;
            if last_error.is_some() {
                progress.last_error = last_error;
            }
            *progress != before
        };
        if changed {
            self.state_changed();
        }
    }

    /// A shared source's leader hands over, resuming: CONNECTING without
    /// an error (state listeners hear it), until [`resumed`](Hub::resumed).
    #[cfg(feature = "shared")]
    pub(crate) fn handing_over(&self) {
        if self.state.get() != ReadyState::Open {
            return;
        }
        self.state.set(ReadyState::Connecting);
        self.state_changed();
    }

    /// The new leader's connection opened after a hand-over: OPEN again,
    /// without an open event (the stream goes on).
    #[cfg(feature = "shared")]
    pub(crate) fn resumed(&self) {
        if self.state.get() != ReadyState::Connecting {
            return;
        }
        self.state.set(ReadyState::Open);
        {
            let mut progress = self.progress.borrow_mut();
            progress.delay = None;
            progress.next_attempt_at = None;
        }
        self.state_changed();
    }

    /// A shared source's part changed; state listeners hear it.
    #[cfg(feature = "shared")]
    pub(crate) fn set_shared_role(&self, role: crate::SharedRole) {
        if self.state.get() == ReadyState::Closed {
            return;
        }
        let before = std::mem::replace(&mut self.progress.borrow_mut().shared_role, role);
        if before != role {
            self.state_changed();
        }
    }

    /// Closes for good: the driver stops, streams end after what they hold.
    pub(crate) fn close(&self) {
        let was = self.state.replace(ReadyState::Closed);
        if let Some(driver) = self.driver() {
            driver.close();
        }
        if was != ReadyState::Closed {
            {
                let mut progress = self.progress.borrow_mut();
                progress.delay = None;
                progress.next_attempt_at = None;
            }
            self.state_changed();
        }
        for subscriber in self.subscribers.borrow().iter().flatten() {
            if let Sink::Stream(_, queue) = &subscriber.sink {
                queue.close();
            }
        }
    }

    /// Tells state listeners where the source stands now.
    fn state_changed(&self) {
        if !self
            .subscribers
            .borrow()
            .iter()
            .flatten()
            .any(|s| matches!(s.sink, Sink::State(_)))
        {
            return;
        }
        let state = self.connection_state();
        self.dispatch(|sink| {
            if let Sink::State(callback) = sink {
                call(callback, &state);
            }
        });
    }

    /// Calls `deliver` for each subscriber present when the dispatch began
    /// and still present when its turn comes. As on the DOM, closing the
    /// source from a callback does not stop the dispatch under way: the
    /// drivers check the state before the next event.
    fn dispatch(&self, mut deliver: impl FnMut(&Sink)) {
        let count = self.subscribers.borrow().len();
        self.dispatching.set(self.dispatching.get() + 1);
        for index in 0..count {
            let sink = match self.subscribers.borrow().get(index) {
                Some(Some(subscriber)) => subscriber.sink.clone(),
                _ => continue,
            };
            deliver(&sink);
        }
        let depth = self.dispatching.get() - 1;
        self.dispatching.set(depth);
        if depth == 0 && self.holes.replace(false) {
            self.subscribers.borrow_mut().retain(Option::is_some);
        }
    }
}

/// Comments, clean ends and restarts.
impl Hub {
    pub(crate) fn on_comment(&self, callback: impl FnMut(&str) + 'static) -> u32 {
        let first = !self.has_comment_listener();
        let id = self.add(Sink::Comment(Rc::new(RefCell::new(callback))));
        if first {
            if let Some(driver) = self.driver() {
                driver.comments(true);
            }
        }
        id
    }

    fn has_comment_listener(&self) -> bool {
        self.subscribers
            .borrow()
            .iter()
            .flatten()
            .any(|s| matches!(s.sink, Sink::Comment(_)))
    }

    /// A comment arrived (only while someone listens); `text` is what
    /// follows the colon, one leading space stripped as from a field value.
    #[cfg_attr(not(feature = "fetch"), allow(dead_code))]
    pub(crate) fn comment(&self, text: &str) {
        if self.state.get() == ReadyState::Closed {
            return;
        }
        let text = text.strip_prefix(' ').unwrap_or(text);
        self.dispatch(|sink| {
            if let Sink::Comment(callback) = sink {
                if let Ok(mut callback) = callback.try_borrow_mut() {
                    callback(text);
                }
            }
        });
    }

    /// The source met its end sentinel: closed for good, cleanly. State
    /// listeners hear it (with `finished`); error listeners do not, it is no
    /// error; streams end after what they hold.
    #[cfg_attr(not(feature = "fetch"), allow(dead_code))]
    pub(crate) fn finished(&self) {
        if self.close_for_good(|progress| progress.finished = true) {
            self.each_stream(Queue::close);
        }
    }

    /// The one way into the final `Closed` state: no wait is pending any
    /// more, `mark` records how it ended, and state listeners hear it.
    /// `false` when the source was closed already.
    fn close_for_good(&self, mark: impl FnOnce(&mut ConnectionState)) -> bool {
        if self.state.get() == ReadyState::Closed {
            return false;
        }
        self.state.set(ReadyState::Closed);
        {
            let mut progress = self.progress.borrow_mut();
            progress.delay = None;
            progress.next_attempt_at = None;
            mark(&mut progress);
        }
        self.state_changed();
        true
    }

    /// Watches the page for this source; once, right after the driver.
    pub(crate) fn set_lifecycle(&self, lifecycle: crate::lifecycle::Lifecycle) {
        let _ = self.lifecycle.set(lifecycle);
    }

    /// Closes the connection for the page's sake (the back/forward cache, a
    /// hidden tab) without closing the source: it stays `Connecting`, no
    /// error is heard, nothing ends, and [`reconnect`](Self::reconnect)
    /// brings it back. Only for a driver that can reconnect.
    pub(crate) fn suspend(&self) {
        let Some(driver) = self.driver().filter(|driver| driver.can_reconnect()) else {
            return;
        };
        if self.state.get() == ReadyState::Closed {
            return;
        }
        driver.close();
        self.state.set(ReadyState::Connecting);
        {
            let mut progress = self.progress.borrow_mut();
            progress.delay = None;
            progress.next_attempt_at = None;
        }
        self.state_changed();
    }

    /// Closes the connection under way, if any, and opens a new one now;
    /// a closed source comes back to life, its listeners still registered
    /// (streams that ended stay ended).
    pub(crate) fn reconnect(&self) {
        let Some(driver) = self.driver().filter(|driver| driver.can_reconnect()) else {
            return;
        };
        self.state.set(ReadyState::Connecting);
        {
            let mut progress = self.progress.borrow_mut();
            progress.attempt = 0;
            progress.delay = None;
            progress.next_attempt_at = None;
            progress.finished = false;
        }
        driver.reconnect();
        self.state_changed();
    }

    fn each_stream(&self, mut f: impl FnMut(&Queue)) {
        let queues: Vec<Rc<Queue>> = self
            .subscribers
            .borrow()
            .iter()
            .flatten()
            .filter_map(|s| match &s.sink {
                Sink::Stream(_, queue) => Some(Rc::clone(queue)),
                _ => None,
            })
            .collect();
        for queue in queues {
            f(&queue);
        }
    }
}

/// Calls a callback unless it is already running (a nested dispatch from
/// inside it): an `FnMut` cannot be re-entered, and skipping beats a panic.
fn call<E>(callback: &Callback<E>, event: &E) {
    if let Ok(mut callback) = callback.try_borrow_mut() {
        callback(event);
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        // The last handle and stream are gone: nobody can observe the
        // connection any more.
        if let Some(driver) = self.driver.get() {
            driver.close();
        }
    }
}

impl crate::lifecycle::Suspendable for Hub {
    fn is_live(&self) -> bool {
        self.state.get() != ReadyState::Closed
    }

    fn suspend(&self) {
        Hub::suspend(self);
    }

    fn reconnect(&self) {
        Hub::reconnect(self);
    }
}
