//! Hostile input through the public parser: never a panic, bounded time, the
//! raw record always kept.

use std::time::{Duration, Instant};

use time::macros::datetime;
use vedette_model::Origin;
use vedette_parsers::Parser;

fn check(name: &str, bytes: &[u8]) {
    let started = Instant::now();
    let ev = Parser::default().parse(
        1,
        datetime!(2026-11-25 03:00:00 UTC),
        Origin::new("test", None),
        bytes,
    );
    // Generous: a debug build on a busy 2-core machine; the point is that
    // nothing is quadratic or unbounded.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{name}: took {:?}",
        started.elapsed()
    );
    assert_eq!(
        ev.original,
        String::from_utf8_lossy(bytes),
        "{name}: event.original must be the record"
    );
}

#[test]
fn hostile_records_never_panic_and_keep_the_raw_line() {
    let mb = 1 << 20;
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("nul bytes", b"<13>Nov 25 10:00:00 h app: a\0b\0c".to_vec()),
        (
            "invalid utf-8",
            b"<13>Nov 25 10:00:00 h app: \xff\xfe\xc3\x28 end".to_vec(),
        ),
        ("only pri", b"<13>".to_vec()),
        ("huge pri", b"<99999999999999999999>x".to_vec()),
        ("1 MB line", vec![b'a'; mb]),
        (
            "1 MB syslog msg",
            [b"<13>Nov 25 10:00:00 h app: ".to_vec(), vec![b'x'; mb]].concat(),
        ),
        (
            "1 MB CEF",
            [b"CEF:0|a|b|c|d|e|5|".to_vec(), b"k=v ".repeat(mb / 4)].concat(),
        ),
        ("unclosed CEF header", b"CEF:0|a|b\\|c".repeat(10_000)),
        (
            "LEEF with odd delimiter",
            b"LEEF:2.0|V|P|1|E|x7C|a=b|c=d".to_vec(),
        ),
        (
            "1 MB access line",
            [
                b"1.2.3.4 - - [25/Nov/2026:10:00:00 +0700] \"GET /".to_vec(),
                vec![b'/'; mb],
            ]
            .concat(),
        ),
        (
            "unterminated quotes",
            b"date=2026-11-25 logid=\"1 type=\"".repeat(5_000),
        ),
        (
            "ASA with garbage",
            b"%ASA-6-302013: Built inbound TCP connection ".repeat(2_000),
        ),
        (
            "iptables garbage",
            b"IN= OUT= SRC= DST= LEN= PROTO= SPT= DPT=".repeat(2_000),
        ),
        ("filterlog commas", b",".repeat(mb)),
        (
            "deep json",
            [b"{\"EventID\":1,\"a\":".to_vec(), b"[".repeat(100_000)].concat(),
        ),
        ("deep json objects", b"{\"winlog\":".repeat(50_000)),
        (
            "sd garbage",
            b"<13>1 2026-11-25T10:00:00Z h a p m [".repeat(10_000),
        ),
    ];
    let mut kv = b"date=2026-11-25 time=10:00:00 devname=\"x\" logid=\"0000000013\"".to_vec();
    for i in 0..10_000 {
        kv.extend_from_slice(format!(" k{i}=\"v {i}\"").as_bytes());
    }
    cases.push(("10,000 key=value pairs", kv));
    let mut cef = b"CEF:0|v|p|1|id|name|5|".to_vec();
    for i in 0..10_000 {
        cef.extend_from_slice(format!("cs{i}=v{i} ").as_bytes());
    }
    cases.push(("10,000 CEF extensions", cef));
    // Multi-line records as the framer joins them.
    let audit: Vec<u8> = (0..10_000)
        .flat_map(|i| format!("type=PATH msg=audit(1.0:7): item={i} name=\"/x\"\n").into_bytes())
        .collect();
    cases.push(("10,000 audit records in one event", audit));
    let modsec = [
        b"--abcd1234-A--\n[25/Nov/2026:10:00:00 +0700] U 1.2.3.4 1 5.6.7.8 80\n--abcd1234-H--\n"
            .to_vec(),
        b"Message: Warning. [id \"1\"] [tag \"x\"]\n".repeat(20_000),
    ]
    .concat();
    cases.push(("a 1 MB ModSecurity transaction", modsec));
    cases.push((
        "a W3C directive of 1 MB",
        [b"#Fields: ".to_vec(), b"x ".repeat(1 << 19)].concat(),
    ));
    for (name, bytes) in &cases {
        check(name, bytes);
    }
}
