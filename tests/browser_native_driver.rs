//! The native transport's reconnect driver (src/transport/native.rs, with the
//! backoff of src/reconnect.rs) against its behaviour spec,
//! tests/data/native-driver.json. tests/e2e/native-driver.test.mjs runs the
//! same table against the npm package's `NativeConnection`, so a rule
//! changed on one side fails there or here. The data file's header says what
//! each field means; this file only interprets it.
//!
//! Native only: on the fetch run every test returns at once.
#![cfg(target_arch = "wasm32")]

mod browser_support;

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::Duration;

use browser_support::*;
use serde::Deserialize;
use wasm_bindgen_test::*;
use web_sse::{Error, EventSource, EventSourceOptions, ReconnectPolicy, Transport};

wasm_bindgen_test_configure!(run_in_browser);

const SPEC: &str = include_str!("data/native-driver.json");

#[derive(Deserialize)]
struct Spec {
    slack: f64,
    settle: u32,
    timeout: u32,
    scenarios: Vec<Scenario>,
}

#[derive(Deserialize)]
struct Scenario {
    name: String,
    route: String,
    #[serde(default)]
    options: Options,
    #[serde(default)]
    listen: Vec<String>,
    until: Option<usize>,
    #[serde(default)]
    close: bool,
    settle: Option<u32>,
    runs: Option<u32>,
    expect: Expect,
}

/// The JS API's option names, in ms.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Options {
    reconnect: Option<Policy>,
    idle_timeout: Option<u64>,
    last_event_id_param: Option<String>,
    last_event_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Policy {
    base: Option<u64>,
    cap: Option<u64>,
    max_attempts: Option<u32>,
    reset_after: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Expect {
    log: Vec<String>,
    ready_state: u16,
    requests: u32,
    last_event_ids: Option<Vec<Option<String>>>,
    event_ids: Option<Vec<String>>,
    #[serde(default)]
    gaps: Vec<Gap>,
    open: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Gap {
    min: Option<f64>,
    max: Option<f64>,
    some_below: Option<f64>,
}

fn spec() -> Spec {
    serde_json::from_str(SPEC).expect("tests/data/native-driver.json parses")
}

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

fn options(given: &Options) -> EventSourceOptions {
    let mut options = EventSourceOptions::new().transport(Transport::Native);
    if let Some(policy) = &given.reconnect {
        let mut built = ReconnectPolicy::new();
        if let Some(base) = policy.base {
            built = built.base(ms(base));
        }
        if let Some(cap) = policy.cap {
            built = built.cap(ms(cap));
        }
        if let Some(limit) = policy.max_attempts {
            built = built.max_attempts(limit);
        }
        if let Some(reset) = policy.reset_after {
            built = built.reset_after(ms(reset));
        }
        options = options.reconnect(Some(built));
    }
    if let Some(idle) = given.idle_timeout {
        options = options.idle_timeout(Some(ms(idle)));
    }
    if let Some(param) = &given.last_event_id_param {
        options = options.last_event_id_param(param);
    }
    if let Some(id) = &given.last_event_id {
        options = options.last_event_id(id);
    }
    options
}

/// An error's kind as the log writes it: the npm package's `kind` facts
/// (src/facts.rs), with the numbers that matter here.
fn kind(error: Option<&Error>) -> String {
    match error {
        None | Some(Error::ConnectionFailed { .. }) => "-".to_owned(),
        Some(Error::Timeout { idle, .. }) => format!("timeout({})", idle.as_millis()),
        Some(Error::AttemptsExhausted { attempts, last, .. }) => {
            let last = match last.as_deref() {
                None | Some(Error::ConnectionFailed { .. }) => "-".to_owned(),
                Some(Error::Timeout { .. }) => "timeout".to_owned(),
                Some(other) => format!("{other:?}"),
            };
            format!("attempts({attempts},{last})")
        }
        Some(other) => format!("{other:?}"),
    }
}

/// The page's side of one run: the log, and when it stopped.
struct Recorder {
    log: RefCell<Vec<String>>,
    /// The last event ID each listened event carried.
    event_ids: RefCell<Vec<String>>,
    /// The ready state when the scenario stopped, before any close().
    stopped: Cell<Option<u16>>,
    until: Option<usize>,
    close: bool,
    source: RefCell<Weak<EventSource>>,
}

impl Recorder {
    fn push(&self, line: String, fatal: bool) {
        let len = {
            let mut log = self.log.borrow_mut();
            log.push(line);
            log.len()
        };
        // A fatal error stops any scenario: nothing would follow it.
        let stop = fatal || self.until == Some(len);
        if !stop || self.stopped.get().is_some() {
            return;
        }
        if let Some(source) = self.source.borrow().upgrade() {
            self.stopped.set(Some(source.ready_state().as_u16()));
            if self.close {
                source.close();
            }
        }
    }

    fn attempt(&self) -> u32 {
        self.source
            .borrow()
            .upgrade()
            .map_or(u32::MAX, |source| source.state().attempt)
    }
}

struct Outcome {
    log: Vec<String>,
    event_ids: Vec<String>,
    ready_state: Option<u16>,
    stats: Stats,
}

async fn run_once(spec: &Spec, scenario: &Scenario, run: u32) -> Outcome {
    let key = unique_key(&format!("driver-{run}"));
    let source = Rc::new(
        EventSource::with_options(&url(&scenario.route, &key), &options(&scenario.options))
            .expect("the source opens"),
    );
    let recorder = Rc::new(Recorder {
        log: RefCell::new(Vec::new()),
        event_ids: RefCell::new(Vec::new()),
        stopped: Cell::new(None),
        until: scenario.until,
        close: scenario.close,
        source: RefCell::new(Rc::downgrade(&source)),
    });
    let mut listeners = vec![
        source.on_open({
            let recorder = Rc::clone(&recorder);
            move |_| recorder.push("open".to_owned(), false)
        }),
        source.on_error({
            let recorder = Rc::clone(&recorder);
            move |event| {
                let line = format!(
                    "error {} {} attempt {}",
                    if event.is_fatal() { "fatal" } else { "retry" },
                    kind(event.error()),
                    recorder.attempt()
                );
                recorder.push(line, event.is_fatal());
            }
        }),
    ];
    for event_type in &scenario.listen {
        listeners.push(source.on(event_type, {
            let recorder = Rc::clone(&recorder);
            move |event| {
                recorder
                    .event_ids
                    .borrow_mut()
                    .push(event.last_event_id().to_owned());
                recorder.push(format!("{} {}", event.event_type(), event.data()), false);
            }
        }));
    }
    let what = format!("{}: the scenario to stop", scenario.name);
    let stopped = within(spec.timeout, &what, async {
        while recorder.stopped.get().is_none() {
            sleep(10).await;
        }
    });
    stopped.await;
    sleep(scenario.settle.unwrap_or(spec.settle)).await;
    let log = recorder.log.borrow().clone();
    let event_ids = recorder.event_ids.borrow().clone();
    // The server hears of a closed connection when the browser's socket
    // closes, which a loaded machine may delay past the settle time.
    let stats = match scenario.expect.open {
        Some(open) => wait_for_stats(&key, 5000, "the connections end", |s| s.open == open).await,
        None => stats(&key).await,
    };
    source.close();
    drop(listeners);
    Outcome {
        log,
        event_ids,
        ready_state: recorder.stopped.get(),
        stats,
    }
}

async fn run(name: &str) {
    if is_fetch() {
        return;
    }
    let spec = spec();
    let scenario = spec
        .scenarios
        .iter()
        .find(|scenario| scenario.name == name)
        .unwrap_or_else(|| panic!("no scenario {name} in tests/data/native-driver.json"));
    let expect = &scenario.expect;
    let mut gaps = Vec::new();
    for run in 0..scenario.runs.unwrap_or(1) {
        let Outcome {
            log,
            event_ids,
            ready_state,
            stats,
        } = run_once(&spec, scenario, run).await;
        let seen = format!("{name} (run {run}): log {log:?}, server {stats:?}");
        assert_eq!(log, expect.log, "the events: {seen}");
        assert_eq!(ready_state, Some(expect.ready_state), "readyState: {seen}");
        assert_eq!(stats.connections, expect.requests, "requests: {seen}");
        if let Some(ids) = &expect.last_event_ids {
            assert_eq!(&stats.last_event_ids, ids, "last event IDs: {seen}");
        }
        if let Some(ids) = &expect.event_ids {
            assert_eq!(&event_ids, ids, "the events' last event IDs: {seen}");
        }
        if let Some(open) = expect.open {
            assert_eq!(stats.open, open, "connections left open: {seen}");
        }
        let measured = stats.gaps();
        assert!(
            measured.len() >= expect.gaps.len(),
            "fewer gaps than expected: {seen}"
        );
        for (i, (gap, bounds)) in measured.iter().zip(&expect.gaps).enumerate() {
            if let Some(min) = bounds.min {
                // Both times are the server's clock, in whole ms.
                assert!(*gap >= min - 1.0, "gap {i} is {gap} ms < {min}: {seen}");
            }
            if let Some(max) = bounds.max {
                assert!(
                    *gap <= max + spec.slack,
                    "gap {i} is {gap} ms > {max} + {} ms: {seen}",
                    spec.slack
                );
            }
        }
        gaps.push(measured);
    }
    for (i, bounds) in expect.gaps.iter().enumerate() {
        if let Some(below) = bounds.some_below {
            let all: Vec<f64> = gaps.iter().map(|run| run[i]).collect();
            assert!(
                all.iter().any(|gap| *gap < below),
                "{name}: gap {i} never under {below} ms in {} runs: {all:?}",
                all.len()
            );
        }
    }
}

/// One test per scenario, named as in the data file; the last test checks
/// that the list and the file name the same scenarios.
macro_rules! scenarios {
    ($($name:ident)*) => {
        $(
            #[wasm_bindgen_test]
            async fn $name() {
                run(stringify!($name)).await;
            }
        )*

        #[wasm_bindgen_test]
        fn every_scenario_of_the_spec_runs() {
            let listed = [$(stringify!($name)),*];
            let named: Vec<String> = spec().scenarios.into_iter().map(|s| s.name).collect();
            assert_eq!(listed.as_slice(), named.as_slice());
        }
    };
}

scenarios! {
    fatal_statuses_reopen_within_capped_full_jitter
    the_attempt_limit_gives_one_plus_max_attempts_requests
    without_options_the_browser_gives_up
    a_query_parameter_alone_adds_no_policy
    without_a_policy_a_drop_is_the_browsers_to_retry
    under_a_policy_a_drop_is_still_the_browsers_to_retry
    a_browser_retry_after_a_connection_that_worked_counts_from_zero
    a_reopened_source_resumes_through_the_query_and_backs_off
    a_resume_keeps_its_id_until_the_server_sends_one
    a_connection_that_delivered_an_event_resets_the_count
    a_silent_connection_open_for_reset_after_resets_the_count
    a_silent_connection_shorter_than_reset_after_counts_as_failed
    an_idle_connection_reopens_with_the_last_event_id
    an_idle_timeout_without_a_policy_reopens_after_3_s
    nothing_after_close_while_waiting_to_reopen
    nothing_after_close_while_open
}
