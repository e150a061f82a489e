//! The owned `EventSource` handle.

use std::rc::Rc;

use wasm_bindgen::JsValue;

use crate::event::{ConnectionState, ErrorEvent, MessageEvent, OpenEvent, ReadyState};
use crate::hub::Hub;
use crate::stream::EventStream;
use crate::{Error, EventSourceOptions, Listener};

/// Whether this environment has `EventSource`.
///
/// Works in a window, a dedicated or shared worker, and anywhere without
/// `window` (it looks at the global object, whatever it is). It never panics.
///
/// ```no_run
/// if web_sse::is_supported() {
///     let _source = web_sse::EventSource::new("/events");
/// } else {
///     // Fall back to polling.
/// }
/// ```
pub fn is_supported() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("EventSource"))
        .map(|constructor| constructor.is_function())
        .unwrap_or(false)
}

/// A connection to a server that sends events (`text/event-stream`).
///
/// It connects at once and reconnects on its own when the connection drops,
/// sending the last event ID back as `Last-Event-ID`. The transport, native
/// `EventSource` or `fetch()`, is chosen in [`EventSourceOptions`]; everything
/// here works the same on both.
///
/// # Ownership
/// The connection lives as long as this handle **or** any stream made from
/// it ([`subscribe`](Self::subscribe)). A stream therefore keeps working after
/// the handle that made it is dropped. [`Listener`]s do not keep the
/// connection alive: when the last handle and the last stream are gone, the
/// connection closes and every listener is removed. This type is not `Clone`,
/// because dropping it has an effect.
///
/// ```no_run
/// # fn log(_: &str) {}
/// use web_sse::EventSource;
///
/// let source = EventSource::new("/events")?;
/// let _on_message = source.on_message(|event| {
///     log(event.data());
/// });
/// # Ok::<(), web_sse::Error>(())
/// ```
#[derive(Debug)]
pub struct EventSource {
    hub: Rc<Hub>,
}

impl EventSource {
    /// Opens a source at `url`, absolute or relative to the page.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without `EventSource`, [`Error::InvalidUrl`]
    /// when the browser cannot parse the URL, [`Error::Js`] for any other
    /// exception (a `SecurityError` from a content security policy, say).
    pub fn new(url: &str) -> Result<Self, Error> {
        Self::with_options(url, &EventSourceOptions::default())
    }

    /// Opens a source at `url` with `options`.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_options(url: &str, options: &EventSourceOptions) -> Result<Self, Error> {
        Ok(EventSource {
            hub: crate::transport::open(url, options)?,
        })
    }

    /// A source that reads `stream` once, as the proposed
    /// `EventSource.fromReadableStream()` does: for a `fetch()` the caller
    /// made itself (a POST with a bearer token and a JSON body, say), whose
    /// `response.body()` it hands over.
    ///
    /// The stream is locked at once. The source opens when reading starts;
    /// its URL is `about:event-stream` and its events' origin is `"null"`.
    /// The end of the stream ends the source (error listeners hear it, streams
    /// end with `None`); an error in the stream ends it with
    /// [`Error::Stream`]. Nothing reconnects: to resume, pipe the next body
    /// into the same stream (a `TransformStream`), and the last event ID and
    /// reconnection time carry over.
    ///
    /// # Errors
    /// [`Error::Js`] (`TypeError`) when the stream is locked already.
    ///
    /// ```no_run
    /// # fn log(_: &str) {}
    /// # async fn run(response: web_sys::Response) -> Result<(), web_sse::Error> {
    /// use futures::StreamExt;
    ///
    /// let body = response.body().expect("a streamed response");
    /// let source = web_sse::EventSource::from_readable_stream(&body)?;
    /// let mut events = source.messages();
    /// while let Some(event) = events.next().await {
    ///     log(event?.data());
    /// }
    /// // The stream ended with the response.
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "fetch")]
    #[cfg_attr(docsrs, doc(cfg(feature = "fetch")))]
    pub fn from_readable_stream(stream: &web_sys::ReadableStream) -> Result<Self, Error> {
        Ok(EventSource {
            hub: crate::transport::stream::from_readable(stream)?,
        })
    }

    /// A source that reads a Rust stream of byte chunks once, such as a
    /// gloo-net or reqwest response body: the same as
    /// [`from_readable_stream`](Self::from_readable_stream) otherwise. An
    /// `Err` chunk ends the source with [`Error::Stream`], carrying its
    /// message.
    ///
    /// ```
    /// # #[cfg(target_arch = "wasm32")]
    /// # fn run() {
    /// use futures::stream;
    ///
    /// let chunks = stream::iter([
    ///     Ok::<_, std::convert::Infallible>(&b"data: hel"[..]),
    ///     Ok(&b"lo\n\n"[..]),
    /// ]);
    /// let source = web_sse::EventSource::from_stream(chunks);
    /// let _hello = source.on_message(|event| assert_eq!(event.data(), "hello"));
    /// # }
    /// ```
    #[cfg(feature = "fetch")]
    #[cfg_attr(docsrs, doc(cfg(feature = "fetch")))]
    pub fn from_stream<S, B, E>(stream: S) -> Self
    where
        S: futures_core::Stream<Item = Result<B, E>> + 'static,
        B: AsRef<[u8]>,
        E: std::fmt::Display,
    {
        EventSource {
            hub: crate::transport::stream::from_stream(stream),
        }
    }

    /// The connection state now.
    pub fn ready_state(&self) -> ReadyState {
        self.hub.ready_state()
    }

    /// Where the source stands: the ready state, the reconnection attempt,
    /// the delay and time of the next one, and the last error (see
    /// [`EventSourceOptions::reconnect`]).
    pub fn state(&self) -> ConnectionState {
        self.hub.connection_state()
    }

    /// Calls `callback` with the new [`ConnectionState`] whenever it changes:
    /// on open, on each drop (before error listeners hear it, so that they
    /// can read [`EventSource::state`]), on a fatal error and on
    /// [`close`](Self::close). Dropping the [`Listener`] removes it.
    ///
    /// ```no_run
    /// # let source = web_sse::EventSource::new("/events")?;
    /// let _listener = source.on_state_change(|state| {
    ///     if let Some(at) = state.next_attempt_at {
    ///         let seconds = ((at - js_sys::Date::now()) / 1000.0).ceil();
    ///         # let _ = seconds;
    ///     }
    /// });
    /// # Ok::<(), web_sse::Error>(())
    /// ```
    pub fn on_state_change<F>(&self, callback: F) -> Listener
    where
        F: FnMut(&ConnectionState) + 'static,
    {
        Listener::new(Rc::downgrade(&self.hub), self.hub.on_state_change(callback))
    }

    /// This source's part in a shared connection (cargo feature `shared`):
    /// [`SharedRole::Leader`](crate::SharedRole::Leader) while it holds the
    /// connection for every source of its key,
    /// [`Follower`](crate::SharedRole::Follower) while another one does, and
    /// [`Unshared`](crate::SharedRole::Unshared) when it was opened without
    /// [`EventSourceOptions::shared`] or where it cannot share (no
    /// `navigator.locks` or `BroadcastChannel`).
    ///
    /// A source starts [`Pending`](crate::SharedRole::Pending): it becomes
    /// the leader when it gets the lock, or a follower when it hears of the
    /// leader (a few milliseconds after it opened). A follower may become the
    /// leader later, when the leader before it closes or its page goes away.
    /// State listeners ([`on_state_change`](Self::on_state_change)) hear
    /// each change, in [`ConnectionState::shared_role`](crate::ConnectionState::shared_role).
    ///
    /// ```no_run
    /// use web_sse::{EventSource, EventSourceOptions, SharedRole};
    ///
    /// let source = EventSource::with_options("/events", &EventSourceOptions::new().shared(true))?;
    /// if source.shared_role() == SharedRole::Unshared {
    ///     // No Web Locks here (an insecure context, say): one connection per tab.
    /// }
    /// # Ok::<(), web_sse::Error>(())
    /// ```
    #[cfg(feature = "shared")]
    #[cfg_attr(docsrs, doc(cfg(feature = "shared")))]
    pub fn shared_role(&self) -> crate::SharedRole {
        self.hub
            .driver()
            .map_or(crate::SharedRole::Unshared, |driver| driver.shared_role())
    }

    /// The URL, resolved against the page.
    pub fn url(&self) -> String {
        self.hub.url.clone()
    }

    /// Whether cross-origin requests carry credentials.
    pub fn with_credentials(&self) -> bool {
        self.hub.with_credentials
    }

    /// Closes the connection for good.
    ///
    /// It will not reconnect. Every stream made from this source yields the
    /// events it already holds, then `None`. Listeners stay registered but
    /// never fire again. Closing twice does nothing.
    pub fn close(&self) {
        self.hub.close();
    }

    /// Closes the current connection, if any, and opens a new one now,
    /// with the last event ID: on the fetch transport as `Last-Event-ID`,
    /// on the native transport in the query parameter named by
    /// [`EventSourceOptions::last_event_id_param`] (a new browser object
    /// cannot send the header). The reconnect policy starts counting again.
    /// On fetch the server's `retry:` is kept: it is the source's
    /// reconnection time, not the connection's. A new browser object on
    /// native starts from the browser's default until the server sends it
    /// again.
    ///
    /// It works in every state: on an open source (new credentials on the
    /// server's side, new filters), on one waiting to reconnect (now rather
    /// than after the delay), and on a closed one, whether the page closed
    /// it, the source failed for good, or it met its
    /// [`end_on`](EventSourceOptions::end_on) sentinel. The source becomes
    /// `Connecting` (state listeners hear it; error listeners do not: nothing
    /// failed), then `Open`. Listeners stay registered and keep receiving;
    /// streams that are still running keep receiving too. A stream that has
    /// already ended (it yielded `None` after a close or a fatal error) stays
    /// ended: make a new one. A source read from a stream
    /// (`from_stream`, `from_readable_stream`) cannot reconnect, nor can a
    /// shared one yet: they ignore this.
    ///
    /// ```no_run
    /// # let source = web_sse::EventSource::new("/events")?;
    /// let _revive = source.on_error(|event| {
    ///     if event.is_fatal() {
    ///         // Show a "retry" button that calls source.reconnect().
    ///     }
    /// });
    /// source.reconnect();
    /// # Ok::<(), web_sse::Error>(())
    /// ```
    pub fn reconnect(&self) {
        self.hub.reconnect();
    }

    /// Calls `callback` with the text of each comment line (`: keep-alive`),
    /// in order among the events: what follows the colon, one leading space
    /// stripped, as from a field value (`"keep-alive"`). Servers send them as
    /// heartbeats; watch them to know the connection is alive.
    ///
    /// The text is lent from the parser: nothing is allocated for a comment,
    /// and while no comment listener is registered the transport does not
    /// hand comments over at all. On the native transport the browser hides
    /// comments, so the callback is never called there.
    ///
    /// ```no_run
    /// # let source = web_sse::EventSource::new("/events")?;
    /// let _heartbeat = source.on_comment(|text| {
    ///     if text == "keep-alive" {
    ///         // The connection is alive.
    ///     }
    /// });
    /// # Ok::<(), web_sse::Error>(())
    /// ```
    pub fn on_comment<F>(&self, callback: F) -> Listener
    where
        F: FnMut(&str) + 'static,
    {
        Listener::new(Rc::downgrade(&self.hub), self.hub.on_comment(callback))
    }

    /// Calls `callback` each time the connection opens, including after a
    /// reconnect.
    pub fn on_open<F>(&self, callback: F) -> Listener
    where
        F: FnMut(&OpenEvent) + 'static,
    {
        Listener::new(Rc::downgrade(&self.hub), self.hub.on_open(callback))
    }

    /// Calls `callback` for each event of the default type, `message`.
    pub fn on_message<F>(&self, callback: F) -> Listener
    where
        F: FnMut(&MessageEvent) + 'static,
    {
        self.on("message", callback)
    }

    /// Calls `callback` each time the connection drops or fails. See
    /// [`ErrorEvent`] for how to tell a reconnect from the end.
    pub fn on_error<F>(&self, callback: F) -> Listener
    where
        F: FnMut(&ErrorEvent) + 'static,
    {
        Listener::new(Rc::downgrade(&self.hub), self.hub.on_error(callback))
    }

    /// Calls `callback` for each event of type `event_type`: a name the
    /// server sets with `event: <name>`, or `"message"`.
    ///
    /// ```no_run
    /// # fn log(_: &str) {}
    /// # let source = web_sse::EventSource::new("/events")?;
    /// let _info = source.on("info", |event| {
    ///     log(event.data());
    /// });
    /// # Ok::<(), web_sse::Error>(())
    /// ```
    pub fn on<F>(&self, event_type: &str, callback: F) -> Listener
    where
        F: FnMut(&MessageEvent) + 'static,
    {
        let id = self.hub.on_message(event_type, callback);
        Listener::new(Rc::downgrade(&self.hub), id)
    }

    /// One stream of the events of every type in `event_types`, in the order
    /// they arrive. See [`EventStream`] for how it ends.
    ///
    /// ```no_run
    /// # fn log(_: &str) {}
    /// use futures::StreamExt;
    ///
    /// # async fn run() -> Result<(), web_sse::Error> {
    /// let source = web_sse::EventSource::new("/events")?;
    /// let mut events = source.subscribe(&["message", "info"]);
    /// while let Some(event) = events.next().await {
    ///     let event = event?;
    ///     log(event.data());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn subscribe(&self, event_types: &[&str]) -> EventStream {
        EventStream::new(Rc::clone(&self.hub), event_types)
    }

    /// The stream of `message` events: `subscribe(&["message"])`.
    pub fn messages(&self) -> EventStream {
        self.subscribe(&["message"])
    }

    /// A stream of the events of the given types, their data decoded as JSON
    /// into `T`. A decode failure is an [`Error::Json`] item and does not end
    /// the stream.
    ///
    /// ```no_run
    /// # fn log(_: &str) {}
    /// use futures::StreamExt;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Stats { seq: u64, clients: u32 }
    ///
    /// # async fn run() -> Result<(), web_sse::Error> {
    /// let source = web_sse::EventSource::new("/events")?;
    /// let mut stats = source.subscribe_json::<Stats>(&["stats"]);
    /// while let Some(item) = stats.next().await {
    ///     match item {
    ///         Ok(stats) => log(&format!("#{} {} clients", stats.seq, stats.clients)),
    ///         Err(error) => log(&error.to_string()),
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn subscribe_json<T>(&self, event_types: &[&str]) -> crate::JsonStream<T>
    where
        T: serde::de::DeserializeOwned,
    {
        crate::JsonStream::new(self.subscribe(event_types))
    }

    /// Calls `callback` for each event of type `event_type`, its data decoded
    /// as JSON into `T`; a decode failure is passed as [`Error::Json`].
    ///
    /// ```no_run
    /// # fn log(_: &str) {}
    /// #[derive(serde::Deserialize)]
    /// struct Stats { seq: u64 }
    ///
    /// # let source = web_sse::EventSource::new("/events")?;
    /// let _stats = source.on_json("stats", |stats: Result<Stats, web_sse::Error>| match stats {
    ///     Ok(stats) => log(&stats.seq.to_string()),
    ///     Err(error) => log(&error.to_string()),
    /// });
    /// # Ok::<(), web_sse::Error>(())
    /// ```
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn on_json<T, F>(&self, event_type: &str, mut callback: F) -> Listener
    where
        T: serde::de::DeserializeOwned,
        F: FnMut(Result<T, Error>) + 'static,
    {
        self.on(event_type, move |event| callback(event.json()))
    }

    /// The underlying `web_sys::EventSource` on the native transport; `None`
    /// on the fetch transport, and while a reconnect policy waits to open a
    /// new one (each reopen makes a new browser object).
    ///
    /// Calling `close()` on it directly does not end this crate's streams;
    /// call [`EventSource::close`] instead.
    pub fn as_raw(&self) -> Option<web_sys::EventSource> {
        self.hub.driver().and_then(|driver| driver.raw())
    }
}
