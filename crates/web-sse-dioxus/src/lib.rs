//! Dioxus hooks for [web-sse]: a live Server-Sent Events connection as
//! signals.
//!
//! ```no_run
//! use dioxus::prelude::*;
//! use web_sse_dioxus::{use_event_source, Batch, Options, ReadyState};
//!
//! #[component]
//! fn Live() -> Element {
//!     let sse = use_event_source(
//!         Some("/events".to_owned()),
//!         Options::new()
//!             .event_types(["message", "update"])
//!             .keep(50)
//!             .batch(Batch::Frame),
//!     );
//!     rsx! {
//!         p { "{sse.ready_state:?}" }
//!         if let Some(error) = sse.error.read().as_ref() {
//!             p { "{error}" }
//!         }
//!         if *sse.ready_state.read() == ReadyState::Closed {
//!             button { onclick: move |_| sse.reconnect(), "Reconnect" }
//!         }
//!         ul {
//!             for event in sse.events.read().iter() {
//!                 li { "{event.data()}" }
//!             }
//!         }
//!     }
//! }
//! ```
//!
//! # Lifetime
//! The connection lives as long as the component that calls the hook: it
//! closes when the component is dropped, and is replaced when the URL or the
//! connection options change. Nothing writes into a dropped component's
//! signals, and every browser listener is removed.
//!
//! # Retries
//! The browser reconnects on its own after a dropped connection. When it
//! gives up instead (a `503` from a proxy during a deploy, say), the hook
//! opens a new connection after
//! [`reconnect_interval`](Options::reconnect_interval), up to
//! [`reconnect_limit`](Options::reconnect_limit) times, then calls
//! [`on_failed`](Options::on_failed).
//!
//! # Batching
//! By default each event is a signal update, so a render of the components
//! that read it. For a fast stream, [`Options::batch`]`(`[`Batch::Frame`]`)`
//! writes all the events of one animation frame in one update: at most one
//! render per frame.
//!
//! [web-sse]: https://docs.rs/web-sse
#![deny(missing_docs)]
#![warn(rust_2018_idioms)]
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::cell::Cell;
use std::collections::VecDeque;
use std::rc::Rc;

use dioxus::prelude::*;
use web_sse_hooks::{push_bounded, Controller, Sink};

pub use web_sse::{Error, EventSource, MessageEvent, ReadyState, Transport};
pub use web_sse_hooks::{Batch, Options};

#[cfg(feature = "json")]
mod json;
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub use json::{use_json_event, UseJsonEvent};

/// The current source, compared by identity, for subscriptions that share
/// the connection ([`use_json_event`]).
#[derive(Clone, Debug)]
pub struct SourceRef(pub Rc<EventSource>);

impl PartialEq for SourceRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// What [`use_event_source`] returns: signals and controls. `Copy`, so it
/// moves into any number of event handlers.
#[derive(Clone, Copy, PartialEq)]
pub struct UseEventSource {
    /// The connection state; `Closed` before the first connection, after
    /// `close()`, when the source gave up, or when there is no URL.
    pub ready_state: ReadOnlySignal<ReadyState>,
    /// The latest event of the collected types, even with `keep(0)`.
    pub latest: ReadOnlySignal<Option<MessageEvent>>,
    /// The latest `keep` events, oldest first. Updated in place: a new event
    /// never copies the list.
    pub events: ReadOnlySignal<VecDeque<MessageEvent>>,
    /// Why the connection failed or could not be opened; `None` once it
    /// opens. Never a JSON error: those stay in [`use_json_event`].
    pub error: ReadOnlySignal<Option<Error>>,
    /// The current source, for further subscriptions.
    pub source: ReadOnlySignal<Option<SourceRef>>,
    controller: CopyValue<Controller>,
}

impl UseEventSource {
    /// Connects if not connected (with `immediate(false)`, the first
    /// connection waits for this). Starts the retry count over.
    pub fn open(&self) {
        self.with_controller(Controller::open);
    }

    /// Closes the connection and cancels pending retries; it stays closed
    /// until `open` or `reconnect`.
    pub fn close(&self) {
        self.with_controller(Controller::close);
    }

    /// Replaces the connection with a fresh one.
    pub fn reconnect(&self) {
        self.with_controller(Controller::reconnect);
    }

    fn with_controller(&self, f: impl FnOnce(&Controller)) {
        // A clone, so that the controller's setters may write signals while
        // `f` runs; none once the component is gone.
        let controller = self.controller.try_read().ok().map(|c| c.clone());
        if let Some(controller) = controller {
            f(&controller);
        }
    }
}

/// Writes `value` unless the signal's component is gone (a late report).
fn put<T: 'static>(mut signal: Signal<T>, value: T) {
    if let Ok(mut slot) = signal.try_write() {
        *slot = value;
    }
}

/// Opens a Server-Sent Events connection to `url` for as long as the
/// component is alive; `None` waits for a URL.
///
/// A new `url` or new connection options (event types, credentials,
/// transport, retries) replace the connection; new callbacks, a new `keep`
/// or a new [`Batch`] do not. See [`Options`] for the defaults.
pub fn use_event_source(url: Option<String>, options: Options) -> UseEventSource {
    let ready_state = use_signal(|| ReadyState::Closed);
    let latest = use_signal(|| None::<MessageEvent>);
    let events = use_signal(VecDeque::<MessageEvent>::new);
    let error = use_signal(|| None::<Error>);
    let source = use_signal(|| None::<SourceRef>);
    // Read only by the sink, never by a render: a new `keep` renders nothing.
    let keep = use_hook(|| Rc::new(Cell::new(options.keep_count())));
    keep.set(options.keep_count());

    let controller = use_hook(|| {
        let keep = Rc::clone(&keep);
        CopyValue::new(Controller::new(Sink {
            ready_state: Box::new(move |state| put(ready_state, state)),
            events: Box::new(move |batch| {
                let Some(last) = batch.last() else { return };
                let keep = keep.get();
                let mut log = events;
                if keep > 0 {
                    if let Ok(mut log) = log.try_write() {
                        for event in batch {
                            push_bounded(&mut log, event.clone(), keep);
                        }
                    };
                }
                put(latest, Some(last.clone()));
            }),
            error: Box::new(move |e| put(error, e)),
            source: Box::new(move |s| put(source, s.map(SourceRef))),
        }))
    });
    let current = controller.read().clone();
    let (on_event, on_failed) = options.callbacks();
    current.set_callbacks(on_event, on_failed);
    current.set_batch(options.batching(), options.keep_count());

    let immediate = options.is_immediate();
    let connection = options.connection().clone();
    use_effect(use_reactive(
        (&url, &connection),
        move |(url, connection)| {
            let controller = controller.read().clone();
            controller.configure(url.as_deref(), &connection);
            if immediate {
                controller.open();
            }
        },
    ));
    use_drop(move || {
        if let Ok(controller) = controller.try_read() {
            controller.clone().close();
        }
    });

    UseEventSource {
        ready_state: ready_state.into(),
        latest: latest.into(),
        events: events.into(),
        error: error.into(),
        source: source.into(),
        controller,
    }
}
