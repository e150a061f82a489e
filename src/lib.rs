//! web-sse: Server-Sent Events for the browser.
#![deny(missing_docs)]
