//! Property tests for W3C extended logs with `#Fields:` directives: any
//! sequence of lines from any sources makes one event per line without a
//! panic, the raw line kept; lines built in a random layout parse back to
//! their values; a 1 MB or 10,000-field directive is bounded.

use std::net::{IpAddr, SocketAddr};

use proptest::prelude::*;
use time::macros::datetime;
use time::OffsetDateTime;
use vedette_model::{Event, FieldValue, Origin};
use vedette_parsers::Parser;

const RECEIVED: OffsetDateTime = datetime!(2026-11-25 03:00:00 UTC);

fn from(peer: u8) -> Origin {
    Origin::new(
        "prop",
        Some(SocketAddr::new(IpAddr::from([10, 0, 0, peer]), 514)),
    )
}

fn int(ev: &Event, k: &str) -> Option<i64> {
    match ev.get(k) {
        Some(FieldValue::Int(i)) => Some(*i),
        _ => None,
    }
}

/// Lines a W3C source may send, broken ones included.
fn w3cish() -> impl Strategy<Value = String> {
    prop_oneof![
        "#(Fields|Date|Software|Version|Remark|fields|Start-Date):[ -~]{0,80}",
        "#Fields:( (date|time|c-ip|s-ip|cs-method|cs-uri-stem|sc-status|time-taken|sc-bytes|cs\\(User-Agent\\)|x-[a-z]{1,5})){0,12}",
        "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}( [ -~&&[^ ]]{1,12}){0,14}",
        "[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,4})?( [ -~&&[^ ]]{1,12}){0,10}",
        ".{0,120}",
    ]
}

/// A layout of standard fields (date and time first) and a line's values.
#[derive(Debug, Clone)]
struct Line {
    names: Vec<&'static str>,
    values: Vec<String>,
    ip: IpAddr,
    port: u16,
    status: u16,
    bytes: u32,
    method: String,
}

fn layout_line() -> impl Strategy<Value = Line> {
    let optional = proptest::sample::subsequence(
        vec![
            "s-sitename",
            "cs-uri-query",
            "cs-username",
            "cs-version",
            "cs(User-Agent)",
            "cs(Referer)",
            "cs-host",
            "sc-substatus",
            "time-taken",
            "x-custom",
        ],
        0..=10,
    );
    (
        optional,
        any::<IpAddr>(),
        any::<u16>(),
        100u16..600,
        any::<u32>(),
        "[A-Z]{3,8}",
        "[!-~]{1,20}",
        any::<u64>(),
    )
        .prop_map(|(mut names, ip, port, status, bytes, method, word, seed)| {
            names.extend(["c-ip", "s-port", "cs-method", "sc-status", "sc-bytes"]);
            // A shuffle decided by `seed`, the date and time kept first.
            let mut s = seed;
            for i in (1..names.len()).rev() {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                names.swap(i, (s >> 33) as usize % (i + 1));
            }
            names.insert(0, "time");
            names.insert(0, "date");
            let values = names
                .iter()
                .map(|n| match *n {
                    "date" => "2026-11-25".to_string(),
                    "time" => "03:04:05".to_string(),
                    "c-ip" => ip.to_string(),
                    "s-port" => port.to_string(),
                    "cs-method" => method.clone(),
                    "sc-status" => status.to_string(),
                    "sc-bytes" | "sc-substatus" | "time-taken" => bytes.to_string(),
                    _ => word.clone(),
                })
                .collect();
            Line {
                names,
                values,
                ip,
                port,
                status,
                bytes,
                method,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn any_lines_from_any_sources_make_events(
        lines in proptest::collection::vec((0u8..3, w3cish()), 1..30)
    ) {
        let p = Parser::default();
        for (i, (peer, text)) in lines.iter().enumerate() {
            let ev = p.parse(i as u64, RECEIVED, from(*peer), text.as_bytes());
            prop_assert_eq!(&ev.original, text);
            if let Some(e) = &ev.error {
                prop_assert!(!e.is_empty());
            }
            let _ = ev.to_json();
        }
    }

    #[test]
    fn lines_in_a_declared_layout_parse_back(l in layout_line(), syslog in any::<bool>()) {
        let p = Parser::default();
        let wrap = |s: &str| if syslog {
            format!("<134>Nov 25 10:00:00 web1 iis: {s}")
        } else {
            s.to_string()
        };
        let header = wrap(&format!("#Fields: {}", l.names.join(" ")));
        let ev = p.parse(1, RECEIVED, from(1), header.as_bytes());
        prop_assert_eq!(ev.error.as_deref(), None);
        prop_assert_eq!(ev.get_str("event.action"), Some("w3c-fields"));
        let text = wrap(&l.values.join(" "));
        let ev = p.parse(2, RECEIVED, from(1), text.as_bytes());
        prop_assert_eq!(ev.error.as_deref(), None, "{}", text);
        prop_assert_eq!(ev.timestamp, datetime!(2026-11-25 03:04:05 UTC));
        let ip = l.ip.to_string();
        prop_assert_eq!(ev.get_str("source.ip"), Some(ip.as_str()));
        prop_assert_eq!(int(&ev, "destination.port"), Some(i64::from(l.port)));
        prop_assert_eq!(ev.get_str("http.request.method"), Some(l.method.as_str()));
        prop_assert_eq!(int(&ev, "http.response.status_code"), Some(i64::from(l.status)));
        prop_assert_eq!(int(&ev, "http.response.bytes"), Some(i64::from(l.bytes)));
        // Another source never sees this layout.
        let ev = p.parse(3, RECEIVED, from(2), text.as_bytes());
        prop_assert_eq!(ev.get("http.response.bytes"), None);
    }
}

#[test]
fn hostile_directives_are_bounded() {
    let p = Parser::default();
    let fields = format!("#Fields: {}", "x-a ".repeat(10_000));
    let ev = p.parse(1, RECEIVED, from(1), fields.as_bytes());
    assert!(ev.error.is_some(), "too many fields is an error");
    let big = format!("#Remark: {}", "z".repeat(1 << 20));
    let ev = p.parse(2, RECEIVED, from(1), big.as_bytes());
    assert_eq!(ev.error, None);
    assert!(ev.get_str("w3c.value").map_or(0, str::len) <= 4096);
    assert_eq!(ev.original, big);
    // Many sources: the table stays bounded and the parser keeps working.
    for i in 0..(vedette_parsers::MAX_SOURCES + 100) {
        let o = Origin::new(
            "prop",
            Some(SocketAddr::new(
                IpAddr::from([10, 1, (i >> 8) as u8, i as u8]),
                514,
            )),
        );
        p.parse(i as u64, RECEIVED, o, b"#Fields: date time c-ip");
    }
    let ev = p.parse(9, RECEIVED, from(1), b"#Fields: date time c-ip");
    assert_eq!(ev.error, None);
}
