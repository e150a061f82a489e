//! The page's lifecycle: the back/forward cache, hidden tabs and frozen
//! pages. A source closes its connection when the page goes into the
//! back/forward cache (an open connection can keep it out, or get it evicted
//! for the data it buffers meanwhile) and, with [`WhenHidden::Pause`], after
//! the page was hidden for the grace period; it reopens from the last event
//! ID when the page comes back. A page resumed from frozen reconnects at
//! once: its connection is stale.
//!
//! [`Rules`] decides, the listeners only feed it. js/lifecycle.js holds the
//! same rules for the npm package; tests/data/lifecycle.json pins both.

use std::cell::RefCell;
use std::rc::Weak;
use std::time::Duration;

use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsCast;

/// The source, as the lifecycle drives it (the hub implements it, so that
/// this module needs nothing of the hub's).
pub(crate) trait Suspendable {
    /// Still the page's to run: not closed by the page, not failed for good.
    fn is_live(&self) -> bool;
    /// Closes the connection, but not the source.
    fn suspend(&self);
    /// Opens a new connection now, from the last event ID.
    fn reconnect(&self);
}

// Getters rather than `Reflect::get`: no key string is made in JS, and no
// web-sys feature is pulled in for three properties.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(extends = web_sys::EventTarget)]
    type Page;
    /// The window's document; `undefined` in a worker.
    #[wasm_bindgen(method, getter)]
    fn document(this: &Page) -> Option<Page>;
    /// `visibilityState`, which the Page Visibility spec defines `hidden`
    /// by, and which pages and tests override.
    #[wasm_bindgen(method, getter, js_name = visibilityState)]
    fn visibility_state(this: &Page) -> String;
    /// A `PageTransitionEvent`.
    #[wasm_bindgen(extends = web_sys::Event)]
    type Transition;
    /// Whether the page goes into, or comes from, the back/forward cache.
    #[wasm_bindgen(method, getter)]
    fn persisted(this: &Transition) -> bool;
}

/// What a source does while its page is hidden
/// ([`EventSourceOptions::when_hidden`](crate::EventSourceOptions::when_hidden)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum WhenHidden {
    /// Stay connected (the default, as the browser's `EventSource` does).
    #[default]
    Stay,
    /// Close the connection once the page has been hidden this long, and
    /// reopen it, from the last event ID, when the page is visible again.
    Pause(Duration),
}

/// What happened to the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Input {
    /// `pagehide` with `persisted`: into the back/forward cache.
    PageHide,
    /// `pageshow` with `persisted`: back from it.
    PageShow,
    Hidden,
    Visible,
    /// The grace period of a hidden page ran out.
    Grace,
    /// The page was frozen and runs again.
    Resume,
}

/// What the source does about it, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Start the grace period's timer.
    Arm,
    /// Cancel it.
    Disarm,
    /// Close the connection, but not the source: it stays `Connecting`.
    Suspend,
    /// Open a new connection now, from the last event ID.
    Reconnect,
}

/// The rules, apart from the browser: `live` says whether the source is
/// still the page's to run (not closed by the page, not failed for good).
#[derive(Debug, Default)]
pub(crate) struct Rules {
    pause: bool,
    hidden: bool,
    armed: bool,
    suspended: bool,
}

impl Rules {
    pub(crate) fn new(pause: bool, hidden: bool) -> Self {
        Rules {
            pause,
            hidden,
            ..Rules::default()
        }
    }

    pub(crate) fn step(&mut self, input: Input, live: bool, out: &mut Vec<Action>) {
        if !live {
            // Closed meanwhile: nothing to bring back.
            self.suspended = false;
        }
        match input {
            Input::PageHide => {
                self.disarm(out);
                self.suspend(live, out);
            }
            Input::PageShow => {
                self.reopen(out);
                if self.hidden && live {
                    self.arm(out);
                }
            }
            Input::Hidden => {
                self.hidden = true;
                if live && !self.suspended {
                    self.arm(out);
                }
            }
            Input::Visible => {
                self.hidden = false;
                self.disarm(out);
                self.reopen(out);
            }
            Input::Grace => {
                self.armed = false;
                if self.hidden {
                    self.suspend(live, out);
                }
            }
            Input::Resume => {
                if live && !self.suspended {
                    out.push(Action::Reconnect);
                }
            }
        }
    }

    fn arm(&mut self, out: &mut Vec<Action>) {
        if self.pause && !self.armed {
            self.armed = true;
            out.push(Action::Arm);
        }
    }

    fn disarm(&mut self, out: &mut Vec<Action>) {
        if self.armed {
            self.armed = false;
            out.push(Action::Disarm);
        }
    }

    fn suspend(&mut self, live: bool, out: &mut Vec<Action>) {
        if live && !self.suspended {
            self.suspended = true;
            out.push(Action::Suspend);
        }
    }

    fn reopen(&mut self, out: &mut Vec<Action>) {
        if self.suspended {
            self.suspended = false;
            out.push(Action::Reconnect);
        }
    }
}

/// A source's page listeners and its grace timer; dropping it removes them.
/// They hold the hub weakly, and no JS object.
pub(crate) struct Lifecycle {
    _listeners: Vec<EventListener>,
    state: std::rc::Rc<State>,
}

impl std::fmt::Debug for Lifecycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lifecycle").finish_non_exhaustive()
    }
}

struct State {
    source: Weak<dyn Suspendable>,
    grace: Option<Duration>,
    rules: RefCell<Rules>,
    timer: RefCell<Option<Timeout>>,
}

/// Watches the page for `source`; `None` outside a window.
pub(crate) fn watch(source: Weak<dyn Suspendable>, when_hidden: WhenHidden) -> Option<Lifecycle> {
    // A window's global has a document; a worker's has none.
    let window: Page = js_sys::global().unchecked_into();
    let document = window.document()?;
    let grace = match when_hidden {
        WhenHidden::Stay => None,
        WhenHidden::Pause(grace) => Some(grace),
    };
    let state = std::rc::Rc::new(State {
        source,
        grace,
        rules: RefCell::new(Rules::new(grace.is_some(), is_hidden(&document))),
        timer: RefCell::new(None),
    });
    let on = |target: &Page, name: &'static str| {
        let state = std::rc::Rc::downgrade(&state);
        EventListener::new(target, name, move |event| {
            let Some(state) = state.upgrade() else {
                return;
            };
            let input = match name {
                "pagehide" | "pageshow" if !event.unchecked_ref::<Transition>().persisted() => {
                    return
                }
                "pagehide" => Input::PageHide,
                "pageshow" => Input::PageShow,
                "resume" => Input::Resume,
                _ if event
                    .target()
                    .is_some_and(|document| is_hidden(document.unchecked_ref())) =>
                {
                    Input::Hidden
                }
                _ => Input::Visible,
            };
            State::feed(&state, input);
        })
    };
    let mut listeners = vec![
        on(&window, "pagehide"),
        on(&window, "pageshow"),
        on(&document, "resume"),
    ];
    // Without a pause, visibility changes nothing but the grace timer's
    // rules: no listener needed.
    if grace.is_some() {
        listeners.push(on(&document, "visibilitychange"));
    }
    if state.rules.borrow().hidden {
        State::feed(&state, Input::Hidden);
    }
    Some(Lifecycle {
        _listeners: listeners,
        state,
    })
}

impl State {
    fn feed(this: &std::rc::Rc<Self>, input: Input) {
        let Some(source) = this.source.upgrade() else {
            return;
        };
        let live = source.is_live();
        let mut actions = Vec::new();
        this.rules.borrow_mut().step(input, live, &mut actions);
        for action in actions {
            match action {
                Action::Arm => {
                    let millis = this.grace.map_or(0, |grace| {
                        u32::try_from(grace.as_millis()).unwrap_or(u32::MAX)
                    });
                    let weak = std::rc::Rc::downgrade(this);
                    let timer = Timeout::new(millis, move || {
                        if let Some(state) = weak.upgrade() {
                            state.timer.replace(None);
                            State::feed(&state, Input::Grace);
                        }
                    });
                    let old = this.timer.replace(Some(timer));
                    drop(old);
                }
                Action::Disarm => {
                    let old = this.timer.replace(None);
                    drop(old);
                }
                Action::Suspend => source.suspend(),
                Action::Reconnect => source.reconnect(),
            }
        }
    }
}

impl Drop for Lifecycle {
    fn drop(&mut self) {
        // The timer holds the state weakly; cancel it with the listeners.
        let timer = self.state.timer.replace(None);
        drop(timer);
    }
}

fn is_hidden(document: &Page) -> bool {
    document.visibility_state() == "hidden"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every scenario of the shared spec (see its `about`).
    #[test]
    fn follows_the_shared_spec() {
        let spec: serde_json::Value =
            serde_json::from_str(include_str!("../tests/data/lifecycle.json")).unwrap();
        for scenario in spec["scenarios"].as_array().unwrap() {
            let name = scenario["name"].as_str().unwrap();
            let mut rules = Rules::new(
                scenario["pause"].as_bool().unwrap(),
                scenario["hidden"].as_bool().unwrap(),
            );
            for (index, step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
                let input = match step["on"].as_str().unwrap() {
                    "pagehide" => Input::PageHide,
                    "pageshow" => Input::PageShow,
                    "hidden" => Input::Hidden,
                    "visible" => Input::Visible,
                    "grace" => Input::Grace,
                    "resume" => Input::Resume,
                    other => panic!("{name}: unknown input {other}"),
                };
                let mut actions = Vec::new();
                rules.step(input, step["live"].as_bool().unwrap_or(true), &mut actions);
                let names: Vec<&str> = actions
                    .iter()
                    .map(|action| match action {
                        Action::Arm => "arm",
                        Action::Disarm => "disarm",
                        Action::Suspend => "suspend",
                        Action::Reconnect => "reconnect",
                    })
                    .collect();
                let expected: Vec<&str> = step["do"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|action| action.as_str().unwrap())
                    .collect();
                assert_eq!(names, expected, "{name}, step {index}");
            }
        }
    }
}
