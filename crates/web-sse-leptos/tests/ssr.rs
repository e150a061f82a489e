//! The hook on the server (feature `ssr`, on the host): it renders `Closed`
//! and no events, opens nothing, and its controls do nothing. Any browser
//! call here would panic: js-sys has no JavaScript to call on the host.
#![cfg(feature = "ssr")]

use leptos::prelude::*;
use web_sse_leptos::{use_event_source, use_json_event, Options, ReadyState};

#[derive(serde::Deserialize, Clone, Debug, PartialEq)]
struct Stats {
    seq: u64,
}

#[component]
fn Live() -> impl IntoView {
    let sse = use_event_source(
        "http://127.0.0.1:1/events",
        Options::new()
            .event_types(["message", "stats"])
            .on_failed(|| panic!("nothing runs on the server")),
    );
    let stats = use_json_event::<Stats>(sse, "stats");
    // The controls are inert on the server.
    sse.open();
    sse.reconnect();
    sse.close();
    let state = move || format!("{:?}", sse.ready_state.get());
    view! {
        <p id="state">{state}</p>
        <p id="count">{move || sse.events.with(|e| e.len())}</p>
        <p id="latest">{move || sse.latest.get().map(|e| e.data().to_owned()).unwrap_or_default()}</p>
        <p id="error">{move || sse.error.get().map(|e| e.to_string()).unwrap_or_default()}</p>
        <p id="stats">{move || stats.latest.get().map(|s| s.seq)}</p>
    }
}

#[test]
fn renders_closed_and_opens_nothing() {
    let owner = Owner::new();
    owner.set();
    let html = owner.with(|| view! { <Live/> }.to_html());
    assert_eq!(text_of(&html, "state"), "Closed", "{html}");
    assert_eq!(text_of(&html, "count"), "0", "{html}");
    for empty in ["latest", "error", "stats"] {
        assert_eq!(text_of(&html, empty), "", "{empty}: {html}");
    }
}

/// The text of `<p id="{id}">`, without hydration markers (`<!>`) and the
/// blank Leptos renders for an empty string.
fn text_of(html: &str, id: &str) -> String {
    let open = format!(r#"<p id="{id}">"#);
    let start = html.find(&open).map(|i| i + open.len());
    let start = start.unwrap_or_else(|| panic!("no #{id} in {html}"));
    let end = start + html[start..].find("</p>").unwrap_or(0);
    html[start..end].replace("<!>", "").trim().to_owned()
}

#[test]
fn the_state_is_closed_outside_a_view_too() {
    let owner = Owner::new();
    owner.with(|| {
        let sse = use_event_source(None::<String>, Options::new().immediate(true));
        assert_eq!(sse.ready_state.get_untracked(), ReadyState::Closed);
        assert!(sse.source.get_untracked().is_none());
    });
}
