//! Arbitrary bytes into `Parser::parse`: it must never panic, and the event
//! must keep the input as `event.original`.
//!
//! `cd parsers && cargo +nightly fuzz run parse_any`
#![no_main]

use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;
use vedette_model::Origin;
use vedette_parsers::{Parser, ParserConfig};

fuzz_target!(|data: &[u8]| {
    let parser = Parser::new(ParserConfig::default());
    // A fixed receive time keeps runs reproducible.
    let received = OffsetDateTime::from_unix_timestamp(1_795_575_600).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let ev = parser.parse(1, received, Origin::new("fuzz", None), data);
    assert_eq!(ev.original, String::from_utf8_lossy(data));
    let _ = ev.to_json();
});
