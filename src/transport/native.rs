//! The native transport: the browser's own `EventSource`.
//!
//! The only module that touches `web_sys::EventSource`, and the only one that
//! reads its `readyState` to tell a reconnect from the end.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use wasm_bindgen::JsCast;

use super::Driver;
use crate::event::MessageEvent;
use crate::hub::Hub;
use crate::{Error, EventSourceOptions};

/// `EventSource.CLOSED`: the browser gave up, or `close()` was called.
const CLOSED: u16 = 2;

pub(super) fn open(url: &str, options: &EventSourceOptions) -> Result<Rc<Hub>, Error> {
    if !crate::is_supported() {
        return Err(Error::Unsupported);
    }
    let init = web_sys::EventSourceInit::new();
    init.set_with_credentials(options.with_credentials);
    let raw = web_sys::EventSource::new_with_event_source_init_dict(url, &init)
        .map_err(|exception| Error::from_constructor(url, exception))?;
    let hub = Rc::new(Hub::new(raw.url(), raw.with_credentials()));
    let weak = Rc::downgrade(&hub);
    let listeners = vec![
        EventListener::new(&raw, "open", {
            let weak = weak.clone();
            move |_| {
                if let Some(hub) = weak.upgrade() {
                    hub.opened();
                }
            }
        }),
        EventListener::new(&raw, "error", {
            let weak = weak.clone();
            let raw = raw.clone();
            move |_| {
                if let Some(hub) = weak.upgrade() {
                    if raw.ready_state() == CLOSED {
                        hub.failed(Error::ConnectionFailed { url: raw.url() });
                    } else {
                        hub.reconnecting(None);
                    }
                }
            }
        }),
    ];
    hub.set_driver(Box::new(Native {
        raw,
        hub: weak,
        listeners: RefCell::new(listeners),
        watched: RefCell::new(Vec::new()),
    }));
    Ok(hub)
}

struct Native {
    raw: web_sys::EventSource,
    hub: Weak<Hub>,
    /// Removed from the browser's object when the driver drops.
    listeners: RefCell<Vec<EventListener>>,
    watched: RefCell<Vec<String>>,
}

impl Driver for Native {
    fn watch(&self, event_type: &str) {
        if self.watched.borrow().iter().any(|t| t == event_type) {
            return;
        }
        self.watched.borrow_mut().push(event_type.to_owned());
        let hub = self.hub.clone();
        let listener = EventListener::new(&self.raw, event_type.to_owned(), move |event| {
            if let Some(hub) = hub.upgrade() {
                hub.message(&from_dom(event));
            }
        });
        self.listeners.borrow_mut().push(listener);
    }

    fn close(&self) {
        self.raw.close();
    }

    fn raw(&self) -> Option<&web_sys::EventSource> {
        Some(&self.raw)
    }
}

/// Copies what the DOM event carries into Rust strings.
fn from_dom(event: &web_sys::Event) -> MessageEvent {
    let event_type = event.type_();
    match event.dyn_ref::<web_sys::MessageEvent>() {
        Some(message) => MessageEvent::new(
            event_type.into(),
            message.data().as_string().unwrap_or_default().into(),
            message.last_event_id().into(),
            message.origin().into(),
        ),
        // Only a page calling dispatchEvent with a plain Event gets here.
        None => MessageEvent::new(event_type.into(), "".into(), "".into(), "".into()),
    }
}
