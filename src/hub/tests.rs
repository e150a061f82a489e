//! The hub's dispatch rules, on the host.

use super::*;
use std::cell::RefCell;
use std::rc::Weak;

struct NoDriver;
impl Driver for NoDriver {
    fn watch(&self, _: &str) {}
    fn close(&self) {}
}

fn hub() -> Rc<Hub> {
    let hub = Rc::new(Hub::new("http://test/".into(), false));
    hub.set_driver(Box::new(NoDriver));
    hub
}

/// What a stream holds now: `Ok(Some(item))`, `Ok(None)` once it ended,
/// `Err` while it waits.
fn next(queue: &Queue) -> Result<Option<Result<String, Error>>, &'static str> {
    let mut cx = std::task::Context::from_waker(futures::task::noop_waker_ref());
    match queue.poll_next(&mut cx) {
        std::task::Poll::Ready(item) => Ok(item.map(|item| item.map(MessageEvent::into_data))),
        std::task::Poll::Pending => Err("waiting"),
    }
}

fn event(event_type: &str, data: &str) -> MessageEvent {
    MessageEvent::new(event_type.into(), data.into(), "".into(), "".into())
}

#[test]
fn fans_out_by_type_in_registration_order() {
    let hub = hub();
    let log = Rc::new(RefCell::new(Vec::new()));
    for (name, event_type) in [("a", "message"), ("b", "info"), ("c", "message")] {
        let log = log.clone();
        hub.on_message(event_type, move |e| {
            log.borrow_mut().push(format!("{name}:{}", e.data()))
        });
    }
    hub.message(&event("message", "1"));
    hub.message(&event("info", "2"));
    assert_eq!(*log.borrow(), ["a:1", "c:1", "b:2"]);
}

#[test]
fn a_subscriber_added_during_a_dispatch_misses_that_event() {
    let hub = hub();
    let log = Rc::new(RefCell::new(Vec::new()));
    let weak: Weak<Hub> = Rc::downgrade(&hub);
    let added = Rc::new(Cell::new(false));
    {
        let log = log.clone();
        let added = added.clone();
        hub.on_message("message", move |e| {
            log.borrow_mut().push(format!("first:{}", e.data()));
            if !added.replace(true) {
                let log = log.clone();
                if let Some(hub) = weak.upgrade() {
                    hub.on_message("message", move |e| {
                        log.borrow_mut().push(format!("late:{}", e.data()))
                    });
                }
            }
        });
    }
    hub.message(&event("message", "1"));
    hub.message(&event("message", "2"));
    assert_eq!(*log.borrow(), ["first:1", "first:2", "late:2"]);
}

#[test]
fn a_subscriber_removed_during_a_dispatch_is_not_called_again() {
    let hub = hub();
    let log = Rc::new(RefCell::new(Vec::new()));
    let victim = Rc::new(Cell::new(None::<u32>));
    let weak = Rc::downgrade(&hub);
    {
        let log = log.clone();
        let victim = victim.clone();
        hub.on_message("message", move |e| {
            log.borrow_mut().push(format!("remover:{}", e.data()));
            if let (Some(id), Some(hub)) = (victim.take(), weak.upgrade()) {
                hub.remove(id);
            }
        });
    }
    let log2 = log.clone();
    victim.set(Some(hub.on_message("message", move |e| {
        log2.borrow_mut().push(format!("victim:{}", e.data()))
    })));
    hub.message(&event("message", "1"));
    hub.message(&event("message", "2"));
    assert_eq!(*log.borrow(), ["remover:1", "remover:2"]);
    assert_eq!(
        hub.subscribers.borrow().len(),
        1,
        "compacted after the dispatch"
    );
}

#[test]
fn a_listener_removing_itself_finishes_its_call() {
    let hub = hub();
    let calls = Rc::new(Cell::new(0));
    let own = Rc::new(Cell::new(None::<u32>));
    let weak = Rc::downgrade(&hub);
    let (c, o) = (calls.clone(), own.clone());
    own.set(Some(hub.on_message("message", move |_| {
        c.set(c.get() + 1);
        if let (Some(id), Some(hub)) = (o.get(), weak.upgrade()) {
            hub.remove(id);
        }
    })));
    hub.message(&event("message", "1"));
    hub.message(&event("message", "2"));
    assert_eq!(calls.get(), 1);
}

#[test]
fn closing_during_a_dispatch_stops_delivery_and_ends_streams() {
    let hub = hub();
    let before = Rc::new(Queue::new(64));
    hub.add_stream(&["message"], before.clone());
    let weak = Rc::downgrade(&hub);
    hub.on_message("message", move |_| {
        if let Some(hub) = weak.upgrade() {
            hub.close();
        }
    });
    let late = Rc::new(Cell::new(0));
    let l = late.clone();
    hub.on_message("message", move |_| l.set(l.get() + 1));
    let after = Rc::new(Queue::new(64));
    hub.add_stream(&["message"], after.clone());
    hub.message(&event("message", "1"));
    hub.message(&event("message", "2"));
    // As on the DOM, the dispatch under way goes on to the callbacks
    // registered after the closing one; nothing after it is delivered.
    assert_eq!(late.get(), 1);
    assert_eq!(
        next(&before),
        Ok(Some(Ok("1".into()))),
        "buffered before the close"
    );
    assert_eq!(next(&before), Ok(None), "then the end");
    assert_eq!(next(&after), Ok(None), "closed before its turn: ends empty");
    assert_eq!(hub.ready_state(), ReadyState::Closed);
}

#[test]
fn a_fatal_error_reaches_error_listeners_and_ends_streams_with_the_error() {
    let hub = hub();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    hub.on_error(move |e| s.borrow_mut().push(e.is_fatal()));
    let receiver = Rc::new(Queue::new(64));
    hub.add_stream(&["message"], receiver.clone());
    hub.reconnecting(None, None);
    hub.failed(Error::ConnectionFailed { url: "u".into() });
    hub.failed(Error::ConnectionFailed {
        url: "again".into(),
    });
    assert_eq!(
        *seen.borrow(),
        [false, true],
        "reconnect, then one fatal error"
    );
    assert!(matches!(
        next(&receiver),
        Ok(Some(Err(Error::ConnectionFailed { .. })))
    ));
    assert_eq!(next(&receiver), Ok(None));
    let late = Rc::new(Queue::new(64));
    assert_eq!(hub.add_stream(&["message"], late.clone()), None);
    assert!(
        next(&late) == Ok(None),
        "a stream made after the end ends at once"
    );
}
