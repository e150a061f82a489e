//! Yew hooks for [web-sse]: a live Server-Sent Events connection as
//! component state.
//!
//! ```no_run
//! use web_sse_yew::{use_event_source, Options, ReadyState};
//! use yew::prelude::*;
//!
//! #[function_component]
//! fn Live() -> Html {
//!     let sse = use_event_source(
//!         Some("/events".into()),
//!         Options::new().event_types(["message", "update"]).keep(50),
//!     );
//!     let reconnect = {
//!         let sse = sse.clone();
//!         Callback::from(move |_: MouseEvent| sse.reconnect())
//!     };
//!     html! {
//!         <>
//!             <p>{ format!("{:?}", sse.ready_state) }</p>
//!             if let Some(error) = &sse.error { <p>{ error.to_string() }</p> }
//!             if sse.ready_state == ReadyState::Closed {
//!                 <button onclick={reconnect}>{ "Reconnect" }</button>
//!             }
//!             <ul>{ sse.events.with(|events| events.iter().map(|e| html! {
//!                 <li>{ e.data() }</li>
//!             }).collect::<Html>()) }</ul>
//!         </>
//!     }
//! }
//! ```
//!
//! # Lifetime
//! The connection lives as long as the component that calls the hook: it
//! closes when the component unmounts, and is replaced when the URL or the
//! connection options change. Nothing keeps writing into an unmounted
//! component, and every browser listener is removed.
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
//! By default each event is a state update, so a render. For a fast stream,
//! [`Options::batch`]`(`[`Batch::Frame`]`)` writes all the events of one
//! animation frame in one update: at most one render per frame.
//!
//! [web-sse]: https://docs.rs/web-sse
#![deny(missing_docs)]
#![warn(rust_2018_idioms)]
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use web_sse_hooks::{push_bounded, Controller, Sink};
use yew::prelude::*;

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

/// The latest events, oldest first, as of the render that returned them.
///
/// Shared with the hook, not copied: a new event appends to the same list
/// (dropping the oldest beyond `keep`) and re-renders the component. Two
/// `Events` are equal when they are the same list at the same revision.
#[derive(Clone, Debug)]
pub struct Events {
    log: Rc<RefCell<EventLog>>,
    revision: u64,
}

#[derive(Debug, Default)]
struct EventLog {
    events: VecDeque<MessageEvent>,
    revision: u64,
}

impl PartialEq for Events {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.log, &other.log) && self.revision == other.revision
    }
}

impl Events {
    /// Calls `f` with the events, oldest first.
    pub fn with<R>(&self, f: impl FnOnce(&VecDeque<MessageEvent>) -> R) -> R {
        f(&self.log.borrow().events)
    }

    /// How many events are kept.
    pub fn len(&self) -> usize {
        self.log.borrow().events.len()
    }

    /// Whether no event is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy of the events, oldest first (cheap per event: the text is shared).
    pub fn to_vec(&self) -> Vec<MessageEvent> {
        self.with(|events| events.iter().cloned().collect())
    }
}

/// What [`use_event_source`] returns: the connection's state and its
/// controls. Cheap to clone.
#[derive(Clone, PartialEq)]
pub struct UseEventSourceHandle {
    /// The connection state; `Closed` before the first connection and after
    /// `close()`, when the source gave up, or when there is no URL.
    pub ready_state: ReadyState,
    /// The latest event of the collected types, even with `keep(0)`.
    pub latest: Option<MessageEvent>,
    /// The latest `keep` events, oldest first.
    pub events: Events,
    /// Why the connection failed or could not be opened; `None` once it
    /// opens. Never a JSON error: those stay in [`use_json_event`].
    pub error: Option<Error>,
    /// The current source, for further subscriptions.
    pub source: Option<SourceRef>,
    controller: ControllerRef,
}

#[derive(Clone)]
struct ControllerRef(Rc<Controller>);

impl PartialEq for ControllerRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl UseEventSourceHandle {
    /// Connects if not connected (with `immediate(false)`, the first
    /// connection waits for this). Starts the retry count over.
    pub fn open(&self) {
        self.controller.0.open();
    }

    /// Closes the connection and cancels pending retries; it stays closed
    /// until `open` or `reconnect`.
    pub fn close(&self) {
        self.controller.0.close();
    }

    /// Replaces the connection with a fresh one.
    pub fn reconnect(&self) {
        self.controller.0.reconnect();
    }
}

/// Opens a Server-Sent Events connection to `url` for as long as the
/// component is mounted; `None` waits for a URL.
///
/// A new `url` or new connection options (event types, credentials,
/// transport, retries) replace the connection; new callbacks or a new `keep`
/// do not. See [`Options`] for the defaults.
#[hook]
pub fn use_event_source(url: Option<AttrValue>, options: Options) -> UseEventSourceHandle {
    let ready_state = use_state_eq(|| ReadyState::Closed);
    let latest = use_state(|| None::<MessageEvent>);
    let error = use_state_eq(|| None::<Error>);
    let source = use_state_eq(|| None::<SourceRef>);
    let log = use_mut_ref(EventLog::default);
    let keep = use_mut_ref(|| options.keep_count());
    *keep.borrow_mut() = options.keep_count();

    let controller = {
        let (ready_state, latest, error, source, log, keep) = (
            ready_state.clone(),
            latest.clone(),
            error.clone(),
            source.clone(),
            log.clone(),
            keep.clone(),
        );
        use_memo((), move |()| {
            Controller::new(Sink {
                ready_state: Box::new(move |state| ready_state.set(state)),
                events: Box::new(move |batch| {
                    let Some(last) = batch.last() else { return };
                    {
                        let mut log = log.borrow_mut();
                        let keep = *keep.borrow();
                        if keep > 0 || !log.events.is_empty() {
                            for event in batch {
                                push_bounded(&mut log.events, event.clone(), keep);
                            }
                            log.revision += 1;
                        }
                    }
                    // Always re-renders (use_state, not _eq): the list's
                    // new revision shows with it.
                    latest.set(Some(last.clone()));
                }),
                error: Box::new(move |e| error.set(e)),
                source: Box::new(move |s| source.set(s.map(SourceRef))),
            })
        })
    };
    let (on_event, on_failed) = options.callbacks();
    controller.set_callbacks(on_event, on_failed);
    controller.set_batch(options.batching(), options.keep_count());

    {
        let controller = controller.clone();
        let immediate = options.is_immediate();
        use_effect_with(
            (url, options.connection().clone()),
            move |(url, connection)| {
                controller.configure(url.as_deref(), connection);
                if immediate {
                    controller.open();
                }
            },
        );
    }
    {
        let controller = controller.clone();
        use_effect_with((), move |()| move || controller.close());
    }

    let revision = log.borrow().revision;
    UseEventSourceHandle {
        ready_state: *ready_state,
        latest: (*latest).clone(),
        events: Events { log, revision },
        error: (*error).clone(),
        source: (*source).clone(),
        controller: ControllerRef(controller),
    }
}

/// What [`use_json_event`] returns.
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub struct UseJsonEvent<T> {
    /// The latest value that decoded.
    pub latest: Option<Rc<T>>,
    /// Why the latest event did not decode ([`Error::Json`]); `None` after
    /// one that did. Connection errors are in [`UseEventSourceHandle::error`].
    pub error: Option<Error>,
}

#[cfg(feature = "json")]
impl<T> Clone for UseJsonEvent<T> {
    fn clone(&self) -> Self {
        UseJsonEvent {
            latest: self.latest.clone(),
            error: self.error.clone(),
        }
    }
}

#[cfg(feature = "json")]
impl<T> PartialEq for UseJsonEvent<T> {
    fn eq(&self, other: &Self) -> bool {
        let same = match (&self.latest, &other.latest) {
            (Some(a), Some(b)) => Rc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        same && self.error == other.error
    }
}

/// Decodes the `event_type` events of `sse`'s connection as JSON into `T`,
/// on the same connection (no second stream). Follows `sse` across
/// reconnects; stops with it.
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
#[hook]
pub fn use_json_event<T>(sse: &UseEventSourceHandle, event_type: &str) -> UseJsonEvent<T>
where
    T: serde::de::DeserializeOwned + 'static,
{
    let value = use_state(|| UseJsonEvent::<T> {
        latest: None,
        error: None,
    });
    {
        let value = value.clone();
        use_effect_with(
            (sse.source.clone(), event_type.to_owned()),
            move |(source, event_type)| {
                let listener = source.as_ref().map(|SourceRef(source)| {
                    // The state handle only sees the value it was made with.
                    let mut latest = None;
                    source.on_json(event_type, move |decoded: Result<T, Error>| {
                        let error = match decoded {
                            Ok(decoded) => {
                                latest = Some(Rc::new(decoded));
                                None
                            }
                            Err(error) => Some(error),
                        };
                        value.set(UseJsonEvent {
                            latest: latest.clone(),
                            error,
                        });
                    })
                });
                move || drop(listener)
            },
        );
    }
    (*value).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_compare_by_list_and_revision() {
        let log = Rc::new(RefCell::new(EventLog::default()));
        let a = Events {
            log: log.clone(),
            revision: 1,
        };
        assert_eq!(a, a.clone());
        assert_ne!(
            a,
            Events {
                log: log.clone(),
                revision: 2
            }
        );
        let other = Rc::new(RefCell::new(EventLog::default()));
        assert_ne!(
            a,
            Events {
                log: other,
                revision: 1
            }
        );
        assert!(a.is_empty());
    }
}
