//! Typed JSON events on a hook's connection.

use std::cell::RefCell;
use std::rc::Rc;

use dioxus::prelude::*;
use web_sse::{Error, Listener};

use crate::{put, SourceRef, UseEventSource};

/// What [`use_json_event`] returns: two signals. `Copy`.
pub struct UseJsonEvent<T: 'static> {
    /// The latest value that decoded.
    pub latest: ReadOnlySignal<Option<Rc<T>>>,
    /// Why the latest event did not decode ([`Error::Json`]); `None` after
    /// one that did. Connection errors are in [`UseEventSource::error`].
    pub error: ReadOnlySignal<Option<Error>>,
}

// Signals are Copy whatever they hold; a derive would demand `T: Copy`.
impl<T: 'static> Clone for UseJsonEvent<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: 'static> Copy for UseJsonEvent<T> {}

impl<T: 'static> PartialEq for UseJsonEvent<T> {
    fn eq(&self, other: &Self) -> bool {
        self.latest == other.latest && self.error == other.error
    }
}

/// Decodes the `event_type` events of `sse`'s connection as JSON into `T`,
/// on the same connection (no second stream). Follows `sse` across
/// reconnects; stops with it.
///
/// ```no_run
/// use dioxus::prelude::*;
/// use serde::Deserialize;
/// use web_sse_dioxus::{use_event_source, use_json_event, Options};
///
/// #[derive(Deserialize)]
/// struct Stats {
///     clients: u32,
/// }
///
/// #[component]
/// fn Clients() -> Element {
///     let sse = use_event_source(Some("/events".to_owned()), Options::new());
///     let stats = use_json_event::<Stats>(sse, "stats");
///     let latest = stats.latest.read().clone();
///     match latest {
///         Some(stats) => rsx! { p { "{stats.clients} clients" } },
///         None => rsx! { p { "waiting…" } },
///     }
/// }
/// ```
pub fn use_json_event<T>(sse: UseEventSource, event_type: &str) -> UseJsonEvent<T>
where
    T: serde::de::DeserializeOwned + 'static,
{
    let latest = use_signal(|| None::<Rc<T>>);
    let error = use_signal(|| None::<Error>);
    // The listener of the current source: replaced when the source or the
    // event type changes, dropped with the component.
    let listener = use_hook(|| Rc::new(RefCell::new(None::<Listener>)));

    {
        let listener = Rc::clone(&listener);
        let event_type = event_type.to_owned();
        use_effect(use_reactive((&event_type,), move |(event_type,)| {
            // Reading the signal subscribes the effect: a new source re-runs it.
            let source = sse.source.read().clone();
            let next = source.map(|SourceRef(source)| {
                source.on_json(
                    &event_type,
                    move |decoded: Result<T, Error>| match decoded {
                        Ok(value) => {
                            put(latest, Some(Rc::new(value)));
                            put(error, None);
                        }
                        Err(e) => put(error, Some(e)),
                    },
                )
            });
            let old = listener.replace(next);
            drop(old);
        }));
    }
    use_drop(move || drop(listener.take()));

    UseJsonEvent {
        latest: latest.into(),
        error: error.into(),
    }
}
