//! Shared by the per-format targets: a parser whose only source rule fixes
//! one format, so every input reaches that format's parser (no detection).

use time::OffsetDateTime;
use vedette_model::Origin;
use vedette_parsers::{Parser, ParserConfig, SourceRule};

/// Parses `data` with `format` forced and checks the invariants.
pub fn run(format: &str, data: &[u8]) {
    let rule = SourceRule::new("fuzz", &[], &[], &[], Some(format), None).expect("known format");
    let parser = Parser::new(ParserConfig {
        sources: vec![rule],
        ..ParserConfig::default()
    });
    let received = OffsetDateTime::from_unix_timestamp(1_795_575_600).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let ev = parser.parse(1, received, Origin::new("fuzz", None), data);
    assert_eq!(ev.original, String::from_utf8_lossy(data));
    let _ = ev.to_json();
}
