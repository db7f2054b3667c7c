//! Instruction counts of parsing, for what wall-clock benchmarks on a busy
//! machine cannot resolve (the few percent auto-detection costs): run under
//! callgrind, which counts the instructions of `run` alone, repeatably.
//!
//! ```sh
//! cargo build --release -p vedette-parsers --example parse_cost
//! valgrind --tool=callgrind --toggle-collect='parse_cost::run' \
//!     target/release/examples/parse_cost web auto
//! ```
//!
//! Arguments: a `testdata` directory (its records without the deliberately
//! broken ones, as `parse_format` in `benches/parse.rs` reads them) and
//! `auto` or `fixed` (the format fixed by a source rule, or for `syslog`
//! the source fixed to plain syslog). Prints the bytes parsed; callgrind
//! prints the instructions.

use std::hint::black_box;

#[path = "../benches/support/golden.rs"]
mod golden;

// The allocator of the `vedette` binary, as in `benches/parse.rs`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use time::macros::datetime;
use vedette_model::Origin;
use vedette_parsers::{Parser, ParserConfig, SourceRule};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dir), Some(mode)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: parse_cost DIR auto|fixed");
        std::process::exit(2);
    };
    let name = golden::format_of(dir);
    let lines = records(dir);
    let parser = match mode.as_str() {
        "auto" => Parser::new(ParserConfig::default()),
        _ => Parser::new(ParserConfig {
            sources: vec![SourceRule::new("cost", &[], &[], &[], Some(name), None)
                .expect("a known format name")],
            ..ParserConfig::default()
        }),
    };
    // Once outside the count: what is built on first use (the detectors'
    // substring searchers) is not a per-record cost, as in criterion's
    // warm-up.
    warm(&parser, &lines);
    let bytes = run(&parser, &lines);
    println!("{dir} {mode}: {} records, {bytes} bytes", lines.len());
}

#[inline(never)]
fn run(parser: &Parser, lines: &[String]) -> usize {
    let received = datetime!(2026-11-25 03:00:00 UTC);
    let mut bytes = 0;
    for (seq, line) in lines.iter().enumerate() {
        let origin = Origin::new("cost", None);
        black_box(parser.parse(seq as u64, received, origin, line.as_bytes()));
        bytes += line.len();
    }
    bytes
}

#[inline(never)]
fn warm(parser: &Parser, lines: &[String]) {
    let received = datetime!(2026-11-25 03:00:00 UTC);
    for line in lines {
        black_box(parser.parse(0, received, Origin::new("cost", None), line.as_bytes()));
    }
}

/// The directory's records, ten times over.
fn records(dir: &str) -> Vec<String> {
    let base = golden::golden_records(dir);
    base.iter().cycle().take(base.len() * 10).cloned().collect()
}
