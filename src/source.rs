//! The owned `EventSource` handle, its options and its listeners.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use futures_channel::mpsc::UnboundedSender;
use gloo_events::EventListener;
use wasm_bindgen::JsValue;

use crate::event::{ErrorEvent, MessageEvent, OpenEvent, ReadyState};
use crate::stream::{EventStream, StreamItem};
use crate::Error;

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

/// Options for [`EventSource::with_options`].
///
/// ```no_run
/// use web_sse::{EventSource, EventSourceOptions};
///
/// let options = EventSourceOptions::new().with_credentials(true);
/// let source = EventSource::with_options("https://api.example.com/events", &options)?;
/// # Ok::<(), web_sse::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventSourceOptions {
    with_credentials: bool,
}

impl EventSourceOptions {
    /// The defaults: no credentials on cross-origin requests.
    pub fn new() -> Self {
        Self::default()
    }

    /// Send cookies and HTTP authentication with a cross-origin request
    /// (`withCredentials`). The server must answer with
    /// `Access-Control-Allow-Credentials: true` and an explicit
    /// `Access-Control-Allow-Origin`.
    pub fn with_credentials(mut self, with_credentials: bool) -> Self {
        self.with_credentials = with_credentials;
        self
    }
}

/// A connection to a server that sends events (`text/event-stream`).
///
/// The browser connects at once and reconnects on its own when the
/// connection drops, sending the last event ID back as `Last-Event-ID`.
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
    shared: Rc<Shared>,
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
        if !is_supported() {
            return Err(Error::Unsupported);
        }
        let init = web_sys::EventSourceInit::new();
        init.set_with_credentials(options.with_credentials);
        let raw = web_sys::EventSource::new_with_event_source_init_dict(url, &init)
            .map_err(|exception| Error::from_constructor(url, exception))?;
        Ok(EventSource {
            shared: Rc::new(Shared::new(raw)),
        })
    }

    /// The connection state now.
    pub fn ready_state(&self) -> ReadyState {
        ReadyState::of(&self.shared.raw)
    }

    /// The URL, as resolved by the browser.
    pub fn url(&self) -> String {
        self.shared.raw.url()
    }

    /// Whether cross-origin requests carry credentials.
    pub fn with_credentials(&self) -> bool {
        self.shared.raw.with_credentials()
    }

    /// Closes the connection for good.
    ///
    /// The browser will not reconnect. Every stream made from this source
    /// yields the events it already holds, then `None`. Listeners stay
    /// registered but never fire again. Closing twice does nothing.
    pub fn close(&self) {
        self.shared.close();
    }

    /// Calls `callback` each time the connection opens, including after a
    /// reconnect.
    pub fn on_open<F>(&self, mut callback: F) -> Listener
    where
        F: FnMut(&OpenEvent) + 'static,
    {
        self.shared.listen("open", move |_| callback(&OpenEvent {}))
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
    pub fn on_error<F>(&self, mut callback: F) -> Listener
    where
        F: FnMut(&ErrorEvent) + 'static,
    {
        let raw = self.shared.raw.clone();
        self.shared.listen("error", move |_| {
            callback(&ErrorEvent::new(ReadyState::of(&raw)));
        })
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
    pub fn on<F>(&self, event_type: &str, mut callback: F) -> Listener
    where
        F: FnMut(&MessageEvent) + 'static,
    {
        self.shared.listen(event_type, move |event| {
            callback(&MessageEvent::from_dom(event));
        })
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
        EventStream::new(Rc::clone(&self.shared), event_types)
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
    pub fn on_json<T, F>(&self, event_type: &str, mut callback: F) -> Listener
    where
        T: serde::de::DeserializeOwned,
        F: FnMut(Result<T, Error>) + 'static,
    {
        self.shared.listen(event_type, move |event| {
            callback(MessageEvent::from_dom(event).json());
        })
    }

    /// The underlying `web_sys::EventSource`.
    ///
    /// Calling `close()` on it directly does not end this crate's streams;
    /// call [`EventSource::close`] instead.
    pub fn as_raw(&self) -> &web_sys::EventSource {
        &self.shared.raw
    }
}

/// A registered callback. Dropping it removes the listener.
///
/// A `Listener` does not keep the connection open: once the
/// [`EventSource`] and its streams are gone, the callback stops, whether or
/// not the `Listener` is still held.
#[derive(Debug)]
#[must_use = "the callback is removed as soon as the Listener is dropped"]
pub struct Listener {
    shared: Weak<Shared>,
    id: u32,
}

impl Listener {
    /// Keeps the callback registered for as long as the connection lives,
    /// without holding this handle. Unlike `forget`, this does not leak: the
    /// callback is freed when the source closes for good and is dropped.
    pub fn detach(mut self) {
        self.shared = Weak::new();
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.remove_listener(self.id);
        }
    }
}

/// The connection, shared by the handle, its streams and (weakly) its
/// listeners.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) raw: web_sys::EventSource,
    listeners: RefCell<Vec<(u32, EventListener)>>,
    next_id: Cell<u32>,
    /// One sender per live stream, so that `close` can end them all.
    streams: RefCell<Vec<UnboundedSender<StreamItem>>>,
}

impl Shared {
    fn new(raw: web_sys::EventSource) -> Self {
        Shared {
            raw,
            listeners: RefCell::new(Vec::new()),
            next_id: Cell::new(0),
            streams: RefCell::new(Vec::new()),
        }
    }

    fn listen<F>(self: &Rc<Self>, event_type: &str, callback: F) -> Listener
    where
        F: FnMut(&web_sys::Event) + 'static,
    {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        let listener = EventListener::new(&self.raw, event_type.to_owned(), callback);
        self.listeners.borrow_mut().push((id, listener));
        Listener {
            shared: Rc::downgrade(self),
            id,
        }
    }

    fn remove_listener(&self, id: u32) {
        let removed = {
            let mut listeners = self.listeners.borrow_mut();
            let index = listeners.iter().position(|(key, _)| *key == id);
            index.map(|index| listeners.swap_remove(index))
        };
        // Dropped outside the borrow: removing a DOM listener must not
        // overlap a borrow that a callback could need.
        drop(removed);
    }

    /// Remembers a stream's sender so that `close` reaches it, forgetting
    /// streams that have since been dropped.
    pub(crate) fn track_stream(&self, sender: UnboundedSender<StreamItem>) {
        let mut streams = self.streams.borrow_mut();
        streams.retain(|stream| !stream.is_closed());
        streams.push(sender);
    }

    pub(crate) fn close(&self) {
        self.raw.close();
        let streams = std::mem::take(&mut *self.streams.borrow_mut());
        for stream in streams {
            stream.close_channel();
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Streams hold an Rc, so none is left to end; the listeners are
        // removed when the Vec drops.
        self.raw.close();
    }
}
