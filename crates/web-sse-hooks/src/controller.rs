//! One connection that follows a URL and options, reconnects after the
//! source gives up, and reports through a [`Sink`], per event or per
//! animation frame.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use web_sse::{Error, EventSource, Listener, MessageEvent, ReadyState};

use crate::frame::Frame;
use crate::log::push_bounded;
use crate::options::{Batch, ConnectionOptions, OnEvent, OnFailed};

/// The [`Sink`]'s setter for arriving events.
pub type SinkEvents = Box<dyn Fn(&[MessageEvent])>;

/// Where a [`Controller`] reports what happens: the framework's state
/// setters. Each is called outside the controller's own borrows, so any of
/// them may call back into the controller.
pub struct Sink {
    /// The ready state changed.
    pub ready_state: Box<dyn Fn(ReadyState)>,
    /// Events of the collected types arrived, oldest first: one event with
    /// [`Batch::Event`]; with [`Batch::Frame`], those of one animation frame
    /// (the latest `keep` of them, at least one). Each call is meant to be
    /// one state update.
    pub events: SinkEvents,
    /// The connection error changed: `Some` when the source gave up or could
    /// not be opened, `None` once it opens.
    pub error: Box<dyn Fn(Option<Error>)>,
    /// The source changed (`None`: there is none), for subscriptions that
    /// share it, such as typed JSON.
    pub source: Box<dyn Fn(Option<Rc<EventSource>>)>,
}

/// Drives one connection for a hook. Cloning shares it.
///
/// It connects when asked ([`open`](Self::open), or
/// [`configure`](Self::configure) once opened), replaces the connection when
/// the URL or the connection options change, and closes it on
/// [`close`](Self::close). Dropping the last clone closes the connection too.
///
/// Reconnection is web-sse's reconnect policy, on both transports (on the
/// native one it reopens the source where the browser gives up, after a
/// non-200 status, say). When the policy's attempts are used up, the source
/// fails for good and the controller calls `on_failed`.
///
/// With [`Batch::Frame`] ([`set_batch`](Self::set_batch)) the events wait
/// for the next animation frame and reach the sink together; those still
/// waiting when the connection closes or is replaced reach it first.
#[derive(Clone)]
pub struct Controller {
    inner: Rc<Inner>,
}

struct Inner {
    sink: Sink,
    state: RefCell<State>,
    pending: RefCell<Pending>,
}

/// The events that wait for a frame with [`Batch::Frame`].
#[derive(Default)]
struct Pending {
    events: VecDeque<MessageEvent>,
    /// Whether a frame will deliver `events`.
    scheduled: bool,
    /// The latest frame requested; kept after it ran, so that its closure is
    /// never freed while it runs, and cancelled when the controller goes.
    frame: Option<Frame>,
}

#[derive(Default)]
struct State {
    url: Option<String>,
    options: Option<ConnectionOptions>,
    on_event: Option<OnEvent>,
    on_failed: Option<OnFailed>,
    batch: Batch,
    /// How many events the hook keeps: a frame never holds more (at least 1).
    keep: usize,
    /// Whether the user wants a connection: set by open, cleared by close.
    wanted: bool,
    connection: Option<Connection>,
}

/// Everything one source needs; dropping it closes the source and removes
/// every listener.
struct Connection {
    source: Rc<EventSource>,
    _listeners: Vec<Listener>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Other holders of the Rc (a JSON subscription) must not keep it open.
        self.source.close();
    }
}

/// What `connect` reports once its borrow is released.
enum Report {
    Opened(Rc<EventSource>),
    NoUrl,
    Failed(Error),
}

impl Controller {
    /// A controller that reports to `sink` and has no connection yet.
    pub fn new(sink: Sink) -> Self {
        Controller {
            inner: Rc::new(Inner {
                sink,
                state: RefCell::new(State {
                    keep: 1,
                    ..State::default()
                }),
                pending: RefCell::new(Pending::default()),
            }),
        }
    }

    /// Sets the URL (`None`: none yet) and the connection options. When
    /// either changed and a connection is wanted, the old connection closes
    /// and a new one opens.
    pub fn configure(&self, url: Option<&str>, options: &ConnectionOptions) {
        let reconnect = {
            let mut state = self.inner.state.borrow_mut();
            let changed = state.url.as_deref() != url || state.options.as_ref() != Some(options);
            if changed {
                state.url = url.map(str::to_owned);
                state.options = Some(options.clone());
            }
            changed && state.wanted
        };
        if reconnect {
            self.connect();
        }
    }

    /// The callbacks to call from now on; changing them does not reconnect.
    pub fn set_callbacks(&self, on_event: Option<OnEvent>, on_failed: Option<OnFailed>) {
        let mut state = self.inner.state.borrow_mut();
        state.on_event = on_event;
        state.on_failed = on_failed;
    }

    /// How events reach the sink from now on, and how many of them the hook
    /// keeps (a frame holds no more than that, and at least one). Leaving
    /// [`Batch::Frame`] delivers what waits at once.
    pub fn set_batch(&self, batch: Batch, keep: usize) {
        {
            let mut state = self.inner.state.borrow_mut();
            state.batch = batch;
            state.keep = keep;
        }
        if batch == Batch::Event {
            self.inner.flush();
        }
    }

    /// Connects if there is no live connection (none, or one that gave up);
    /// does nothing while connected or connecting.
    pub fn open(&self) {
        let live = {
            let mut state = self.inner.state.borrow_mut();
            state.wanted = true;
            state
                .connection
                .as_ref()
                .is_some_and(|c| c.source.ready_state() != ReadyState::Closed)
        };
        if !live {
            self.connect();
        }
    }

    /// Closes the connection, if any, and opens a new one now: the same
    /// source, through [`EventSource::reconnect`], so that it resumes from
    /// the last event ID and every listener (a JSON subscription too) stays;
    /// also after the source gave up. Without a source yet, it connects.
    pub fn reconnect(&self) {
        self.inner.flush();
        let source = {
            let mut state = self.inner.state.borrow_mut();
            state.wanted = true;
            state.connection.as_ref().map(|c| Rc::clone(&c.source))
        };
        let Some(source) = source else {
            self.connect();
            return;
        };
        (self.inner.sink.error)(None);
        source.reconnect();
        (self.inner.sink.ready_state)(source.ready_state());
    }

    /// Closes the connection and cancels a pending reconnect. The state
    /// becomes `Closed`; nothing reconnects until `open` or `reconnect`.
    pub fn close(&self) {
        let connection = {
            let mut state = self.inner.state.borrow_mut();
            state.wanted = false;
            state.connection.take()
        };
        // Dropped outside the borrow: closing runs the source's own teardown.
        drop(connection);
        self.inner.flush();
        (self.inner.sink.source)(None);
        (self.inner.sink.ready_state)(ReadyState::Closed);
    }

    /// The current source, if any.
    pub fn source(&self) -> Option<Rc<EventSource>> {
        let state = self.inner.state.borrow();
        state.connection.as_ref().map(|c| Rc::clone(&c.source))
    }

    /// Replaces the connection with a new one to the current URL; the
    /// error starts over.
    fn connect(&self) {
        let old = self.inner.state.borrow_mut().connection.take();
        drop(old);
        self.inner.flush();
        (self.inner.sink.error)(None);

        let report = {
            let mut state = self.inner.state.borrow_mut();
            let options = options_or_default(&state.options);
            match state.url.clone() {
                None => Report::NoUrl,
                Some(url) => match EventSource::with_options(&url, &options.source_options()) {
                    Err(error) => Report::Failed(error),
                    Ok(source) => {
                        let source = Rc::new(source);
                        let listeners = self.listen(&source, &options);
                        state.connection = Some(Connection {
                            source: Rc::clone(&source),
                            _listeners: listeners,
                        });
                        Report::Opened(source)
                    }
                },
            }
        };

        let sink = &self.inner.sink;
        match report {
            Report::Opened(source) => {
                (sink.ready_state)(source.ready_state());
                (sink.source)(Some(source));
            }
            Report::NoUrl => {
                (sink.source)(None);
                (sink.ready_state)(ReadyState::Closed);
            }
            Report::Failed(error) => {
                (sink.source)(None);
                (sink.ready_state)(ReadyState::Closed);
                (sink.error)(Some(error));
            }
        }
    }

    fn listen(&self, source: &EventSource, options: &ConnectionOptions) -> Vec<Listener> {
        let mut listeners = Vec::with_capacity(options.event_types.len() + 2);
        let weak = Rc::downgrade(&self.inner);
        listeners.push(source.on_open(move |_| {
            if let Some(inner) = weak.upgrade() {
                (inner.sink.error)(None);
                (inner.sink.ready_state)(ReadyState::Open);
            }
        }));
        let weak = Rc::downgrade(&self.inner);
        listeners.push(source.on_error(move |event| {
            let Some(inner) = weak.upgrade() else { return };
            (inner.sink.ready_state)(event.ready_state());
            // While reconnecting, the error (when the transport knows one)
            // says why; it clears when the connection opens.
            if let Some(error) = event.error() {
                (inner.sink.error)(Some(error.clone()));
            }
            if event.is_fatal() {
                // The policy's attempts are used up (or the source could
                // not be retried): the end.
                let on_failed = inner.state.borrow().on_failed.clone();
                if let Some(on_failed) = on_failed {
                    on_failed();
                }
            }
        }));
        for event_type in &options.event_types {
            let weak = Rc::downgrade(&self.inner);
            listeners.push(source.on(event_type, move |event| {
                let Some(inner) = weak.upgrade() else { return };
                let batch = inner.state.borrow().batch;
                match batch {
                    Batch::Frame => Inner::queue(&inner, event),
                    _ => (inner.sink.events)(std::slice::from_ref(event)),
                }
                let on_event = inner.state.borrow().on_event.clone();
                if let Some(on_event) = on_event {
                    on_event(event);
                }
            }));
        }
        listeners
    }
}

impl Inner {
    /// Holds `event` for the next frame, and asks for one unless one is due;
    /// without frames (no `window`), delivers at once.
    fn queue(inner: &Rc<Inner>, event: &MessageEvent) {
        let keep = inner.state.borrow().keep.max(1);
        let request = {
            let mut pending = inner.pending.borrow_mut();
            push_bounded(&mut pending.events, event.clone(), keep);
            !std::mem::replace(&mut pending.scheduled, true)
        };
        if !request {
            return;
        }
        let weak: Weak<Inner> = Rc::downgrade(inner);
        let frame = Frame::request(move || {
            if let Some(inner) = weak.upgrade() {
                inner.flush();
            }
        });
        match frame {
            // No frame was due (scheduled was false): the one held, if any,
            // has run or lost its events to a flush, so dropping it frees a
            // closure that is not running (and cancels it if still pending).
            Some(frame) => inner.pending.borrow_mut().frame = Some(frame),
            None => inner.flush(),
        }
    }

    /// Delivers the waiting events, if any, in one call.
    fn flush(&self) {
        let mut events = {
            let mut pending = self.pending.borrow_mut();
            pending.scheduled = false;
            std::mem::take(&mut pending.events)
        };
        if !events.is_empty() {
            (self.sink.events)(events.make_contiguous());
        }
    }
}

/// The options in use; the defaults before the first `configure`.
fn options_or_default(options: &Option<ConnectionOptions>) -> ConnectionOptions {
    match options {
        Some(options) => options.clone(),
        None => crate::Options::new().connection().clone(),
    }
}
