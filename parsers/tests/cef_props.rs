//! Property tests for CEF and LEEF: no input makes their parsers panic, and
//! records built from random header and extension values parse back to
//! those values.

use std::collections::BTreeMap;

use proptest::prelude::*;
use time::macros::datetime;
use time::OffsetDateTime;
use vedette_model::{Event, Origin};
use vedette_parsers::{Parser, ParserConfig};

const RECEIVED: OffsetDateTime = datetime!(2026-11-25 03:00:00 UTC);

fn parse(bytes: &[u8]) -> Event {
    Parser::new(ParserConfig::default()).parse(7, RECEIVED, Origin::new("prop", None), bytes)
}

fn cef_header_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|")
}

fn cef_value_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('=', "\\=")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

/// A header value: printable, pipes and backslashes included, no
/// leading/trailing space trouble (header fields are not trimmed).
fn header_value() -> impl Strategy<Value = String> {
    "[ -~]{1,20}"
}

/// An extension value: printable plus newlines, `=`, `\` and spaces inside,
/// never at either end (values are trimmed).
fn ext_value() -> impl Strategy<Value = String> {
    "([!-~]([ -~\n\r]{0,30}[!-~])?)?"
}

fn ext_key() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9_]{0,12}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_cef_and_leef_never_panic(
        prefix in prop::sample::select(vec!["CEF:", "CEF:0|", "  CEF:1|a|b|c|d|e|", "LEEF:", "LEEF:1.0|a|b|c|d|", "LEEF:2.0|a|b|c|d|", "<13>Nov 25 10:00:00 h CEF:0|", "<13>1 - h a - - - LEEF:2.0|"]),
        body in "[ -~\t\n=|\\\\]{0,300}",
        junk in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        let mut bytes = prefix.as_bytes().to_vec();
        bytes.extend_from_slice(body.as_bytes());
        bytes.extend_from_slice(&junk);
        let ev = parse(&bytes);
        prop_assert_eq!(&ev.original, &String::from_utf8_lossy(&bytes));
        if let Some(e) = &ev.error {
            prop_assert!(e.contains(": expected ") || e.contains(": empty"), "{}", e);
        }
    }

    #[test]
    fn cef_round_trips(
        version in 0u8..2,
        header in prop::collection::vec(header_value(), 5),
        severity in 0i64..=10,
        ext in prop::collection::btree_map(ext_key(), ext_value(), 1..12),
        syslog in any::<bool>(),
    ) {
        let mut line = String::new();
        if syslog {
            line.push_str("<134>Nov 25 10:00:00 host ");
        }
        line.push_str(&format!("CEF:{version}"));
        for h in &header {
            line.push('|');
            line.push_str(&cef_header_escape(h));
        }
        line.push_str(&format!("|{severity}|"));
        let parts: Vec<String> = ext
            .iter()
            .map(|(k, v)| format!("{k}={}", cef_value_escape(v)))
            .collect();
        line.push_str(&parts.join(" "));
        let ev = parse(line.as_bytes());
        prop_assert_eq!(ev.error.as_deref(), None, "{}", line);
        let v = version.to_string();
        prop_assert_eq!(ev.get_str("cef.version"), Some(v.as_str()));
        let names = ["cef.device_vendor", "cef.device_product", "cef.device_version", "cef.device_event_class_id", "cef.name"];
        for (name, want) in names.iter().zip(&header) {
            prop_assert_eq!(ev.get_str(name), Some(want.as_str()), "{} in {}", name, line);
        }
        prop_assert_eq!(ev.get("event.severity"), Some(&severity.into()));
        for (k, v) in &ext {
            prop_assert_eq!(ev.get_str(&format!("cef.extensions.{k}")), Some(v.as_str()), "{} in {}", k, line);
        }
    }

    #[test]
    fn leef_round_trips(
        v2 in any::<bool>(),
        delim in prop::sample::select(vec!['\t', '^', ',', ';']),
        hex in any::<bool>(),
        header in prop::collection::vec("[ -{}~]{1,20}", 4),
        attrs in prop::collection::btree_map(ext_key(), "[ -+\\--:<-~]{0,30}", 1..12),
    ) {
        let delim = if v2 { delim } else { '\t' };
        let mut line = format!("LEEF:{}", if v2 { "2.0" } else { "1.0" });
        for h in &header {
            line.push('|');
            line.push_str(h);
        }
        line.push('|');
        if v2 {
            if hex {
                line.push_str(&format!("x{:02X}|", u32::from(delim)));
            } else {
                line.push(delim);
                line.push('|');
            }
        }
        // Values without the delimiter; `=` inside values is fine in LEEF.
        // A LEEF 1.0 record of one attribute has no TAB, so a `|key=` in its
        // value would read as PAN-OS's `|`-separated form: no `|` there.
        let single = !v2 && attrs.len() == 1;
        let attrs: BTreeMap<String, String> = attrs
            .into_iter()
            .map(|(k, v)| {
                let v = v.replace(delim, "=");
                (k, if single { v.replace('|', "=") } else { v })
            })
            .collect();
        let parts: Vec<String> = attrs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        line.push_str(&parts.join(&delim.to_string()));
        let ev = parse(line.as_bytes());
        prop_assert_eq!(ev.error.as_deref(), None, "{:?}", line);
        let names = ["leef.vendor", "leef.product", "leef.product_version", "leef.event_id"];
        for (name, want) in names.iter().zip(&header) {
            prop_assert_eq!(ev.get_str(name), Some(want.as_str()), "{} in {:?}", name, line);
        }
        for (k, v) in &attrs {
            let got = ev.get_str(&format!("leef.{k}"));
            // The last value may lose trailing whitespace with the record's
            // trailing newline handling; values here have none of those.
            prop_assert_eq!(got, Some(v.as_str()), "{} in {:?}", k, line);
        }
    }
}

/// Throughput in release builds:
/// `cargo test --release -p vedette-parsers --test cef_props -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput() {
    let lines = [
        "<14>1 2026-11-25T10:00:05+07:00 pa-fw01 - - - - CEF:0|Palo Alto Networks|PAN-OS|10.1.0|end|TRAFFIC|1|rt=Nov 25 2026 03:00:04 GMT deviceExternalId=015351000012345 src=192.168.1.20 dst=203.0.113.50 sourceTranslatedAddress=198.51.100.7 cs1Label=Rule cs1=allow-web suser=corp\\\\alice app=ssl cs3Label=Virtual System cs3=vsys1 spt=51234 dpt=443 proto=tcp act=allow in=5412 out=18234 cat=TRAFFIC",
        "LEEF:2.0|Palo Alto Networks|PAN-OS Syslog Integration|10.1|allow|x09|cat=TRAFFIC\tdevTime=Nov 25 2026 10:00:04 GMT+07:00\tdevTimeFormat=MMM dd yyyy HH:mm:ss z\tsrc=192.168.1.20\tdst=203.0.113.50\tsrcPort=51234\tdstPort=443\tproto=tcp\taction=allow\tdstBytes=18234\tsrcBytes=5412",
    ];
    let parser = Parser::new(ParserConfig::default());
    let baseline = lines[0].replace("CEF:", "XEF:");
    let baseline = format!("X{}", &baseline[1..]);
    for line in [lines[0], lines[1], baseline.as_str()] {
        let n = 200_000;
        let start = std::time::Instant::now();
        for i in 0..n {
            let ev = parser.parse(i, RECEIVED, Origin::new("bench", None), line.as_bytes());
            assert!(ev.error.is_none() || line.starts_with('X'));
        }
        let secs = start.elapsed().as_secs_f64();
        let mib = (line.len() * n as usize) as f64 / (1 << 20) as f64;
        println!(
            "{:.0} MiB/s, {:.0} records/s: {}",
            mib / secs,
            n as f64 / secs,
            &line[..40]
        );
    }
}
