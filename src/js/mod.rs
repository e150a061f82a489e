//! The JavaScript API: a drop-in `EventSource` class for pages, built on the
//! crate's [`EventSource`](crate::EventSource).
//!
//! The DOM half (`onmessage` and friends, `addEventListener`) is forwarded to
//! the browser's own object, so listeners receive its real events with the
//! exact DOM rules (`once`, `signal`, de-duplication, `this`, exceptions
//! reported to the page) and without a Rust closure per listener. What pages
//! cannot get natively, async iteration and JSON, is built on the crate's
//! streams and on closures owned by `gloo_events` handles.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::{Error, Listener, ReadyState};

mod iter;
pub use iter::EventIterator;

#[wasm_bindgen]
extern "C" {
    /// `new EventSource(url, init)`'s second argument.
    #[wasm_bindgen(typescript_type = "EventSourceInit")]
    pub type Init;

    /// A handler attribute value, as the DOM types it.
    #[wasm_bindgen(typescript_type = "((this: EventSource, ev: Event) => any) | null")]
    pub type EventHandler;

    /// A handler attribute value for `message`.
    #[wasm_bindgen(typescript_type = "((this: EventSource, ev: MessageEvent) => any) | null")]
    pub type MessageEventHandler;

    /// What `addEventListener` accepts as a listener.
    #[wasm_bindgen(typescript_type = "EventListenerOrEventListenerObject | null")]
    pub type ListenerArg;

    /// `addEventListener`'s third argument.
    #[wasm_bindgen(typescript_type = "boolean | AddEventListenerOptions")]
    pub type AddOptions;

    /// `removeEventListener`'s third argument.
    #[wasm_bindgen(typescript_type = "boolean | EventListenerOptions")]
    pub type RemoveOptions;

    /// `addJsonListener`'s listener.
    #[wasm_bindgen(typescript_type = "(this: EventSource, data: any, ev: MessageEvent) => any")]
    pub type JsonCallback;

    /// `addJsonListener`'s third argument.
    #[wasm_bindgen(typescript_type = "{ once?: boolean }")]
    pub type JsonOptions;

    /// One event type or several.
    #[wasm_bindgen(typescript_type = "string | string[]")]
    pub type EventTypes;

    /// The browser's `EventSource`, with its members typed loosely: values
    /// are forwarded verbatim, so that the browser applies its own
    /// conversions and errors to whatever the page passes.
    type Native;

    #[wasm_bindgen(method, catch, js_name = addEventListener)]
    fn add_listener(
        this: &Native,
        event_type: &str,
        listener: &JsValue,
        options: &JsValue,
    ) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = removeEventListener)]
    fn remove_listener(
        this: &Native,
        event_type: &str,
        listener: &JsValue,
        options: &JsValue,
    ) -> Result<(), JsValue>;
    #[wasm_bindgen(method, getter, js_name = onopen)]
    fn raw_onopen(this: &Native) -> JsValue;
    #[wasm_bindgen(method, setter, js_name = onopen)]
    fn raw_set_onopen(this: &Native, handler: &JsValue);
    #[wasm_bindgen(method, getter, js_name = onmessage)]
    fn raw_onmessage(this: &Native) -> JsValue;
    #[wasm_bindgen(method, setter, js_name = onmessage)]
    fn raw_set_onmessage(this: &Native, handler: &JsValue);
    #[wasm_bindgen(method, getter, js_name = onerror)]
    fn raw_onerror(this: &Native) -> JsValue;
    #[wasm_bindgen(method, setter, js_name = onerror)]
    fn raw_set_onerror(this: &Native, handler: &JsValue);

    // Takes the JS string as it is, rather than copying it through wasm memory.
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    fn parse_json(text: &JsValue) -> Result<JsValue, JsValue>;

    // Throws (and is caught) where the browser predates `reportError`.
    #[wasm_bindgen(catch, js_name = reportError)]
    fn report_error(error: &JsValue) -> Result<(), JsValue>;
}

/// Whether this environment has `EventSource`. Check it before constructing
/// one, and fall back to polling when it is `false`.
#[wasm_bindgen(js_name = isSupported)]
pub fn is_supported() -> bool {
    crate::is_supported()
}

thread_local! {
    /// Sources that are not closed. The DOM keeps an open `EventSource` alive
    /// while the page has no reference to it (`new EventSource(url).onmessage
    /// = ...` is common); without this, collecting our wrapper would close the
    /// connection behind the page's back. A source leaves on `close()` or when
    /// the browser gives up.
    static OPEN: RefCell<Vec<Rc<Inner>>> = const { RefCell::new(Vec::new()) };
}

fn keep_open(inner: &Rc<Inner>) {
    OPEN.with(|open| open.borrow_mut().push(Rc::clone(inner)));
}

fn release(inner: &Weak<Inner>) {
    let removed = OPEN.with(|open| {
        let mut open = open.borrow_mut();
        let index = open
            .iter()
            .position(|kept| std::ptr::eq(Rc::as_ptr(kept), inner.as_ptr()));
        index.map(|index| open.swap_remove(index))
    });
    // Dropped outside the borrow: it may be the last reference, and dropping
    // it removes listeners.
    drop(removed);
}

/// A connection to a server that sends events (`text/event-stream`): the
/// browser's `EventSource`, with the same properties, handlers and events, plus
/// async iteration (`events()`) and JSON (`jsonEvents()`, `addJsonListener()`).
///
/// Listeners receive the browser's own `Event`/`MessageEvent` objects; their
/// `this` and `target` are the underlying native `EventSource`.
///
/// Like the native object, an open source keeps running when the page drops
/// its reference: call `close()` to stop it. `free()` releases this wrapper but
/// does not close the connection.
#[wasm_bindgen(js_name = EventSource)]
pub struct JsEventSource {
    inner: Rc<Inner>,
}

struct Inner {
    source: crate::EventSource,
    json_listeners: RefCell<Vec<JsonListener>>,
    next_id: Cell<u32>,
    /// Releases the source from [`OPEN`] when the browser gives up.
    _on_fatal: Listener,
}

struct JsonListener {
    id: u32,
    event_type: String,
    callback: js_sys::Function,
    _handle: EventListener,
}

#[wasm_bindgen(js_class = EventSource)]
impl JsEventSource {
    /// Opens a connection to `url` (absolute or relative to the page), as
    /// `new EventSource(url, { withCredentials })` does.
    ///
    /// Throws a `SyntaxError` when the URL cannot be parsed, and an `Error`
    /// when `EventSource` is not available (see `isSupported()`).
    #[wasm_bindgen(constructor)]
    pub fn new(url: &str, init: Option<Init>) -> Result<JsEventSource, JsValue> {
        let with_credentials = init
            .and_then(|init| js_sys::Reflect::get(&init, &"withCredentials".into()).ok())
            .is_some_and(|value| value.is_truthy());
        let options = crate::EventSourceOptions::new().with_credentials(with_credentials);
        let source = crate::EventSource::with_options(url, &options).map_err(to_js_error)?;
        let inner = Rc::new_cyclic(|weak: &Weak<Inner>| {
            let weak = weak.clone();
            let on_fatal = source.on_error(move |event| {
                if event.is_fatal() {
                    release(&weak);
                }
            });
            Inner {
                source,
                json_listeners: RefCell::new(Vec::new()),
                next_id: Cell::new(0),
                _on_fatal: on_fatal,
            }
        });
        keep_open(&inner);
        Ok(JsEventSource { inner })
    }

    /// `readyState` while connecting or waiting to reconnect: 0.
    #[wasm_bindgen(getter = CONNECTING)]
    pub fn connecting_static() -> u16 {
        ReadyState::Connecting.as_u16()
    }

    /// `readyState` while connected: 1.
    #[wasm_bindgen(getter = OPEN)]
    pub fn open_static() -> u16 {
        ReadyState::Open.as_u16()
    }

    /// `readyState` once closed for good: 2.
    #[wasm_bindgen(getter = CLOSED)]
    pub fn closed_static() -> u16 {
        ReadyState::Closed.as_u16()
    }

    /// `readyState` while connecting or waiting to reconnect: 0.
    #[wasm_bindgen(getter = CONNECTING)]
    pub fn connecting(&self) -> u16 {
        ReadyState::Connecting.as_u16()
    }

    /// `readyState` while connected: 1.
    #[wasm_bindgen(getter = OPEN)]
    pub fn open(&self) -> u16 {
        ReadyState::Open.as_u16()
    }

    /// `readyState` once closed for good: 2.
    #[wasm_bindgen(getter = CLOSED)]
    pub fn closed(&self) -> u16 {
        ReadyState::Closed.as_u16()
    }

    /// The connection state: `CONNECTING` (0), `OPEN` (1) or `CLOSED` (2).
    #[wasm_bindgen(getter = readyState)]
    pub fn ready_state(&self) -> u16 {
        self.inner.source.ready_state().as_u16()
    }

    /// The URL, resolved against the page.
    #[wasm_bindgen(getter)]
    pub fn url(&self) -> String {
        self.inner.source.url()
    }

    /// Whether cross-origin requests carry cookies and HTTP authentication.
    #[wasm_bindgen(getter = withCredentials)]
    pub fn with_credentials(&self) -> bool {
        self.inner.source.with_credentials()
    }

    /// Called each time the connection opens, including after a reconnect.
    #[wasm_bindgen(getter)]
    pub fn onopen(&self) -> EventHandler {
        self.native().raw_onopen().unchecked_into()
    }

    /// Setting it replaces the previous handler; `null` removes it.
    #[wasm_bindgen(setter)]
    pub fn set_onopen(&self, handler: EventHandler) {
        self.native().raw_set_onopen(&handler);
    }

    /// Called with each `message` event (events sent without an `event:` name).
    #[wasm_bindgen(getter)]
    pub fn onmessage(&self) -> MessageEventHandler {
        self.native().raw_onmessage().unchecked_into()
    }

    /// Setting it replaces the previous handler; `null` removes it.
    #[wasm_bindgen(setter)]
    pub fn set_onmessage(&self, handler: MessageEventHandler) {
        self.native().raw_set_onmessage(&handler);
    }

    /// Called when the connection drops (`readyState` is `CONNECTING`: the
    /// browser is reconnecting) or fails for good (`readyState` is `CLOSED`).
    #[wasm_bindgen(getter)]
    pub fn onerror(&self) -> EventHandler {
        self.native().raw_onerror().unchecked_into()
    }

    /// Setting it replaces the previous handler; `null` removes it.
    #[wasm_bindgen(setter)]
    pub fn set_onerror(&self, handler: EventHandler) {
        self.native().raw_set_onerror(&handler);
    }

    /// Listens for events of `type`: `open`, `message`, `error`, or any name
    /// the server sends with `event:`. Same rules as the DOM method: the
    /// `once`, `signal` and `capture` options, and a listener added twice is
    /// called once.
    #[wasm_bindgen(js_name = addEventListener)]
    pub fn add_event_listener(
        &self,
        #[wasm_bindgen(js_name = eventType)] event_type: &str,
        listener: ListenerArg,
        options: Option<AddOptions>,
    ) -> Result<(), JsValue> {
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        self.native().add_listener(event_type, &listener, &options)
    }

    /// Removes a listener added with `addEventListener`.
    #[wasm_bindgen(js_name = removeEventListener)]
    pub fn remove_event_listener(
        &self,
        #[wasm_bindgen(js_name = eventType)] event_type: &str,
        listener: ListenerArg,
        options: Option<RemoveOptions>,
    ) -> Result<(), JsValue> {
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        self.native()
            .remove_listener(event_type, &listener, &options)
    }

    /// Closes the connection for good: the browser will not reconnect,
    /// `readyState` becomes `CLOSED`, no further events are delivered, and
    /// every `events()` iterator ends after the events it already holds.
    pub fn close(&self) {
        self.inner.source.close();
        release(&Rc::downgrade(&self.inner));
    }

    /// The events of the given types (default `"message"`) as an async
    /// iterator of `MessageEvent`s, in arrival order:
    ///
    /// ```js
    /// for await (const ev of source.events(['message', 'info'])) {
    ///   console.log(ev.type, ev.data, ev.lastEventId);
    /// }
    /// // Reached after source.close().
    /// ```
    ///
    /// The loop ends when the source is closed. It throws an `Error` when
    /// the browser gives up on the connection (a non-200 status, say).
    /// Leaving the loop early (`break`, `return`) unsubscribes. Reconnects
    /// are invisible to it. Events arriving while the loop body runs are
    /// buffered.
    #[wasm_bindgen(unchecked_return_type = "EventIterator")]
    pub fn events(&self, types: Option<EventTypes>) -> Result<EventIterator, JsValue> {
        self.iterator(types, false)
    }

    /// Like `events()`, with each event's `data` parsed as JSON. An event
    /// whose data is not valid JSON is skipped and reported as a `jsonerror`
    /// event (see `addJsonListener`).
    #[wasm_bindgen(js_name = jsonEvents)]
    pub fn json_events(&self, types: Option<EventTypes>) -> Result<EventIterator, JsValue> {
        self.iterator(types, true)
    }

    /// Calls `listener(data, event)` with the parsed JSON data of each event
    /// of `type`.
    ///
    /// When the data is not valid JSON, the listener is not called; instead
    /// the source dispatches a cancelable `ErrorEvent` of type `jsonerror`,
    /// whose `message` names the event type and whose `error` is a
    /// `SyntaxError` with `eventType`, `data` (the text received) and `cause`
    /// (the parser's error). Unless a `jsonerror` listener calls
    /// `preventDefault()`, the error is also logged to the console.
    ///
    /// With `{ once: true }` the listener is removed after its first call.
    /// Adding the same listener for the same type twice has no effect.
    #[wasm_bindgen(js_name = addJsonListener)]
    pub fn add_json_listener(
        &self,
        #[wasm_bindgen(js_name = eventType)] event_type: &str,
        listener: JsonCallback,
        options: Option<JsonOptions>,
    ) -> Result<(), JsValue> {
        let Some(callback) = listener.dyn_ref::<js_sys::Function>() else {
            return Err(
                js_sys::TypeError::new("addJsonListener: the listener must be a function").into(),
            );
        };
        let once = options
            .and_then(|options| js_sys::Reflect::get(&options, &"once".into()).ok())
            .is_some_and(|once| once.is_truthy());
        if self.inner.find_json(event_type, callback).is_some() {
            return Ok(());
        }
        let id = self.inner.next_id.get();
        self.inner.next_id.set(id.wrapping_add(1));
        let weak = Rc::downgrade(&self.inner);
        let handle = EventListener::new(self.raw(), event_type.to_owned(), move |event| {
            if let Some(inner) = weak.upgrade() {
                inner.deliver_json(id, once, event);
            }
        });
        self.inner.json_listeners.borrow_mut().push(JsonListener {
            id,
            event_type: event_type.to_owned(),
            callback: callback.clone(),
            _handle: handle,
        });
        Ok(())
    }

    /// Removes a listener added with `addJsonListener`.
    #[wasm_bindgen(js_name = removeJsonListener)]
    pub fn remove_json_listener(
        &self,
        #[wasm_bindgen(js_name = eventType)] event_type: &str,
        listener: JsonCallback,
    ) {
        if let Some(callback) = listener.dyn_ref::<js_sys::Function>() {
            if let Some(id) = self.inner.find_json(event_type, callback) {
                self.inner.remove_json(id);
            }
        }
    }
}

impl JsEventSource {
    fn raw(&self) -> &web_sys::EventSource {
        self.inner.source.as_raw()
    }

    fn native(&self) -> &Native {
        self.raw().unchecked_ref()
    }

    fn iterator(&self, types: Option<EventTypes>, json: bool) -> Result<EventIterator, JsValue> {
        let types = event_types(types)?;
        let types: Vec<&str> = types.iter().map(String::as_str).collect();
        let stream = self.inner.source.subscribe(&types);
        Ok(EventIterator::new(stream, self.raw().clone(), json))
    }
}

impl Inner {
    fn find_json(&self, event_type: &str, callback: &js_sys::Function) -> Option<u32> {
        self.json_listeners
            .borrow()
            .iter()
            .find(|listener| listener.event_type == event_type && listener.callback == *callback)
            .map(|listener| listener.id)
    }

    fn remove_json(&self, id: u32) {
        let removed = {
            let mut listeners = self.json_listeners.borrow_mut();
            let index = listeners.iter().position(|listener| listener.id == id);
            index.map(|index| listeners.remove(index))
        };
        // Dropped outside the borrow: the handle may be the one running now,
        // and wasm-bindgen frees a running closure only once it returns.
        drop(removed);
    }

    fn deliver_json(&self, id: u32, once: bool, event: &web_sys::Event) {
        // Looked up on each call, so that a listener removed by an earlier
        // listener for the same event is not called.
        let callback = self
            .json_listeners
            .borrow()
            .iter()
            .find(|listener| listener.id == id)
            .map(|listener| listener.callback.clone());
        let Some(callback) = callback else { return };
        let raw = self.source.as_raw();
        let data = event_data(event);
        match parse_json(&data) {
            Ok(value) => {
                if once {
                    self.remove_json(id);
                }
                if let Err(exception) = callback.call2(raw, &value, event) {
                    report(&exception);
                }
            }
            Err(cause) => dispatch_json_error(raw, &event.type_(), &data, &cause),
        }
    }
}

fn event_types(types: Option<EventTypes>) -> Result<Vec<String>, JsValue> {
    let Some(types) = types.filter(|types| !types.is_undefined()) else {
        return Ok(vec![String::from("message")]);
    };
    if let Some(single) = types.as_string() {
        return Ok(vec![single]);
    }
    let not_strings = || -> JsValue {
        js_sys::TypeError::new("event types must be a string or an array of strings").into()
    };
    let array = types
        .dyn_into::<js_sys::Array>()
        .map_err(|_| not_strings())?;
    array
        .iter()
        .map(|value| value.as_string().ok_or_else(not_strings))
        .collect()
}

fn event_data(event: &web_sys::Event) -> JsValue {
    event
        .dyn_ref::<web_sys::MessageEvent>()
        .map_or(JsValue::UNDEFINED, web_sys::MessageEvent::data)
}

fn dispatch_json_error(
    raw: &web_sys::EventSource,
    event_type: &str,
    data: &JsValue,
    cause: &JsValue,
) {
    let reason = cause
        .dyn_ref::<js_sys::Error>()
        .map(|reason| String::from(reason.message()))
        .unwrap_or_default();
    let message = concat(&[
        "web-sse: the data of a \"",
        event_type,
        "\" event is not valid JSON (",
        &reason,
        "); the event was skipped. Send JSON for this type, or read it as text with addEventListener",
    ]);
    let error = js_sys::SyntaxError::new(&message);
    let _ = js_sys::Reflect::set(&error, &"eventType".into(), &event_type.into());
    let _ = js_sys::Reflect::set(&error, &"data".into(), data);
    let _ = js_sys::Reflect::set(&error, &"cause".into(), cause);
    let init = web_sys::ErrorEventInit::new();
    init.set_message(&message);
    init.set_error(&error);
    init.set_cancelable(true);
    let unhandled = web_sys::ErrorEvent::new_with_event_init_dict("jsonerror", &init)
        .and_then(|event| raw.dispatch_event(&event))
        .unwrap_or(true);
    // As with the window's `error` event: logged unless a listener prevents it.
    if unhandled {
        web_sys::console::error_1(&error);
    }
}

/// Reports an exception thrown by a page's listener the way the browser does
/// for its own listeners, without stopping the other listeners.
fn report(exception: &JsValue) {
    if report_error(exception).is_err() {
        web_sys::console::error_1(exception);
    }
}

/// Errors as JS exceptions. The messages are spelled out here rather than
/// taken from `Error`'s `Display`: formatting machinery would cost the page
/// more bytes than the rest of this module.
fn to_js_error(error: Error) -> JsValue {
    match error {
        Error::InvalidUrl { url, message } => {
            let text = concat(&[
                "cannot open an event source at \"",
                &url,
                "\": ",
                &message,
                "; pass an absolute URL or one relative to the page",
            ]);
            js_sys::SyntaxError::new(&text).into()
        }
        Error::ConnectionFailed { url } => {
            let text = concat(&[
                "the event source at ",
                &url,
                " failed and the browser will not reconnect (a non-200 status, a wrong \
                 Content-Type, a CORS refusal or a network error); check the server's \
                 response in the network panel, then open a new EventSource",
            ]);
            js_sys::Error::new(&text).into()
        }
        Error::Js { name, message } => {
            let error = js_sys::Error::new(&message);
            error.set_name(&name);
            error.into()
        }
        Error::Unsupported => js_sys::Error::new(
            "EventSource is not available in this environment: check isSupported() first",
        )
        .into(),
        // Variants behind features, or added later.
        #[allow(unreachable_patterns)]
        _ => js_sys::Error::new("web-sse: unexpected error").into(),
    }
}

fn concat(parts: &[&str]) -> String {
    let mut text = String::with_capacity(parts.iter().map(|part| part.len()).sum());
    for part in parts {
        text.push_str(part);
    }
    text
}
