//! The wasm half of the npm package (feature `js`): what the hand-written
//! class in `js/index.js` calls into. Only the fetch transport needs wasm;
//! the native transport runs on the browser's object alone.
//!
//! The connection task holds the page's dispatcher only while it runs: a
//! close, a fatal error or the end of the task drops it, so no wasm-held
//! reference pins the page's object after that.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use crate::parse::Event;
use crate::transport::fetch::{self, Control, Output};
use crate::{Error, EventSourceOptions};

/// What the dispatcher's first argument says.
const EVENTS: u32 = 0;
const OPEN: u32 = 1;
const RECONNECTING: u32 = 2;
const FAILED: u32 = 3;
const PROBLEM: u32 = 4;

/// A fetch-transport connection for the JS class.
#[wasm_bindgen]
pub struct FetchTransport {
    control: Rc<Control>,
}

#[wasm_bindgen]
impl FetchTransport {
    /// Starts the connection. `url` is already resolved; `headers` holds
    /// name, value, name, value…; `dispatch(kind, payload)` receives, once
    /// per chunk, the chunk's events as `type\rdata\rid\r…` (no field can
    /// hold a CR), and `open` (the origin), `reconnecting`, `failed` and
    /// `problem` (an object with what is known) as they happen.
    #[wasm_bindgen(constructor)]
    pub fn new(
        url: &str,
        with_credentials: bool,
        method: &str,
        headers: Vec<String>,
        body: Option<String>,
        retry_statuses: Vec<u16>,
        dispatch: js_sys::Function,
    ) -> Result<FetchTransport, JsValue> {
        let mut options = EventSourceOptions::new()
            .with_credentials(with_credentials)
            .method(method);
        for pair in headers.chunks_exact(2) {
            options = options.header(&pair[0], &pair[1]);
        }
        if let Some(body) = &body {
            options = options.body(body);
        }
        for status in retry_statuses {
            options = options.retry_on_status(status);
        }
        let output = JsOutput {
            dispatch,
            batch: RefCell::new(String::new()),
        };
        let control = fetch::start(url, &options, Box::new(output)).map_err(|error| {
            let text = match &error {
                Error::Js { message, .. } => message.as_str(),
                _ => "the request could not be built",
            };
            JsValue::from(js_sys::TypeError::new(text))
        })?;
        Ok(FetchTransport { control })
    }

    /// Aborts the request; no reconnect, nothing more is dispatched.
    pub fn close(&self) {
        self.control.close();
    }
}

impl Drop for FetchTransport {
    fn drop(&mut self) {
        self.control.close();
    }
}

struct JsOutput {
    dispatch: js_sys::Function,
    batch: RefCell<String>,
}

impl JsOutput {
    fn send(&self, kind: u32, payload: &JsValue) {
        // An exception in a page listener is the browser's to report; it
        // must not stop the connection.
        let _ = self.dispatch.call2(&JsValue::NULL, &kind.into(), payload);
    }

    fn send_error(&self, kind: u32, error: Option<&Error>) {
        let details = js_sys::Object::new();
        if let Some(error) = error {
            describe(&details, error);
        }
        self.send(kind, &details);
    }
}

impl Output for JsOutput {
    fn alive(&self) -> bool {
        true
    }

    fn opened(&self, origin: &str) {
        self.send(OPEN, &origin.into());
    }

    fn event(&self, event: Event<'_>) {
        let mut batch = self.batch.borrow_mut();
        for field in [&event.event_type, &event.data, &event.last_event_id] {
            batch.push_str(field);
            batch.push('\r');
        }
    }

    fn flush(&self) {
        let mut batch = std::mem::take(&mut *self.batch.borrow_mut());
        if batch.is_empty() {
            return;
        }
        self.send(EVENTS, &JsValue::from_str(&batch));
        // Only the task writes the batch, and it is here: keep the
        // allocation for the next chunk.
        batch.clear();
        *self.batch.borrow_mut() = batch;
    }

    fn reconnecting(&self, error: Option<Error>) {
        self.send_error(RECONNECTING, error.as_ref());
    }

    fn failed(&self, error: Error) {
        self.send_error(FAILED, Some(&error));
    }

    fn problem(&self, error: Error) {
        // In stream order: the events before it go first.
        self.flush();
        self.send_error(PROBLEM, Some(&error));
    }
}

/// The facts of an error as properties for the page's `error` event. The
/// class writes the message, so no formatting code ships in the wasm.
fn describe(details: &js_sys::Object, error: &Error) {
    let set = |key: &str, value: JsValue| {
        // Setting a property on a fresh plain object cannot fail.
        let _ = js_sys::Reflect::set(details, &key.into(), &value);
    };
    match error {
        Error::Http {
            status,
            status_text,
            content_type,
            body,
            ..
        } => {
            set("kind", "http".into());
            set("status", (*status).into());
            set("statusText", status_text.into());
            set("contentType", content_type.as_deref().into());
            set("body", body.into());
        }
        Error::NotEventStream { content_type, .. } => {
            set("kind", "content-type".into());
            set("contentType", content_type.as_deref().into());
        }
        Error::Network { message, .. } => {
            set("kind", "network".into());
            set("message", message.into());
        }
        Error::Parse { error, .. } => {
            set("kind", "parse".into());
            let limit = match error {
                crate::parse::ParseError::LineTooLong { limit }
                | crate::parse::ParseError::EventTooLarge { limit } => *limit,
                #[allow(unreachable_patterns)]
                _ => 0,
            };
            set("limit", (limit as f64).into());
        }
        Error::Js { name, message } => {
            set("kind", name.into());
            set("message", message.into());
        }
        #[allow(unreachable_patterns)]
        _ => set("kind", "other".into()),
    }
}
