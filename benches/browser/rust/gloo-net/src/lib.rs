//! The "gloo-net" client of `npm run bench` (benches/browser): gloo-net's
//! `EventSource` (the browser's, wrapped), read through its `subscribe()`
//! streams (one per event type, merged with `select_all`). Each event's data
//! is read into a Rust `String`, as a gloo-net user would.

#[path = "../../common.rs"]
mod common;

use futures::stream::{select_all, SelectAll};
use futures::StreamExt;
use gloo_net::eventsource::futures::{EventSource, EventSourceSubscription};
use gloo_net::eventsource::EventSourceError;
use web_sys::MessageEvent;

struct Gloo;

type Event = (String, MessageEvent);
type Item = Result<Event, EventSourceError>;

fn describe(item: Item) -> Result<Event, String> {
    item.map_err(|error| error.to_string())
}

fn data(event: &MessageEvent) -> String {
    event.data().as_string().unwrap_or_default()
}

impl common::Client for Gloo {
    type Source = EventSource;
    type Item = Event;
    type Events =
        futures::stream::Map<SelectAll<EventSourceSubscription>, fn(Item) -> Result<Event, String>>;

    fn open(url: &str, types: &[String]) -> Result<(EventSource, Self::Events), String> {
        let mut source = EventSource::new(url).map_err(|e| e.to_string())?;
        let mut subscriptions = Vec::with_capacity(types.len());
        for event_type in types {
            subscriptions.push(
                source
                    .subscribe(event_type.as_str())
                    .map_err(|e| e.to_string())?,
            );
        }
        let events = select_all(subscriptions).map(describe as fn(Item) -> Result<Event, String>);
        Ok((source, events))
    }

    fn close(source: EventSource) {
        source.close();
    }

    fn data_len(item: &Event) -> usize {
        data(&item.1).len()
    }

    fn fields(item: &Event) -> [String; 3] {
        [item.0.clone(), data(&item.1), item.1.last_event_id()]
    }
}

common::exports!(Gloo);
