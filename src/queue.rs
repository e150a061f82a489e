//! The buffer between the hub and one stream: single-threaded, so a push is a
//! `VecDeque` append, with no allocation per event and no atomics.
//!
//! It is bounded: a consumer that lags loses the oldest events, and learns how
//! many from one `Err(Lagged)` item, as tokio's broadcast receivers do. Memory
//! stays bounded whatever the server sends, and the consumer is never left
//! thinking it saw everything.
//!
//! It is also the producer's signal to pause. A task that parses in wasm (the
//! fetch transport, sources read from a stream) stops feeding while any queue
//! is at its high-water mark (half its capacity, and at most [`PAUSE_AT`]
//! events), and the consumer's polls wake it once the queue has drained to
//! half that. So a stream that is being read never lags, however large the
//! chunks, and what it holds meanwhile is bounded by the mark, not by the
//! capacity: the capacity is the room an abandoned stream lags in. A queue whose consumer did not
//! poll at all for [`ABANDON_AFTER`] while the task waited is taken as
//! abandoned: the task stops waiting for it, and it lags as above, until it
//! is polled again. [`Overflow::Backpressure`](crate::Overflow::Backpressure) waits for it however long.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use crate::event::MessageEvent;
use crate::Error;

/// What a stream yields: an event, or an error item (lagged, a parse
/// problem, the fatal error before the end).
pub(crate) type StreamItem = Result<MessageEvent, Error>;

/// How long the reader waits for a stream whose consumer does not poll at
/// all, before it takes it for abandoned and lets it lag. Longer than a
/// consumer's pause to render or to save, short enough that one forgotten
/// stream does not stall the other subscribers for long.
#[cfg_attr(not(feature = "fetch"), allow(dead_code))]
pub(crate) const ABANDON_AFTER: std::time::Duration = std::time::Duration::from_secs(3);

/// Capacity, in items, past which an emptied queue shrinks, and to what.
const SHRINK_ABOVE: usize = 1024;
const KEEP: usize = 64;

/// The most events a stream that is being read holds before the reader
/// pauses. A consumer that keeps up gains nothing from a deeper queue: it
/// only delays the pause. At 1,024 events the queue of 64 B events takes
/// about 120 KB of wasm memory, where half the default capacity (8,192)
/// took 1.1 MB, and wasm memory never shrinks.
#[cfg_attr(not(feature = "fetch"), allow(dead_code))]
pub(crate) const PAUSE_AT: usize = 1024;

#[cfg_attr(not(feature = "fetch"), allow(dead_code))]
fn high_water(capacity: usize) -> usize {
    (capacity / 2).clamp(1, PAUSE_AT)
}

#[cfg_attr(not(feature = "fetch"), allow(dead_code))]
/// The most events a reader may push between two looks at
/// [`Queue::is_congested`] without overflowing a queue of `capacity` that was
/// below its high-water mark.
pub(crate) fn headroom(capacity: usize) -> usize {
    capacity.max(1) - high_water(capacity.max(1))
}

#[derive(Debug)]
pub(crate) struct Queue {
    items: RefCell<VecDeque<StreamItem>>,
    capacity: usize,
    /// Items dropped since the consumer last heard of it.
    skipped: Cell<u64>,
    closed: Cell<bool>,
    waker: RefCell<Option<Waker>>,
    /// The reader, paused until this queue drains.
    producer: RefCell<Option<Waker>>,
    /// Polled since the reader last looked.
    polled: Cell<bool>,
    /// Not polled for [`ABANDON_AFTER`] while the reader waited: the reader
    /// goes on without it until it is polled again.
    abandoned: Cell<bool>,
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
            producer: RefCell::default(),
            polled: Cell::new(false),
            abandoned: Cell::new(false),
        }
    }

    /// At the high-water mark, and read: the reader should pause.
    #[cfg_attr(not(feature = "fetch"), allow(dead_code))]
    pub(crate) fn is_congested(&self) -> bool {
        !self.abandoned.get() && !self.closed.get() && self.len() >= high_water(self.capacity)
    }

    /// Wakes `waker` once the consumer has drained the queue to half its
    /// high-water mark, or the queue closes.
    #[cfg_attr(not(feature = "fetch"), allow(dead_code))]
    pub(crate) fn wake_when_drained(&self, waker: &Waker) {
        let mut producer = self.producer.borrow_mut();
        if !producer.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *producer = Some(waker.clone());
        }
    }

    /// Whether the consumer polled since the last call.
    #[cfg_attr(not(feature = "fetch"), allow(dead_code))]
    pub(crate) fn take_polled(&self) -> bool {
        self.polled.replace(false)
    }

    /// The reader stops waiting for this queue until it is polled again.
    #[cfg_attr(not(feature = "fetch"), allow(dead_code))]
    pub(crate) fn abandon(&self) {
        self.abandoned.set(true);
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
        self.wake_producer();
    }

    pub(crate) fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Option<StreamItem>> {
        // Only the readers that parse in wasm wait (the fetch feature).
        #[cfg(feature = "fetch")]
        {
            self.polled.set(true);
            self.abandoned.set(false);
            if self.len() <= high_water(self.capacity) / 2 {
                self.wake_producer();
            }
        }
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

    fn wake_producer(&self) {
        let producer = self.producer.borrow_mut().take();
        if let Some(producer) = producer {
            producer.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn event() -> StreamItem {
        Ok(MessageEvent::new(
            "message".into(),
            "x".into(),
            "".into(),
            "".into(),
        ))
    }

    /// Counts the wakes of the reader.
    struct Wakes(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for Wakes {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn the_reader_pauses_at_half_and_resumes_at_a_quarter() {
        let queue = Queue::new(8);
        for _ in 0..3 {
            queue.push(event());
        }
        assert!(!queue.is_congested());
        queue.push(event());
        assert!(queue.is_congested(), "4 of 8 is the high-water mark");
        let wakes = std::sync::Arc::new(Wakes(Default::default()));
        let reader = Waker::from(std::sync::Arc::clone(&wakes));
        queue.wake_when_drained(&reader);
        let woken = || wakes.0.load(std::sync::atomic::Ordering::SeqCst);
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        let _ = queue.poll_next(&mut cx);
        let _ = queue.poll_next(&mut cx);
        assert_eq!(woken(), 0, "3 left: above a quarter");
        let _ = queue.poll_next(&mut cx);
        assert_eq!(woken(), 1, "2 left: the reader goes on");
        assert!(!queue.is_congested());
    }

    #[test]
    fn an_abandoned_queue_stops_holding_the_reader_until_it_is_polled() {
        let queue = Queue::new(4);
        for _ in 0..4 {
            queue.push(event());
        }
        assert!(queue.is_congested());
        assert!(!queue.take_polled());
        queue.abandon();
        assert!(!queue.is_congested());
        for _ in 0..10 {
            queue.push(event());
        }
        assert!(!queue.is_congested(), "still abandoned while nobody polls");
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        assert_eq!(
            data(queue.poll_next(&mut cx)),
            Err(Error::Lagged { skipped: 10 })
        );
        assert!(queue.take_polled());
        assert!(queue.is_congested(), "read again: the reader waits for it");
    }

    #[test]
    fn a_closed_queue_releases_the_reader() {
        let queue = Queue::new(2);
        queue.push(event());
        let wakes = std::sync::Arc::new(Wakes(Default::default()));
        queue.wake_when_drained(&Waker::from(std::sync::Arc::clone(&wakes)));
        queue.close();
        assert_eq!(wakes.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(!queue.is_congested());
    }

    #[test]
    fn a_deep_queue_pauses_the_reader_at_the_mark_not_at_half() {
        let queue = Queue::new(16_384);
        for _ in 0..PAUSE_AT - 1 {
            queue.push(event());
        }
        assert!(!queue.is_congested());
        queue.push(event());
        assert!(
            queue.is_congested(),
            "{PAUSE_AT} events is the high-water mark"
        );
        let wakes = std::sync::Arc::new(Wakes(Default::default()));
        queue.wake_when_drained(&Waker::from(std::sync::Arc::clone(&wakes)));
        let woken = || wakes.0.load(std::sync::atomic::Ordering::SeqCst);
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        for _ in 0..PAUSE_AT / 2 {
            let _ = queue.poll_next(&mut cx);
        }
        assert_eq!(woken(), 0, "a poll looks before it takes");
        let _ = queue.poll_next(&mut cx);
        assert_eq!(woken(), 1, "half the mark left: the reader goes on");
    }

    #[test]
    fn headroom_bounds_a_slice() {
        assert_eq!(headroom(16_384), 16_384 - PAUSE_AT);
        assert_eq!(headroom(100), 50);
        assert_eq!(headroom(1), 0);
        assert_eq!(headroom(0), 0);
    }
}
