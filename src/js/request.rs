//! The npm package's request per attempt and replay rule, as options of the
//! fetch transport: js/request.js reads the page's functions into one hook
//! `call(attempt, lastEventId, refresh)` that resolves to `[url, headers,
//! body]` (undefined: as the options say; headers as `name\rvalue\r…`); the
//! replay rule crosses as its index in `REPLAY` there.

use std::rc::Rc;

use js_sys::{Array, Function, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::error::message_of;
use crate::request::{HookFuture, RequestHook};
use crate::{Attempt, EventSourceOptions, Replay, Request};

/// `options` with the page's hook, refresh statuses and replay rule.
pub(super) fn with_request(
    mut options: EventSourceOptions,
    hook: Option<Function>,
    refresh_on: Option<Vec<u16>>,
    replay: Option<u8>,
) -> EventSourceOptions {
    if let Some(hook) = hook {
        options.request = Some(RequestHook::new(Rc::new(move |attempt| {
            call(&hook, attempt)
        })));
    }
    if let Some(statuses) = refresh_on {
        options.refresh_statuses = statuses;
    }
    // The index of the name in js/request.js's `REPLAY`.
    options.replay = replay.map(|index| match index {
        0 => Replay::Always,
        1 => Replay::Resume,
        _ => Replay::Never,
    });
    options
}

fn call(hook: &Function, attempt: Attempt) -> HookFuture {
    let refresh = attempt.refresh.map_or(JsValue::UNDEFINED, JsValue::from);
    // js/request.js's `call` is async: it returns a promise, and rejects
    // rather than throws.
    let promise = hook
        .call3(
            &JsValue::NULL,
            &JsValue::from(attempt.number),
            &JsValue::from_str(&attempt.last_event_id),
            &refresh,
        )
        .map_or_else(
            |exception| Promise::reject(&exception),
            JsCast::unchecked_into,
        );
    let settled = JsFuture::from(promise);
    Box::pin(async move {
        match settled.await {
            Ok(fields) => Ok(request_from(&fields)),
            Err(exception) => Err(message_of(&exception)),
        }
    })
}

/// The [`Request`] that `[url, headers, body]` describes.
fn request_from(fields: &JsValue) -> Request {
    let Some(fields) = fields.dyn_ref::<Array>() else {
        return Request::new();
    };
    let mut request = Request {
        url: fields.get(0).as_string(),
        headers: Vec::new(),
        body: fields.get(2).as_string(),
    };
    if let Some(headers) = fields.get(1).as_string() {
        // No header name or value can hold a CR.
        let mut parts = headers.split('\r');
        while let (Some(name), Some(value)) = (parts.next(), parts.next()) {
            request.headers.push((name.to_owned(), value.to_owned()));
        }
    }
    request
}
