//! The event and alert model that every Vedette crate shares.
//!
//! An [`Event`] is one log record after parsing: its spool sequence number
//! (the event's identity), when it was received and when it happened, where it
//! came from, the Sigma log source it belongs to, and its fields under Elastic
//! Common Schema names (`host.name`, `source.ip`, `user.name`, ...).
//!
//! ```
//! use vedette_model::{Event, FieldValue, LogSource, Origin};
//! use time::OffsetDateTime;
//!
//! let now = OffsetDateTime::UNIX_EPOCH;
//! let mut ev = Event::raw(7, now, Origin::new("syslog-udp", None), b"hello");
//! ev.set("user.name", "root");
//! ev.logsource = LogSource::new(Some("linux"), None, &["sshd", "auth"]);
//! assert_eq!(ev.get_str("user.name"), Some("root"));
//! assert_eq!(ev.to_json()["event.original"], "hello");
//! // No parser has said what the message is: it is the whole record.
//! assert_eq!(ev.message(), "hello");
//! ev.set("message", "hi");
//! assert!(matches!(ev.get("message"), Some(FieldValue::Str(_))));
//! ```
#![deny(missing_docs)]

mod alert;
mod event;
pub mod fields;

pub use alert::{Alert, AlertCorrelation, NewAlert, Severity, UnknownSeverity};
pub use event::{Event, FieldValue, LogSource, Origin, CATEGORY_UMBRELLAS};
pub use fields::{Fields, Name, Text};

/// Formats a time as RFC 3339 in UTC with millisecond precision, the one
/// textual form Vedette uses on the wire.
pub fn fmt_time(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&fmt)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Parses an RFC 3339 time (as written by [`fmt_time`] or by a client).
pub fn parse_time(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_roundtrip() {
        let t = parse_time("2026-11-25T10:00:00.123+07:00").unwrap();
        assert_eq!(fmt_time(t), "2026-11-25T03:00:00.123Z");
        assert_eq!(parse_time(&fmt_time(t)), Some(t));
        assert_eq!(parse_time("yesterday"), None);
    }
}
