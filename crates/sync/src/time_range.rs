//! The time-range filter of a calendar profile: which span of time it syncs,
//! in whole UTC days so that every run of one day works with the same range.

use chrono::{DateTime, Duration, NaiveTime, Utc};

/// A span `[start, end)` of UTC time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    /// Inclusive start.
    pub start: DateTime<Utc>,
    /// Exclusive end.
    pub end: DateTime<Utc>,
}

impl TimeRange {
    /// From the start of the day `past_days` before `now` to the end of the day
    /// `future_days` after it (the guide's default: 60 back, 365 ahead).
    pub fn around(now: DateTime<Utc>, past_days: u32, future_days: u32) -> TimeRange {
        let today = now.date_naive().and_time(NaiveTime::MIN).and_utc();
        TimeRange {
            start: today - Duration::days(i64::from(past_days)),
            end: today + Duration::days(i64::from(future_days) + 1),
        }
    }

    /// A short key naming the range (`2026-09-25/2027-11-25`): items found
    /// outside one range are looked at again when the key changes.
    pub fn key(&self) -> String {
        format!(
            "{}/{}",
            self.start.format("%Y-%m-%d"),
            self.end.format("%Y-%m-%d")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_days_around_now() {
        let now = "2026-11-24T17:45:00Z".parse::<DateTime<Utc>>().unwrap();
        let range = TimeRange::around(now, 60, 365);
        assert_eq!(range.start.to_rfc3339(), "2026-09-25T00:00:00+00:00");
        assert_eq!(range.end.to_rfc3339(), "2027-11-25T00:00:00+00:00");
        assert_eq!(range.key(), "2026-09-25/2027-11-25");
        // Every run of the same day has the same range; the next day moves it.
        let later = "2026-11-24T23:59:59Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(TimeRange::around(later, 60, 365), range);
        let tomorrow = "2026-11-25T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_ne!(TimeRange::around(tomorrow, 60, 365).key(), range.key());
    }
}
