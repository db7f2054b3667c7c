//! Arbitrary bytes as a file of lines, read as `vedette parse` reads one:
//! through a `Framer` (audit events and ModSecurity serial transactions
//! joined) and one `Parser` whose per-source state (W3C `#Fields:`) the
//! lines may change. Never a panic; every record is kept as its event's
//! `event.original`; every line comes out in exactly one record.
//!
//! `cd parsers && cargo fuzz run stream` (nightly, or RUSTC_BOOTSTRAP=1)
#![no_main]

use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;
use vedette_model::Origin;
use vedette_parsers::{Framer, Parser, ParserConfig};

fuzz_target!(|data: &[u8]| {
    let parser = Parser::new(ParserConfig::default());
    let received = OffsetDateTime::from_unix_timestamp(1_795_575_600).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let mut framer = Framer::for_format("auto");
    let mut records = Vec::new();
    let mut lines = 0usize;
    for (n, line) in data.split_inclusive(|&b| b == b'\n').enumerate() {
        lines += 1;
        framer.push(n as u64, line, &mut records);
    }
    framer.flush(&mut records);
    assert_eq!(records.iter().map(|r| r.lines).sum::<usize>(), lines);
    for r in &records {
        let ev = parser.parse(r.first, received, Origin::new("fuzz", None), &r.bytes);
        assert_eq!(ev.original, String::from_utf8_lossy(&r.bytes));
        let _ = ev.to_json();
    }
});
