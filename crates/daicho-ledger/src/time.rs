//! Timestamps as stored: RFC 3339 UTC with microseconds and a `Z`, so that text order is time
//! order and SQLite can compare them directly.

use chrono::{DateTime, SecondsFormat, Utc};

/// Formats a time the way the database stores it.
pub fn to_db(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Reads a stored time; `None` when the text is not a time (it always is when written by us).
pub fn from_db(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_order_is_time_order() {
        let a = DateTime::parse_from_rfc3339("2026-01-02T03:04:05+09:00")
            .unwrap()
            .with_timezone(&Utc);
        let b = a + chrono::Duration::microseconds(1);
        assert!(to_db(a) < to_db(b));
        assert_eq!(from_db(&to_db(a)), Some(a));
        assert_eq!(to_db(a), "2026-01-01T18:04:05.000000Z");
    }
}
