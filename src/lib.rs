//! Server-Sent Events for the browser.
//!
//! web-sse wraps the browser's [`EventSource`](https://html.spec.whatwg.org/multipage/server-sent-events.html)
//! in Rust types: typed events instead of `JsValue`s, listeners that
//! unregister when dropped, and a [`futures_core::Stream`] that ends cleanly
//! when the source closes. Servers push events over one long-lived HTTP
//! response, so pages stop polling.
//!
//! ```no_run
//! # fn log(_: &str) {}
//! use futures::StreamExt;
//! use web_sse::EventSource;
//!
//! # async fn run() -> Result<(), web_sse::Error> {
//! if !web_sse::is_supported() {
//!     return Ok(()); // poll instead
//! }
//! let source = EventSource::new("/events")?;
//!
//! // Callbacks: keep the Listener for as long as you want the calls.
//! let _open = source.on_open(|_| log("open"));
//!
//! // Or a stream of several event types, in arrival order.
//! let mut events = source.subscribe(&["message", "info"]);
//! while let Some(event) = events.next().await {
//!     let event = event?; // Err: the source gave up, a skipped event (Parse), or a lag
//!     log(event.data());
//! }
//! // The stream ended: the source was closed.
//! # Ok(())
//! # }
//! ```
//!
//! # Ownership
//! An [`EventSource`] and every stream made from it share one connection,
//! which closes when the last of them is dropped. [`Listener`]s stop when the
//! connection closes. Nothing is leaked: every JS closure is owned by a
//! handle that removes it on drop.
//!
//! # Features
//! - `json`: `EventSource::subscribe_json`, `EventSource::on_json` and
//!   `MessageEvent::json`, decoding event data with serde.
//! - `shared`: `EventSourceOptions::shared`, one connection for every tab,
//!   window and worker of an origin that opens the same source (a leader
//!   elected with Web Locks relays the events over a `BroadcastChannel`).
//! - `js`: the wasm half of the npm package; only its build turns it on. Without
//!   it the crate exports nothing to JavaScript.
#![deny(missing_docs)]
#![warn(rust_2018_idioms)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "fetch")]
mod end_on;
mod error;
mod event;

// The npm package's wasm allocates with talc, which is smaller than the
// default allocator (dlmalloc) and at least as fast. Only there: an app
// keeps the allocator it chose.
#[cfg(all(
    feature = "js",
    target_arch = "wasm32",
    not(target_feature = "atomics")
))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(any(feature = "js", feature = "shared"))]
mod facts;
mod hub;
#[cfg(feature = "js")]
mod js;
mod lifecycle;
mod listener;
mod options;
mod queue;
mod reconnect;
#[cfg(feature = "fetch")]
mod request;
mod source;
mod stream;
mod transport;

/// A spec-exact, incremental `text/event-stream` parser (no browser types).
pub mod parse;

#[cfg(feature = "fetch")]
#[cfg_attr(docsrs, doc(cfg(feature = "fetch")))]
pub use end_on::EndOn;
pub use error::Error;
#[cfg(feature = "shared")]
#[cfg_attr(docsrs, doc(cfg(feature = "shared")))]
pub use event::SharedRole;
pub use event::{ConnectionState, ErrorEvent, MessageEvent, OpenEvent, ReadyState};
pub use lifecycle::WhenHidden;
pub use listener::Listener;
pub use options::{EventSourceOptions, Overflow, Transport};
pub use reconnect::ReconnectPolicy;
#[cfg(feature = "fetch")]
#[cfg_attr(docsrs, doc(cfg(feature = "fetch")))]
pub use request::{Attempt, Replay, Request};
pub use source::{is_supported, EventSource};
pub use stream::EventStream;
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub use stream::JsonStream;
