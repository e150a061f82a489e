// The summary line is the `pub mod parse;` doc comment in lib.rs.
//! This is the engine for reading Server-Sent Events from bytes we fetch
//! ourselves, rather than through the browser's `EventSource`. It compiles
//! for any target and gives exactly what a browser's `EventSource` would:
//! the same events with the same data, types and last event IDs, whatever
//! the chunking, following WHATWG HTML §9.2.6 "Interpreting an event stream".
//! It also reports what an `EventSource` hides: each `retry` the server sends
//! and each comment (the usual keep-alive heartbeat).
//!
//! ```
//! use web_sse::parse::{Item, Parser};
//!
//! let mut parser = Parser::new();
//! let mut events = Vec::new();
//! for chunk in [&b"event: tick\r\ndata: 1\r"[..], b"\n\r\ndata: lost at end of stream"] {
//!     parser.feed(chunk, |item| {
//!         if let Item::Event(event) = item {
//!             events.push((event.event_type.into_owned(), event.data.into_owned()));
//!         }
//!     })?;
//! }
//! parser.finish(); // the unfinished last event is discarded, as the spec says
//! assert_eq!(events, [("tick".to_owned(), "1".to_owned())]);
//! # Ok::<(), web_sse::parse::ParseError>(())
//! ```

mod error;
mod item;
mod parser;

pub use error::ParseError;
pub use item::{Event, Item};
pub use parser::{Parser, DEFAULT_MAX_EVENT_SIZE};
