//! The typed events that listeners and streams receive.

use wasm_bindgen::JsCast;

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

    pub(crate) fn of(raw: &web_sys::EventSource) -> Self {
        // The DOM only ever reports 0, 1 or 2; treat anything else as the end.
        ReadyState::from_u16(raw.ready_state()).unwrap_or(ReadyState::Closed)
    }
}

/// One event received from the server: the default `message` type or a named
/// type set by the stream's `event:` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageEvent {
    event_type: String,
    data: String,
    last_event_id: String,
    origin: String,
}

impl MessageEvent {
    /// Copies what the DOM event carries into Rust strings.
    pub(crate) fn from_dom(event: &web_sys::Event) -> Self {
        let event_type = event.type_();
        match event.dyn_ref::<web_sys::MessageEvent>() {
            Some(message) => MessageEvent {
                event_type,
                data: message.data().as_string().unwrap_or_default(),
                last_event_id: message.last_event_id(),
                origin: message.origin(),
            },
            // Only a page calling dispatchEvent with a plain Event gets here.
            None => MessageEvent {
                event_type,
                data: String::new(),
                last_event_id: String::new(),
                origin: String::new(),
            },
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

    /// Takes the data without copying it.
    pub fn into_data(self) -> String {
        self.data
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
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, crate::Error> {
        serde_json::from_str(&self.data).map_err(|error| crate::Error::Json {
            event_type: self.event_type.clone(),
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
/// The browser fires `error` in two different situations, told apart by
/// [`is_fatal`](ErrorEvent::is_fatal):
/// - the connection dropped and the browser is reconnecting (ready state
///   `Connecting`): events will resume, nothing is lost but what the server
///   did not resend;
/// - the browser gave up (ready state `Closed`): a non-200 status, a wrong
///   `Content-Type`, or a failed first connection. No more events will come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorEvent {
    ready_state: ReadyState,
}

impl ErrorEvent {
    pub(crate) fn new(ready_state: ReadyState) -> Self {
        ErrorEvent { ready_state }
    }

    /// The source's ready state when the error fired.
    pub fn ready_state(&self) -> ReadyState {
        self.ready_state
    }

    /// Whether the browser gave up: the source is closed and will not reconnect.
    pub fn is_fatal(&self) -> bool {
        self.ready_state == ReadyState::Closed
    }

    /// Whether the browser is reconnecting on its own.
    pub fn is_reconnecting(&self) -> bool {
        self.ready_state == ReadyState::Connecting
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
        assert!(ErrorEvent::new(ReadyState::Closed).is_fatal());
        assert!(!ErrorEvent::new(ReadyState::Connecting).is_fatal());
        assert!(ErrorEvent::new(ReadyState::Connecting).is_reconnecting());
        assert!(!ErrorEvent::new(ReadyState::Open).is_reconnecting());
    }
}
