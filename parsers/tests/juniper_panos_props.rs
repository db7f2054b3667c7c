//! Juniper SRX and PAN-OS records, whole or mangled, never panic and stay
//! linear, whichever way they arrive (bare line, BSD syslog, RFC 5424).

use proptest::prelude::*;
use time::macros::datetime;
use vedette_model::Origin;
use vedette_parsers::Parser;

fn parse(line: &str) -> vedette_model::Event {
    Parser::default().parse(
        1,
        datetime!(2026-11-25 03:00:00 UTC),
        Origin::new("test", None),
        line.as_bytes(),
    )
}

const SRX: &str = "<14>Nov 25 10:00:02 srx1 RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed TCP FIN: 10.0.0.5/51234->203.0.113.9/443 0x0 junos-https 198.51.100.1/51234->203.0.113.9/443 0x0 source rule r1 N/A N/A 6 allow-web trust untrust 12345 12(1188) 10(4036) 2 SSL UNKNOWN alice(Engineering) ge-0/0/1.0 No";
const PAN: &str = "<14>Nov 25 10:00:00 PA-VM 1,2026/11/25 10:00:00,012345678901,TRAFFIC,end,2561,2026/11/25 10:00:00,10.0.0.5,203.0.113.9,198.51.100.1,203.0.113.9,allow-web,,,ssl,vsys1,trust,untrust,ethernet1/2,ethernet1/1,Log-Fwd,2026/11/25 10:00:00,12345,1,51234,443,51234,443,0x400019,tcp,allow,5224,1188,4036,33,2026/11/25 09:59:58,2,any,0,123456,0x0,US,US,0,17,16,tcp-fin";

#[test]
fn whole_records() {
    let ev = parse(SRX);
    assert_eq!(ev.error, None);
    assert_eq!(ev.get_str("event.module"), Some("juniper"));
    assert_eq!(ev.get_str("user.name"), Some("alice"));
    let ev = parse(PAN);
    assert_eq!(ev.error, None);
    assert_eq!(ev.get_str("event.module"), Some("panos"));
    assert_eq!(ev.get_str("rule.name"), Some("allow-web"));
}

#[test]
fn huge_records_are_bounded() {
    let start = std::time::Instant::now();
    let big = format!("{PAN}{}", ",\"a\"\"b\"".repeat(200_000));
    let ev = parse(&big);
    assert!(ev.fields.len() < 200);
    let big = format!("{SRX} {}", "x ".repeat(500_000));
    let _ = parse(&big);
    let big = format!(
        "<14>Nov 25 10:00:00 srx1 RT_FLOW: RT_FLOW_SESSION_DENY [junos@2636.1.1.1.2.40 {}]",
        "k=\"v\" ".repeat(100_000)
    );
    let ev = parse(&big);
    assert!(ev.fields.len() < 1100);
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

proptest! {
    #[test]
    fn truncated_records_never_panic(cut in 0usize..400, junk in "\\PC{0,40}") {
        for whole in [SRX, PAN] {
            let mut end = cut.min(whole.len());
            while !whole.is_char_boundary(end) {
                end -= 1;
            }
            let _ = parse(&whole[..end]);
            let _ = parse(&format!("{}{junk}", &whole[..end]));
        }
    }

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,300}") {
        let _ = parse(&s);
        let _ = parse(&format!("<14>Nov 25 10:00:00 srx1 RT_FLOW: RT_FLOW_SESSION_CREATE: session created {s}"));
        let _ = parse(&format!("1,2026/11/25 10:00:00,0123,THREAT,{s}"));
        let _ = parse(&format!("<14>1 2026-11-25T10:00:00Z srx1 RT_FLOW - RT_FLOW_SESSION_CLOSE [junos@2636.1.1.1.2.40 reason=\"x\"] session closed {s}"));
    }
}
