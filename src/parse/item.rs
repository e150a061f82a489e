//! What the parser reports: dispatched events, reconnection-time changes and comments.

use core::time::Duration;
use std::borrow::Cow;

/// One thing the parser found in the stream, in stream order.
///
/// Items borrow from the parser's buffers, so reporting one allocates
/// nothing; call [`into_owned`](Item::into_owned) to keep one beyond the
/// callback.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Item<'a> {
    /// A dispatched event, as a browser's `EventSource` would fire it.
    Event(Event<'a>),
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
    Comment(Cow<'a, str>),
}

impl Item<'_> {
    /// The same item, owning its text.
    pub fn into_owned(self) -> Item<'static> {
        match self {
            Item::Event(event) => Item::Event(event.into_owned()),
            Item::Retry(retry) => Item::Retry(retry),
            Item::Comment(text) => Item::Comment(Cow::Owned(text.into_owned())),
        }
    }
}

/// A dispatched event: the fields of the `MessageEvent` a browser would fire.
///
/// The fields borrow from the parser while it reports the event; an
/// `Event<'static>` (from [`into_owned`](Event::into_owned)) owns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event<'a> {
    /// The event type: the last `event` field of the block, or `"message"`.
    pub event_type: Cow<'a, str>,
    /// The `data` lines of the block joined with `\n`.
    pub data: Cow<'a, str>,
    /// The source's last event ID at dispatch time, as
    /// `MessageEvent.lastEventId` shows it.
    ///
    /// This is not only this block's `id` field: an ID persists until the
    /// server sends another one (an empty `id` clears it).
    pub last_event_id: Cow<'a, str>,
}

impl Event<'_> {
    /// The same event, owning its text.
    pub fn into_owned(self) -> Event<'static> {
        Event {
            event_type: Cow::Owned(self.event_type.into_owned()),
            data: Cow::Owned(self.data.into_owned()),
            last_event_id: Cow::Owned(self.last_event_id.into_owned()),
        }
    }
}
