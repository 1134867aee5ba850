//! Times as the server writes them (RFC 3339, UTC) and as the dashboard shows them.
//!
//! The API speaks RFC 3339; the page needs Unix milliseconds to place points on a chart and
//! to say "5 min ago". Both conversions are small and exact for the dates Rampart meets, so
//! they live here as plain functions with native tests rather than going through the
//! browser's `Date` for every cell of a table.

/// Milliseconds per day.
pub const DAY_MS: i64 = 86_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a count of days since 1970-01-01: `(year, month, day)`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Reads `2026-01-31T12:00:00Z`, `2026-01-31T12:00:00.123Z` or `…+02:00` as Unix
/// milliseconds; `None` for anything else.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 || bytes[4] != b'-' || bytes[7] != b'-' || !matches!(bytes[10], b'T' | b't' | b' ') {
        return None;
    }
    if bytes[13] != b':' || bytes[16] != b':' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes().all(|byte| byte.is_ascii_digit()).then(|| part.parse().ok())?
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let padded: String = fraction[..digits].chars().chain("000".chars()).take(3).collect();
        millis = padded.parse::<i64>().ok()?;
        rest = &fraction[digits..];
    }
    let offset_minutes = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hours: i64 = rest.get(1..3)?.parse().ok()?;
            let minutes: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (hours * 60 + minutes)
        }
        _ => return None,
    };
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Some((seconds - offset_minutes * 60) * 1000 + millis)
}

/// Unix milliseconds as RFC 3339 in UTC, to the second: what the API's `from` and `to` take.
pub fn format_rfc3339(millis: i64) -> String {
    let (date, time) = split(millis);
    format!("{date}T{time}Z")
}

/// `(YYYY-MM-DD, HH:MM:SS)` of Unix milliseconds, in UTC.
fn split(millis: i64) -> (String, String) {
    let seconds = millis.div_euclid(1000);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!("{:02}:{:02}:{:02}", of_day / 3600, of_day % 3600 / 60, of_day % 60),
    )
}

/// A time for a table cell: `2026-01-31 12:00 UTC`.
pub fn format_utc(millis: i64) -> String {
    let (date, time) = split(millis);
    format!("{date} {} UTC", &time[..5])
}

/// A short date for a chart's axis: `31 Jan`.
pub fn format_day(millis: i64) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (_, month, day) = civil_from_days(millis.div_euclid(DAY_MS));
    format!("{day} {}", MONTHS[(month - 1) as usize])
}

/// How long ago `then` was, seen at `now` (both Unix milliseconds): "just now", "5 min ago",
/// "3 h ago", "2 days ago"; a time in the future reads "in 5 min".
pub fn relative(then: i64, now: i64) -> String {
    let difference = now - then;
    let amount = difference.abs() / 1000;
    let text = if amount < 45 {
        return "just now".to_string();
    } else if amount < 3600 {
        format!("{} min", (amount + 30) / 60)
    } else if amount < 86_400 {
        format!("{} h", (amount + 1800) / 3600)
    } else {
        let days = (amount + 43_200) / 86_400;
        format!("{days} day{}", if days == 1 { "" } else { "s" })
    };
    if difference >= 0 {
        format!("{text} ago")
    } else {
        format!("in {text}")
    }
}

/// Now, as Unix milliseconds (the browser's clock; 0 on the host, where tests pass times in).
pub fn now_ms() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_the_server_writes() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20.123Z"), Some(1_700_000_000_123));
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20.1Z"), Some(1_700_000_000_100));
        assert_eq!(parse_rfc3339("2023-11-14T23:13:20+01:00"), Some(1_700_000_000_000));
        assert_eq!(parse_rfc3339("2024-02-29T00:00:00Z"), Some(1_709_164_800_000));
        for bad in
            ["", "yesterday", "2023-11-14", "2023-13-01T00:00:00Z", "2023-11-14T22:13:20", "2023-11-14T22:13:20.Z"]
        {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_round_trip() {
        for millis in [0, 1_700_000_000_000, 1_709_164_800_000, 4_102_444_800_000, 951_782_400_000] {
            assert_eq!(parse_rfc3339(&format_rfc3339(millis)), Some(millis));
        }
        assert_eq!(format_rfc3339(1_700_000_000_123), "2023-11-14T22:13:20Z");
        assert_eq!(format_utc(1_700_000_000_000), "2023-11-14 22:13 UTC");
        assert_eq!(format_day(1_709_164_800_000), "29 Feb");
    }

    #[test]
    fn says_how_long_ago() {
        let now = 1_700_000_000_000;
        assert_eq!(relative(now - 10_000, now), "just now");
        assert_eq!(relative(now - 5 * 60_000, now), "5 min ago");
        assert_eq!(relative(now - 3 * 3_600_000, now), "3 h ago");
        assert_eq!(relative(now - DAY_MS, now), "1 day ago");
        assert_eq!(relative(now - 9 * DAY_MS, now), "9 days ago");
        assert_eq!(relative(now + 5 * 60_000, now), "in 5 min");
    }
}
