//! Generic JSON and NDJSON: any record that is one JSON object and that no
//! more specific format claimed. Nested objects are flattened into dotted
//! keys (`{"user":{"name":"a"}}` -> `user.name`), arrays by index
//! (`tags.0`), with the JSON reader of [`super::windows`] and its bounds
//! (nesting depth, field count, value size).

use vedette_model::Event;

use super::windows::{flatten, value, JsonScalar, MAX_DEPTH, MAX_FIELDS, RESERVED_KEYS};
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
    let result = flatten(text, MAX_DEPTH, MAX_FIELDS, &mut |key, v| {
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
        ev.set("message", m);
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
