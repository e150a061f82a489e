//! A live view of the web-sse demo server's stream, in Yew.
//!
//! Build: `bash scripts/build-examples.sh` from the repository root, then
//! serve `examples/yew-live/dist/` and open it with
//! `?events=http://127.0.0.1:8080/events` (default: `/events` on the same
//! origin).

mod use_event_source;

use serde::Deserialize;
use use_event_source::{
    use_event_source, use_json_event, SseEvent, UseEventSourceHandle, UseEventSourceOptions,
};
use web_sse::ReadyState;
use yew::prelude::*;

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

#[derive(Properties, PartialEq)]
struct LiveProps {
    url: AttrValue,
    on_event: Callback<SseEvent>,
}

#[function_component]
fn LiveView(props: &LiveProps) -> Html {
    let sse: UseEventSourceHandle = use_event_source(
        &props.url,
        UseEventSourceOptions {
            event_types: EVENT_TYPES,
            keep: 20,
            on_event: Some(props.on_event.clone()),
        },
    );
    let stats = use_json_event::<Stats>(&sse, "stats");

    let close = {
        let sse = sse.clone();
        Callback::from(move |_: MouseEvent| sse.close())
    };
    let reconnect = {
        let sse = sse.clone();
        Callback::from(move |_: MouseEvent| sse.reconnect())
    };
    let state = state_name(sse.state);

    html! {
        <section id="live">
            <p>{"State: "}<strong id="state" data-state={state}>{state}</strong></p>
            if let Some(error) = &sse.error {
                <p id="error" class="error">{error}</p>
            }
            <p>
                <button id="close" onclick={close}>{"Close"}</button>
                {" "}
                <button id="reconnect" onclick={reconnect}>{"Reconnect"}</button>
            </p>
            <h2>{"Server stats (typed JSON)"}</h2>
            if let Some(stats) = &stats.latest {
                <dl id="stats">
                    <dt>{"seq"}</dt><dd id="stats-seq">{stats.seq}</dd>
                    <dt>{"time"}</dt><dd id="stats-time">{&stats.time}</dd>
                    <dt>{"clients"}</dt><dd id="stats-clients">{stats.clients}</dd>
                </dl>
            } else {
                <p id="stats-waiting">{"waiting for a stats event…"}</p>
            }
            if let Some(error) = &stats.error {
                <p id="stats-error" class="error">{error}</p>
            }
            <h2>{"Latest events"}</h2>
            <ol id="events">
                { for sse.events.iter().rev().map(|e| html! {
                    <li class="event" data-type={e.event_type.clone()} data-id={e.last_event_id.clone()}>
                        <code>{&e.event_type}</code>{" "}{&e.data}
                    </li>
                }) }
            </ol>
        </section>
    }
}

#[function_component]
fn App() -> Html {
    let mounted = use_state(|| true);
    // Counted outside LiveView: if its subscription outlived it, this would
    // keep growing after unmount.
    let delivered = use_reducer(Delivered::default);
    let url = use_memo((), |()| AttrValue::from(events_url()));

    let toggle = {
        let mounted = mounted.clone();
        Callback::from(move |_: MouseEvent| mounted.set(!*mounted))
    };
    let on_event = {
        let delivered = delivered.clone();
        Callback::from(move |_: SseEvent| delivered.dispatch(()))
    };

    html! {
        <main>
            <h1>{"web-sse + Yew"}</h1>
            <p>
                <button id="toggle" onclick={toggle}>
                    { if *mounted { "Unmount live view" } else { "Mount live view" } }
                </button>
                {" Events delivered on this page: "}
                <span id="delivered">{delivered.0}</span>
            </p>
            if *mounted {
                <LiveView url={(*url).clone()} {on_event} />
            } else {
                <p id="unmounted">{"Live view unmounted: its connection is closed."}</p>
            }
        </main>
    }
}

#[derive(Default, PartialEq)]
struct Delivered(u64);

impl Reducible for Delivered {
    type Action = ();

    fn reduce(self: std::rc::Rc<Self>, (): ()) -> std::rc::Rc<Self> {
        std::rc::Rc::new(Delivered(self.0 + 1))
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
