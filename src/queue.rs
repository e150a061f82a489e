//! The buffer between the hub and one stream: single-threaded, so a push is a
//! `VecDeque` append, with no allocation per event and no atomics.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use crate::hub::StreamItem;

/// Capacity, in items, past which an emptied queue shrinks, and to what.
const SHRINK_ABOVE: usize = 1024;
const KEEP: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct Queue {
    items: RefCell<VecDeque<StreamItem>>,
    closed: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Queue {
    /// Adds an item, unless the queue is closed.
    pub(crate) fn push(&self, item: StreamItem) {
        if self.closed.get() {
            return;
        }
        self.items.borrow_mut().push_back(item);
        self.wake();
    }

    /// No more items: the stream ends once it has taken those it holds.
    pub(crate) fn close(&self) {
        self.closed.set(true);
        self.wake();
    }

    pub(crate) fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Option<StreamItem>> {
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
        self.closed.get() && self.items.borrow().is_empty()
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
        let queue = Queue::default();
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
}
