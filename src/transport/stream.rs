//! Sources read from a stream the caller owns: a `ReadableStream` (the
//! proposed `EventSource.fromReadableStream`) or any Rust `Stream` of byte
//! chunks. A stream is read once: its end, or an error in it, ends the
//! source; nothing reconnects. The URL is `about:event-stream` and events
//! come from the opaque origin, `"null"`.

use std::fmt::Display;
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::task::Poll;

use futures_core::Stream;
use wasm_bindgen_futures::spawn_local;

use super::task::{
    feed, make_room, read_body, reader, BodyEnd, Control, HubOutput, Output, TaskDriver,
};
use crate::error::message_of;
use crate::hub::Hub;
use crate::parse::Parser;
use crate::Error;

pub(crate) const URL: &str = "about:event-stream";
const ORIGIN: &str = "null";

/// A source reading `stream`, which this locks at once.
///
/// A stream that is already locked is an [`Error::Js`] `TypeError`, as in the
/// proposal.
pub(crate) fn from_readable(stream: &web_sys::ReadableStream) -> Result<Rc<Hub>, Error> {
    if stream.locked() {
        return Err(Error::Js {
            name: "TypeError".into(),
            message: "the ReadableStream is locked: a source needs a stream nobody else reads"
                .into(),
        });
    }
    let reader = reader(stream);
    Ok(start(|output, control| async move {
        let output = output.as_ref();
        let mut parser = Parser::new();
        let error = match read_body(reader, None, &mut parser, URL, output, &control, None).await {
            BodyEnd::Done => None,
            // No idle timeout on a stream the page hands over.
            BodyEnd::Gone | BodyEnd::Idle | BodyEnd::Finished => return,
            BodyEnd::Failed(exception) => Some(Error::Stream {
                message: message_of(&exception),
            }),
        };
        // An event the stream left unfinished is discarded.
        parser.finish();
        output.ended(error);
    }))
}

/// A source reading a Rust stream of byte chunks.
pub(crate) fn from_stream<S, B, E>(stream: S) -> Rc<Hub>
where
    S: Stream<Item = Result<B, E>> + 'static,
    B: AsRef<[u8]>,
    E: Display,
{
    start(|output, control| async move {
        let output = output.as_ref();
        let mut stream = Box::pin(stream);
        let mut parser = Parser::new();
        let slice_len = output.slice_len();
        let error = loop {
            // Ends early when the source is closed, dropping the stream.
            let next = poll_fn(|cx| {
                if control.is_closed() {
                    return Poll::Ready(None);
                }
                control.set_waker(Some(cx.waker()));
                stream.as_mut().poll_next(cx)
            })
            .await;
            control.set_waker(None);
            if control.is_closed() || !output.alive() {
                return;
            }
            match next {
                Some(Ok(chunk)) => {
                    for slice in chunk.as_ref().chunks(slice_len) {
                        feed(&mut parser, slice, URL, output, &control);
                        make_room(output, &control).await;
                        if control.is_closed() || !output.alive() {
                            return;
                        }
                    }
                }
                Some(Err(error)) => {
                    break Some(Error::Stream {
                        message: error.to_string(),
                    })
                }
                None => break None,
            }
        };
        parser.finish();
        output.ended(error);
    })
}

/// Makes the hub and runs `read` as its task, reporting to the hub. The
/// source opens when the task first runs, not before the caller has had a
/// chance to add listeners.
fn start<F, R>(read: F) -> Rc<Hub>
where
    F: FnOnce(Box<dyn Output>, Rc<Control>) -> R + 'static,
    R: Future<Output = ()>,
{
    let hub = Rc::new(Hub::new(URL.into(), false));
    let control = Rc::new(Control::default());
    hub.set_driver(Box::new(TaskDriver(Rc::clone(&control))));
    let output: Box<dyn Output> = Box::new(HubOutput::new(Rc::downgrade(&hub)));
    spawn_local(async move {
        if control.is_closed() || !output.alive() {
            return;
        }
        output.opened(ORIGIN);
        read(output, control).await;
    });
    hub
}
