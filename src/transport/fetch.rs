//! The fetch transport: `fetch()` with the page's method, headers and body,
//! read chunk by chunk into [`crate::parse::Parser`], following the spec's
//! processing model (WHATWG HTML §9.2.3): `Last-Event-ID` on every reconnect,
//! `retry:` as the delay, a network drop or the end of the body reconnects,
//! a 204, any other non-200 status or a wrong `Content-Type` ends the source,
//! unless the options retry that status.
//!
//! Each attempt's request is built anew (`request.rs`: the page's hook runs
//! first), and a reconnect is made only where the replay rule allows it
//! (`replay.rs`), decided in one place, in `run`.
//!
//! Between attempts it waits what the reconnect policy says (backoff with
//! jitter, by default), never while the browser is offline, and an idle
//! timeout turns a silent, half-open connection into a reconnect.

use std::cell::Cell;
use std::future::poll_fn;
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use futures_core::Future;
use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};

use super::cors;
use super::online::{is_online, on_online};
use super::replay;
// The npm package's wasm (src/js) builds its requests in JS through this trait.
#[cfg(feature = "js")]
pub(crate) use super::request::MakeRequest;
pub(crate) use super::request::RequestSpec;
use super::task::{global_fetch, read_body, read_chunk, reader, within, BodyEnd, Control, Output};
use crate::error::message_of;
use crate::parse::Parser;
use crate::reconnect::{now, random, Backoff};
use crate::{Attempt, Error, EventSourceOptions, ReconnectPolicy};

/// The reconnection time until the server sends `retry:`, as in Chromium
/// (Firefox waits 5 s).
pub(crate) const DEFAULT_RETRY: Duration = Duration::from_secs(3);
/// How much of an error response's body an [`Error::Http`] keeps.
const BODY_LIMIT: usize = 1024;

/// Starts the connection task, which reports to `output` until it ends.
pub(crate) fn start(
    url: &str,
    options: &EventSourceOptions,
    output: Box<dyn Output>,
) -> Result<Rc<Control>, Error> {
    Ok(start_with(RequestSpec::new(url, options)?, options, output))
}

/// Starts the connection task with requests from `request`.
pub(crate) fn start_with(
    request: RequestSpec,
    options: &EventSourceOptions,
    output: Box<dyn Output>,
) -> Rc<Control> {
    let control = Rc::new(Control::default());
    let mut parser = Parser::with_max_event_size(options.max_event_size.unwrap_or(usize::MAX));
    if let Some(id) = &options.last_event_id {
        parser.set_last_event_id(id);
    }
    parser.set_retry(options.reconnection_time);
    *control.end_on.borrow_mut() = options.end_on.clone();
    control.remember(&parser);
    let plan = Plan {
        policy: options.policy(),
        idle: options.idle(),
    };
    spawn_local(run(output, Rc::clone(&control), request, parser, plan));
    control
}

/// How the task stays connected.
struct Plan {
    /// `None`: the spec's fixed reconnection time.
    policy: Option<ReconnectPolicy>,
    idle: Option<Duration>,
}

/// How one connection ended.
enum Ended {
    /// Reconnect after the reconnection time, telling error listeners why.
    Retry(Option<Error>),
    /// Give up.
    Fatal(Error),
    /// A status of `refresh_on`: run the hook again and retry at once.
    Refresh(u16),
    /// Closed by the page, or nobody holds the source any more.
    Closed,
    /// The end sentinel was met: the end, cleanly.
    Finished,
}

async fn run(
    output: Box<dyn Output>,
    control: Rc<Control>,
    request: RequestSpec,
    mut parser: Parser,
    plan: Plan,
) {
    let output = output.as_ref();
    // Without a policy the delay is fixed, but the attempts are still
    // counted, from the last connection that opened.
    let mut backoff = Backoff::new(
        plan.policy
            .unwrap_or_else(|| ReconnectPolicy::new().reset_after(Duration::ZERO)),
    );
    // Requests sent so far, and the status that asks the next one to
    // refresh its credentials.
    let mut sent = 0u32;
    let mut refresh = None;
    loop {
        if !is_online() {
            wait(None, &control).await;
        }
        if control.is_closed() {
            return;
        }
        let attempt = Attempt {
            number: sent,
            last_event_id: parser.last_event_id().to_owned(),
            refresh: refresh.take(),
        };
        sent = sent.saturating_add(1);
        let connecting: Pin<Box<dyn Future<Output = Ended> + '_>> = Box::pin(connect(
            output,
            &control,
            &request,
            &mut parser,
            plan.idle,
            &mut backoff,
            attempt,
        ));
        let ended = connecting.await;
        // A partial event cut off by the end is discarded, never delivered.
        parser.finish();
        control.set_abort(None);
        if control.is_closed() || !output.alive() {
            return;
        }
        let error = match ended {
            Ended::Closed => return,
            Ended::Finished => {
                output.finished();
                return;
            }
            Ended::Fatal(error) => {
                output.ended(Some(error));
                return;
            }
            Ended::Refresh(status) => {
                // At once: no wait, no error event, no attempt counted.
                refresh = Some(status);
                continue;
            }
            Ended::Retry(error) => error,
        };
        let error = match replay::check(request.replay, parser.last_event_id(), &request.url, error)
        {
            Ok(error) => error,
            Err(end) => {
                output.ended(Some(end));
                return;
            }
        };
        let next = backoff.next_delay(now(), parser.retry(), random());
        let delay = match (plan.policy, next) {
            (None, _) => parser.retry().unwrap_or(DEFAULT_RETRY),
            (Some(_), Some(delay)) => delay,
            (Some(_), None) => {
                output.ended(Some(Error::AttemptsExhausted {
                    url: request.url.clone(),
                    attempts: backoff.attempt(),
                    last: error.map(Box::new),
                }));
                return;
            }
        };
        output.reconnecting(error, backoff.attempt(), delay);
        wait(Some(delay), &control).await;
        if control.is_closed() {
            return;
        }
    }
}

async fn connect(
    output: &dyn Output,
    control: &Control,
    spec: &RequestSpec,
    parser: &mut Parser,
    idle: Option<Duration>,
    backoff: &mut Backoff,
    attempt: Attempt,
) -> Ended {
    let refreshing = attempt.refresh.is_some();
    let extra = match spec.run_hook(attempt, control).await {
        Ok(extra) => extra,
        Err(None) => return Ended::Closed,
        Err(Some(error)) => return Ended::Fatal(error),
    };
    let abort = match web_sys::AbortController::new() {
        Ok(abort) => abort,
        Err(e) => return Ended::Fatal(Error::from_js(&e)),
    };
    let prepared = match spec.request(
        parser.last_event_id(),
        Some(&abort.signal()),
        extra.as_ref(),
    ) {
        Ok(prepared) => prepared,
        Err(error) => return Ended::Fatal(error),
    };
    control.set_abort(Some(abort));
    let response = match within(JsFuture::from(global_fetch(&prepared.request)), idle).await {
        Some(Ok(response)) => response.unchecked_into::<web_sys::Response>(),
        Some(Err(e)) => {
            let sent_id = !parser.last_event_id().is_empty();
            if cors::is_type_error(&e)
                && !control.is_closed()
                && cors::server_answered(&prepared.url, control).await
            {
                return Ended::Fatal(Error::Cors {
                    url: spec.url.clone(),
                    headers: spec.preflighted_headers(&prepared, sent_id),
                });
            }
            return network_error(control, &spec.url, &e);
        }
        None => return timed_out(control, spec, idle),
    };
    if let Some(ended) = check(&response, spec, idle, refreshing).await {
        if let Ended::Refresh(_) = ended {
            // Its body is not wanted: the refresh follows at once.
            control.abort_request();
        }
        return ended;
    }
    let Some(body) = response.body() else {
        return Ended::Retry(None);
    };
    if control.is_closed() || !output.alive() {
        return Ended::Closed;
    }
    let origin = web_sys::Url::new(&response.url())
        .map(|url| url.origin())
        .unwrap_or_default();
    // The first chunk is asked for before the page hears of the opening, so
    // that the network does not wait for its `open` listeners.
    let reader = reader(&body);
    let first = reader.read();
    backoff.opened(now());
    control.take_delivered();
    output.opened(&origin);
    let end = read_body(
        reader,
        Some(first),
        parser,
        &spec.url,
        output,
        control,
        idle,
    )
    .await;
    if control.take_delivered() {
        backoff.delivered();
    }
    let ended = match end {
        // A clean end of the body reconnects, as a drop does.
        BodyEnd::Done => Ended::Retry(None),
        BodyEnd::Gone => Ended::Closed,
        BodyEnd::Failed(exception) => network_error(control, &spec.url, &exception),
        BodyEnd::Idle => timed_out(control, spec, idle),
        BodyEnd::Finished => {
            // The server may keep the connection open after the sentinel.
            control.abort_request();
            Ended::Finished
        }
    };
    match ended {
        Ended::Retry(cause) if control.expects_end() => Ended::Retry(Some(Error::Truncated {
            url: spec.url.clone(),
            last_event_id: parser.last_event_id().to_owned(),
            cause: cause.map(Box::new),
        })),
        ended => ended,
    }
}

/// Nothing arrived for the idle timeout: the connection is taken for
/// half-open and aborted, and the source reconnects.
fn timed_out(control: &Control, spec: &RequestSpec, idle: Option<Duration>) -> Ended {
    control.abort_request();
    Ended::Retry(Some(Error::Timeout {
        url: spec.url.clone(),
        idle: idle.unwrap_or_default(),
    }))
}

/// `None` when the response is a 200 event stream; otherwise how it ends.
/// `refreshing`: this request is already the refresh of a refused one.
async fn check(
    response: &web_sys::Response,
    spec: &RequestSpec,
    idle: Option<Duration>,
    refreshing: bool,
) -> Option<Ended> {
    let content_type = response.headers().get("content-type").ok().flatten();
    let status = response.status();
    if status != 200 && !refreshing && spec.refresh_statuses.contains(&status) {
        return Some(Ended::Refresh(status));
    }
    if status != 200 {
        let error = Error::Http {
            url: spec.url.clone(),
            status,
            status_text: response.status_text(),
            content_type,
            body: body_start(response, idle).await,
        };
        return Some(if spec.retry_statuses.contains(&status) {
            Ended::Retry(Some(error))
        } else {
            Ended::Fatal(error)
        });
    }
    let is_event_stream = content_type.as_deref().is_some_and(|value| {
        let essence = value.split(';').next().unwrap_or("").trim();
        essence.eq_ignore_ascii_case("text/event-stream")
    });
    if !is_event_stream {
        return Some(Ended::Fatal(Error::NotEventStream {
            url: spec.url.clone(),
            content_type,
        }));
    }
    None
}

/// Up to [`BODY_LIMIT`] bytes of the body, as text cut at a character
/// boundary. Only that much is read, then the body is cancelled: an error
/// page may be huge, or never end.
async fn body_start(response: &web_sys::Response, idle: Option<Duration>) -> String {
    let Some(body) = response.body() else {
        return String::new();
    };
    let reader = reader(&body);
    let mut bytes = Vec::new();
    while bytes.len() < BODY_LIMIT {
        let Some(Ok(Some(chunk))) = read_chunk(reader.read(), idle).await else {
            break;
        };
        let start = bytes.len();
        bytes.resize(start + chunk.length() as usize, 0);
        chunk.copy_to(&mut bytes[start..]);
    }
    // Awaited, so that a rejection is handled rather than reported to the page.
    spawn_local(async move {
        let _ = JsFuture::from(reader.cancel()).await;
    });
    let mut end = bytes.len().min(BODY_LIMIT);
    // Back off to a character boundary: a UTF-8 continuation byte is 10xxxxxx.
    while end < bytes.len() && end > 0 && bytes[end] & 0xC0 == 0x80 {
        end -= 1;
    }
    bytes.truncate(end);
    String::from_utf8_lossy(&bytes).into_owned()
}

fn network_error(control: &Control, url: &str, exception: &JsValue) -> Ended {
    if control.is_closed() {
        return Ended::Closed;
    }
    Ended::Retry(Some(Error::Network {
        url: url.to_owned(),
        message: message_of(exception),
    }))
}

/// Waits `delay`, and then for the browser to be online; or, with no delay,
/// only for that. Ends early when the source is closed, or at once when the
/// browser comes back online: the network is back, so is the server, likely.
async fn wait(delay: Option<Duration>, control: &Rc<Control>) {
    let back_online = Rc::new(Cell::new(false));
    let _online = on_online({
        let back_online = Rc::clone(&back_online);
        let control = Rc::downgrade(control);
        move |_| {
            back_online.set(true);
            if let Some(control) = control.upgrade() {
                control.wake();
            }
        }
    });
    let mut timer =
        delay.map(|delay| TimeoutFuture::new(u32::try_from(delay.as_millis()).unwrap_or(u32::MAX)));
    poll_fn(|cx| {
        if control.is_closed() || back_online.get() {
            return Poll::Ready(());
        }
        control.set_waker(Some(cx.waker()));
        if let Some(running) = &mut timer {
            if Pin::new(running).poll(cx).is_pending() {
                return Poll::Pending;
            }
            timer = None;
        }
        // The delay is over (or there was none): go, unless offline; then the
        // `online` listener wakes this wait.
        if is_online() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    control.set_waker(None);
}
