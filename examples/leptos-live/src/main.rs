//! A live view of the web-sse demo server's stream, in Leptos (client-side
//! rendering).
//!
//! Build: `bash scripts/build-examples.sh` from the repository root, then
//! serve `examples/leptos-live/dist/` and open it with
//! `?events=http://127.0.0.1:8080/events` (default: `/events` on the same
//! origin).

mod use_event_source;

use std::rc::Rc;

use leptos::prelude::*;
use serde::Deserialize;
use use_event_source::{use_event_source, use_json_event, UseEventSourceOptions};
use web_sse::ReadyState;

/// The demo server's `stats` event.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Stats {
    seq: u64,
    time: String,
    clients: u32,
}

const EVENT_TYPES: &[&str] = &["message", "info", "connecttime"];

fn state_name(state: ReadyState) -> &'static str {
    match state {
        ReadyState::Connecting => "connecting",
        ReadyState::Open => "open",
        ReadyState::Closed => "closed",
    }
}

/// The stream URL: `?events=` if given, else `/events` beside the page.
fn events_url() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .and_then(|search| web_sys::UrlSearchParams::new_with_str(&search).ok())
        .and_then(|params| params.get("events"))
        .unwrap_or_else(|| String::from("/events"))
}

#[component]
fn LiveView(url: String, on_event: Rc<dyn Fn()>) -> impl IntoView {
    let sse = use_event_source(
        url,
        UseEventSourceOptions {
            event_types: EVENT_TYPES,
            keep: 20,
            on_event: Some(Rc::new(move |_| on_event())),
        },
    );
    let stats = use_json_event::<Stats>(sse, "stats");
    let state = move || state_name(sse.state.get());

    view! {
        <section id="live">
            <p>"State: "<strong id="state" data-state=state>{state}</strong></p>
            {move || sse.error.get().map(|e| view! { <p id="error" class="error">{e}</p> })}
            <p>
                <button id="close" on:click=move |_| sse.close()>"Close"</button>
                " "
                <button id="reconnect" on:click=move |_| sse.reconnect()>"Reconnect"</button>
            </p>
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
            {move || stats.error.get().map(|e| view! { <p id="stats-error" class="error">{e}</p> })}
            <h2>"Latest events"</h2>
            <ol id="events">
                {move || sse.events.get().into_iter().rev().map(|e| {
                    let event_type = e.event_type.clone();
                    view! {
                        <li class="event" data-type=event_type data-id=e.last_event_id>
                            <code>{e.event_type}</code>" "{e.data}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn App() -> impl IntoView {
    let (mounted, set_mounted) = signal(true);
    // Counted outside LiveView: if its subscription outlived it, this would
    // keep growing after unmount.
    let (delivered, set_delivered) = signal(0_u64);
    let url = events_url();

    view! {
        <main>
            <h1>"web-sse + Leptos"</h1>
            <p>
                <button id="toggle" on:click=move |_| set_mounted.update(|m| *m = !*m)>
                    {move || if mounted.get() { "Unmount live view" } else { "Mount live view" }}
                </button>
                " Events delivered on this page: "
                <span id="delivered">{delivered}</span>
            </p>
            <Show
                when=move || mounted.get()
                fallback=|| view! { <p id="unmounted">"Live view unmounted: its connection is closed."</p> }
            >
                <LiveView url=url.clone() on_event=Rc::new(move || set_delivered.update(|n| *n += 1)) />
            </Show>
        </main>
    }
}

fn main() {
    leptos::mount::mount_to_body(App);
}
