//! The buffer between the hub and one stream: single-threaded, so a push is a
//! `VecDeque` append, with no allocation per event and no atomics.
//!
//! It is bounded: a consumer that lags loses the oldest events, and learns how
//! many from one `Err(Lagged)` item, as tokio's broadcast receivers do. Memory
//! stays bounded whatever the server sends, and the consumer is never left
//! thinking it saw everything.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use crate::hub::StreamItem;
use crate::Error;

/// Capacity, in items, past which an emptied queue shrinks, and to what.
const SHRINK_ABOVE: usize = 1024;
const KEEP: usize = 64;

#[derive(Debug)]
pub(crate) struct Queue {
    items: RefCell<VecDeque<StreamItem>>,
    capacity: usize,
    /// Items dropped since the consumer last heard of it.
    skipped: Cell<u64>,
    closed: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Queue {
    /// A queue that holds at most `capacity` items (at least 1).
    pub(crate) fn new(capacity: usize) -> Self {
        Queue {
            items: RefCell::default(),
            capacity: capacity.max(1),
            skipped: Cell::new(0),
            closed: Cell::new(false),
            waker: RefCell::default(),
        }
    }

    /// Adds an item, unless the queue is closed; when it is full, the oldest
    /// item makes room.
    pub(crate) fn push(&self, item: StreamItem) {
        if self.closed.get() {
            return;
        }
        let mut items = self.items.borrow_mut();
        if items.len() >= self.capacity && items.pop_front().is_some() {
            self.skipped.set(self.skipped.get() + 1);
        }
        items.push_back(item);
        drop(items);
        self.wake();
    }

    /// No more items: the stream ends once it has taken those it holds.
    pub(crate) fn close(&self) {
        self.closed.set(true);
        self.wake();
    }

    pub(crate) fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Option<StreamItem>> {
        let skipped = self.skipped.replace(0);
        if skipped > 0 {
            return Poll::Ready(Some(Err(Error::Lagged { skipped })));
        }
        let mut items = self.items.borrow_mut();
        if let Some(item) = items.pop_front() {
            // After a burst that a slow consumer let pile up, give the room
            // back once it has caught up, rather than hold it for good.
            if items.is_empty() && items.capacity() > SHRINK_ABOVE {
                items.shrink_to(KEEP);
            }
            return Poll::Ready(Some(item));
        }
        drop(items);
        if self.closed.get() {
            return Poll::Ready(None);
        }
        let mut waker = self.waker.borrow_mut();
        if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            *waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }

    pub(crate) fn len(&self) -> usize {
        self.items.borrow().len()
    }

    /// Closed and drained: the stream has ended.
    pub(crate) fn is_done(&self) -> bool {
        self.closed.get() && self.items.borrow().is_empty() && self.skipped.get() == 0
    }

    fn wake(&self) {
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::MessageEvent;

    #[test]
    fn a_drained_queue_gives_back_the_room_a_burst_took() {
        let queue = Queue::new(usize::MAX);
        for _ in 0..5000 {
            queue.push(Ok(MessageEvent::new(
                "message".into(),
                "x".into(),
                "".into(),
                "".into(),
            )));
        }
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        let mut taken = 0;
        while let Poll::Ready(Some(_)) = queue.poll_next(&mut cx) {
            taken += 1;
        }
        assert_eq!(taken, 5000);
        assert!(queue.items.borrow().capacity() < SHRINK_ABOVE);
        queue.close();
        assert!(queue.is_done());
        assert!(matches!(queue.poll_next(&mut cx), Poll::Ready(None)));
    }

    fn data(item: Poll<Option<StreamItem>>) -> Result<String, Error> {
        match item {
            Poll::Ready(Some(item)) => item.map(MessageEvent::into_data),
            other => panic!("expected an item, got {other:?}"),
        }
    }

    #[test]
    fn a_lagging_consumer_hears_how_many_it_missed_then_gets_the_newest() {
        let queue = Queue::new(3);
        for i in 0..10 {
            queue.push(Ok(MessageEvent::new(
                "message".into(),
                i.to_string().into(),
                "".into(),
                "".into(),
            )));
        }
        assert_eq!(queue.len(), 3);
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        assert_eq!(
            data(queue.poll_next(&mut cx)),
            Err(Error::Lagged { skipped: 7 })
        );
        let rest: Vec<_> = (0..3).map(|_| data(queue.poll_next(&mut cx))).collect();
        assert_eq!(rest, [Ok("7".into()), Ok("8".into()), Ok("9".into())]);
        assert!(queue.poll_next(&mut cx).is_pending());
        // A fatal error still arrives last, after a lag.
        for _ in 0..5 {
            queue.push(Ok(MessageEvent::new(
                "message".into(),
                "x".into(),
                "".into(),
                "".into(),
            )));
        }
        queue.push(Err(Error::Unsupported));
        queue.close();
        assert_eq!(
            data(queue.poll_next(&mut cx)),
            Err(Error::Lagged { skipped: 3 })
        );
        assert_eq!(data(queue.poll_next(&mut cx)), Ok("x".into()));
        assert_eq!(data(queue.poll_next(&mut cx)), Ok("x".into()));
        assert_eq!(data(queue.poll_next(&mut cx)), Err(Error::Unsupported));
        assert!(matches!(queue.poll_next(&mut cx), Poll::Ready(None)));
    }
}
