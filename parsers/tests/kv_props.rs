//! Property tests for the key=value firewall formats (FortiGate, Sophos
//! XG, SonicWall): no input makes the parser panic, whether it comes as a
//! bare line or inside a syslog record, and hostile records stay bounded.

use proptest::prelude::*;
use time::macros::datetime;
use time::OffsetDateTime;
use vedette_model::{Event, Origin};
use vedette_parsers::{Parser, ParserConfig};

const RECEIVED: OffsetDateTime = datetime!(2026-11-25 03:00:00 UTC);

fn parse(text: &str) -> Event {
    Parser::new(ParserConfig::default()).parse(
        1,
        RECEIVED,
        Origin::new("prop", None),
        text.as_bytes(),
    )
}

/// Record openings that each format's `detect` accepts.
fn prefix() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("date=2026-11-25 time=10:00:00 logid=\"0000000013\" "),
        Just("logver=700 logid=1 "),
        Just("device=\"SFW\" "),
        Just("device_name=\"SFW\" log_id=1 "),
        Just("id=firewall sn=1 m=98 c=1 "),
        Just("sn=1 fw=1.2.3.4 m=98 "),
    ]
}

/// Pairs with the keys the formats map, and junk between them.
fn body() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("srcip"),
        Just("dstport"),
        Just("proto"),
        Just("action"),
        Just("type"),
        Just("subtype"),
        Just("eventtime"),
        Just("tz"),
        Just("url"),
        Just("ui"),
        Just("src"),
        Just("dst"),
        Just("time"),
        Just("timestamp"),
        Just("timezone"),
        Just("protocol"),
        Just("sent_bytes"),
        Just("msg"),
        Just("status"),
        Just("date"),
        Just("srcMac"),
        Just("arg"),
        Just("dstname"),
        Just("log_type"),
        Just("x"),
    ];
    let value = "(\"[ -~]{0,30}\"?|[!-~]{0,30}|[0-9:.\\[\\]a-fX-]{0,30})";
    prop::collection::vec((key, value, "( |  |\t| junk )"), 0..30).prop_map(|items| {
        let mut s = String::new();
        for (k, v, sep) in items {
            s.push_str(k);
            s.push('=');
            s.push_str(&v);
            s.push_str(&sep);
        }
        s
    })
}

proptest! {
    #[test]
    fn kv_records_never_panic(p in prefix(), b in body(), header in any::<bool>()) {
        let text = if header {
            format!("<189>Nov 25 10:00:00 fw1 {p}{b}")
        } else {
            format!("{p}{b}")
        };
        let ev = parse(&text);
        prop_assert_eq!(ev.original, text);
    }

    #[test]
    fn arbitrary_text_never_panics(p in prefix(), s in "\\PC{0,300}") {
        let text = format!("{p}{s}");
        let ev = parse(&text);
        prop_assert_eq!(ev.original, text);
    }
}

#[test]
fn ten_thousand_pairs_are_bounded() {
    for p in [
        "date=2026-11-25 logid=1 ",
        "device=\"SFW\" ",
        "id=firewall sn=1 m=1 ",
    ] {
        let mut line = String::from(p);
        for i in 0..10_000 {
            line.push_str(&format!("k{i}=\"v {i}\" "));
        }
        let start = std::time::Instant::now();
        let ev = parse(&line);
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
        assert!(ev.fields.len() < 1_100, "{}", ev.fields.len());
        assert_eq!(ev.error, None);
    }
}
