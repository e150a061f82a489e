//! `events()` and `jsonEvents()`: async iteration over the crate's streams,
//! yielding real `MessageEvent`s.

use std::cell::RefCell;
use std::future::poll_fn;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::{dispatch_json_error, parse_json, to_js_error};
use crate::{Error, EventStream};

/// An async iterator over a source's events, made by `events()` or
/// `jsonEvents()`. Use it with `for await`; call `return()` (or leave the loop)
/// to unsubscribe.
#[wasm_bindgen]
pub struct EventIterator {
    state: Rc<RefCell<IterState>>,
    source: web_sys::EventSource,
    json: bool,
}

struct IterState {
    /// `None` once the iterator has ended or been returned.
    stream: Option<EventStream>,
    /// The pending `next()`'s waker, woken by `return()` so that it settles.
    waker: Option<Waker>,
    /// The last promise `next()` handed out.
    tail: js_sys::Promise,
}

impl IterState {
    fn poll_event(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<crate::MessageEvent, Error>>> {
        let Some(stream) = self.stream.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(stream).poll_next(cx) {
            Poll::Pending => {
                self.waker = Some(cx.waker().clone());
                Poll::Pending
            }
            Poll::Ready(None) => {
                // Release the subscription now rather than when JS frees us.
                self.stream = None;
                Poll::Ready(None)
            }
            ready => ready,
        }
    }
}

impl EventIterator {
    pub(super) fn new(stream: EventStream, source: web_sys::EventSource, json: bool) -> Self {
        EventIterator {
            state: Rc::new(RefCell::new(IterState {
                stream: Some(stream),
                waker: None,
                tail: js_sys::Promise::resolve(&JsValue::UNDEFINED),
            })),
            source,
            json,
        }
    }
}

#[wasm_bindgen]
impl EventIterator {
    /// The next event, or `{ done: true }` once the source is closed. Rejects
    /// with an `Error` when the browser gives up on the connection.
    #[wasm_bindgen(unchecked_return_type = "Promise<IteratorResult<MessageEvent, undefined>>")]
    pub fn next(&self) -> js_sys::Promise {
        let state = Rc::clone(&self.state);
        let previous = self.state.borrow().tail.clone();
        let source = self.source.clone();
        let json = self.json;
        let promise = future_to_promise(async move {
            // The channel remembers only the latest waker, so calls are
            // served one after another, as an async generator would.
            let _ = JsFuture::from(previous).await;
            loop {
                let item = poll_fn(|cx| state.borrow_mut().poll_event(cx)).await;
                let event = match item {
                    None => return Ok(iter_result(&JsValue::UNDEFINED, true)),
                    Some(Err(error)) => return Err(to_js_error(error)),
                    Some(Ok(event)) => event,
                };
                let data = JsValue::from_str(event.data());
                let data = if json {
                    match parse_json(&data) {
                        Ok(value) => value,
                        Err(cause) => {
                            dispatch_json_error(&source, event.event_type(), &data, &cause);
                            continue;
                        }
                    }
                } else {
                    data
                };
                return Ok(iter_result(&native_event(&event, &data)?, false));
            }
        });
        self.state.borrow_mut().tail = promise.clone();
        promise
    }

    /// Stops the iteration and unsubscribes; `for await` calls it when the loop
    /// is left early. A pending `next()` settles with `{ done: true }`.
    #[wasm_bindgen(
        js_name = "return",
        unchecked_return_type = "Promise<IteratorResult<MessageEvent, undefined>>"
    )]
    pub fn finish(&self) -> js_sys::Promise {
        let (stream, waker) = {
            let mut state = self.state.borrow_mut();
            (state.stream.take(), state.waker.take())
        };
        drop(stream);
        if let Some(waker) = waker {
            waker.wake();
        }
        js_sys::Promise::resolve(&iter_result(&JsValue::UNDEFINED, true))
    }

    /// This iterator (it shares its state), so that `for await` accepts it.
    #[wasm_bindgen(js_name = "[Symbol.asyncIterator]")]
    pub fn async_iterator(&self) -> EventIterator {
        EventIterator {
            state: Rc::clone(&self.state),
            source: self.source.clone(),
            json: self.json,
        }
    }
}

/// A real `MessageEvent`, so that code written for native events works on
/// what the iterator yields.
fn native_event(event: &crate::MessageEvent, data: &JsValue) -> Result<JsValue, JsValue> {
    let init = web_sys::MessageEventInit::new();
    init.set_data(data);
    init.set_last_event_id(event.last_event_id());
    init.set_origin(event.origin());
    web_sys::MessageEvent::new_with_event_init_dict(event.event_type(), &init).map(Into::into)
}

fn iter_result(value: &JsValue, done: bool) -> JsValue {
    let result = js_sys::Object::new();
    // Setting a property on a fresh plain object cannot fail.
    let _ = js_sys::Reflect::set(&result, &"value".into(), value);
    let _ = js_sys::Reflect::set(&result, &"done".into(), &done.into());
    result.into()
}
