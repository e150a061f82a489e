//! Yew hooks for web-sse: `use_event_source` and `use_json_event`.
//!
//! This file depends only on `yew`, `web-sse`, `futures-util` and `serde`:
//! copy it into your app as it is.
//!
//! The connection lives exactly as long as the component that calls the hook
//! (or until `reconnect` replaces it): the effect's teardown closes the source
//! and cancels the tasks that read its streams, so nothing keeps delivering
//! into an unmounted component.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use futures_util::future::{AbortHandle, Abortable};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use web_sse::{EventSource, ReadyState};
use yew::prelude::*;

/// One received event, owned so that it can live in component state.
#[derive(Clone, Debug, PartialEq)]
pub struct SseEvent {
    /// The event type: `message` unless the server sent an `event:` field.
    pub event_type: String,
    /// The event data.
    pub data: String,
    /// The last event ID the browser has seen, as the server set it.
    pub last_event_id: String,
}

/// What `use_event_source` listens to and how much it keeps.
#[derive(Clone, PartialEq)]
pub struct UseEventSourceOptions {
    /// Event types to collect into `events`, in arrival order.
    pub event_types: &'static [&'static str],
    /// How many of the latest events to keep.
    pub keep: usize,
    /// Called for every collected event, for side effects outside the list.
    pub on_event: Option<Callback<SseEvent>>,
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

/// The shared connection, compared by identity so that hooks can depend on it.
#[derive(Clone, Debug)]
pub struct SourceRef(pub Rc<EventSource>);

impl PartialEq for SourceRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// What `use_event_source` returns; cheap to clone.
#[derive(Clone, PartialEq)]
pub struct UseEventSourceHandle {
    /// The connection state.
    pub state: ReadyState,
    /// The latest events, oldest first.
    pub events: Rc<Vec<SseEvent>>,
    /// Why the connection failed or could not be opened, if it did.
    pub error: Option<AttrValue>,
    /// The current connection, for further subscriptions (`use_json_event`).
    pub source: Option<SourceRef>,
    close: Callback<()>,
    reconnect: Callback<()>,
}

impl UseEventSourceHandle {
    /// Closes the connection for good; the browser will not reconnect.
    pub fn close(&self) {
        self.close.emit(());
    }

    /// Replaces the connection with a fresh one.
    pub fn reconnect(&self) {
        self.reconnect.emit(());
    }
}

/// Cancels a spawned task when dropped, so a teardown cannot forget one.
struct TaskGuard(AbortHandle);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn spawn_guarded(task: impl std::future::Future<Output = ()> + 'static) -> TaskGuard {
    let (handle, registration) = AbortHandle::new_pair();
    wasm_bindgen_futures::spawn_local(async move {
        // Aborted means the component went away: nothing left to do.
        let _ = Abortable::new(task, registration).await;
    });
    TaskGuard(handle)
}

/// Opens an `EventSource` at `url` for as long as the component is mounted.
///
/// Changing `url` or calling `reconnect` closes the old connection first.
#[hook]
pub fn use_event_source(url: &str, options: UseEventSourceOptions) -> UseEventSourceHandle {
    let state = use_state_eq(|| ReadyState::Connecting);
    let events = use_state(|| Rc::new(Vec::new()));
    let error = use_state_eq(|| None::<AttrValue>);
    let source = use_state_eq(|| None::<SourceRef>);
    let generation = use_state(|| 0_u32);

    // The latest callback, read by the running task, so that a new closure on
    // every render does not reconnect.
    let on_event = use_mut_ref(|| None::<Callback<SseEvent>>);
    *on_event.borrow_mut() = options.on_event.clone();

    {
        let (state, events, error, source) =
            (state.clone(), events.clone(), error.clone(), source.clone());
        let deps = (
            url.to_owned(),
            options.event_types,
            options.keep,
            *generation,
        );
        use_effect_with(deps, move |(url, event_types, keep, _generation)| {
            let connection = connect(url, event_types, *keep, on_event, &state, &events, &error);
            source.set(connection.as_ref().map(|c| SourceRef(c.source.clone())));
            move || drop(connection)
        });
    }

    let close = {
        let (state, source) = (state.clone(), source.clone());
        Callback::from(move |()| {
            if let Some(SourceRef(source)) = &*source {
                source.close();
                // close() fires no event, so the state is ours to update.
                state.set(source.ready_state());
            }
        })
    };
    let reconnect = {
        let generation = generation.clone();
        Callback::from(move |()| generation.set(generation.wrapping_add(1)))
    };

    UseEventSourceHandle {
        state: *state,
        events: (*events).clone(),
        error: (*error).clone(),
        source: (*source).clone(),
        close,
        reconnect,
    }
}

/// Everything one connection needs to stay alive; dropping it closes the
/// connection and removes every listener.
struct Connection {
    source: Rc<EventSource>,
    _listeners: [web_sse::Listener; 2],
    _task: TaskGuard,
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Streams keep the connection open, and other holders of the Rc may
        // outlive this teardown: close explicitly.
        self.source.close();
    }
}

fn connect(
    url: &str,
    event_types: &[&str],
    keep: usize,
    on_event: Rc<RefCell<Option<Callback<SseEvent>>>>,
    state: &UseStateHandle<ReadyState>,
    events: &UseStateHandle<Rc<Vec<SseEvent>>>,
    error: &UseStateHandle<Option<AttrValue>>,
) -> Option<Connection> {
    let source = match EventSource::new(url) {
        Ok(source) => Rc::new(source),
        Err(e) => {
            state.set(ReadyState::Closed);
            error.set(Some(e.to_string().into()));
            return None;
        }
    };
    state.set(source.ready_state());
    error.set(None);
    events.set(Rc::new(Vec::new()));

    let on_open = {
        let state = state.clone();
        source.on_open(move |_| state.set(ReadyState::Open))
    };
    let on_error = {
        let state = state.clone();
        source.on_error(move |e| state.set(e.ready_state()))
    };

    let mut stream = source.subscribe(event_types);
    let (events, error) = (events.clone(), error.clone());
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
                    if latest.len() == keep {
                        latest.pop_front();
                    }
                    latest.push_back(event.clone());
                    events.set(Rc::new(latest.iter().cloned().collect()));
                    let callback = on_event.borrow().clone();
                    if let Some(callback) = callback {
                        callback.emit(event);
                    }
                }
                Err(e) => error.set(Some(e.to_string().into())),
            }
        }
    });

    Some(Connection {
        source,
        _listeners: [on_open, on_error],
        _task: task,
    })
}

/// The latest `event_type` event of `sse`'s connection, decoded from JSON.
#[derive(PartialEq)]
pub struct UseJsonEvent<T> {
    /// The latest value that decoded.
    pub latest: Option<Rc<T>>,
    /// Why the most recent event did not decode, if it did not.
    pub error: Option<AttrValue>,
}

/// Decodes every `event_type` event of `sse`'s connection as a `T`.
///
/// Follows `sse` across reconnects; stops with it.
#[hook]
pub fn use_json_event<T>(sse: &UseEventSourceHandle, event_type: &'static str) -> UseJsonEvent<T>
where
    T: DeserializeOwned + 'static,
{
    let value = use_state(|| UseJsonEvent::<T> {
        latest: None,
        error: None,
    });
    {
        let value = value.clone();
        use_effect_with(sse.source.clone(), move |source| {
            let task = source.as_ref().map(|SourceRef(source)| {
                let mut stream = source.subscribe_json::<T>(&[event_type]);
                spawn_guarded(async move {
                    // Kept here: the state handle only sees the value it was
                    // created with.
                    let mut latest = None;
                    while let Some(item) = stream.next().await {
                        let error = match item {
                            Ok(decoded) => {
                                latest = Some(Rc::new(decoded));
                                None
                            }
                            Err(e) => Some(e.to_string().into()),
                        };
                        value.set(UseJsonEvent {
                            latest: latest.clone(),
                            error,
                        });
                    }
                })
            });
            move || drop(task)
        });
    }
    (*value).clone()
}

impl<T> Clone for UseJsonEvent<T> {
    fn clone(&self) -> Self {
        UseJsonEvent {
            latest: self.latest.clone(),
            error: self.error.clone(),
        }
    }
}
