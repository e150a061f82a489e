//! A live view of a Server-Sent Events stream in Dioxus, with web-sse-dioxus.
//!
//! Build: `bash scripts/build-examples.sh` from the repository root, then
//! serve `examples/dioxus-live/dist/` and open it with
//! `?events=http://127.0.0.1:8080/events` (default: `/events` on the same
//! origin). The browser tests (tests/examples/run.mjs) also set `alt` (a
//! second URL for the Switch button), `types` (comma-separated event types),
//! `keep`, `lazy=1`, `retries`, `interval` (ms) and `batch=frame`.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use dioxus::prelude::*;
use serde::Deserialize;
use web_sse_dioxus::{use_event_source, use_json_event, Batch, MessageEvent, Options, ReadyState};

/// The demo server's `stats` event.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Stats {
    seq: u64,
    time: String,
    clients: u32,
}

fn state_name(state: ReadyState) -> &'static str {
    match state {
        ReadyState::Connecting => "connecting",
        ReadyState::Open => "open",
        ReadyState::Closed => "closed",
    }
}

/// The page's query parameters.
#[derive(Clone, PartialEq)]
struct Params {
    events: String,
    alt: Option<String>,
    types: Rc<Vec<String>>,
    keep: usize,
    lazy: bool,
    retries: u32,
    interval_ms: u64,
    batch: Batch,
}

impl Params {
    fn from_page() -> Self {
        let params = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .and_then(|search| web_sys::UrlSearchParams::new_with_str(&search).ok());
        let get = |name: &str| params.as_ref().and_then(|p| p.get(name));
        let number = |name: &str, default: u64| {
            get(name)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(default)
        };
        Params {
            events: get("events").unwrap_or_else(|| "/events".into()),
            alt: get("alt"),
            types: Rc::new(
                get("types")
                    .unwrap_or_else(|| "message,info,connecttime,ready".into())
                    .split(',')
                    .map(str::to_owned)
                    .collect(),
            ),
            keep: usize::try_from(number("keep", 20)).unwrap_or(20),
            lazy: get("lazy").as_deref() == Some("1"),
            retries: u32::try_from(number("retries", 3)).unwrap_or(3),
            interval_ms: number("interval", 1000),
            batch: match get("batch").as_deref() {
                Some("frame") => Batch::Frame,
                _ => Batch::Event,
            },
        }
    }
}

#[component]
fn LiveView(url: String, params: Params, delivered: Signal<u64>, failed: Signal<u64>) -> Element {
    // Counts this component's renders (the tests compare it with the frames
    // the page drew); a Cell, so counting is not itself a state change.
    let renders = use_hook(|| Rc::new(Cell::new(0u64)));
    renders.set(renders.get() + 1);
    let render_count = renders.get();

    let p = &params;
    let sse = use_event_source(
        Some(url),
        Options::new()
            .event_types(p.types.iter().map(String::as_str))
            .keep(p.keep)
            .immediate(!p.lazy)
            .reconnect_limit(Some(p.retries))
            .reconnect_interval(Duration::from_millis(p.interval_ms))
            .batch(p.batch)
            .on_event(move |_: &MessageEvent| {
                let mut delivered = delivered;
                if let Ok(mut n) = delivered.try_write() {
                    *n += 1;
                };
            })
            .on_failed(move || {
                let mut failed = failed;
                if let Ok(mut n) = failed.try_write() {
                    *n += 1;
                };
            }),
    );
    let stats = use_json_event::<Stats>(sse, "stats");

    let state = state_name(*sse.ready_state.read());
    let latest = sse
        .latest
        .read()
        .as_ref()
        .map(|e| e.data().to_owned())
        .unwrap_or_default();
    let count = sse.events.read().len();
    let error = sse.error.read().as_ref().map(ToString::to_string);
    let stats_error = stats.error.read().as_ref().map(ToString::to_string);
    let stats_latest = stats.latest.read().clone();

    rsx! {
        section { id: "live",
            p {
                "State: "
                strong { id: "state", "data-state": state, "{state}" }
                " Renders: "
                span { id: "renders", "{render_count}" }
            }
            if let Some(error) = error {
                p { id: "error", class: "error", "{error}" }
            }
            p {
                button { id: "open", onclick: move |_| sse.open(), "Open" }
                " "
                button { id: "close", onclick: move |_| sse.close(), "Close" }
                " "
                button { id: "reconnect", onclick: move |_| sse.reconnect(), "Reconnect" }
            }
            p {
                "Latest: "
                code { id: "latest", "{latest}" }
            }
            h2 { "Server stats (typed JSON)" }
            if let Some(stats) = stats_latest {
                dl { id: "stats",
                    dt { "seq" }
                    dd { id: "stats-seq", "{stats.seq}" }
                    dt { "time" }
                    dd { id: "stats-time", "{stats.time}" }
                    dt { "clients" }
                    dd { id: "stats-clients", "{stats.clients}" }
                }
            } else {
                p { id: "stats-waiting", "waiting for a stats event…" }
            }
            if let Some(error) = stats_error {
                p { id: "stats-error", class: "error", "{error}" }
            }
            h2 {
                "Latest events ("
                span { id: "count", "{count}" }
                ")"
            }
            ol { id: "events",
                for e in sse.events.read().iter().rev() {
                    li {
                        class: "event",
                        "data-type": e.event_type().to_owned(),
                        "data-id": e.last_event_id().to_owned(),
                        code { "{e.event_type()}" }
                        " {e.data()}"
                    }
                }
            }
        }
    }
}

#[component]
fn App() -> Element {
    let params = use_hook(Params::from_page);
    let mut mounted = use_signal(|| true);
    let mut url = use_signal(|| params.events.clone());
    // Counted outside LiveView: if its subscription outlived it, these would
    // keep growing after unmount.
    let delivered = use_signal(|| 0u64);
    let failed = use_signal(|| 0u64);

    let switch = {
        let params = params.clone();
        move |_| {
            if let Some(alt) = &params.alt {
                let next = if *url.peek() == *alt {
                    params.events.clone()
                } else {
                    alt.clone()
                };
                url.set(next);
            }
        }
    };
    let has_alt = params.alt.is_some();

    rsx! {
        main {
            h1 { "web-sse + Dioxus" }
            p {
                button {
                    id: "toggle",
                    onclick: move |_| {
                        let now = *mounted.peek();
                        mounted.set(!now);
                    },
                    if mounted() { "Unmount live view" } else { "Mount live view" }
                }
                if has_alt {
                    " "
                    button { id: "switch", onclick: switch, "Switch URL" }
                }
                " Events delivered on this page: "
                span { id: "delivered", "{delivered}" }
                " Failed: "
                span { id: "failed", "{failed}" }
            }
            p {
                "URL: "
                code { id: "url", "{url}" }
            }
            if mounted() {
                LiveView { url: url(), params: params.clone(), delivered, failed }
            } else {
                p { id: "unmounted", "Live view unmounted: its connection is closed." }
            }
        }
    }
}

fn main() {
    dioxus::launch(App);
}
