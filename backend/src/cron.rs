//! Cluster schedules: standard 5-field cron expressions (minute, hour, day of month, month,
//! day of week), read in UTC; the shorthands `@hourly`, `@daily` (`@midnight`), `@weekly`,
//! `@monthly` and `@yearly` (`@annually`); and intervals, `@every 6h`. The API parses a
//! schedule to refuse a bad one with the reason; the scheduler parses it again to compute a
//! cluster's next scan.
//!
//! A parser of our own rather than a crate: the cron crates bring chrono (and some a parser
//! combinator library) for what is a few bit sets over `time`, which the server already uses.
//! Day of month and day of week combine as in Vixie cron, which every Linux cron follows:
//! when both are restricted (neither starts with `*`) a day matching either one is taken,
//! otherwise a day must match both.

use std::time::Duration;

use time::{Date, Month, OffsetDateTime, Time};

/// The schedule of a cluster scanned through its API unless it is given another: every
/// 6 hours, on the hour (00:00, 06:00, 12:00 and 18:00 UTC).
pub const DEFAULT_SCHEDULE: &str = "0 */6 * * *";

/// The shortest interval `@every` accepts: a cluster's API server is not scanned more often.
pub const SHORTEST_INTERVAL: Duration = Duration::from_secs(60);

/// The longest interval `@every` accepts: a year (and a leap day).
pub const LONGEST_INTERVAL: Duration = Duration::from_secs(366 * 86_400);

/// What to write instead, appended to every parse error the API shows.
pub const SCHEDULE_HELP: &str = "use 5 fields (minute hour day-of-month month day-of-week, in UTC) such as \
     \"0 */6 * * *\", a shorthand such as @hourly or @daily, or an interval such as @every 6h";

/// A parsed schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    Cron(Cron),
    /// A scan this long after the previous one was due.
    Every(Duration),
}

/// A 5-field cron expression as sets of the values each field allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cron {
    /// Bit n: minute n (0–59).
    minutes: u64,
    /// Bit n: hour n (0–23).
    hours: u32,
    /// Bit n: day n of the month (1–31).
    days: u32,
    /// Bit n: month n (1–12).
    months: u16,
    /// Bit n: n days after Sunday (0–6).
    weekdays: u8,
    /// Whether the day-of-month field starts with `*`.
    any_day: bool,
    /// Whether the day-of-week field starts with `*`.
    any_weekday: bool,
}

/// Why a schedule was refused: a message for the person who wrote it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ScheduleError(String);

fn error(message: impl Into<String>) -> ScheduleError {
    ScheduleError(message.into())
}

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    /// Names accepted for values, the first for `min`.
    names: &'static [&'static str],
}

const MINUTE: Field = Field { name: "minute", min: 0, max: 59, names: &[] };
const HOUR: Field = Field { name: "hour", min: 0, max: 23, names: &[] };
const DAY: Field = Field { name: "day-of-month", min: 1, max: 31, names: &[] };
const MONTH: Field = Field {
    name: "month",
    min: 1,
    max: 12,
    names: &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
};
// 7 is Sunday too, as in every cron.
const WEEKDAY: Field =
    Field { name: "day-of-week", min: 0, max: 7, names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"] };

impl Schedule {
    /// Reads a schedule; surrounding whitespace is ignored.
    pub fn parse(text: &str) -> Result<Schedule, ScheduleError> {
        let text = text.trim();
        if let Some(interval) = text.get(..6).filter(|prefix| prefix.eq_ignore_ascii_case("@every")).map(|_| &text[6..])
        {
            let interval = interval.trim();
            if interval.is_empty() {
                return Err(error("@every needs an interval, such as @every 6h"));
            }
            let interval =
                parse_duration(interval).map_err(|message| error(format!("@every {interval}: {message}")))?;
            if interval < SHORTEST_INTERVAL {
                return Err(error(format!("@every {}: the shortest interval is 1m", format_duration(interval))));
            }
            // Longer, the next run is too far to compute (or to mean anything).
            if interval > LONGEST_INTERVAL {
                return Err(error(format!("@every {}: the longest interval is 366d", format_duration(interval))));
            }
            return Ok(Schedule::Every(interval));
        }
        let expanded = match text.to_ascii_lowercase().as_str() {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            other if other.starts_with('@') => {
                return Err(error(format!(
                    "unknown shorthand '{text}': the shorthands are @hourly, @daily, @weekly, @monthly, @yearly and \
                     @every INTERVAL"
                )));
            }
            _ => text,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(error(format!(
                "'{text}' has {} field{}; a cron expression has 5",
                fields.len(),
                if fields.len() == 1 { "" } else { "s" }
            )));
        }
        let weekdays = parse_field(fields[4], &WEEKDAY)?;
        let cron = Cron {
            minutes: parse_field(fields[0], &MINUTE)?,
            hours: parse_field(fields[1], &HOUR)? as u32,
            days: parse_field(fields[2], &DAY)? as u32,
            months: parse_field(fields[3], &MONTH)? as u16,
            // Fold 7 onto 0: both are Sunday.
            weekdays: ((weekdays | (weekdays >> 7)) & 0x7f) as u8,
            any_day: fields[2].starts_with('*'),
            any_weekday: fields[4].starts_with('*'),
        };
        // A day that no month has (30 February) would never come: refuse it now rather
        // than never scan. The search looks a whole calendar cycle ahead, so a schedule
        // that comes once comes again after any time.
        if cron.next_after(0).is_none() {
            return Err(error(format!("'{text}' never comes: none of its months has the days it names")));
        }
        Ok(Schedule::Cron(cron))
    }

    /// The first time this schedule comes strictly after `millis` (Unix milliseconds).
    pub fn next_after(&self, millis: i64) -> Option<i64> {
        match self {
            Schedule::Every(interval) => millis.checked_add(i64::try_from(interval.as_millis()).ok()?),
            Schedule::Cron(cron) => cron.next_after(millis),
        }
    }
}

impl Cron {
    fn day_matches(&self, date: Date) -> bool {
        let day = self.days & (1 << date.day()) != 0;
        let weekday = self.weekdays & (1 << date.weekday().number_days_from_sunday()) != 0;
        if self.any_day || self.any_weekday {
            day && weekday
        } else {
            day || weekday
        }
    }

    /// The first whole minute strictly after `millis` that every field allows, looking at
    /// most 400 years ahead: the Gregorian calendar repeats, weekdays included, every 400
    /// years, so a day named with its weekday (1 March when a Sunday: 1970, then 2037) is
    /// always found, however rare.
    fn next_after(&self, millis: i64) -> Option<i64> {
        let start =
            OffsetDateTime::from_unix_timestamp(millis.div_euclid(60_000).checked_add(1)?.checked_mul(60)?).ok()?;
        let last_year = start.year() + 400;
        let mut date = start.date();
        let (mut hour, mut minute) = (u32::from(start.hour()), u32::from(start.minute()));
        loop {
            if date.year() > last_year {
                return None;
            }
            if self.months & (1 << u8::from(date.month())) == 0 {
                let (year, month) = match date.month() {
                    Month::December => (date.year() + 1, Month::January),
                    month => (date.year(), month.next()),
                };
                date = Date::from_calendar_date(year, month, 1).ok()?;
                (hour, minute) = (0, 0);
                continue;
            }
            if !self.day_matches(date) {
                date = date.next_day()?;
                (hour, minute) = (0, 0);
                continue;
            }
            let Some(next_hour) = first_at_or_after(u64::from(self.hours), hour) else {
                date = date.next_day()?;
                (hour, minute) = (0, 0);
                continue;
            };
            if next_hour > hour {
                (hour, minute) = (next_hour, 0);
            }
            let Some(next_minute) = first_at_or_after(self.minutes, minute) else {
                (hour, minute) = (hour + 1, 0);
                if hour == 24 {
                    date = date.next_day()?;
                    hour = 0;
                }
                continue;
            };
            let at = Time::from_hms(hour as u8, next_minute as u8, 0).ok()?;
            return Some(date.with_time(at).assume_utc().unix_timestamp() * 1000);
        }
    }
}

/// The smallest value at or after `from` whose bit is set.
fn first_at_or_after(bits: u64, from: u32) -> Option<u32> {
    let rest = bits.checked_shr(from)?;
    (rest != 0).then(|| from + rest.trailing_zeros())
}

/// One field's allowed values as bits: lists (`1,15`), ranges (`9-17`), steps (`*/6`,
/// `10-50/20`, `5/15`), names of months and days (`jan`, `mon-fri`).
fn parse_field(text: &str, field: &Field) -> Result<u64, ScheduleError> {
    let mut bits = 0u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step.parse().ok().filter(|step| (1..=field.max).contains(step)).ok_or_else(|| {
                    error(format!(
                        "{} field '{text}': the step '{step}' is not a number from 1 to {}",
                        field.name, field.max
                    ))
                })?;
                (range, Some(step))
            }
            None => (part, None),
        };
        let (low, high) = if range == "*" {
            (field.min, field.max)
        } else if let Some((low, high)) = range.split_once('-') {
            (value(low, text, field)?, value(high, text, field)?)
        } else {
            let single = value(range, text, field)?;
            // `5/15` is `5-59/15`.
            (single, if step.is_some() { field.max } else { single })
        };
        if low > high {
            return Err(error(format!(
                "{} field '{text}': the range {range} goes backwards; write it from low to high",
                field.name
            )));
        }
        for value in (low..=high).step_by(step.unwrap_or(1) as usize) {
            bits |= 1 << value;
        }
    }
    Ok(bits)
}

fn value(text: &str, whole: &str, field: &Field) -> Result<u32, ScheduleError> {
    if let Some(index) = field.names.iter().position(|name| name.eq_ignore_ascii_case(text)) {
        return Ok(field.min + index as u32);
    }
    match text.parse::<u32>() {
        Ok(number) if (field.min..=field.max).contains(&number) => Ok(number),
        Ok(number) => {
            Err(error(format!("{} field '{whole}': {number} is out of range {}–{}", field.name, field.min, field.max)))
        }
        Err(_) if text.is_empty() => Err(error(format!("{} field '{whole}' has an empty value", field.name))),
        Err(_) => Err(error(format!("{} field '{whole}': '{text}' is not a {}", field.name, describe(field)))),
    }
}

fn describe(field: &Field) -> String {
    match field.names {
        [] => format!("number from {} to {}", field.min, field.max),
        names => format!("number from {} to {} or a name ({}…)", field.min, field.max, names[..3].join(", ")),
    }
}

/// Reads a duration such as `90s`, `5m`, `6h`, `1d` or `1h30m` (units ms, s, m, h, d; a
/// bare number is seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    if rest.is_empty() {
        return Err("an empty duration; write one such as 30s, 5m or 6h".to_string());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let unit_end = rest[digits..].find(|c: char| c.is_ascii_digit()).map_or(rest.len(), |end| digits + end);
        let (number, unit) = (&rest[..digits], &rest[digits..unit_end]);
        let number: u64 =
            number.parse().map_err(|_| format!("'{text}' is not a duration; write one such as 30s, 5m or 6h"))?;
        let unit = match unit {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            "d" => Duration::from_secs(86_400),
            other => return Err(format!("'{other}' in '{text}' is not a unit; the units are ms, s, m, h and d")),
        };
        let part = unit.checked_mul(u32::try_from(number).map_err(|_| format!("'{text}' is too long"))?);
        total = part.and_then(|part| total.checked_add(part)).ok_or_else(|| format!("'{text}' is too long"))?;
        rest = &rest[unit_end..];
    }
    Ok(total)
}

/// A duration as [`parse_duration`] reads it, in the largest units that divide it.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)] {
        if millis >= size && millis % size == 0 {
            return format!("{}{unit}", millis / size);
        }
    }
    format!("{millis}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix milliseconds of a UTC time written `YYYY-MM-DD HH:MM`.
    fn at(text: &str) -> i64 {
        let number = |range: std::ops::Range<usize>| text[range].parse::<u16>().unwrap();
        let month = Month::try_from(number(5..7) as u8).unwrap();
        let date = Date::from_calendar_date(i32::from(number(0..4)), month, number(8..10) as u8).unwrap();
        let time = Time::from_hms(number(11..13) as u8, number(14..16) as u8, 0).unwrap();
        date.with_time(time).assume_utc().unix_timestamp() * 1000
    }

    fn next(schedule: &str, after: &str) -> i64 {
        Schedule::parse(schedule).unwrap().next_after(at(after)).unwrap()
    }

    fn refused(schedule: &str) -> String {
        Schedule::parse(schedule).unwrap_err().to_string()
    }

    #[test]
    fn the_default_is_every_six_hours_on_the_hour() {
        assert_eq!(next(DEFAULT_SCHEDULE, "2025-03-10 00:00"), at("2025-03-10 06:00"), "strictly after");
        assert_eq!(next(DEFAULT_SCHEDULE, "2025-03-10 05:59"), at("2025-03-10 06:00"));
        assert_eq!(next(DEFAULT_SCHEDULE, "2025-03-10 18:01"), at("2025-03-11 00:00"));
        assert_eq!(next(DEFAULT_SCHEDULE, "2025-12-31 23:30"), at("2026-01-01 00:00"));
        // Seconds and milliseconds past a minute still move to the next one.
        assert_eq!(
            Schedule::parse("* * * * *").unwrap().next_after(at("2025-03-10 05:59") + 59_999),
            Some(at("2025-03-10 06:00"))
        );
    }

    #[test]
    fn lists_ranges_steps_and_names() {
        assert_eq!(
            next("15,45 9-17 * * mon-fri", "2025-03-07 17:45"),
            at("2025-03-10 09:15"),
            "Friday evening → Monday"
        );
        assert_eq!(next("*/20 * * * *", "2025-03-10 10:41"), at("2025-03-10 11:00"));
        assert_eq!(next("10-50/20 * * * *", "2025-03-10 10:31"), at("2025-03-10 10:50"));
        assert_eq!(next("5/15 * * * *", "2025-03-10 10:51"), at("2025-03-10 11:05"));
        assert_eq!(next("0 0 1 JAN,Jul *", "2025-03-10 10:00"), at("2025-07-01 00:00"));
        assert_eq!(next("30 2 * * 7", "2025-03-10 10:00"), at("2025-03-16 02:30"), "7 is Sunday");
        assert_eq!(next("30 2 * * 0", "2025-03-10 10:00"), at("2025-03-16 02:30"));
    }

    #[test]
    fn day_of_month_and_day_of_week_combine_as_in_vixie_cron() {
        // Both restricted: the 13th or any Friday, whichever comes first.
        assert_eq!(next("0 0 13 * fri", "2025-03-10 00:00"), at("2025-03-13 00:00"));
        assert_eq!(next("0 0 13 * fri", "2025-03-13 00:00"), at("2025-03-14 00:00"));
        // One starts with `*`: a day must match both.
        assert_eq!(next("0 0 */2 * mon", "2025-03-01 00:00"), at("2025-03-03 00:00"), "odd days that are Mondays");
        assert_eq!(next("0 0 */2 * mon", "2025-03-03 00:00"), at("2025-03-17 00:00"), "not Monday the 10th");
    }

    #[test]
    fn leap_days_and_shorthands() {
        assert_eq!(next("0 0 29 2 *", "2025-03-01 00:00"), at("2028-02-29 00:00"));
        assert_eq!(next("@hourly", "2025-03-10 10:00"), at("2025-03-10 11:00"));
        assert_eq!(next("@daily", "2025-03-10 10:00"), at("2025-03-11 00:00"));
        assert_eq!(next("@weekly", "2025-03-10 10:00"), at("2025-03-16 00:00"));
        assert_eq!(next("@monthly", "2025-03-10 10:00"), at("2025-04-01 00:00"));
        assert_eq!(next("@yearly", "2025-03-10 10:00"), at("2026-01-01 00:00"));
        assert_eq!(next("  @every 6h  ", "2025-03-10 10:07"), at("2025-03-10 16:07"));
        assert_eq!(next("@every 1h30m", "2025-03-10 10:07"), at("2025-03-10 11:37"));
        assert_eq!(Schedule::parse("@every 1d").unwrap(), Schedule::Every(Duration::from_secs(86_400)));
    }

    #[test]
    fn bad_schedules_say_what_is_wrong() {
        assert!(refused("0 */6 * *").contains("has 4 fields; a cron expression has 5"), "{}", refused("0 */6 * *"));
        assert!(refused("61 * * * *").contains("minute field '61': 61 is out of range 0–59"));
        assert!(refused("0 24 * * *").contains("hour field"));
        assert!(refused("0 0 0 * *").contains("day-of-month field '0': 0 is out of range 1–31"));
        assert!(refused("0 0 * 13 *").contains("month"));
        assert!(refused("0 0 * * 8").contains("day-of-week"));
        assert!(refused("0 0 * * funday").contains("'funday' is not a number from 0 to 7 or a name (sun, mon, tue…)"));
        assert!(refused("*/0 * * * *").contains("the step '0' is not a number from 1 to 59"));
        assert!(refused("0 17-9 * * *").contains("goes backwards"));
        assert!(refused("0 1,,2 * * *").contains("empty value"));
        assert!(refused("0 0 30 2 *").contains("never comes"));
        assert!(refused("0 0 31 4,6 *").contains("never comes"));
        // Found by the `cron` fuzz target (fuzz/regressions/cron/): accepted, since it came
        // in 1970, but not found from 2026 within eight years, so it would never have run.
        assert_eq!(next("59 2/9 1 3 */7", "2026-05-29 00:00"), at("2037-03-01 02:59"));
        assert!(refused("@reboot").contains("unknown shorthand"));
        assert!(refused("@every").contains("needs an interval"));
        assert!(refused("@every 30s").contains("the shortest interval is 1m"));
        assert!(refused("@every 367d").contains("the longest interval is 366d"));
        assert!(refused("@every 18446744073709551615").contains("the longest interval is 366d"));
        assert!(Schedule::parse("@every 366d").unwrap().next_after(i64::MAX / 2).is_some());
        assert!(refused("@every 6 hours").contains("not a unit"));
        assert!(refused("").contains("has 0 fields"));
    }

    #[test]
    fn durations_read_and_print() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("5x").unwrap_err().contains("'x'"));
        assert!(parse_duration("99999999999999d").is_err());
        assert_eq!(format_duration(Duration::from_secs(5400)), "90m");
        assert_eq!(format_duration(Duration::from_secs(21_600)), "6h");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
    }

    #[test]
    fn every_minute_of_a_busy_day_is_found_in_order() {
        // Walking a whole day minute by minute from one occurrence to the next visits each
        // allowed minute once: no occurrence is skipped or repeated.
        let schedule = Schedule::parse("*/7 8-9,22 * * *").unwrap();
        let mut at_millis = at("2025-03-10 00:00");
        let mut seen = Vec::new();
        while let Some(next) = schedule.next_after(at_millis).filter(|next| *next < at("2025-03-11 00:00")) {
            seen.push((next - at("2025-03-10 00:00")) / 60_000);
            at_millis = next;
        }
        let expected: Vec<i64> =
            [8, 9, 22].into_iter().flat_map(|hour| (0..60).step_by(7).map(move |minute| hour * 60 + minute)).collect();
        assert_eq!(seen, expected);
    }
}
