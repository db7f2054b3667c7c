//! Property tests for Windows events as JSON: no input makes the parser
//! panic, and NXLog-style flat objects of random fields parse back to
//! those fields under their own names.

use std::collections::BTreeMap;

use proptest::prelude::*;
use time::macros::datetime;
use time::OffsetDateTime;
use vedette_model::{Event, FieldValue, Origin};
use vedette_parsers::{Parser, ParserConfig};

const RECEIVED: OffsetDateTime = datetime!(2026-11-25 03:00:00 UTC);

fn parse(bytes: &[u8]) -> Event {
    Parser::new(ParserConfig::default()).parse(7, RECEIVED, Origin::new("prop", None), bytes)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_windows_json_never_panics(
        prefix in prop::sample::select(vec![
            "{\"EventID\":",
            "{\"Event\":{\"System\":{",
            "{\"winlog\":{\"event_data\":{",
            "<14>Nov 25 10:00:00 h nxlog: {\"EventID\":4624,",
            "{\"agent\":{\"type\":\"winlogbeat\"},",
        ]),
        body in "[ -~\t\n\\[\\]{}\":,\\\\]{0,300}",
        junk in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        let mut bytes = prefix.as_bytes().to_vec();
        bytes.extend_from_slice(body.as_bytes());
        bytes.extend_from_slice(&junk);
        let ev = parse(&bytes);
        prop_assert_eq!(&ev.original, &String::from_utf8_lossy(&bytes));
        if let Some(e) = &ev.error {
            prop_assert!(!e.is_empty());
        }
    }

    #[test]
    fn nxlog_fields_round_trip(
        fields in prop::collection::btree_map(
            "[A-Z][A-Za-z0-9]{0,15}",
            prop_oneof![
                "[^\u{0}]{0,40}".prop_map(FieldValue::from),
                any::<i64>().prop_map(FieldValue::Int),
                any::<bool>().prop_map(FieldValue::Bool),
            ],
            0..20,
        ),
        event_id in 0i64..70000,
    ) {
        let mut obj = serde_json::Map::new();
        obj.insert("EventID".into(), event_id.into());
        obj.insert("Channel".into(), "Security".into());
        for (k, v) in &fields {
            // The normalized names are the record's core values.
            if !["EventID", "Channel", "Message", "Computer", "Provider_Name"].contains(&k.as_str()) {
                obj.insert(k.clone(), v.to_json());
            }
        }
        let text = serde_json::Value::Object(obj.clone()).to_string();
        let ev = parse(text.as_bytes());
        prop_assert_eq!(ev.error.as_deref(), None, "{}", text);
        prop_assert_eq!(ev.get("EventID"), Some(&FieldValue::Int(event_id)));
        prop_assert_eq!(ev.logsource.product.as_deref(), Some("windows"));
        let want: BTreeMap<_, _> = fields
            .iter()
            .filter(|(k, _)| obj.contains_key(*k))
            .collect();
        for (k, v) in want {
            prop_assert_eq!(ev.get(k), Some(v), "{} in {}", k, text);
        }
    }
}
