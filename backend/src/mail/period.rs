//! Digest periods: a daily digest at hour H covers the day that ends at H:00 UTC; a weekly
//! one, the week that ends at H:00 UTC on its weekday. A period is named by its kind and the
//! date it ends (`daily:2026-01-31`), which makes the digest's dedup key: each period is
//! queued once, whichever replica gets there first, and after downtime only the latest
//! missed period is sent, not a backlog.

use time::{Duration, OffsetDateTime, Time};

use crate::store::mail::Frequency;

const DAY_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// The span of time a digest reports on: `[start, end)` in Unix milliseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    /// `daily:2026-01-31`, `weekly:2026-01-26`; `manual` for a digest sent on request.
    pub key: String,
    pub start: i64,
    pub end: i64,
}

/// How long a digest of that frequency looks back (an alert subscription's digest, sent
/// on request, looks back a day).
pub fn length_millis(frequency: Frequency) -> i64 {
    match frequency {
        Frequency::Weekly => 7 * DAY_MILLIS,
        Frequency::Daily | Frequency::Immediate => DAY_MILLIS,
    }
}

fn datetime(millis: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The latest period of a daily or weekly digest that has ended by `now`; `None` for
/// alert subscriptions, which have no periods. `weekday`: 0 Monday … 6 Sunday.
pub fn latest_period(frequency: Frequency, hour: i64, weekday: i64, now: i64) -> Option<Period> {
    let now_at = datetime(now);
    let time = Time::from_hms(u8::try_from(hour.clamp(0, 23)).unwrap_or(0), 0, 0).ok()?;
    let mut end = now_at.date().with_time(time).assume_utc();
    let (name, step) = match frequency {
        Frequency::Immediate => return None,
        Frequency::Daily => ("daily", Duration::days(1)),
        Frequency::Weekly => {
            let today = i64::from(now_at.weekday().number_days_from_monday());
            end -= Duration::days((today - weekday.clamp(0, 6)).rem_euclid(7));
            ("weekly", Duration::days(7))
        }
    };
    if end > now_at {
        end -= step;
    }
    let end_millis = millis(end);
    Some(Period {
        key: format!("{name}:{}", end.date()),
        start: end_millis - length_millis(frequency),
        end: end_millis,
    })
}

/// The period of a digest sent on request: the digest's length, up to now.
pub fn manual_period(frequency: Frequency, now: i64) -> Period {
    Period { key: "manual".to_string(), start: now - length_millis(frequency), end: now }
}

/// A time as emails show it: `2026-01-31 08:00 UTC`.
pub fn utc(millis: i64) -> String {
    let at = datetime(millis);
    format!("{}-{:02}-{:02} {:02}:{:02} UTC", at.year(), u8::from(at.month()), at.day(), at.hour(), at.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-28 is a Wednesday.
    fn at(text: &str) -> i64 {
        crate::clock::parse_timestamp(text).unwrap()
    }

    #[test]
    fn a_daily_period_ends_at_its_hour_on_the_latest_day_it_was_reached() {
        let period = latest_period(Frequency::Daily, 8, 0, at("2026-01-28T09:30:00Z")).unwrap();
        assert_eq!(period.key, "daily:2026-01-28");
        assert_eq!(period.end, at("2026-01-28T08:00:00Z"));
        assert_eq!(period.start, at("2026-01-27T08:00:00Z"));
        // Before the hour, the period that ended yesterday is the latest.
        let period = latest_period(Frequency::Daily, 8, 0, at("2026-01-28T07:59:59Z")).unwrap();
        assert_eq!(period.key, "daily:2026-01-27");
        // At the hour exactly, today's has ended.
        assert_eq!(latest_period(Frequency::Daily, 8, 0, at("2026-01-28T08:00:00Z")).unwrap().key, "daily:2026-01-28");
    }

    #[test]
    fn a_weekly_period_ends_on_its_weekday() {
        // Monday 08:00, seen on a Wednesday: this week's Monday.
        let period = latest_period(Frequency::Weekly, 8, 0, at("2026-01-28T12:00:00Z")).unwrap();
        assert_eq!(period.key, "weekly:2026-01-26");
        assert_eq!(period.start, at("2026-01-19T08:00:00Z"));
        // Friday 17:00, seen on a Wednesday: last week's Friday.
        let period = latest_period(Frequency::Weekly, 17, 4, at("2026-01-28T12:00:00Z")).unwrap();
        assert_eq!(period.key, "weekly:2026-01-23");
        // Wednesday 13:00, seen on that Wednesday at 12:00: not yet, so a week earlier.
        let period = latest_period(Frequency::Weekly, 13, 2, at("2026-01-28T12:00:00Z")).unwrap();
        assert_eq!(period.key, "weekly:2026-01-21");
        assert_eq!(period.end - period.start, 7 * DAY_MILLIS);
    }

    #[test]
    fn alerts_have_no_period_and_manual_digests_end_now() {
        assert_eq!(latest_period(Frequency::Immediate, 8, 0, at("2026-01-28T12:00:00Z")), None);
        let now = at("2026-01-28T12:00:00Z");
        assert_eq!(manual_period(Frequency::Weekly, now).start, at("2026-01-21T12:00:00Z"));
        assert_eq!(utc(now), "2026-01-28 12:00 UTC");
    }
}
