//! Generic JSON and NDJSON: any record that is one JSON object and that no
//! more specific format claimed. Nested objects are flattened into dotted
//! keys (`{"user":{"name":"a"}}` -> `user.name`), arrays by index
//! (`tags.0`), with the JSON reader of [`super::windows`] and its bounds
//! (nesting depth, field count, value size).

use time::OffsetDateTime;
use vedette_model::Event;

use super::windows::{
    flatten, parse_time, value, JsonScalar, MAX_DEPTH, MAX_FIELDS, RESERVED_KEYS,
};
use crate::ParseError;

pub(crate) const FORMAT: super::Format = super::Format {
    name: "json",
    fields: 16,
    // `detect` trims Unicode white space: ASCII's, or a character whose
    // UTF-8 starts with 0xC2 (U+0085, U+00A0), 0xE1 (U+1680), 0xE2
    // (U+2000-U+205F) or 0xE3 (U+3000).
    first: |b| matches!(b, b'{' | b'\t'..=b'\r' | b' ' | 0xC2 | 0xE1 | 0xE2 | 0xE3),
    open: |_| false,
    needs: b"{",
    gate: None,
    detect,
    parse,
    claim: None,
};

const P: &str = "json";

/// Keys whose text, when present, becomes the event's `message`.
const MESSAGE_KEYS: &[&str] = &["message", "msg", "log", "text"];

/// Keys whose value, when it is a time, becomes the event's time, most
/// telling first: ECS and Logstash (`@timestamp`), many libraries
/// (`timestamp`), Docker's json-file, bunyan, logrus, slog and pino
/// (`time`), zap (`ts`).
const TIME_KEYS: &[&str] = &["@timestamp", "timestamp", "time", "ts"];

/// A time as JSON writes it: RFC 3339 text (with up to nine fraction
/// digits and any offset), or a number of seconds since 1970 (zap's `ts`,
/// fractional) or, above 10^11, of milliseconds (pino, Java). Numbers
/// before 2000 or after 2100 are taken for something else (a duration, a
/// counter).
fn json_time(v: &JsonScalar) -> Option<OffsetDateTime> {
    const MIN: f64 = 946_684_800.0; // 2000-01-01
    const MAX: f64 = 4_102_444_800.0; // 2100-01-01
    let nanos: i128 = match v {
        JsonScalar::Str(s) => return parse_time(s.trim()),
        JsonScalar::Int(n) if (MIN..MAX).contains(&(*n as f64)) => i128::from(*n) * 1_000_000_000,
        JsonScalar::Int(n) if (MIN * 1e3..MAX * 1e3).contains(&(*n as f64)) => {
            i128::from(*n) * 1_000_000
        }
        JsonScalar::Float(f) => {
            let secs = if *f >= MIN * 1e3 { f / 1e3 } else { *f };
            if !(MIN..MAX).contains(&secs) {
                return None;
            }
            // To the microsecond: finer digits of a float are noise.
            i128::from(secs.trunc() as i64) * 1_000_000_000
                + ((secs.fract() * 1e6).round() as i128) * 1_000
        }
        _ => return None,
    };
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

/// A whole object, `{...}`. Text that only starts like JSON (a record cut
/// short, or a message that happens to begin with `{"`) is left a plain
/// message rather than reported as broken JSON.
fn detect(text: &str) -> bool {
    let t = text.trim();
    t.starts_with('{') && t.ends_with('}')
}

fn parse(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    let lead = text.len() - text.trim_start().len();
    let mut message: Option<String> = None;
    // The time found under the most telling key so far (its rank).
    let mut time: Option<(usize, OffsetDateTime)> = None;
    let result = flatten(text, MAX_DEPTH, MAX_FIELDS, &mut |key, v| {
        if let Some(rank) = TIME_KEYS.iter().position(|k| *k == key) {
            if time.is_none_or(|(r, _)| rank < r) {
                if let Some(t) = json_time(&v) {
                    time = Some((rank, t));
                }
            }
        }
        if RESERVED_KEYS.contains(&key) {
            return;
        }
        if message.is_none() && MESSAGE_KEYS.contains(&key) {
            if let JsonScalar::Str(s) = &v {
                message = Some(s.to_string());
            }
        }
        ev.set(key, value(&v));
    });
    if let Some(m) = message {
        ev.set(key!("message"), m);
    }
    if let Some((_, t)) = time {
        ev.timestamp = t;
    }
    result.map_err(|(at, expected)| ParseError::expected(P, expected, at.max(lead)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::OffsetDateTime;
    use vedette_model::{FieldValue, Origin};

    fn event() -> Event {
        Event::raw(1, OffsetDateTime::UNIX_EPOCH, Origin::new("t", None), b"x")
    }

    #[test]
    fn flattens_nested_objects_and_arrays() {
        let mut ev = event();
        let text = r#"{"level":"warn","msg":"disk \"/\" 91% full","host":{"name":"db01","ip":["10.0.0.5","fe80::1"]},"n":3,"ok":false,"x":null}"#;
        assert!(detect(text));
        parse(text, &mut ev).unwrap();
        assert_eq!(ev.get_str("host.name"), Some("db01"));
        assert_eq!(ev.get_str("host.ip.1"), Some("fe80::1"));
        assert_eq!(ev.get("n"), Some(&FieldValue::Int(3)));
        assert_eq!(ev.get("ok"), Some(&FieldValue::Bool(false)));
        assert_eq!(ev.get_str("message"), Some("disk \"/\" 91% full"));
    }

    #[test]
    fn reserved_keys_are_not_taken_from_the_record() {
        let mut ev = event();
        parse(r#"{"event.id":"999","@timestamp":"x","a":1}"#, &mut ev).unwrap();
        assert_eq!(ev.get("event.id"), None);
        assert_eq!(ev.get("a"), Some(&FieldValue::Int(1)));
    }

    #[test]
    fn the_record_time_is_the_event_time() {
        use time::macros::datetime;
        let at = |text: &str| {
            let mut ev = event();
            parse(text, &mut ev).unwrap();
            ev.timestamp
        };
        // Docker's json-file: nine fraction digits.
        assert_eq!(
            at(r#"{"log":"hi\n","stream":"stdout","time":"2019-01-01T11:11:11.111111111Z"}"#),
            datetime!(2019-01-01 11:11:11.111111111 UTC)
        );
        // slog, with an offset; kept as a field too.
        let mut ev = event();
        parse(
            r#"{"time":"2022-11-08T15:28:26.000000000-05:00","msg":"hello"}"#,
            &mut ev,
        )
        .unwrap();
        assert_eq!(ev.timestamp, datetime!(2022-11-08 20:28:26 UTC));
        assert!(ev.get_str("time").is_some());
        // `@timestamp` wins over `time` whatever the order.
        assert_eq!(
            at(r#"{"time":"2020-01-01T00:00:00Z","@timestamp":"2021-01-01T00:00:00Z"}"#),
            datetime!(2021-01-01 00:00:00 UTC)
        );
        // pino (milliseconds), zap (fractional seconds).
        assert_eq!(
            at(r#"{"time":1531171074631,"msg":"x"}"#),
            datetime!(2018-07-09 21:17:54.631 UTC)
        );
        assert_eq!(
            at(r#"{"ts":1531171074.5,"msg":"x"}"#),
            datetime!(2018-07-09 21:17:54.5 UTC)
        );
        // Not a time: the receive time stays.
        let epoch = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(at(r#"{"time":"soon","ts":42,"timestamp":true}"#), epoch);
        assert_eq!(at(r#"{"nested":{"time":"2020-01-01T00:00:00Z"}}"#), epoch);
    }

    #[test]
    fn broken_json_keeps_what_was_read() {
        let mut ev = event();
        let e = parse(r#"{"a":"b","c": tru}"#, &mut ev).unwrap_err();
        assert_eq!(e.parser(), "json");
        assert_eq!(ev.get_str("a"), Some("b"));
        assert!(!detect("{ not closed"));
        assert!(!detect(r#"{"cut": "off"#));
        assert!(!detect("plain text {}"));
        let deep = format!("{}{}", "{\"a\":".repeat(200), "1}");
        let deep = format!("{deep}{}", "}".repeat(199));
        assert!(detect(&deep));
        assert!(parse(&deep, &mut event()).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let text = format!("{{{s}}}");
            let _ = parse(&text, &mut event());
            let _ = parse(&s, &mut event());
        }
    }
}
