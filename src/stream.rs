//! Futures streams, fed by the hub.

use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_core::stream::{FusedStream, Stream};

use crate::hub::Hub;
use crate::queue::{Queue, StreamItem};
#[cfg(feature = "json")]
use crate::Error;

/// The events of one or more types from one source, in arrival order.
///
/// Made by [`EventSource::subscribe`](crate::EventSource::subscribe) or
/// [`EventSource::messages`](crate::EventSource::messages). It implements
/// [`Stream`] and [`FusedStream`].
///
/// # Errors
/// A dropped connection that the source is retrying is not an item: the
/// stream simply waits, and resumes with the events after the reconnect. Use
/// [`EventSource::on_error`](crate::EventSource::on_error) to watch those. When
/// the source gives up, the stream yields one error and then ends: on the
/// native transport [`Error::ConnectionFailed`](crate::Error::ConnectionFailed)
/// (a non-200 status, a wrong
/// `Content-Type`, a CORS refusal; in Firefox also a refused first
/// connection, which Chromium retries instead), on the fetch transport
/// [`Error::Http`](crate::Error::Http) or
/// [`Error::NotEventStream`](crate::Error::NotEventStream) with the response's facts.
/// An event over the parser's size limit (fetch transport) is an
/// [`Error::Parse`](crate::Error::Parse) item; the stream goes on.
///
/// # Disconnection
/// The stream ends with `None`:
/// - after [`EventSource::close`](crate::EventSource::close), once it has
///   yielded the events that arrived before the close;
/// - after the error item of a fatal error;
/// - at once, when it is made from a source that is already closed.
///
/// The stream holds the connection open: dropping the
/// [`EventSource`](crate::EventSource) handle does not end it. Dropping the
/// stream removes its listeners, and closes the connection when nothing else
/// holds it. Events buffered in a dropped stream are discarded.
///
/// # Lagging
/// The stream holds at most
/// [`EventSourceOptions::stream_capacity`](crate::EventSourceOptions::stream_capacity)
/// events (16 384 unless set) for a consumer that does not keep up. Past
/// that it drops the oldest, then yields one
/// [`Error::Lagged`](crate::Error::Lagged)`{ skipped }` in their place and goes
/// on with the newest events, as tokio's broadcast channel does. Memory stays
/// bounded whatever the server sends, and nothing is lost silently.
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct EventStream {
    queue: Rc<Queue>,
    /// Present until the stream ends, then released so that an ended stream
    /// holds neither the connection nor its listeners.
    subscription: Option<Subscription>,
}

/// Removes the stream from the hub when dropped.
#[derive(Debug)]
struct Subscription {
    hub: Rc<Hub>,
    id: u32,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.remove(self.id);
    }
}

impl EventStream {
    pub(crate) fn new(hub: Rc<Hub>, event_types: &[&str]) -> Self {
        let queue = Rc::new(Queue::new(hub.stream_capacity));
        let subscription = hub
            .add_stream(event_types, Rc::clone(&queue))
            .map(|id| Subscription { hub, id });
        EventStream {
            queue,
            subscription,
        }
    }
}

impl Stream for EventStream {
    type Item = StreamItem;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.queue.poll_next(cx);
        if let Poll::Ready(None) = polled {
            self.subscription = None;
        }
        polled
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let held = self.queue.len();
        if self.queue.is_done() {
            (0, Some(0))
        } else {
            (held, None)
        }
    }
}

impl FusedStream for EventStream {
    fn is_terminated(&self) -> bool {
        self.queue.is_done()
    }
}

/// The events of one or more types, their data decoded as JSON into `T`.
///
/// Made by [`EventSource::subscribe_json`](crate::EventSource::subscribe_json).
/// It ends exactly as [`EventStream`] does. An event whose data does not
/// decode is an [`Error::Json`] item naming its type; the stream goes on.
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
#[must_use = "streams do nothing unless polled"]
pub struct JsonStream<T> {
    events: EventStream,
    _type: std::marker::PhantomData<fn() -> T>,
}

#[cfg(feature = "json")]
impl<T> JsonStream<T> {
    pub(crate) fn new(events: EventStream) -> Self {
        JsonStream {
            events,
            _type: std::marker::PhantomData,
        }
    }
}

#[cfg(feature = "json")]
impl<T> std::fmt::Debug for JsonStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonStream")
            .field("events", &self.events)
            .finish()
    }
}

#[cfg(feature = "json")]
impl<T: serde::de::DeserializeOwned> Stream for JsonStream<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.events)
            .poll_next(cx)
            .map(|item| item.map(|event| event.and_then(|event| event.json())))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.events.size_hint()
    }
}

#[cfg(feature = "json")]
impl<T: serde::de::DeserializeOwned> FusedStream for JsonStream<T> {
    fn is_terminated(&self) -> bool {
        self.events.is_terminated()
    }
}
