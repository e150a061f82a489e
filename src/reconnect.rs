//! The reconnect policy: exponential backoff with full jitter, a cap, an
//! optional attempt limit, and a reset once a connection has proved stable.
//!
//! The rules follow LaunchDarkly's SDKs, which have run this policy against
//! millions of clients: a fixed delay (the spec's, and the native object's)
//! makes every client of a restarted server come back at the same instant,
//! and jitter spreads them out.

use std::time::Duration;

/// How a source waits between reconnection attempts.
///
/// The delay before attempt *n* (counting from 0) is a random time between
/// zero and `min(cap, base × 2ⁿ)` ("full jitter"). The server's `retry:`
/// field replaces the base.
///
/// A connection that delivered an event worked: the count starts again, and
/// the next wait is the reconnection time itself (the server's `retry:`, else
/// the base), less up to a fifth at random. So a server that ends each
/// response on purpose (a serverless time limit, a proxy that cuts long
/// responses) is reconnected at the pace it asked for, as the browser's own
/// `EventSource` does, while a server that fails before sending anything is
/// backed off from. A connection that opens but delivers nothing resets the
/// count only once it has stayed open for [`reset_after`](Self::reset_after).
///
/// ```
/// use std::time::Duration;
/// use web_sse::ReconnectPolicy;
///
/// let policy = ReconnectPolicy::new()
///     .base(Duration::from_millis(500))
///     .cap(Duration::from_secs(10))
///     .max_attempts(8);
/// assert_eq!(policy.ceiling(0, None), Duration::from_millis(500));
/// assert_eq!(policy.ceiling(3, None), Duration::from_secs(4));
/// assert_eq!(policy.ceiling(9, None), Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReconnectPolicy {
    base: Duration,
    cap: Duration,
    max_attempts: Option<u32>,
    reset_after: Duration,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl ReconnectPolicy {
    /// The defaults: a 1 s base, a 30 s cap, no attempt limit, and a reset
    /// after 60 s of stable connection.
    pub const fn new() -> Self {
        ReconnectPolicy {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(30),
            max_attempts: None,
            reset_after: Duration::from_secs(60),
        }
    }

    /// The delay ceiling of the first attempt; each failed attempt doubles
    /// it. The server's `retry:` field replaces it.
    pub const fn base(mut self, base: Duration) -> Self {
        self.base = base;
        self
    }

    /// The largest delay ceiling.
    pub const fn cap(mut self, cap: Duration) -> Self {
        self.cap = cap;
        self
    }

    /// Give up after this many consecutive attempts that did not lead to a
    /// stable connection: the source then fails for good, with the last
    /// error. Unlimited unless set.
    pub const fn max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = Some(max_attempts);
        self
    }

    /// How long a connection must stay open before the attempt count (and
    /// with it the delay) goes back to the start.
    pub const fn reset_after(mut self, reset_after: Duration) -> Self {
        self.reset_after = reset_after;
        self
    }

    /// The longest wait before attempt `attempt` (0 for the first
    /// reconnection), with `server_retry` as the base when the server sent
    /// one.
    pub fn ceiling(&self, attempt: u32, server_retry: Option<Duration>) -> Duration {
        let base = server_retry.unwrap_or(self.base);
        // 2^31 × any base is past any sensible cap: stop doubling there.
        let factor = 1u32 << attempt.min(31);
        base.checked_mul(factor).unwrap_or(self.cap).min(self.cap)
    }
}

/// A source's place in its policy: the attempt count, and when the current
/// connection opened.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    policy: ReconnectPolicy,
    attempt: u32,
    /// When the open connection opened, in ms since the epoch.
    opened_at: Option<f64>,
    /// The open connection delivered an event.
    delivered: bool,
}

impl Backoff {
    pub(crate) fn new(policy: ReconnectPolicy) -> Self {
        Backoff {
            policy,
            attempt: 0,
            opened_at: None,
            delivered: false,
        }
    }

    /// Starts counting again, as for a new source: a reconnect the page asked for.
    pub(crate) fn reset(&mut self) {
        *self = Backoff::new(self.policy);
    }

    /// Consecutive attempts that have not led to a stable connection.
    pub(crate) fn attempt(&self) -> u32 {
        self.attempt
    }

    /// A connection opened at `now` (ms).
    pub(crate) fn opened(&mut self, now: f64) {
        self.opened_at = Some(now);
        self.delivered = false;
    }

    /// The open connection delivered an event: it worked.
    pub(crate) fn delivered(&mut self) {
        self.delivered = self.opened_at.is_some();
    }

    /// The open connection ended at `now`: one that worked (it delivered an
    /// event, or stayed open for `reset_after`) starts the count again.
    /// Returns whether it delivered. The native transport calls it alone
    /// when the browser retries by itself, so that whether a connection
    /// worked is settled when it ends, never carried over to the next
    /// attempt.
    pub(crate) fn ended(&mut self, now: f64) -> bool {
        let worked = std::mem::take(&mut self.delivered);
        if let Some(opened_at) = self.opened_at.take() {
            if worked || now - opened_at >= self.policy.reset_after.as_secs_f64() * 1000.0 {
                self.attempt = 0;
            }
        }
        worked
    }

    /// The connection failed or dropped at `now`: the delay before the next
    /// attempt, with `random` in `[0, 1)`, or `None` when the attempts are
    /// used up.
    pub(crate) fn next_delay(
        &mut self,
        now: f64,
        server_retry: Option<Duration>,
        random: f64,
    ) -> Option<Duration> {
        let worked = self.ended(now);
        if self
            .policy
            .max_attempts
            .is_some_and(|limit| self.attempt >= limit)
        {
            return None;
        }
        let ceiling = self.policy.ceiling(self.attempt, server_retry);
        self.attempt = self.attempt.saturating_add(1);
        let random = if random.is_finite() {
            random.clamp(0.0, 1.0)
        } else {
            0.0
        };
        // After a connection that worked, the reconnection time less a small
        // jitter; otherwise any share of the ceiling.
        let share = if worked { 1.0 - random / 5.0 } else { random };
        // Whole milliseconds, in integer and float arithmetic that cannot
        // panic (Duration::mul_f64 can, and brings formatting code along).
        let ceiling = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Some(Duration::from_millis((ceiling as f64 * share) as u64))
    }
}

/// A random number in `[0, 1)`: `Math.random()` in the browser.
#[cfg(target_arch = "wasm32")]
pub(crate) fn random() -> f64 {
    js_sys::Math::random()
}

/// Half the ceiling on the host, where only unit tests run.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn random() -> f64 {
    0.5
}

/// Milliseconds since the epoch: `Date.now()`, which wasm has and
/// `std::time::Instant` does not.
#[cfg(target_arch = "wasm32")]
pub(crate) fn now() -> f64 {
    js_sys::Date::now()
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn now() -> f64 {
    0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn the_ceiling_doubles_up_to_the_cap() {
        let policy = ReconnectPolicy::new();
        let ceilings: Vec<_> = (0..8).map(|n| policy.ceiling(n, None)).collect();
        assert_eq!(
            ceilings,
            [1, 2, 4, 8, 16, 30, 30, 30].map(Duration::from_secs)
        );
        assert_eq!(policy.ceiling(u32::MAX, None), Duration::from_secs(30));
        assert_eq!(policy.ceiling(2, Some(MS(50))), MS(200));
    }

    #[test]
    fn the_delay_is_a_random_share_of_the_ceiling() {
        let mut backoff = Backoff::new(ReconnectPolicy::new().base(MS(100)));
        assert_eq!(backoff.next_delay(0.0, None, 0.0), Some(MS(0)));
        assert_eq!(backoff.next_delay(0.0, None, 0.5), Some(MS(100)));
        assert_eq!(backoff.next_delay(0.0, None, 0.25), Some(MS(100)));
        assert_eq!(backoff.attempt(), 3);
    }

    #[test]
    fn the_limit_counts_consecutive_attempts() {
        let mut backoff = Backoff::new(ReconnectPolicy::new().max_attempts(2));
        assert!(backoff.next_delay(0.0, None, 0.5).is_some());
        // Open, but not for long enough to count as stable.
        backoff.opened(10.0);
        assert!(backoff.next_delay(20.0, None, 0.5).is_some());
        assert_eq!(backoff.next_delay(30.0, None, 0.5), None);
    }

    #[test]
    fn a_stable_connection_resets_the_count() {
        let policy = ReconnectPolicy::new()
            .base(MS(100))
            .reset_after(Duration::from_secs(1));
        let mut backoff = Backoff::new(policy);
        for _ in 0..4 {
            backoff.next_delay(0.0, None, 0.5);
        }
        backoff.opened(1_000.0);
        assert_eq!(backoff.next_delay(1_999.0, None, 1.0), Some(MS(1_600)));
        backoff.opened(2_000.0);
        assert_eq!(backoff.next_delay(3_000.0, None, 1.0), Some(MS(100)));
        assert_eq!(backoff.attempt(), 1);
    }

    #[test]
    fn a_connection_that_delivered_waits_the_reconnection_time() {
        let mut backoff = Backoff::new(ReconnectPolicy::new().max_attempts(3));
        for _ in 0..3 {
            backoff.next_delay(0.0, None, 0.5);
        }
        // Ten responses of events, each ended by the server after 100 ms:
        // never a longer wait than retry, never the limit.
        for round in 0..10 {
            let at = f64::from(round) * 1_000.0;
            backoff.opened(at);
            backoff.delivered();
            let delay = backoff.next_delay(at + 100.0, Some(MS(50)), 0.5);
            assert_eq!(delay, Some(MS(45)), "round {round}");
            assert_eq!(backoff.attempt(), 1);
        }
        // Jitter stays within a fifth of the reconnection time.
        backoff.opened(20_000.0);
        backoff.delivered();
        assert_eq!(
            backoff.next_delay(20_100.0, Some(MS(50)), 1.0),
            Some(MS(40))
        );
        backoff.opened(21_000.0);
        backoff.delivered();
        assert_eq!(backoff.next_delay(21_100.0, None, 0.0), Some(MS(1_000)));
    }

    #[test]
    fn failures_before_any_event_still_back_off() {
        let mut backoff = Backoff::new(ReconnectPolicy::new().base(MS(100)));
        backoff.opened(0.0);
        backoff.delivered();
        assert_eq!(backoff.next_delay(10.0, None, 1.0), Some(MS(80)));
        // Refused: no connection opened, nothing delivered.
        assert_eq!(backoff.next_delay(20.0, None, 1.0), Some(MS(200)));
        // Opened, but nothing delivered, and not for long.
        backoff.opened(30.0);
        assert_eq!(backoff.next_delay(40.0, None, 1.0), Some(MS(400)));
        // An event seen while no connection is open does not count.
        backoff.delivered();
        assert_eq!(backoff.next_delay(50.0, None, 1.0), Some(MS(800)));
    }

    #[test]
    fn a_connection_that_worked_earns_one_short_wait_not_two() {
        let mut backoff = Backoff::new(ReconnectPolicy::new().base(MS(100)));
        backoff.next_delay(0.0, None, 1.0);
        backoff.opened(10.0);
        backoff.delivered();
        // It ended and the browser retried by itself: the count starts again.
        assert!(backoff.ended(20.0));
        assert_eq!(backoff.attempt(), 0);
        // That retry failed before delivering anything: full jitter, as for
        // any failure, not the wait of a connection that worked.
        assert_eq!(backoff.next_delay(30.0, None, 0.5), Some(MS(50)));
        assert_eq!(backoff.attempt(), 1);
    }
}
