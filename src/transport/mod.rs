//! Transports: each opens a connection its own way and drives a [`Hub`]
//! through the hub's [`Driver`](crate::hub::Driver) interface. A transport is
//! a leaf: the hub never imports one.
//!
//! A driver decides, in one place, whether a failure is fatal or a reconnect,
//! and reports it to the hub as typed state; nothing above reads a transport's
//! JS object.

use std::rc::Rc;

use crate::hub::Hub;
use crate::{Error, EventSourceOptions, Transport};

#[cfg(feature = "fetch")]
mod cors;
#[cfg(feature = "fetch")]
pub(crate) mod fetch;
mod native;
mod online;
#[cfg(feature = "fetch")]
mod replay;
#[cfg(feature = "fetch")]
mod request;
#[cfg(feature = "fetch")]
mod restart;
#[cfg(feature = "shared")]
pub(crate) mod shared;
#[cfg(feature = "fetch")]
pub(crate) mod stream;
#[cfg(feature = "fetch")]
pub(crate) mod task;

/// Opens a connection to `url` with the transport the options choose.
pub(crate) fn open(url: &str, options: &EventSourceOptions) -> Result<Rc<Hub>, Error> {
    #[cfg(feature = "shared")]
    if options.shared {
        return shared::open(url, options);
    }
    let hub = match options.transport {
        Transport::Native => native::open(url, options)?,
        #[cfg(feature = "fetch")]
        Transport::Fetch => restart::open(url, options)?,
    };
    // A shared source leaves the page's lifecycle to the shared machinery.
    let source: std::rc::Weak<dyn crate::lifecycle::Suspendable> = Rc::downgrade(&hub) as _;
    if let Some(lifecycle) = crate::lifecycle::watch(source, options.when_hidden) {
        hub.set_lifecycle(lifecycle);
    }
    Ok(hub)
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

/// `url` with `name=id` added to its query (before any fragment), when both
/// are set.
pub(crate) fn with_param(url: &str, name: Option<&str>, id: &str) -> String {
    let Some(name) = name.filter(|_| !id.is_empty()) else {
        return url.to_owned();
    };
    let (path, fragment) = url.split_once('#').unwrap_or((url, ""));
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut out = String::with_capacity(url.len() + name.len() + id.len() + 2);
    out.push_str(path);
    out.push(separator);
    out.push_str(&String::from(js_sys::encode_uri_component(name)));
    out.push('=');
    out.push_str(&String::from(js_sys::encode_uri_component(id)));
    if !fragment.is_empty() {
        out.push('#');
        out.push_str(fragment);
    }
    out
}
