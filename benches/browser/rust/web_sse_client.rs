//! The web-sse clients of `npm run bench` (benches/browser): a web-sse
//! `EventSource`, read through its `subscribe()` Stream with
//! `StreamExt::next`. `web-sse-fetch` and `web-sse-native` include this file
//! and differ only in the `TRANSPORT` they set.

use futures::StreamExt;
use web_sse::{EventSource, EventSourceOptions, EventStream, MessageEvent};

use super::common;

/// A web-sse source on the transport the including crate names.
pub struct WebSse;

type Item = Result<MessageEvent, web_sse::Error>;

fn describe(item: Item) -> Result<MessageEvent, String> {
    item.map_err(|error| error.to_string())
}

impl common::Client for WebSse {
    type Source = EventSource;
    type Item = MessageEvent;
    type Events = futures::stream::Map<EventStream, fn(Item) -> Result<MessageEvent, String>>;

    fn open(url: &str, types: &[String]) -> Result<(EventSource, Self::Events), String> {
        let options = EventSourceOptions::new().transport(super::TRANSPORT);
        let source = EventSource::with_options(url, &options).map_err(|e| e.to_string())?;
        let types: Vec<&str> = types.iter().map(String::as_str).collect();
        let events = source
            .subscribe(&types)
            .map(describe as fn(Item) -> Result<MessageEvent, String>);
        Ok((source, events))
    }

    fn close(source: EventSource) {
        source.close();
    }

    fn data_len(item: &MessageEvent) -> usize {
        item.data().len()
    }

    fn fields(item: &MessageEvent) -> [String; 3] {
        [
            item.event_type().to_owned(),
            item.data().to_owned(),
            item.last_event_id().to_owned(),
        ]
    }
}
