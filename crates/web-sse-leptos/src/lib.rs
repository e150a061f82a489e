//! Leptos hooks for [web-sse]: a live Server-Sent Events connection as
//! signals. SSR-safe.
//!
//! ```no_run
//! use leptos::prelude::*;
//! use web_sse_leptos::{use_event_source, Options};
//!
//! #[component]
//! fn Live() -> impl IntoView {
//!     let sse = use_event_source(
//!         "/events",
//!         Options::new().event_types(["message", "update"]).keep(50),
//!     );
//!     view! {
//!         <p>{move || format!("{:?}", sse.ready_state.get())}</p>
//!         <p>{move || sse.error.get().map(|e| e.to_string())}</p>
//!         <button on:click=move |_| sse.reconnect()>"Reconnect"</button>
//!         <ul>{move || sse.events.with(|events| {
//!             events.iter().map(|e| view! { <li>{e.data().to_owned()}</li> }).collect_view()
//!         })}</ul>
//!     }
//! }
//! ```
//!
//! The URL is any `Signal<Option<String>>`: a `&str`, a `String`, `None`
//! (wait for one) or a derived signal, and a new value replaces the
//! connection.
//!
//! # Lifetime
//! The connection lives as long as the reactive owner that calls the hook
//! (the component): it closes in the owner's cleanup, and every browser
//! listener is removed with it.
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
//! By default each event is a signal update. For a fast stream,
//! [`Options::batch`]`(`[`Batch::Frame`]`)` writes all the events of one
//! animation frame in one update of `events` and one of `latest`: the
//! effects that read them run at most once per frame.
//!
//! # Server-side rendering
//! With the `ssr` feature the hooks open nothing: the state is `Closed`, the
//! events empty, and the controls do nothing. The first client render (with
//! `hydrate`) starts from the same values, then connects in an effect.
//!
//! [web-sse]: https://docs.rs/web-sse
#![deny(missing_docs)]
#![warn(rust_2018_idioms)]
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::collections::VecDeque;
use std::rc::Rc;

use leptos::prelude::*;

pub use web_sse::{Error, EventSource, MessageEvent, ReadyState, Transport};
pub use web_sse_hooks::{Batch, Options};

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
/// moves into any number of closures.
#[derive(Clone, Copy)]
pub struct UseEventSource {
    /// The connection state; `Closed` before the first connection (and on
    /// the server), after `close()`, when the source gave up, or when there
    /// is no URL.
    pub ready_state: ReadSignal<ReadyState>,
    /// The latest event of the collected types, even with `keep(0)`.
    pub latest: ReadSignal<Option<MessageEvent>>,
    /// The latest `keep` events, oldest first. Updated in place: a new event
    /// never copies the list.
    pub events: ReadSignal<VecDeque<MessageEvent>>,
    /// Why the connection failed or could not be opened; `None` once it
    /// opens. Never a JSON error: those stay in [`use_json_event`].
    pub error: ReadSignal<Option<Error>>,
    /// The current source, for further subscriptions.
    pub source: ReadSignal<Option<SourceRef>, LocalStorage>,
    controller: StoredValue<Option<web_sse_hooks::Controller>, LocalStorage>,
}

impl UseEventSource {
    /// Connects if not connected (with `immediate(false)`, the first
    /// connection waits for this). Starts the retry count over.
    pub fn open(&self) {
        self.with_controller(|c| c.open());
    }

    /// Closes the connection and cancels pending retries; it stays closed
    /// until `open` or `reconnect`.
    pub fn close(&self) {
        self.with_controller(|c| c.close());
    }

    /// Replaces the connection with a fresh one.
    pub fn reconnect(&self) {
        self.with_controller(|c| c.reconnect());
    }

    fn with_controller(&self, f: impl FnOnce(&web_sse_hooks::Controller)) {
        // A clone, so that the controller's callbacks may reach this
        // StoredValue again while `f` runs.
        if let Some(Some(controller)) = self.controller.try_get_value() {
            f(&controller);
        }
    }
}

/// Opens a Server-Sent Events connection to `url` for as long as the calling
/// owner lives; `None` waits for a URL, a new URL replaces the connection.
/// See [`Options`] for the defaults.
pub fn use_event_source(
    url: impl Into<Signal<Option<String>>>,
    options: Options,
) -> UseEventSource {
    let url = url.into();
    // Closed until an effect connects: the server renders this, and the
    // first client render must match it.
    let (ready_state, set_ready_state) = signal(ReadyState::Closed);
    let (latest, set_latest) = signal(None::<MessageEvent>);
    let (events, set_events) = signal(VecDeque::<MessageEvent>::new());
    let (error, set_error) = signal(None::<Error>);
    let (source, set_source) = signal_local(None::<SourceRef>);
    let controller = StoredValue::new_local(None);

    #[cfg(not(feature = "ssr"))]
    client::start(
        url,
        options,
        controller,
        client::Setters {
            ready_state: set_ready_state,
            latest: set_latest,
            events: set_events,
            error: set_error,
            source: set_source,
        },
    );
    #[cfg(feature = "ssr")]
    let _ = (
        url,
        options,
        set_ready_state,
        set_latest,
        set_events,
        set_error,
        set_source,
    );

    UseEventSource {
        ready_state,
        latest,
        events,
        error,
        source,
        controller,
    }
}

#[cfg(not(feature = "ssr"))]
mod client {
    use super::*;
    use send_wrapper::SendWrapper;
    use web_sse_hooks::{push_bounded, Controller, Sink};

    pub(crate) struct Setters {
        pub ready_state: WriteSignal<ReadyState>,
        pub latest: WriteSignal<Option<MessageEvent>>,
        pub events: WriteSignal<VecDeque<MessageEvent>>,
        pub error: WriteSignal<Option<Error>>,
        pub source: WriteSignal<Option<SourceRef>, LocalStorage>,
    }

    pub(crate) fn start(
        url: Signal<Option<String>>,
        options: Options,
        stored: StoredValue<Option<Controller>, LocalStorage>,
        set: Setters,
    ) {
        let keep = options.keep_count();
        // try_*: after the owner is gone, a late report is dropped quietly.
        let controller = Controller::new(Sink {
            ready_state: Box::new(move |state| {
                set.ready_state.try_set(state);
            }),
            events: Box::new(move |batch| {
                let Some(last) = batch.last() else { return };
                if keep > 0 {
                    set.events.try_update(|events| {
                        for event in batch {
                            push_bounded(events, event.clone(), keep);
                        }
                    });
                }
                set.latest.try_set(Some(last.clone()));
            }),
            error: Box::new(move |error| {
                set.error.try_set(error);
            }),
            source: Box::new(move |source| {
                set.source.try_set(source.map(SourceRef));
            }),
        });
        let (on_event, on_failed) = options.callbacks();
        controller.set_callbacks(on_event, on_failed);
        controller.set_batch(options.batching(), keep);
        stored.set_value(Some(controller.clone()));

        let connection = options.connection().clone();
        let immediate = options.is_immediate();
        let effect_controller = controller.clone();
        Effect::new(move |_| {
            let url = url.get();
            effect_controller.configure(url.as_deref(), &connection);
            if immediate {
                effect_controller.open();
            }
        });

        // Leptos runs cleanups on the thread that made them; the controller
        // never leaves it.
        let controller = SendWrapper::new(controller);
        on_cleanup(move || controller.close());
    }
}

/// What [`use_json_event`] returns: two signals. `Copy`.
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub struct UseJsonEvent<T: Send + Sync + 'static> {
    /// The latest value that decoded.
    pub latest: ReadSignal<Option<T>>,
    /// Why the latest event did not decode ([`Error::Json`]); `None` after
    /// one that did. Connection errors are in [`UseEventSource::error`].
    pub error: ReadSignal<Option<Error>>,
}

// Signals are Copy whatever they hold; a derive would demand `T: Copy`.
#[cfg(feature = "json")]
impl<T: Send + Sync + 'static> Clone for UseJsonEvent<T> {
    fn clone(&self) -> Self {
        *self
    }
}

#[cfg(feature = "json")]
impl<T: Send + Sync + 'static> Copy for UseJsonEvent<T> {}

/// Decodes the `event_type` events of `sse`'s connection as JSON into `T`,
/// on the same connection (no second stream). Follows `sse` across
/// reconnects; stops with it.
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub fn use_json_event<T>(sse: UseEventSource, event_type: impl Into<String>) -> UseJsonEvent<T>
where
    T: serde::de::DeserializeOwned + Send + Sync + 'static,
{
    let (latest, set_latest) = signal(None::<T>);
    let (error, set_error) = signal(None::<Error>);
    let event_type = event_type.into();

    #[cfg(not(feature = "ssr"))]
    Effect::new(move |_| {
        let Some(SourceRef(source)) = sse.source.get() else {
            return;
        };
        let listener = source.on_json(
            &event_type,
            move |decoded: Result<T, Error>| match decoded {
                Ok(value) => {
                    set_latest.try_set(Some(value));
                    set_error.try_set(None);
                }
                Err(e) => {
                    set_error.try_set(Some(e));
                }
            },
        );
        let listener = send_wrapper::SendWrapper::new(listener);
        on_cleanup(move || drop(listener));
    });
    #[cfg(feature = "ssr")]
    let _ = (sse, event_type, set_latest, set_error);

    UseJsonEvent { latest, error }
}
