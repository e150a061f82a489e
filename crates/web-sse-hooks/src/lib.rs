//! The framework-free half of [web-sse-yew], [web-sse-leptos] and
//! [web-sse-dioxus]: the options of their `use_event_source` hooks, the
//! [`Controller`] that opens, follows, retries and closes one connection for
//! a hook and batches its events per animation frame when asked, and the
//! bounded event log.
//!
//! The hook crates are thin adapters over this one design, so they behave
//! the same: a fix here reaches all three. Apps use the hook crates; this crate is
//! for writing an adapter to another framework.
//!
//! [web-sse-yew]: https://docs.rs/web-sse-yew
//! [web-sse-leptos]: https://docs.rs/web-sse-leptos
//! [web-sse-dioxus]: https://docs.rs/web-sse-dioxus
#![deny(missing_docs)]
#![warn(rust_2018_idioms)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod controller;
mod frame;
mod log;
mod options;

pub use controller::{Controller, Sink, SinkEvents};
pub use log::push_bounded;
pub use options::{Batch, ConnectionOptions, OnEvent, OnFailed, Options};
pub use web_sse::{Error, EventSource, MessageEvent, ReadyState, ReconnectPolicy, Transport};
