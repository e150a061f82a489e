//! The sentinel that ends a stream cleanly ([`EndOn`]), for streams that say
//! when they are done, as chat-model APIs do with `data: [DONE]`.

use std::fmt;
use std::rc::Rc;

use crate::parse::Event;

/// What the predicate of [`EndOn::when`] is given.
type Predicate = dyn Fn(&Event<'_>) -> bool;

/// The event that ends a source cleanly (fetch transport), set with
/// [`EventSourceOptions::end_on`](crate::EventSourceOptions::end_on).
///
/// When an event matches, the source closes for good without reconnecting,
/// even if the server keeps the connection open: the request is aborted.
/// [`ConnectionState::finished`](crate::ConnectionState::finished) is then
/// `true`, state listeners hear the change to
/// [`Closed`](crate::ReadyState::Closed), and every stream ends with `None`
/// after the events before the sentinel. Error listeners hear nothing: it is
/// not an error.
///
/// The sentinel itself is not delivered (a `[DONE]` that reached a JSON
/// decoder would fail it), unless [`delivered`](Self::delivered) says so.
///
/// With a sentinel set, a response that ends or drops before it is
/// **truncated**: error listeners hear
/// [`Error::Truncated`](crate::Error::Truncated), and the source reconnects
/// as after any drop.
///
/// ```no_run
/// use web_sse::{EndOn, EventSource, EventSourceOptions, Transport};
///
/// let options = EventSourceOptions::new()
///     .transport(Transport::Fetch)
///     .end_on(EndOn::data("[DONE]"));
/// let source = EventSource::with_options("/v1/chat", &options)?;
/// # Ok::<(), web_sse::Error>(())
/// ```
#[derive(Clone)]
pub struct EndOn {
    matcher: Matcher,
    delivered: bool,
}

#[derive(Clone)]
enum Matcher {
    Data(String),
    Event(String),
    When(Rc<Predicate>),
    /// Matched elsewhere (by the npm package's JS predicate): only says a
    /// sentinel is expected, so that an early end is truncated.
    #[cfg(feature = "js")]
    Elsewhere,
}

impl EndOn {
    /// An event whose data is exactly `data`, whatever its type: `"[DONE]"`
    /// for OpenAI-style streams.
    pub fn data(data: &str) -> Self {
        Self::new(Matcher::Data(data.to_owned()))
    }

    /// An event of type `event_type` (the server's `event:` field), such as
    /// `"end"` or Anthropic's `"message_stop"`.
    ///
    /// ```no_run
    /// use web_sse::EndOn;
    ///
    /// let end = EndOn::event("message_stop");
    /// ```
    pub fn event(event_type: &str) -> Self {
        Self::new(Matcher::Event(event_type.to_owned()))
    }

    /// An event for which `predicate` returns `true`. It is called for each
    /// event, with the parser's [`Event`] (type, data and last event ID as
    /// borrowed text), before the event is delivered.
    ///
    /// ```no_run
    /// use web_sse::EndOn;
    ///
    /// let end = EndOn::when(|event| event.data.contains(r#""finish_reason":"stop""#)).delivered(true);
    /// ```
    pub fn when<F>(predicate: F) -> Self
    where
        F: Fn(&Event<'_>) -> bool + 'static,
    {
        Self::new(Matcher::When(Rc::new(predicate)))
    }

    /// A sentinel that the npm package's JS side matches itself.
    #[cfg(feature = "js")]
    pub(crate) fn elsewhere() -> Self {
        Self::new(Matcher::Elsewhere)
    }

    fn new(matcher: Matcher) -> Self {
        EndOn {
            matcher,
            delivered: false,
        }
    }

    /// Whether the sentinel event itself reaches listeners and streams,
    /// before the end; `false` unless set.
    pub fn delivered(mut self, delivered: bool) -> Self {
        self.delivered = delivered;
        self
    }

    /// Whether `event` is the sentinel.
    pub(crate) fn matches(&self, event: &Event<'_>) -> bool {
        match &self.matcher {
            Matcher::Data(data) => event.data == data.as_str(),
            Matcher::Event(event_type) => event.event_type == event_type.as_str(),
            Matcher::When(predicate) => predicate(event),
            #[cfg(feature = "js")]
            Matcher::Elsewhere => false,
        }
    }

    pub(crate) fn is_delivered(&self) -> bool {
        self.delivered
    }
}

impl fmt::Debug for EndOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("EndOn");
        match &self.matcher {
            Matcher::Data(data) => out.field("data", data),
            Matcher::Event(event_type) => out.field("event", event_type),
            Matcher::When(_) => out.field("when", &"<predicate>"),
            #[cfg(feature = "js")]
            Matcher::Elsewhere => out.field("when", &"<js predicate>"),
        };
        out.field("delivered", &self.delivered).finish()
    }
}

/// Predicates are equal only when they are the same closure.
impl PartialEq for EndOn {
    fn eq(&self, other: &Self) -> bool {
        let same = match (&self.matcher, &other.matcher) {
            (Matcher::Data(a), Matcher::Data(b)) | (Matcher::Event(a), Matcher::Event(b)) => a == b,
            (Matcher::When(a), Matcher::When(b)) => Rc::ptr_eq(a, b),
            #[cfg(feature = "js")]
            (Matcher::Elsewhere, Matcher::Elsewhere) => true,
            _ => false,
        };
        same && self.delivered == other.delivered
    }
}

impl Eq for EndOn {}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::EndOn;
    use crate::parse::Event;

    fn event<'a>(event_type: &'a str, data: &'a str) -> Event<'a> {
        Event {
            event_type: Cow::Borrowed(event_type),
            data: Cow::Borrowed(data),
            last_event_id: Cow::Borrowed(""),
        }
    }

    #[test]
    fn each_kind_matches_what_it_names() {
        assert!(EndOn::data("[DONE]").matches(&event("message", "[DONE]")));
        assert!(!EndOn::data("[DONE]").matches(&event("message", "[DONE] ")));
        assert!(EndOn::event("end").matches(&event("end", "")));
        assert!(!EndOn::event("end").matches(&event("message", "end")));
        let when = EndOn::when(|e| e.data.starts_with('!'));
        assert!(when.matches(&event("x", "!stop")));
        assert!(!when.matches(&event("x", "go")));
        assert_eq!(when.clone(), when);
        assert_ne!(when, EndOn::when(|e| e.data.starts_with('!')));
        assert_ne!(EndOn::data("a"), EndOn::data("a").delivered(true));
    }
}
