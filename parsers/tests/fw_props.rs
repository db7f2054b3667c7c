//! Property tests for the firewall formats (Cisco ASA, netfilter, pfSense
//! filterlog): no input makes them panic, whatever its shape, and hostile
//! records take linear time.

use std::time::Instant;

use proptest::prelude::*;
use time::macros::datetime;
use vedette_model::{Event, Origin};
use vedette_parsers::{Parser, ParserConfig};

fn parse(bytes: &[u8]) -> Event {
    Parser::new(ParserConfig::default()).parse(
        1,
        datetime!(2026-11-25 03:00:00 UTC),
        Origin::new("prop", None),
        bytes,
    )
}

/// Text that gets past the formats' detection.
fn firewallish() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("Built".to_string()),
        Just("Teardown".to_string()),
        Just("inbound".to_string()),
        Just("TCP".to_string()),
        Just("connection".to_string()),
        Just("for".to_string()),
        Just("to".to_string()),
        Just("from".to_string()),
        Just("src".to_string()),
        Just("dst".to_string()),
        Just("duration".to_string()),
        Just("bytes".to_string()),
        Just("by".to_string()),
        Just("access-group".to_string()),
        Just("->".to_string()),
        Just("hit-cnt".to_string()),
        Just("(type".to_string()),
        Just("code".to_string()),
        Just("user".to_string()),
        Just("=".to_string()),
        Just(":".to_string()),
        Just("outside:203.0.113.5/51234".to_string()),
        Just("(10.0.0.1/80)".to_string()),
        Just("inside/2001:db8::1(22)".to_string()),
        Just("<alice>".to_string()),
        Just("'x'".to_string()),
        Just("0:01:02".to_string()),
        "[ -~]{0,12}",
    ];
    let asa = (
        prop_oneof![
            Just("%ASA-6-"),
            Just(": %FTD-4-"),
            Just("Nov 25 2026 10:00:00: %ASA-4-")
        ],
        prop_oneof![
            Just("302013"),
            Just("302014"),
            Just("302020"),
            Just("106001"),
            Just("106023"),
            Just("106100"),
            Just("305012"),
            Just("313004"),
            Just("113005"),
            Just("113019"),
            Just("605004"),
            Just("611101"),
            Just("722022"),
            Just("111010"),
            Just("733100"),
            Just("1"),
        ],
        prop::collection::vec(word, 0..24),
    )
        .prop_map(|(h, id, words)| format!("{h}{id}: {}", words.join(" ")));
    let kv = prop_oneof![
        "(IN|OUT|SRC|DST|LEN|TTL|ID|PROTO|SPT|DPT|MAC|TYPE|CODE|WINDOW)=[ -~]{0,10}",
        "(SYN|ACK|DF|\\[SRC=1.2.3.4)",
    ];
    let netfilter = (
        "(\\[[0-9. ]{0,8}\\] )?(\\[UFW [A-Z]{0,6}\\] )?",
        prop::collection::vec(kv, 0..20),
    )
        .prop_map(|(p, kvs)| format!("{p}IN=eth0 OUT= {}", kvs.join(" ")));
    let field = prop_oneof![
        Just(String::new()),
        "[0-9]{1,6}",
        Just("tcp".to_string()),
        Just("udp".to_string()),
        Just("icmp".to_string()),
        Just("10.0.0.1".to_string()),
        Just("2001:db8::1".to_string()),
        "[ -~]{0,8}",
    ];
    let filterlog = (
        "[0-9]{1,3},[0-9]{0,2},,[0-9a-f]{0,12},em[0-9],match,(pass|block|reject),(in|out),(4|6)",
        prop::collection::vec(field, 0..30),
    )
        .prop_map(|(h, f)| format!("{h},{}", f.join(",")));
    prop_oneof![asa, netfilter, filterlog]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn firewall_text_never_panics(text in firewallish(), syslog in any::<bool>()) {
        let line = if syslog {
            format!("<166>Nov 25 10:00:00 fw01 app[7]: {text}")
        } else {
            text.clone()
        };
        let ev = parse(line.as_bytes());
        prop_assert_eq!(&ev.original, &line);
        prop_assert!(ev.get("event.module").is_some(), "not detected: {}", line);
    }

    #[test]
    fn arbitrary_tails_never_panic(
        head in prop_oneof![Just("%ASA-6-302013: "), Just("IN=eth0 OUT= "), Just("5,,,1,em0,match,block,in,4,")],
        tail in ".{0,200}",
    ) {
        let line = format!("{head}{tail}");
        let ev = parse(line.as_bytes());
        prop_assert_eq!(&ev.original, &line);
    }
}

#[test]
fn hostile_records_are_linear() {
    let mb = 1 << 20;
    let lines = [
        format!("%ASA-6-302014: Teardown TCP connection 1 for a:1.2.3.4/1 to b:1.2.3.4/2 duration 0:00:01 bytes 1 {}", "x (y) from ".repeat(mb / 11)),
        format!("%ASA-4-106023: Deny tcp src outside:1.2.3.4/1 {}", "(u, ".repeat(mb / 4)),
        format!("%ASA-6-113004: AAA user x {}", "user user ".repeat(mb / 10)),
        format!("IN=eth0 OUT= {}", "SYN ".repeat(mb / 4)),
        format!("IN=eth0 OUT= {}", "SRC=x ".repeat(mb / 6)),
        format!("5,,,1,em0,match,block,in,4{}", ",".repeat(mb)),
    ];
    for line in lines {
        let t = Instant::now();
        let ev = parse(line.as_bytes());
        assert!(ev.get("event.module").is_some());
        assert!(t.elapsed().as_secs() < 5, "{:?}", t.elapsed());
    }
}

/// `cargo test --release -p vedette-parsers --test fw_props -- --ignored
/// --nocapture`: throughput of whole records, syslog header included.
#[test]
#[ignore]
fn throughput() {
    let lines = [
        "<38>Nov 25 10:00:00 web1 sshd[4242]: Accepted publickey for alice from 203.0.113.9 port 50022 ssh2",
        "<38>Nov 25 10:00:00 web1 app[4242]: something happened with a moderately long message text and no particular format at all",
        "<166>Nov 25 2026 10:00:00 asa01 : %ASA-6-302013: Built inbound TCP connection 991727 for outside:203.0.113.5/51234 (203.0.113.5/51234) to dmz:10.1.1.10/443 (198.51.100.10/443)",
        "<166>Nov 25 10:01:02 asa01 : %ASA-6-302014: Teardown TCP connection 991727 for outside:203.0.113.5/51234 to dmz:10.1.1.10/443 duration 0:01:02 bytes 48213 TCP FINs from outside",
        "<164>Nov 25 10:00:00 asa01 : %ASA-4-106023: Deny tcp src outside:203.0.113.5/63659 dst dmz:10.1.1.10/8827 by access-group \"outside_access_in\" [0x0, 0x0]",
        "<4>Nov 25 10:00:00 web1 kernel: [12345.678901] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:ab:cd:ef:08:00 SRC=203.0.113.5 DST=198.51.100.10 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=1234 DF PROTO=TCP SPT=40000 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0",
        "<134>Nov 25 10:00:00 pfsense filterlog[1234]: 5,,,1000000103,em0,match,block,in,4,0x0,,64,12345,0,none,6,tcp,60,203.0.113.5,10.0.0.1,51234,22,0,S,1234567,,64240,,mss;sackOK;TS;nop;wscale",
    ];
    for line in lines {
        let n = 100_000;
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(parse(line.as_bytes()));
        }
        let secs = t.elapsed().as_secs_f64();
        let mib = (line.len() * n) as f64 / secs / (1024.0 * 1024.0);
        println!(
            "{mib:8.1} MiB/s {:6.0} ns/record  {}",
            secs * 1e9 / n as f64,
            &line[..60]
        );
    }
}
