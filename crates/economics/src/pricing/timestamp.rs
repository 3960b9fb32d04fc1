//! UTC timestamps of quotes and true-ups: Unix seconds stored, RFC 3339
//! shown (`2026-12-03T16:22:04Z`).

use crate::error::{EconomicsError, Result};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Seconds in a day.
pub const SECONDS_PER_DAY: i64 = 86_400;

/// The current time, whole Unix seconds.
pub fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// `unix` seconds as RFC 3339 UTC; the number itself when out of the
/// representable range (years beyond ±9999).
pub fn format_rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("@{unix}"))
}

/// Parses an RFC 3339 time (`2026-12-03T16:22:04Z`, any offset) to Unix
/// seconds; `field` names the input in the error.
pub fn parse_rfc3339(field: &'static str, text: &str) -> Result<i64> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|e| EconomicsError::Timestamp {
            field,
            text: text.to_owned(),
            message: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_whole_seconds() {
        let t = parse_rfc3339("at", "2026-12-03T16:22:04Z").unwrap();
        assert_eq!(t, 1_796_314_924);
        assert_eq!(format_rfc3339(t), "2026-12-03T16:22:04Z");
        assert!(parse_rfc3339("at", "yesterday").is_err());
    }
}
