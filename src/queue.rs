//! The buffer between the hub and one stream: single-threaded, so a push is a
//! `VecDeque` append, with no allocation per event and no atomics.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use crate::hub::StreamItem;

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
        if let Some(item) = self.items.borrow_mut().pop_front() {
            return Poll::Ready(Some(item));
        }
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
