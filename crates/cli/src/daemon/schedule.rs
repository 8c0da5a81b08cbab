//! When a profile runs next: at its interval (with a little jitter, so that
//! many profiles do not fire at once), sooner after a local change, later
//! after failures (doubling, capped), and not sooner for being offline.

use davsync_sync::report::RunResult;
use std::time::{Duration, Instant};

/// The first pause after a failed run; it doubles with each failure in a row.
const FIRST_BACKOFF: Duration = Duration::from_secs(30);
/// The longest pause after failures (or before trying an offline server
/// again) when the profile has no interval.
const NO_INTERVAL_CAP: Duration = Duration::from_secs(30 * 60);

/// One profile's timing.
#[derive(Debug, Clone)]
pub(super) struct Schedule {
    /// `None`: only after a local change (and after failures, to retry).
    interval: Option<Duration>,
    /// When it runs next, if at a time.
    pub(super) next: Option<Instant>,
    /// Runs in a row that ended with errors.
    pub(super) failures: u32,
}

impl Schedule {
    /// A profile that runs at once (a daemon starting, a profile added).
    pub(super) fn starting(interval: Option<Duration>, now: Instant) -> Schedule {
        Schedule {
            interval,
            next: Some(now),
            failures: 0,
        }
    }

    /// The same timing under a new interval (a configuration reloaded).
    pub(super) fn with_interval(&self, interval: Option<Duration>, now: Instant) -> Schedule {
        let next = match (self.next, interval) {
            // Sooner if the new interval says so.
            (Some(next), Some(i)) => Some(next.min(now + i)),
            (next, None) if self.failures > 0 => next,
            (_, None) => None,
            (None, Some(i)) => Some(now + i),
        };
        Schedule {
            interval,
            next,
            failures: self.failures,
        }
    }

    /// Plans the next run after one that ended with `result` at `now`;
    /// `jitter` (from 0 to 1) spreads profiles apart.
    pub(super) fn after(&mut self, result: RunResult, now: Instant, jitter: f64) {
        let spread = |d: Duration| d + d.mul_f64(0.1 * jitter.clamp(0.0, 1.0)).min(MAX_JITTER);
        match result {
            RunResult::Errors => {
                self.failures = self.failures.saturating_add(1);
                self.next = Some(now + spread(self.backoff()));
            }
            // Offline is not a failure: tried again at the interval.
            RunResult::Offline => {
                self.next = Some(now + spread(self.interval.unwrap_or(NO_INTERVAL_CAP)));
            }
            RunResult::Ok | RunResult::Warnings => {
                self.failures = 0;
                self.next = self.interval.map(|i| now + spread(i));
            }
        }
    }

    /// The pause after the failures so far: doubling from the first,
    /// capped at the interval (30 minutes without one).
    fn backoff(&self) -> Duration {
        let cap = self.interval.unwrap_or(NO_INTERVAL_CAP);
        let doublings = self.failures.saturating_sub(1).min(16);
        FIRST_BACKOFF.saturating_mul(1 << doublings).min(cap)
    }

    /// Whether the profile is due at `now`.
    pub(super) fn due(&self, now: Instant) -> bool {
        self.next.is_some_and(|next| next <= now)
    }
}

/// The most a run is put off to spread profiles apart.
const MAX_JITTER: Duration = Duration::from_secs(60);

/// A number from 0 to 1, different each call (for jitter; not for secrets).
pub(super) fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    (hasher.finish() % 10_000) as f64 / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    fn after(s: &mut Schedule, result: RunResult, now: Instant) -> Option<Duration> {
        s.after(result, now, 0.0);
        s.next.map(|n| n - now)
    }

    #[test]
    fn a_profile_runs_at_start_then_at_its_interval() {
        let now = Instant::now();
        let mut s = Schedule::starting(Some(15 * MIN), now);
        assert!(s.due(now));
        assert_eq!(after(&mut s, RunResult::Ok, now), Some(15 * MIN));
        assert!(!s.due(now + 14 * MIN));
        assert!(s.due(now + 15 * MIN));
        assert_eq!(after(&mut s, RunResult::Warnings, now), Some(15 * MIN));
    }

    #[test]
    fn failures_back_off_doubling_up_to_the_interval_and_a_success_ends_it() {
        let now = Instant::now();
        let mut s = Schedule::starting(Some(5 * MIN), now);
        let pauses: Vec<_> = (0..6)
            .map(|_| after(&mut s, RunResult::Errors, now).unwrap().as_secs())
            .collect();
        assert_eq!(pauses, [30, 60, 120, 240, 300, 300]);
        assert_eq!(s.failures, 6);
        after(&mut s, RunResult::Ok, now);
        assert_eq!(s.failures, 0);
        assert_eq!(after(&mut s, RunResult::Errors, now).unwrap().as_secs(), 30);
    }

    #[test]
    fn without_an_interval_failures_are_retried_up_to_every_30_minutes() {
        let now = Instant::now();
        let mut s = Schedule::starting(None, now);
        assert_eq!(after(&mut s, RunResult::Ok, now), None);
        for _ in 0..10 {
            after(&mut s, RunResult::Errors, now);
        }
        assert_eq!(s.next.map(|n| n - now), Some(30 * MIN));
        assert_eq!(after(&mut s, RunResult::Ok, now), None);
    }

    #[test]
    fn offline_is_retried_at_the_interval_and_is_not_a_failure() {
        let now = Instant::now();
        let mut s = Schedule::starting(Some(10 * MIN), now);
        after(&mut s, RunResult::Errors, now);
        assert_eq!(after(&mut s, RunResult::Offline, now), Some(10 * MIN));
        assert_eq!(s.failures, 1, "neither counted nor forgiven");
        let mut off = Schedule::starting(None, now);
        assert_eq!(after(&mut off, RunResult::Offline, now), Some(30 * MIN));
    }

    #[test]
    fn jitter_puts_a_run_off_by_a_tenth_at_most() {
        let now = Instant::now();
        let mut s = Schedule::starting(Some(10 * MIN), now);
        s.after(RunResult::Ok, now, 1.0);
        assert_eq!(s.next.map(|n| n - now), Some(11 * MIN));
        let mut long = Schedule::starting(Some(600 * MIN), now);
        long.after(RunResult::Ok, now, 1.0);
        assert_eq!(
            long.next.map(|n| n - now),
            Some(601 * MIN),
            "at most a minute"
        );
        for _ in 0..100 {
            assert!((0.0..1.0).contains(&jitter()));
        }
    }

    #[test]
    fn a_new_interval_brings_the_next_run_forward_not_back() {
        let now = Instant::now();
        let mut s = Schedule::starting(Some(60 * MIN), now);
        after(&mut s, RunResult::Ok, now);
        let sooner = s.with_interval(Some(MIN), now);
        assert_eq!(sooner.next.map(|n| n - now), Some(MIN));
        let later = s.with_interval(Some(120 * MIN), now);
        assert_eq!(later.next.map(|n| n - now), Some(60 * MIN));
        assert_eq!(s.with_interval(None, now).next, None);
    }
}
