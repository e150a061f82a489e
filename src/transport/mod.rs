//! Transports: each opens a connection its own way and drives a [`Hub`].
//!
//! A driver decides, in one place, whether a failure is fatal or a reconnect,
//! and reports it to the hub as typed state; nothing above reads a transport's
//! JS object.

use std::rc::Rc;

use crate::hub::Hub;
use crate::{Error, EventSourceOptions, Transport};

#[cfg(feature = "fetch")]
pub(crate) mod fetch;
mod native;
mod online;
#[cfg(feature = "shared")]
pub(crate) mod shared;
#[cfg(feature = "fetch")]
pub(crate) mod stream;
#[cfg(feature = "fetch")]
pub(crate) mod task;

/// What the hub needs from a running transport.
pub(crate) trait Driver {
    /// Deliver events of this type from now on. The native transport listens
    /// per type; the fetch transport delivers every type anyway.
    fn watch(&self, event_type: &str);

    /// Stop for good: no reconnect, no more events.
    fn close(&self);

    /// The browser's object, on the native transport.
    fn raw(&self) -> Option<web_sys::EventSource> {
        None
    }

    /// This source's part in a shared connection; only the shared driver
    /// has one.
    #[cfg(feature = "shared")]
    fn shared_role(&self) -> shared::SharedRole {
        shared::SharedRole::Unshared
    }
}

/// Opens a connection to `url` with the transport the options choose.
pub(crate) fn open(url: &str, options: &EventSourceOptions) -> Result<Rc<Hub>, Error> {
    #[cfg(feature = "shared")]
    if options.shared {
        return shared::open(url, options);
    }
    match options.transport {
        Transport::Native => native::open(url, options),
        #[cfg(feature = "fetch")]
        Transport::Fetch => fetch::open(url, options),
    }
}

/// The URL resolved against the global's location, as `EventSource` does
/// (windows and workers alike): what the fetch and shared drivers key and
/// request by.
#[cfg(any(feature = "fetch", feature = "shared"))]
pub(crate) fn resolve(url: &str) -> Result<String, Error> {
    let base = js_sys::Reflect::get(&js_sys::global(), &"location".into())
        .and_then(|location| js_sys::Reflect::get(&location, &"href".into()))
        .ok()
        .and_then(|href| href.as_string());
    let parsed = match &base {
        Some(base) => web_sys::Url::new_with_base(url, base),
        None => web_sys::Url::new(url),
    };
    parsed
        .map(|parsed| parsed.href())
        .map_err(|exception| match Error::from_js(&exception) {
            Error::Js { message, .. } => Error::InvalidUrl {
                url: url.to_owned(),
                message,
            },
            other => other,
        })
}
