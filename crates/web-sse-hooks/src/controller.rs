//! One connection that follows a URL and options, reconnects after the
//! source gives up, and reports through a [`Sink`].

use std::cell::RefCell;
use std::rc::Rc;

use web_sse::{Error, EventSource, Listener, MessageEvent, ReadyState};

use crate::options::{ConnectionOptions, OnEvent, OnFailed};

/// Where a [`Controller`] reports what happens: the framework's state
/// setters. Each is called outside the controller's own borrows, so any of
/// them may call back into the controller.
pub struct Sink {
    /// The ready state changed.
    pub ready_state: Box<dyn Fn(ReadyState)>,
    /// An event of one of the collected types arrived.
    pub event: Box<dyn Fn(&MessageEvent)>,
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
#[derive(Clone)]
pub struct Controller {
    inner: Rc<Inner>,
}

struct Inner {
    sink: Sink,
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    url: Option<String>,
    options: Option<ConnectionOptions>,
    on_event: Option<OnEvent>,
    on_failed: Option<OnFailed>,
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
                state: RefCell::new(State::default()),
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
                (inner.sink.event)(event);
                let on_event = inner.state.borrow().on_event.clone();
                if let Some(on_event) = on_event {
                    on_event(event);
                }
            }));
        }
        listeners
    }
}

/// The options in use; the defaults before the first `configure`.
fn options_or_default(options: &Option<ConnectionOptions>) -> ConnectionOptions {
    match options {
        Some(options) => options.clone(),
        None => crate::Options::new().connection().clone(),
    }
}
