//! Leptos (0.8, client-side rendering) helpers for web-sse:
//! `use_event_source` and `use_json_event`.
//!
//! This file depends only on `leptos`, `web-sse`, `futures-util`, `serde` and
//! `send_wrapper`: copy it into your app as it is.
//!
//! Each connection is opened in an `Effect` and closed by an `on_cleanup`
//! registered in it, which Leptos runs before the effect re-runs (a new URL,
//! `reconnect`) and when the owning component is unmounted. The tasks that
//! read the streams are cancelled there too, so nothing keeps writing into
//! the signals of a component that is gone.

use std::collections::VecDeque;
use std::rc::Rc;

use futures_util::future::{AbortHandle, Abortable};
use futures_util::StreamExt;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use serde::de::DeserializeOwned;
use web_sse::{EventSource, Listener, ReadyState};

/// One received event, owned so that it can live in a signal.
#[derive(Clone, Debug, PartialEq)]
pub struct SseEvent {
    /// The event type: `message` unless the server sent an `event:` field.
    pub event_type: String,
    /// The event data.
    pub data: String,
    /// The last event ID the browser has seen, as the server set it.
    pub last_event_id: String,
}

/// A callback for every collected event.
pub type OnEvent = Rc<dyn Fn(&SseEvent)>;

/// What `use_event_source` listens to and how much it keeps.
#[derive(Clone)]
pub struct UseEventSourceOptions {
    /// Event types to collect into `events`, in arrival order.
    pub event_types: &'static [&'static str],
    /// How many of the latest events to keep.
    pub keep: usize,
    /// Called for every collected event, for side effects outside the list.
    pub on_event: Option<OnEvent>,
}

impl Default for UseEventSourceOptions {
    fn default() -> Self {
        UseEventSourceOptions {
            event_types: &["message"],
            keep: 20,
            on_event: None,
        }
    }
}

/// The current connection, compared by identity.
#[derive(Clone, Debug)]
pub struct SourceRef(pub Rc<EventSource>);

impl PartialEq for SourceRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// The signals `use_event_source` drives, plus its controls. `Copy`, so it
/// moves into any number of closures.
#[derive(Clone, Copy)]
pub struct UseEventSource {
    /// The connection state.
    pub state: ReadSignal<ReadyState>,
    /// The latest events, oldest first.
    pub events: ReadSignal<Vec<SseEvent>>,
    /// Why the connection failed or could not be opened, if it did.
    pub error: ReadSignal<Option<String>>,
    /// The current connection, for further subscriptions (`use_json_event`).
    pub source: ReadSignal<Option<SourceRef>, LocalStorage>,
    set_state: WriteSignal<ReadyState>,
    generation: RwSignal<u32>,
}

impl UseEventSource {
    /// Closes the connection for good; the browser will not reconnect.
    pub fn close(&self) {
        self.source.with_untracked(|source| {
            if let Some(SourceRef(source)) = source {
                source.close();
                // close() fires no event, so the state is ours to update.
                self.set_state.set(source.ready_state());
            }
        });
    }

    /// Replaces the connection with a fresh one.
    pub fn reconnect(&self) {
        self.generation.update(|g| *g = g.wrapping_add(1));
    }
}

/// Cancels a spawned task when dropped, so a cleanup cannot forget one.
struct TaskGuard(AbortHandle);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn spawn_guarded(task: impl std::future::Future<Output = ()> + 'static) -> TaskGuard {
    let (handle, registration) = AbortHandle::new_pair();
    leptos::task::spawn_local(async move {
        // Aborted means the owner was cleaned up: nothing left to do.
        let _ = Abortable::new(task, registration).await;
    });
    TaskGuard(handle)
}

/// Everything one connection needs; dropping it closes the connection and
/// removes every listener.
struct Connection {
    source: Rc<EventSource>,
    _listeners: [Listener; 2],
    _task: TaskGuard,
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Streams keep the connection open, and the `source` signal may hold
        // the Rc a little longer: close explicitly.
        self.source.close();
    }
}

/// Opens an `EventSource` at `url` for as long as the calling component (or
/// reactive owner) lives; a new `url` or `reconnect` replaces it.
pub fn use_event_source(
    url: impl Into<Signal<String>>,
    options: UseEventSourceOptions,
) -> UseEventSource {
    let url = url.into();
    let (state, set_state) = signal(ReadyState::Connecting);
    let (events, set_events) = signal(Vec::<SseEvent>::new());
    let (error, set_error) = signal(None::<String>);
    let (source, set_source) = signal_local(None::<SourceRef>);
    let generation = RwSignal::new(0_u32);

    Effect::new(move |_| {
        generation.track();
        let url = url.get();
        let connection = connect(&url, &options, set_state, set_events, set_error);
        set_source.set(connection.as_ref().map(|c| SourceRef(c.source.clone())));
        // The connection is not Send; Leptos runs cleanups on this thread.
        let connection = SendWrapper::new(connection);
        on_cleanup(move || drop(connection));
    });

    UseEventSource {
        state,
        events,
        error,
        source,
        set_state,
        generation,
    }
}

fn connect(
    url: &str,
    options: &UseEventSourceOptions,
    set_state: WriteSignal<ReadyState>,
    set_events: WriteSignal<Vec<SseEvent>>,
    set_error: WriteSignal<Option<String>>,
) -> Option<Connection> {
    let source = match EventSource::new(url) {
        Ok(source) => Rc::new(source),
        Err(e) => {
            set_state.set(ReadyState::Closed);
            set_error.set(Some(e.to_string()));
            return None;
        }
    };
    set_state.set(source.ready_state());
    set_error.set(None);
    set_events.set(Vec::new());

    let on_open = source.on_open(move |_| set_state.set(ReadyState::Open));
    let on_error = source.on_error(move |e| set_state.set(e.ready_state()));

    let mut stream = source.subscribe(options.event_types);
    let keep = options.keep;
    let on_event = options.on_event.clone();
    let task = spawn_guarded(async move {
        let mut latest = VecDeque::with_capacity(keep);
        while let Some(item) = stream.next().await {
            match item {
                Ok(event) => {
                    let event = SseEvent {
                        event_type: event.event_type().to_owned(),
                        last_event_id: event.last_event_id().to_owned(),
                        data: event.into_data(),
                    };
                    if let Some(on_event) = &on_event {
                        on_event(&event);
                    }
                    if latest.len() == keep {
                        latest.pop_front();
                    }
                    latest.push_back(event);
                    set_events.set(latest.iter().cloned().collect());
                }
                Err(e) => set_error.set(Some(e.to_string())),
            }
        }
    });

    Some(Connection {
        source,
        _listeners: [on_open, on_error],
        _task: task,
    })
}

/// The latest `event_type` event of a connection, decoded from JSON.
pub struct UseJsonEvent<T: Send + Sync + 'static> {
    /// The latest value that decoded.
    pub latest: ReadSignal<Option<T>>,
    /// Why the most recent event did not decode, if it did not.
    pub error: ReadSignal<Option<String>>,
}

// Signals are Copy whatever they hold; a derive would demand `T: Copy`.
impl<T: Send + Sync + 'static> Clone for UseJsonEvent<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for UseJsonEvent<T> {}

/// Decodes every `event_type` event of `sse`'s connection as a `T`.
///
/// Follows `sse` across reconnects; stops with it.
pub fn use_json_event<T>(sse: UseEventSource, event_type: &'static str) -> UseJsonEvent<T>
where
    T: DeserializeOwned + Send + Sync + 'static,
{
    let (latest, set_latest) = signal(None::<T>);
    let (error, set_error) = signal(None::<String>);

    Effect::new(move |_| {
        let Some(SourceRef(source)) = sse.source.get() else {
            return;
        };
        let mut stream = source.subscribe_json::<T>(&[event_type]);
        let task = spawn_guarded(async move {
            while let Some(item) = stream.next().await {
                match item {
                    Ok(value) => {
                        set_latest.set(Some(value));
                        set_error.set(None);
                    }
                    Err(e) => set_error.set(Some(e.to_string())),
                }
            }
        });
        on_cleanup(move || drop(task));
    });

    UseJsonEvent { latest, error }
}
