//! Times as the server writes and reads them: Unix milliseconds in the store, RFC 3339 in
//! the API's JSON, CSV exports, pages and webhook payloads. A foundation module: anything
//! may use it, it uses nothing of the crate.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Unix milliseconds as RFC 3339 (`2023-11-14T22:13:20.123Z`); empty when out of range.
pub fn timestamp(millis: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|at| at.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// Why [`parse_timestamp`] refused a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not an RFC 3339 time.
    NotRfc3339,
    /// A valid time too far out for Unix milliseconds in an `i64`.
    OutOfRange,
}

/// An RFC 3339 time as Unix milliseconds.
pub fn parse_timestamp(text: &str) -> Result<i64, ParseError> {
    let at = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| ParseError::NotRfc3339)?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).map_err(|_| ParseError::OutOfRange)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(timestamp(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(parse_timestamp("2023-11-14T22:13:20.123Z"), Ok(1_700_000_000_123));
        assert_eq!(parse_timestamp("yesterday"), Err(ParseError::NotRfc3339));
        assert_eq!(timestamp(i64::MAX), "", "out of the formatter's range");
    }
}
