//! The "web-sse Rust fetch" client of `npm run bench` (benches/browser):
//! a web-sse `EventSource` on the fetch transport; no JS event per message.

#[path = "../../web_sse_client.rs"]
mod client;
#[path = "../../common.rs"]
mod common;

const TRANSPORT: web_sse::Transport = web_sse::Transport::Fetch;

common::exports!(client::WebSse);
