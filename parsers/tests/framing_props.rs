//! Property tests for multi-line records (audit events, ModSecurity serial
//! transactions): whatever lines come in, every line comes out in exactly
//! one record, in order within it, open state stays bounded, and every
//! record parses into an event that keeps it whole.

use proptest::prelude::*;
use time::macros::datetime;
use vedette_model::Origin;
use vedette_parsers::{AuditJoiner, Framed, Framer, Parser};

/// Lines of the kinds the framer looks at, well formed or not.
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u8..3, 0u32..6, "(SYSCALL|EXECVE|CWD|PATH|PROCTITLE|EOE|USER_LOGIN)", "[ -~]{0,40}")
            .prop_map(|(node, serial, kind, rest)| {
                let node = if node == 0 { String::new() } else { format!("node=n{node} ") };
                format!("{node}type={kind} msg=audit(1795575600.{serial:03}:{serial}): {rest}")
            }),
        (0u8..3, "[ABCEFHIJKZ]").prop_map(|(id, part)| format!("--a1b2c3d{id}-{part}--")),
        "(Message|Action|Host|User-Agent|GET|HTTP/1\\.1): [ -~]{0,40}",
        "\\[25/Nov/2026:10:00:00 \\+0700\\] [A-Za-z0-9@]{1,24} [0-9.]{1,15} [0-9]{1,6} [0-9.]{1,15} [0-9]{1,6}",
        "",
        "[^\\r\\n]{0,80}",
    ]
}

fn lines_of(r: &Framed) -> Vec<String> {
    String::from_utf8_lossy(&r.bytes)
        .split('\n')
        .map(str::to_string)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn every_line_comes_out_once(lines in proptest::collection::vec(line(), 0..120)) {
        let mut f = Framer::for_format("auto");
        let mut out = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            // As `vedette parse` reads: the line end included.
            f.push(i as u64, format!("{l}\n").as_bytes(), &mut out);
        }
        f.flush(&mut out);
        prop_assert_eq!(out.iter().map(|r| r.lines).sum::<usize>(), lines.len());
        let mut want: Vec<&str> = lines.iter().map(String::as_str).collect();
        let mut seen: Vec<String> = out
            .iter()
            .flat_map(|r| {
                if r.lines == 1 {
                    vec![String::from_utf8_lossy(&r.bytes).trim_end_matches(['\n', '\r']).to_string()]
                } else {
                    lines_of(r)
                }
            })
            .collect();
        want.sort_unstable();
        seen.sort_unstable();
        prop_assert_eq!(seen, want);

        let parser = Parser::default();
        for r in &out {
            let ev = parser.parse(r.first, datetime!(2026-11-25 03:00:00 UTC), Origin::new("prop", None), &r.bytes);
            prop_assert_eq!(ev.original, String::from_utf8_lossy(&r.bytes).into_owned());
        }
    }

    #[test]
    fn audit_events_are_joined_whole(
        events in proptest::collection::vec(1usize..8, 1..20),
        swap in any::<bool>(),
    ) {
        // Event k has n records and ends with an EOE; with `swap`, each
        // event's first record comes after the previous event's last.
        let mut lines = Vec::new();
        for (k, n) in events.iter().enumerate() {
            let mut recs: Vec<String> = (0..*n)
                .map(|i| format!("type=PATH msg=audit(1.0:{k}): item={i}"))
                .collect();
            recs.push(format!("type=EOE msg=audit(1.0:{k}): "));
            if swap && lines.len() > 1 {
                let last = lines.pop();
                lines.push(recs.remove(0));
                lines.extend(last);
            }
            lines.extend(recs);
        }
        let mut j = AuditJoiner::new();
        let mut out = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            j.push(i as u64, l.as_bytes(), &mut out);
        }
        j.flush(&mut out);
        prop_assert_eq!(out.len(), events.len());
        for r in &out {
            let text = String::from_utf8_lossy(&r.bytes).into_owned();
            let serial = text.split("audit(1.0:").nth(1).and_then(|s| s.split(')').next()).unwrap_or("");
            let key = format!("audit(1.0:{serial})");
            prop_assert!(text.lines().all(|l| l.contains(&key)));
            let k: usize = serial.parse().unwrap_or(usize::MAX);
            prop_assert_eq!(r.lines, events[k] + 1);
        }
    }
}

#[test]
fn open_audit_events_stay_bounded() {
    let mut j = AuditJoiner::new();
    let mut out = Vec::new();
    // Serials that never end, interleaved within the window.
    for i in 0..100_000u64 {
        let line = format!("type=PATH msg=audit(1.0:{}): item=0", i % 7_000);
        j.push(i, line.as_bytes(), &mut out);
        assert!(j.open() <= vedette_parsers::framing::AUDIT_MAX_OPEN);
        out.clear();
    }
    // One huge record: cut, never dropped.
    let huge = format!("type=PATH msg=audit(1.0:1): name={}", "a".repeat(2 << 20));
    j.push(1, huge.as_bytes(), &mut out);
    j.flush(&mut out);
    assert!(out.iter().any(|r| r.bytes.len() > 2 << 20));
}
