//! The "web-sse Rust native" client of `npm run bench` (benches/browser):
//! a web-sse `EventSource` on the native transport.

#[path = "../../web_sse_client.rs"]
mod client;
#[path = "../../common.rs"]
mod common;

const TRANSPORT: web_sse::Transport = web_sse::Transport::Native;

common::exports!(client::WebSse);
