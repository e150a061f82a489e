//! A live view of a Server-Sent Events stream in Yew, with web-sse-yew.
//!
//! Build: `bash scripts/build-examples.sh` from the repository root, then
//! serve `examples/yew-live/dist/` and open it with
//! `?events=http://127.0.0.1:8080/events` (default: `/events` on the same
//! origin). The browser tests (tests/examples/run.mjs) also set `alt` (a
//! second URL for the Switch button), `types` (comma-separated event types),
//! `keep`, `lazy=1`, `retries`, `interval` (ms) and `batch=frame`.

use std::rc::Rc;
use std::time::Duration;

use serde::Deserialize;
use web_sse_yew::{
    use_event_source, use_json_event, Batch, MessageEvent, Options, ReadyState,
    UseEventSourceHandle,
};
use yew::prelude::*;

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
    events: AttrValue,
    alt: Option<AttrValue>,
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
            events: get("events").unwrap_or_else(|| "/events".into()).into(),
            alt: get("alt").map(AttrValue::from),
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

#[derive(Properties, PartialEq)]
struct LiveProps {
    url: AttrValue,
    params: Params,
    on_event: Callback<()>,
    on_failed: Callback<()>,
}

#[function_component]
fn LiveView(props: &LiveProps) -> Html {
    // Counts this component's renders (the tests compare it with the frames
    // the page drew); a RefCell, so counting is not itself a state change.
    let renders = use_mut_ref(|| 0_u64);
    *renders.borrow_mut() += 1;
    let render_count = *renders.borrow();
    let p = &props.params;
    let (on_event, on_failed) = (props.on_event.clone(), props.on_failed.clone());
    let sse: UseEventSourceHandle = use_event_source(
        Some(props.url.clone()),
        Options::new()
            .event_types(p.types.iter().map(String::as_str))
            .keep(p.keep)
            .immediate(!p.lazy)
            .reconnect_limit(Some(p.retries))
            .reconnect_interval(Duration::from_millis(p.interval_ms))
            .batch(p.batch)
            .on_event(move |_: &MessageEvent| on_event.emit(()))
            .on_failed(move || on_failed.emit(())),
    );
    let stats = use_json_event::<Stats>(&sse, "stats");

    let control = |f: fn(&UseEventSourceHandle)| {
        let sse = sse.clone();
        Callback::from(move |_: MouseEvent| f(&sse))
    };
    let state = state_name(sse.ready_state);

    html! {
        <section id="live">
            <p>{"State: "}<strong id="state" data-state={state}>{state}</strong>{" Renders: "}<span id="renders">{render_count}</span></p>
            if let Some(error) = &sse.error {
                <p id="error" class="error">{error.to_string()}</p>
            }
            <p>
                <button id="open" onclick={control(UseEventSourceHandle::open)}>{"Open"}</button>
                {" "}
                <button id="close" onclick={control(UseEventSourceHandle::close)}>{"Close"}</button>
                {" "}
                <button id="reconnect" onclick={control(UseEventSourceHandle::reconnect)}>{"Reconnect"}</button>
            </p>
            <p>{"Latest: "}<code id="latest">{sse.latest.as_ref().map(|e| e.data().to_owned()).unwrap_or_default()}</code></p>
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
                <p id="stats-error" class="error">{error.to_string()}</p>
            }
            <h2>{"Latest events ("}<span id="count">{sse.events.len()}</span>{")"}</h2>
            <ol id="events">
                { sse.events.with(|events| events.iter().rev().map(|e| html! {
                    <li class="event" data-type={e.event_type().to_owned()} data-id={e.last_event_id().to_owned()}>
                        <code>{e.event_type()}</code>{" "}{e.data()}
                    </li>
                }).collect::<Html>()) }
            </ol>
        </section>
    }
}

#[function_component]
fn App() -> Html {
    let params = use_memo((), |()| Params::from_page());
    let mounted = use_state(|| true);
    let url = use_state(|| params.events.clone());
    // Counted outside LiveView: if its subscription outlived it, this would
    // keep growing after unmount.
    let delivered = use_reducer(Counter::default);
    let failed = use_reducer(Counter::default);

    let toggle = {
        let mounted = mounted.clone();
        Callback::from(move |_: MouseEvent| mounted.set(!*mounted))
    };
    let switch = {
        let (url, params) = (url.clone(), params.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(alt) = &params.alt {
                url.set(if *url == *alt {
                    params.events.clone()
                } else {
                    alt.clone()
                });
            }
        })
    };
    // Memoized: a new Callback would re-render LiveView with every event
    // this page counts, and its render count would say nothing of the hook.
    let on_event = {
        let delivered = delivered.dispatcher();
        use_callback((), move |(), ()| delivered.dispatch(()))
    };
    let on_failed = {
        let failed = failed.dispatcher();
        use_callback((), move |(), ()| failed.dispatch(()))
    };

    html! {
        <main>
            <h1>{"web-sse + Yew"}</h1>
            <p>
                <button id="toggle" onclick={toggle}>
                    { if *mounted { "Unmount live view" } else { "Mount live view" } }
                </button>
                if params.alt.is_some() {
                    {" "}<button id="switch" onclick={switch}>{"Switch URL"}</button>
                }
                {" Events delivered on this page: "}
                <span id="delivered">{delivered.0}</span>
                {" Failed: "}
                <span id="failed">{failed.0}</span>
            </p>
            <p>{"URL: "}<code id="url">{(*url).clone()}</code></p>
            if *mounted {
                <LiveView url={(*url).clone()} params={(*params).clone()} {on_event} {on_failed} />
            } else {
                <p id="unmounted">{"Live view unmounted: its connection is closed."}</p>
            }
        </main>
    }
}

#[derive(Default, PartialEq)]
struct Counter(u64);

impl Reducible for Counter {
    type Action = ();

    fn reduce(self: Rc<Self>, (): ()) -> Rc<Self> {
        Rc::new(Counter(self.0 + 1))
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
