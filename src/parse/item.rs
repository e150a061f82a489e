//! What the parser reports: dispatched events, reconnection-time changes and comments.

use core::time::Duration;

/// One thing the parser found in the stream, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Item {
    /// A dispatched event, as a browser's `EventSource` would fire it.
    Event(Event),
    /// A valid `retry` field: the server set the reconnection time.
    ///
    /// Reported for every valid `retry` line, even when the value is
    /// unchanged, at the point in the stream where it appears (the spec
    /// applies it at once, not when the event is dispatched).
    Retry(Duration),
    /// A comment line (one starting with `:`), without the colon.
    ///
    /// Servers send comments as keep-alive heartbeats, so their arrival is
    /// worth knowing even though they carry nothing. The text is kept as
    /// sent, leading space included.
    Comment(String),
}

/// A dispatched event: the fields of the `MessageEvent` a browser would fire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The event type: the last `event` field of the block, or `"message"`.
    pub event_type: String,
    /// The `data` lines of the block joined with `\n`.
    pub data: String,
    /// The source's last event ID at dispatch time, as
    /// `MessageEvent.lastEventId` shows it.
    ///
    /// This is not only this block's `id` field: an ID persists until the
    /// server sends another one (an empty `id` clears it).
    pub last_event_id: String,
}
