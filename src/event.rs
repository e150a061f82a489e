//! The typed events that listeners and streams receive, whatever the transport.

use std::sync::Arc;

/// The connection state of an event source, as `EventSource.readyState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadyState {
    /// Connecting, or waiting to reconnect after a dropped connection.
    Connecting,
    /// Connected and receiving events.
    Open,
    /// Closed for good: by [`EventSource::close`](crate::EventSource::close)
    /// or because the browser gave up.
    Closed,
}

impl ReadyState {
    /// The numeric value the DOM uses: `CONNECTING` = 0, `OPEN` = 1, `CLOSED` = 2.
    pub fn as_u16(self) -> u16 {
        match self {
            ReadyState::Connecting => 0,
            ReadyState::Open => 1,
            ReadyState::Closed => 2,
        }
    }

    /// The state for a DOM `readyState` value, or `None` for a value the spec
    /// does not define.
    pub fn from_u16(value: u16) -> Option<Self> {
        match value {
            0 => Some(ReadyState::Connecting),
            1 => Some(ReadyState::Open),
            2 => Some(ReadyState::Closed),
            _ => None,
        }
    }
}

/// One event received from the server: the default `message` type or a named
/// type set by the stream's `event:` field.
///
/// Cloning is cheap: the text is shared, so every stream of a source gets the
/// same event without copying its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageEvent {
    event_type: Arc<str>,
    data: Arc<str>,
    last_event_id: Arc<str>,
    origin: Arc<str>,
}

impl MessageEvent {
    pub(crate) fn new(
        event_type: Arc<str>,
        data: Arc<str>,
        last_event_id: Arc<str>,
        origin: Arc<str>,
    ) -> Self {
        MessageEvent {
            event_type,
            data,
            last_event_id,
            origin,
        }
    }

    /// The same event, carrying `last_event_id` instead.
    pub(crate) fn with_last_event_id(self, last_event_id: Arc<str>) -> Self {
        MessageEvent {
            last_event_id,
            ..self
        }
    }

    /// The event type: `"message"` unless the server sent an `event:` field.
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// The event's data: its `data:` lines joined with `\n`.
    pub fn data(&self) -> &str {
        &self.data
    }

    /// The source's last event ID when this event was dispatched: the latest
    /// `id:` field seen, which the browser sends back as `Last-Event-ID` when
    /// it reconnects.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// The origin of the server that sent the event, for example
    /// `https://example.com`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The data as an owned `String` (a copy: the text is shared with the
    /// other subscribers).
    pub fn into_data(self) -> String {
        String::from(&*self.data)
    }

    /// Decodes the data as JSON.
    ///
    /// # Errors
    /// [`Error::Json`](crate::Error::Json), naming this event's type, when the
    /// data is not valid JSON for `T`.
    ///
    /// # Example
    /// ```
    /// # fn show(event: &web_sse::MessageEvent) {
    /// #[derive(serde::Deserialize)]
    /// struct Price { symbol: String, cents: u64 }
    ///
    /// match event.json::<Price>() {
    ///     Ok(price) => println!("{} {}", price.symbol, price.cents),
    ///     Err(error) => eprintln!("{error}"),
    /// }
    /// # }
    /// ```
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, crate::Error> {
        serde_json::from_str(&self.data).map_err(|error| crate::Error::Json {
            event_type: String::from(&*self.event_type),
            message: error.to_string(),
        })
    }
}

/// The connection opened (or reopened after a reconnect).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpenEvent {}

/// The connection dropped or failed.
///
/// `error` fires in two different situations, told apart by
/// [`is_fatal`](ErrorEvent::is_fatal):
/// - the connection dropped and the source is reconnecting (ready state
///   `Connecting`): events will resume, nothing is lost but what the server
///   does not resend after `Last-Event-ID`;
/// - the source gave up (ready state `Closed`): no more events will come.
///
/// What counts as fatal depends on the transport and the browser. On the
/// native transport: a non-200 status, a wrong `Content-Type` or a CORS
/// refusal. A refused first connection is fatal in Firefox; Chromium treats
/// it as a reconnect and keeps trying. On the fetch transport: a non-200
/// status (unless the options retry it) or a wrong `Content-Type`. Network
/// errors, there, always reconnect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorEvent {
    ready_state: ReadyState,
    error: Option<crate::Error>,
}

impl ErrorEvent {
    pub(crate) fn new(ready_state: ReadyState, error: Option<crate::Error>) -> Self {
        ErrorEvent { ready_state, error }
    }

    /// The source's ready state when the error fired.
    pub fn ready_state(&self) -> ReadyState {
        self.ready_state
    }

    /// Whether the source gave up: it is closed and will not reconnect.
    pub fn is_fatal(&self) -> bool {
        self.ready_state == ReadyState::Closed
    }

    /// Whether the source is reconnecting on its own.
    pub fn is_reconnecting(&self) -> bool {
        self.ready_state == ReadyState::Connecting
    }

    /// What went wrong, where the transport knows it. The fetch transport
    /// tells the HTTP status, `Content-Type` and the start of the body
    /// ([`Error::Http`](crate::Error::Http)) or the network error; the native
    /// transport tells only that the browser gave up
    /// ([`Error::ConnectionFailed`](crate::Error::ConnectionFailed)), and
    /// nothing on a reconnect.
    pub fn error(&self) -> Option<&crate::Error> {
        self.error.as_ref()
    }
}

/// Where a source stands: its ready state and how its reconnect policy is
/// getting on. Read it with [`EventSource::state`](crate::EventSource::state),
/// or follow it with [`EventSource::on_state_change`](crate::EventSource::on_state_change)
/// to show "reconnecting in 4 s".
///
/// ```no_run
/// use web_sse::{EventSource, ReadyState};
///
/// let source = EventSource::new("/events")?;
/// let _listener = source.on_state_change(|state| {
///     if let (ReadyState::Connecting, Some(delay)) = (state.ready_state, state.delay) {
///         let label = format!("reconnecting in {} s", delay.as_secs());
///         # drop(label);
///     }
/// });
/// # Ok::<(), web_sse::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ConnectionState {
    /// As [`EventSource::ready_state`](crate::EventSource::ready_state).
    pub ready_state: ReadyState,
    /// Reconnection attempts since the last stable connection (see
    /// [`ReconnectPolicy::reset_after`](crate::ReconnectPolicy::reset_after)),
    /// counting the one being waited for.
    pub attempt: u32,
    /// How long the source waits before its next attempt; `None` unless it
    /// is waiting.
    pub delay: Option<std::time::Duration>,
    /// When the next attempt starts, in milliseconds since the Unix epoch (as
    /// `Date.now()`); `None` unless the source is waiting.
    pub next_attempt_at: Option<f64>,
    /// The last failure the source reported, kept after it reconnects.
    pub last_error: Option<crate::Error>,
    /// The source met the sentinel of
    /// [`EventSourceOptions::end_on`](crate::EventSourceOptions::end_on) and
    /// closed cleanly: the answer is complete. `false` again after
    /// [`EventSource::reconnect`](crate::EventSource::reconnect).
    pub finished: bool,
    /// As [`EventSource::shared_role`](crate::EventSource::shared_role):
    /// state listeners hear a shared source take the lead, or learn that it
    /// follows.
    #[cfg(feature = "shared")]
    #[cfg_attr(docsrs, doc(cfg(feature = "shared")))]
    pub shared_role: SharedRole,
}

impl Default for ConnectionState {
    fn default() -> Self {
        ConnectionState {
            ready_state: ReadyState::Connecting,
            attempt: 0,
            delay: None,
            next_attempt_at: None,
            last_error: None,
            finished: false,
            #[cfg(feature = "shared")]
            shared_role: SharedRole::Unshared,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_state_matches_the_dom_constants() {
        for (state, value) in [
            (ReadyState::Connecting, 0),
            (ReadyState::Open, 1),
            (ReadyState::Closed, 2),
        ] {
            assert_eq!(state.as_u16(), value);
            assert_eq!(ReadyState::from_u16(value), Some(state));
        }
        assert_eq!(ReadyState::from_u16(3), None);
    }

    #[test]
    fn only_a_closed_source_makes_an_error_fatal() {
        assert!(ErrorEvent::new(ReadyState::Closed, None).is_fatal());
        assert!(!ErrorEvent::new(ReadyState::Connecting, None).is_fatal());
        assert!(ErrorEvent::new(ReadyState::Connecting, None).is_reconnecting());
        assert!(!ErrorEvent::new(ReadyState::Open, None).is_reconnecting());
    }
}

#[cfg(feature = "shared")]
#[cfg_attr(docsrs, doc(cfg(feature = "shared")))]
/// A source's part in a shared connection (see [`EventSourceOptions::shared`](crate::EventSourceOptions::shared)),
/// as [`EventSource::shared_role`](crate::EventSource::shared_role) tells it.
///
/// ```no_run
/// use web_sse::{EventSource, EventSourceOptions, SharedRole};
///
/// let source = EventSource::with_options("/events", &EventSourceOptions::new().shared(true))?;
/// match source.shared_role() {
///     SharedRole::Leader => { /* this tab holds the connection */ }
///     SharedRole::Follower => { /* another tab relays its events here */ }
///     SharedRole::Unshared => { /* no Web Locks here: a connection of its own */ }
///     SharedRole::Pending => { /* just opened: the tabs have not settled it yet */ }
///     _ => {}
/// }
/// # Ok::<(), web_sse::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SharedRole {
    /// A shared source that does not know its part yet: it has neither got
    /// the lock nor heard of a leader (just opened, or its page is leaving).
    Pending,
    /// This source holds the lock and runs the connection for every source
    /// of its key.
    Leader,
    /// Another source (in this page or another) leads; this one receives its
    /// events, and waits in the lock's queue to take over.
    Follower,
    /// Not shared: opened without [`EventSourceOptions::shared`](crate::EventSourceOptions::shared), or where
    /// `navigator.locks` or `BroadcastChannel` is missing (locks need a
    /// secure context: https, or localhost).
    Unshared,
}
