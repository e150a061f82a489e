//! Backpressure and lag: how the readers that parse in wasm (the fetch
//! transport, sources made from a stream) pace themselves by the hub's
//! stream queues.

use std::task::{Context, Poll};
use std::time::Duration;

use super::{Hub, Sink};
use crate::queue::Queue;
use crate::Overflow;

/// Backpressure, for the readers that parse in wasm (the fetch transport,
/// sources made from a stream): they pause while a stream is congested.
#[cfg_attr(not(feature = "fetch"), allow(dead_code))]
impl Hub {
    /// What streams of this hub do when their consumer falls behind.
    pub(crate) fn with_overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// A stream that is being read is at its high-water mark.
    pub(crate) fn is_congested(&self) -> bool {
        let mut congested = false;
        self.each_queue(|queue| congested |= queue.is_congested());
        congested
    }

    /// `Ready` when every stream has room; otherwise the reader is woken
    /// when the first congested one drains or closes.
    pub(crate) fn poll_room(&self, cx: &mut Context<'_>) -> Poll<()> {
        for subscriber in self.subscribers.borrow().iter().flatten() {
            if let Sink::Stream(_, queue) = &subscriber.sink {
                if queue.is_congested() {
                    queue.wake_when_drained(cx.waker());
                    return Poll::Pending;
                }
            }
        }
        Poll::Ready(())
    }

    /// The bytes to parse between two looks at [`Self::poll_room`]: few
    /// enough that even events of 6 bytes (`data\n\n`, the shortest) cannot
    /// take a stream from below its high-water mark past its capacity.
    pub(crate) fn slice_len(&self) -> usize {
        const SHORTEST_EVENT: usize = 6;
        const MOST: usize = 16 * 1024;
        crate::queue::headroom(self.stream_capacity)
            .saturating_sub(1)
            .saturating_mul(SHORTEST_EVENT)
            .clamp(SHORTEST_EVENT, MOST)
    }

    /// How long the reader waits for a stream that is not polled at all;
    /// `None`: for ever.
    pub(crate) fn abandon_after(&self) -> Option<Duration> {
        match self.overflow {
            Overflow::Lag => Some(crate::queue::ABANDON_AFTER),
            Overflow::Backpressure => None,
        }
    }

    /// Starts the clock on every stream: [`Self::abandon_unpolled`] then
    /// gives up on those not polled since.
    pub(crate) fn mark_unpolled(&self) {
        self.each_queue(|queue| {
            queue.take_polled();
        });
    }

    /// The reader waited [`Self::abandon_after`] in vain: congested streams
    /// that were not polled meanwhile are left to lag.
    pub(crate) fn abandon_unpolled(&self) {
        self.each_queue(|queue| {
            if !queue.take_polled() && queue.is_congested() {
                queue.abandon();
            }
        });
    }

    fn each_queue(&self, mut f: impl FnMut(&Queue)) {
        for subscriber in self.subscribers.borrow().iter().flatten() {
            if let Sink::Stream(_, queue) = &subscriber.sink {
                f(queue);
            }
        }
    }
}
