//! A live view of a Server-Sent Events stream in Leptos (client-side
//! rendering), with web-sse-leptos.
//!
//! Build: `bash scripts/build-examples.sh` from the repository root, then
//! serve `examples/leptos-live/dist/` and open it with
//! `?events=http://127.0.0.1:8080/events` (default: `/events` on the same
//! origin). The browser tests (tests/examples/run.mjs) also set `alt` (a
//! second URL for the Switch button), `types` (comma-separated event types),
//! `keep`, `lazy=1`, `retries`, `interval` (ms) and `batch=frame`.

use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use serde::Deserialize;
use web_sse_leptos::{use_event_source, use_json_event, Batch, Options, ReadyState};

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
#[derive(Clone)]
struct Params {
    events: String,
    alt: Option<String>,
    types: Vec<String>,
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
            types: get("types")
                .unwrap_or_else(|| "message,info,connecttime,ready".into())
                .split(',')
                .map(str::to_owned)
                .collect(),
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
fn LiveView(
    url: Signal<String>,
    params: Params,
    on_event: Rc<dyn Fn()>,
    on_failed: Rc<dyn Fn()>,
) -> impl IntoView {
    let sse = use_event_source(
        Signal::derive(move || Some(url.get())),
        Options::new()
            .event_types(params.types)
            .keep(params.keep)
            .immediate(!params.lazy)
            .reconnect_limit(Some(params.retries))
            .reconnect_interval(Duration::from_millis(params.interval_ms))
            .batch(params.batch)
            .on_event(move |_| on_event())
            .on_failed(move || on_failed()),
    );
    let stats = use_json_event::<Stats>(sse, "stats");
    let state = move || state_name(sse.ready_state.get());
    // Counts the updates of the hook's event state that reach the page:
    // each run of this effect is one (the tests compare the count with the
    // frames the page drew).
    let (renders, set_renders) = signal(0_u64);
    Effect::new(move |_| {
        sse.latest.track();
        sse.events.track();
        set_renders.update(|n| *n += 1);
    });

    view! {
        <section id="live">
            <p>"State: "<strong id="state" data-state=state>{state}</strong>" Renders: "<span id="renders">{renders}</span></p>
            {move || sse.error.get().map(|e| view! { <p id="error" class="error">{e.to_string()}</p> })}
            <p>
                <button id="open" on:click=move |_| sse.open()>"Open"</button>
                " "
                <button id="close" on:click=move |_| sse.close()>"Close"</button>
                " "
                <button id="reconnect" on:click=move |_| sse.reconnect()>"Reconnect"</button>
            </p>
            <p>"Latest: "<code id="latest">{move || sse.latest.get().map(|e| e.data().to_owned()).unwrap_or_default()}</code></p>
            <h2>"Server stats (typed JSON)"</h2>
            {move || match stats.latest.get() {
                Some(s) => view! {
                    <dl id="stats">
                        <dt>"seq"</dt><dd id="stats-seq">{s.seq}</dd>
                        <dt>"time"</dt><dd id="stats-time">{s.time}</dd>
                        <dt>"clients"</dt><dd id="stats-clients">{s.clients}</dd>
                    </dl>
                }.into_any(),
                None => view! { <p id="stats-waiting">"waiting for a stats event…"</p> }.into_any(),
            }}
            {move || stats.error.get().map(|e| view! { <p id="stats-error" class="error">{e.to_string()}</p> })}
            <h2>"Latest events ("<span id="count">{move || sse.events.with(|e| e.len())}</span>")"</h2>
            <ol id="events">
                {move || sse.events.with(|events| events.iter().rev().map(|e| {
                    view! {
                        <li class="event" data-type=e.event_type().to_owned() data-id=e.last_event_id().to_owned()>
                            <code>{e.event_type().to_owned()}</code>" "{e.data().to_owned()}
                        </li>
                    }
                }).collect_view())}
            </ol>
        </section>
    }
}

#[component]
fn App() -> impl IntoView {
    let params = Params::from_page();
    let (mounted, set_mounted) = signal(true);
    let (url, set_url) = signal(params.events.clone());
    // Counted outside LiveView: if its subscription outlived it, this would
    // keep growing after unmount.
    let (delivered, set_delivered) = signal(0_u64);
    let (failed, set_failed) = signal(0_u64);
    let (events, alt) = (params.events.clone(), params.alt.clone());
    let has_alt = alt.is_some();
    let switch = move |_| {
        if let Some(alt) = &alt {
            set_url.update(|u| {
                *u = if u == alt {
                    events.clone()
                } else {
                    alt.clone()
                }
            });
        }
    };

    view! {
        <main>
            <h1>"web-sse + Leptos"</h1>
            <p>
                <button id="toggle" on:click=move |_| set_mounted.update(|m| *m = !*m)>
                    {move || if mounted.get() { "Unmount live view" } else { "Mount live view" }}
                </button>
                <Show when=move || has_alt>
                    " "<button id="switch" on:click=switch.clone()>"Switch URL"</button>
                </Show>
                " Events delivered on this page: "
                <span id="delivered">{delivered}</span>
                " Failed: "
                <span id="failed">{failed}</span>
            </p>
            <p>"URL: "<code id="url">{url}</code></p>
            <Show
                when=move || mounted.get()
                fallback=|| view! { <p id="unmounted">"Live view unmounted: its connection is closed."</p> }
            >
                <LiveView
                    url=url.into()
                    params=params.clone()
                    on_event=Rc::new(move || set_delivered.update(|n| *n += 1))
                    on_failed=Rc::new(move || set_failed.update(|n| *n += 1))
                />
            </Show>
        </main>
    }
}

fn main() {
    leptos::mount::mount_to_body(App);
}
