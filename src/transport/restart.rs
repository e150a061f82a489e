//! Rust sources on the fetch transport: [`open`], and the driver that can restart the
//! connection task on demand ([`EventSource::reconnect`](crate::EventSource::reconnect)),
//! also after the task ended (a close, a fatal error, the end sentinel).
//!
//! A restart does not steer the running task: it closes it, as a close
//! does, and starts a new one from the last event ID the old one read. The
//! old task reports nothing once closed, so the two never both deliver.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use super::fetch::start;
use super::task::{Control, HubOutput};
use crate::hub::{Driver, Hub};
use crate::{Error, EventSourceOptions};

/// Opens a Rust source on the fetch transport, driven by a [`FetchDriver`].
pub(super) fn open(url: &str, options: &EventSourceOptions) -> Result<Rc<Hub>, Error> {
    let url = super::resolve(url)?;
    let hub = Rc::new(
        Hub::new(url.clone(), options.with_credentials)
            .with_stream_capacity(options.stream_capacity)
            .with_overflow(options.overflow),
    );
    let control = start(&url, options, Box::new(HubOutput::new(Rc::downgrade(&hub))))?;
    hub.set_driver(Box::new(FetchDriver::new(&url, options, &hub, control)));
    Ok(hub)
}

pub(super) struct FetchDriver {
    /// Resolved.
    url: String,
    options: EventSourceOptions,
    hub: Weak<Hub>,
    control: RefCell<Rc<Control>>,
    /// Someone listens to comments; carried over to each new task.
    comments: Cell<bool>,
}

impl FetchDriver {
    pub(super) fn new(
        url: &str,
        options: &EventSourceOptions,
        hub: &Rc<Hub>,
        control: Rc<Control>,
    ) -> Self {
        FetchDriver {
            url: url.to_owned(),
            options: options.clone(),
            hub: Rc::downgrade(hub),
            control: RefCell::new(control),
            comments: Cell::new(false),
        }
    }
}

impl Driver for FetchDriver {
    fn watch(&self, _: &str) {}

    fn close(&self) {
        self.control.borrow().close();
    }

    fn can_reconnect(&self) -> bool {
        true
    }

    fn reconnect(&self) {
        let old = Rc::clone(&self.control.borrow());
        old.close();
        let mut options = self.options.clone().last_event_id(&old.last_event_id());
        // The server's `retry:` is the source's: a restart keeps it.
        options.reconnection_time = old.retry();
        let output = Box::new(HubOutput::new(Weak::clone(&self.hub)));
        match start(&self.url, &options, output) {
            Ok(control) => {
                control.comments.set(self.comments.get());
                *self.control.borrow_mut() = control;
            }
            // The same request was built once already; only a browser that
            // ran out of memory, say, gets here.
            Err(error) => {
                if let Some(hub) = self.hub.upgrade() {
                    hub.failed(error);
                }
            }
        }
    }

    fn comments(&self, on: bool) {
        self.comments.set(on);
        self.control.borrow().comments.set(on);
    }
}
